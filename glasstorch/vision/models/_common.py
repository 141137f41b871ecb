"""Helpers the zoo's models share: the (H, W) a stack of conv/pool layers produces (to size a
classifier for a given input size without running the network) and the two initializations
in use (d2l.ai's Xavier init for its CNNs, torchvision's Kaiming init for its models)."""
from ... import nn

_SIZED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def spatial_size(layers, input_size, model):
    """(H, W) of the feature map `layers` (a Sequential, run in order) makes of an
    `input_size` (an int or (H, W)) image, from each conv/pool layer's kernel, stride,
    padding and dilation. Raises ValueError, naming `model`, when the map would vanish."""
    h, w = _pair(input_size)
    for layer in layers:
        if not isinstance(layer, _SIZED):
            continue
        k, s, p = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
        d = _pair(getattr(layer, "dilation", 1))
        h, w = ((n + 2 * pi - di * (ki - 1) - 1) // si + 1
                for n, ki, si, pi, di in zip((h, w), k, s, p, d))
        if h < 1 or w < 1:
            raise ValueError(f"{model}: input size {tuple(_pair(input_size))} is too small: "
                             f"the feature map vanishes after {layer}")
    return h, w


def init_xavier(model):
    """d2l.ai's `init_cnn`: Xavier-uniform weights in every Conv2d and Linear (biases keep
    their default init). Keeps the activations' variance steady through sigmoid nets."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)


def init_kaiming(model, conv_mode="fan_out", linear_std=None):
    """torchvision's init: Kaiming-normal conv weights (He et al. 2015, for ReLU nets) with zero
    biases, batch norm at weight 1 / bias 0, and Linear either at its default init
    (linear_std=None) or N(0, linear_std^2) with a zero bias."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode=conv_mode, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


def no_pretrained(name, weights):
    """torchvision's `weights=` argument: glasstorch ships no pretrained weights (and never
    downloads), so only None (random initialization) is accepted."""
    if weights is not None:
        raise ValueError(f"{name}(weights={weights!r}): glasstorch has no pretrained weights; "
                         "use weights=None and train, or load a state_dict with "
                         "model.load_state_dict(glasstorch.load(path))")
