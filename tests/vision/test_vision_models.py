"""glasstorch.vision.models: every zoo model builds, runs forward and backward, has the right
output shape and parameter count; LeNet, VGG and ResNet match torch twins (built here with
torch.nn, torchvision's layer names) key for key and output for output; registry and summary."""
import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glasstorch as gt
from glasstorch.vision import models

# ---- torch twins -----------------------------------------------------------------------------


def torch_lenet(classic=False, num_classes=10):
    act, pool = (tnn.Sigmoid, tnn.AvgPool2d) if classic else (tnn.ReLU, tnn.MaxPool2d)
    net = tnn.Module()
    net.features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), act(), pool(2, 2),
                                  tnn.Conv2d(6, 16, 5), act(), pool(2, 2))
    net.classifier = tnn.Sequential(tnn.Linear(400, 120), act(), tnn.Linear(120, 84), act(),
                                    tnn.Linear(84, num_classes))
    net.forward = lambda x: net.classifier(net.features(x).flatten(1))
    return net


def torch_vgg(depth, batch_norm=False, width_mult=1.0, hidden=4096, input_size=224,
              num_classes=1000):
    layers, c = [], 3
    for v in models.vgg.CONFIGS[depth]:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
            continue
        out = int(v * width_mult)
        layers += [tnn.Conv2d(c, out, 3, padding=1)] + ([tnn.BatchNorm2d(out)] if batch_norm
                                                         else []) + [tnn.ReLU(True)]
        c = out
    net = tnn.Module()
    net.features = tnn.Sequential(*layers)
    s = input_size // 32
    net.classifier = tnn.Sequential(tnn.Linear(c * s * s, hidden), tnn.ReLU(True),
                                    tnn.Dropout(), tnn.Linear(hidden, hidden), tnn.ReLU(True),
                                    tnn.Dropout(), tnn.Linear(hidden, num_classes))
    net.forward = lambda x: net.classifier(net.features(x).flatten(1))
    return net


class TorchBasic(tnn.Module):
    expansion = 1

    def __init__(self, cin, c, stride, down):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c)
        self.downsample = down

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + idt)


class TorchBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, cin, c, stride, down):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, c, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c)
        self.conv2 = tnn.Conv2d(c, c, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c)
        self.conv3 = tnn.Conv2d(c, 4 * c, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(4 * c)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = down

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + idt)


class TorchResNet(tnn.Module):
    """torchvision.models.ResNet's structure, with a `widths` / `small_input` generalization."""

    def __init__(self, block, layers, widths=(64, 128, 256, 512), small_input=False,
                 num_classes=1000):
        super().__init__()
        cin = widths[0]
        self.conv1 = (tnn.Conv2d(3, cin, 3, 1, 1, bias=False) if small_input
                      else tnn.Conv2d(3, cin, 7, 2, 3, bias=False))
        self.bn1 = tnn.BatchNorm2d(cin)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.Identity() if small_input else tnn.MaxPool2d(3, 2, 1)
        self.stages = []
        for i, (n, c) in enumerate(zip(layers, widths)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or cin != c * block.expansion:
                down = tnn.Sequential(tnn.Conv2d(cin, c * block.expansion, 1, stride,
                                                 bias=False),
                                      tnn.BatchNorm2d(c * block.expansion))
            blocks = [block(cin, c, stride, down)]
            cin = c * block.expansion
            blocks += [block(cin, c, 1, None) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
            self.stages.append(f"layer{i + 1}")
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stages:
            x = getattr(self, name)(x)
        return self.fc(self.avgpool(x).flatten(1))


def count(model):
    return sum(p.numel() for p in model.parameters())


def compare_twins(g, t, shape, seed=0):
    """Same state_dict keys and shapes; with g's weights copied into t, the same outputs
    in eval mode (running statistics) and in train mode (batch statistics)."""
    g_sd, t_sd = g.state_dict(), t.state_dict()
    assert list(g_sd) == list(t_sd)
    assert [tuple(v.shape) for v in g_sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    assert count(g) == count(t)
    g.double()
    t.double().load_state_dict({k: torch.tensor(v.numpy()) for k, v in g_sd.items()})
    x = np.random.default_rng(seed).standard_normal(shape)
    for train in (False, True):
        g.train(train)
        t.train(train)
        if train:   # dropout off: compare the deterministic part of training mode
            for m in list(g.modules()) + list(t.modules()):
                if type(m).__name__ == "Dropout":
                    m.eval()
        with torch.no_grad(), gt.no_grad():
            # float64, but batch norm over the few values of deep 1x1 maps in train mode
            # divides by small variances, which amplifies rounding differences
            np.testing.assert_allclose(g(gt.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                       rtol=1e-6, atol=1e-8)


# ---- every zoo model: build, forward, backward -----------------------------------------------

SMALL_VGG = dict(width_mult=0.125, hidden=32, num_classes=10, input_size=32)
CASES = {   # name: (kwargs, input shape)
    "lenet": ({}, (2, 1, 28, 28)),
    "lenet_classic": ({"num_classes": 5, "in_channels": 3, "input_size": (32, 36)},
                      (2, 3, 32, 36)),
    "alexnet": ({"num_classes": 7, "in_channels": 1, "input_size": 65}, (2, 1, 65, 65)),
    "vgg11": (SMALL_VGG, (2, 3, 32, 32)),
    "vgg11_bn": (SMALL_VGG, (2, 3, 32, 32)),
    "vgg13": (SMALL_VGG, (2, 3, 32, 32)),
    "vgg13_bn": (SMALL_VGG, (2, 3, 32, 32)),
    "vgg16": (dict(SMALL_VGG, input_size=64), (2, 3, 64, 64)),
    "vgg16_bn": (dict(SMALL_VGG, in_channels=1), (2, 1, 32, 32)),
    "nin": ({"num_classes": 10, "in_channels": 1}, (2, 1, 67, 67)),
    "googlenet": ({"num_classes": 10}, (2, 3, 32, 32)),
    "resnet18": ({"num_classes": 10, "in_channels": 1}, (2, 1, 32, 32)),
    "resnet34": ({"num_classes": 10}, (2, 3, 16, 16)),
    "resnet50": ({"num_classes": 10}, (2, 3, 16, 16)),
    "resnet_small": ({"depth": 8}, (2, 3, 32, 32)),
    "densenet_small": ({"in_channels": 1}, (2, 1, 29, 29)),
    "densenet121": ({"num_classes": 10}, (2, 3, 32, 32)),
    "mobilenet_v2": ({"num_classes": 10}, (2, 3, 32, 32)),
    "mobilenet_v2_small": ({}, (2, 3, 32, 32)),
}


def test_every_registered_model_has_a_case():
    assert sorted(CASES) == models.list_models()


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_backward(name):
    kwargs, shape = CASES[name]
    gt.manual_seed(0)
    model = models.get_model(name, **kwargs)
    x = gt.randn(*shape)
    out = model(x)
    num_classes = kwargs.get("num_classes", models.get_model_info(name).num_classes)
    assert out.shape == (shape[0], num_classes) and out.dtype == gt.float32
    out.square().mean().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, pname
        assert np.all(np.isfinite(p.grad.numpy())), pname
    model.eval()
    with gt.no_grad():
        assert model(x[:1]).shape == (1, num_classes)


# ---- parameter counts ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lenet", "lenet_classic", "googlenet", "nin", "resnet18",
                                  "resnet_small", "densenet_small", "densenet121",
                                  "mobilenet_v2", "mobilenet_v2_small"])
def test_registry_counts_at_defaults(name):
    assert count(models.get_model(name)) == models.get_model_info(name).num_params


@pytest.mark.parametrize("name, twin", [
    ("vgg11", lambda: torch_vgg(11)), ("vgg13", lambda: torch_vgg(13)),
    ("vgg16", lambda: torch_vgg(16)), ("vgg11_bn", lambda: torch_vgg(11, True)),
    ("vgg13_bn", lambda: torch_vgg(13, True)), ("vgg16_bn", lambda: torch_vgg(16, True)),
    ("resnet18", lambda: TorchResNet(TorchBasic, [2, 2, 2, 2])),
    ("resnet34", lambda: TorchResNet(TorchBasic, [3, 4, 6, 3])),
    ("resnet50", lambda: TorchResNet(TorchBottleneck, [3, 4, 6, 3])),
])
def test_registry_counts_of_large_models_vs_torch(name, twin):
    # the twins are built on torch's meta device: shapes without memory, so full size is free
    with torch.device("meta"):
        assert count(twin()) == models.get_model_info(name).num_params


def test_alexnet_count_by_hand():
    convs = [(3, 96, 11), (96, 256, 5), (256, 384, 3), (384, 384, 3), (384, 256, 3)]
    linears = [(256 * 5 * 5, 4096), (4096, 4096), (4096, 1000)]
    want = sum(o * (i * k * k + 1) for i, o, k in convs) + sum(o * (i + 1) for i, o in linears)
    assert models.get_model_info("alexnet").num_params == want == 50_844_008


def test_known_torchvision_counts():
    info = models.get_model_info
    assert info("resnet18").num_params == 11_689_512      # torchvision's documented counts
    assert info("resnet50").num_params == 25_557_032
    assert info("vgg16").num_params == 138_357_544
    assert info("densenet121").num_params == 7_978_856
    assert info("mobilenet_v2").num_params == 3_504_872


# ---- torch twins: same keys, same outputs -----------------------------------------------------

@pytest.mark.parametrize("classic", [False, True])
def test_lenet_matches_torch(classic):
    compare_twins(models.LeNet(classic=classic), torch_lenet(classic), (3, 1, 28, 28))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_vgg11_matches_torch(batch_norm):
    g = models.VGG(11, batch_norm=batch_norm, **SMALL_VGG)
    compare_twins(g, torch_vgg(11, batch_norm, 0.125, 32, 32, 10), (2, 3, 32, 32))


@pytest.mark.parametrize("make_g, make_t", [
    (lambda: models.resnet18(), lambda: TorchResNet(TorchBasic, [2, 2, 2, 2])),
    (lambda: models.resnet_small(depth=8), lambda: TorchResNet(
        TorchBasic, [1, 1, 1], (16, 32, 64), small_input=True, num_classes=10)),
    (lambda: models.ResNet(models.Bottleneck, [1, 2], widths=(4, 8), num_classes=3),
     lambda: TorchResNet(TorchBottleneck, [1, 2], (4, 8), num_classes=3)),
])
def test_resnet_matches_torch(make_g, make_t):
    compare_twins(make_g(), make_t(), (2, 3, 16, 16))


def test_torchvision_key_names():
    keys = list(models.resnet18().state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.0.weight" in keys and keys[-2:] == ["fc.weight", "fc.bias"]
    keys = list(models.densenet121().state_dict())
    assert "features.denseblock1.denselayer1.norm1.weight" in keys
    assert "features.transition3.conv.weight" in keys and "features.norm5.weight" in keys
    keys = list(models.mobilenet_v2().state_dict())
    assert keys[0] == "features.0.0.weight" and "features.1.conv.0.0.weight" in keys
    assert "features.18.1.running_var" in keys and keys[-1] == "classifier.1.bias"


# ---- sizes, options and errors ---------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", [
    ("lenet", {}), ("alexnet", {"num_classes": 2}),
    ("vgg11", {k: v for k, v in SMALL_VGG.items() if k != "input_size"}),
])
def test_min_input_size(name, kwargs):
    low = models.get_model_info(name).min_input_size
    model = models.get_model(name, input_size=low, **kwargs).eval()
    with gt.no_grad():
        assert model(gt.zeros(1, 3 if name != "lenet" else 1, low, low)).shape[0] == 1
    with pytest.raises(ValueError, match=f"at least {low}x{low}"):
        models.get_model(name, input_size=low - 1, **kwargs)
    builder = {"lenet": models.LeNet, "alexnet": models.AlexNet,
               "vgg11": lambda **kw: models.VGG(11, **kw)}[name]
    with pytest.raises(ValueError, match="too small"):    # the class itself checks too
        builder(input_size=low - 1, **kwargs)


def test_densenet_min_input_size():
    model = models.densenet_small().eval()
    with gt.no_grad():
        assert model(gt.zeros(1, 3, 29, 29)).shape == (1, 10)
    with pytest.raises(ValueError, match="at least 29x29"):
        models.get_model("densenet_small", input_size=(29, 28))


def test_lenet_non_square_input_and_dropout():
    model = models.LeNet(input_size=(28, 36), dropout=0.5)
    assert model.classifier[0].in_features == 16 * 5 * 7
    assert [type(m).__name__ for m in model.classifier].count("Dropout") == 2
    assert model(gt.zeros(2, 1, 28, 36)).shape == (2, 10)
    assert "Dropout" not in repr(models.LeNet())


def test_alexnet_local_response_norm():
    model = models.AlexNet(num_classes=3, input_size=65, local_response_norm=True)
    assert [type(m).__name__ for m in model.features].count("LocalResponseNorm") == 2
    assert count(model) == count(models.AlexNet(num_classes=3, input_size=65))


def test_inception_output_channels():
    block = models.Inception(8, 4, (3, 5), (2, 6), 7)
    assert block(gt.zeros(1, 8, 6, 6)).shape == (1, 4 + 5 + 6 + 7, 6, 6)


def test_get_model_errors():
    with pytest.raises(ValueError, match="unknown model 'resnet9'; choose from: alexnet"):
        models.get_model("resnet9")
    with pytest.raises(TypeError):
        models.get_model("resnet18", dropout=0.5)
    with pytest.raises(ValueError, match="6n\\+2"):
        models.resnet_small(depth=10)
    with pytest.raises(ValueError, match="depth must be one of"):
        models.VGG(12)


# ---- initialization --------------------------------------------------------------------------

def test_torchvision_init():
    gt.manual_seed(0)
    vgg = models.VGG(11, width_mult=0.25, hidden=512, num_classes=10, input_size=32)
    w = vgg.classifier[3].weight.detach().numpy()
    assert abs(w.std() - 0.01) < 5e-4 and not vgg.classifier[3].bias.detach().numpy().any()
    conv = models.resnet18().layer3[0].conv2.weight.detach().numpy()   # 256 x 256 x 3 x 3
    std = math.sqrt(2 / (256 * 9))              # Kaiming fan_out: gain sqrt(2) / sqrt(fan)
    assert abs(conv.std() - std) < 0.02 * std
    net = models.resnet_small(depth=8, zero_init_residual=True)
    assert not net.layer1[0].bn2.weight.detach().numpy().any()
    assert net.bn1.weight.detach().numpy().all()


def test_d2l_xavier_init():
    gt.manual_seed(0)
    w = models.GoogLeNet().b5[1].p2_2.weight.detach().numpy()     # 384 x 192 x 3 x 3
    bound = math.sqrt(6 / (192 * 9 + 384 * 9))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


# ---- summary ---------------------------------------------------------------------------------

def test_summary_of_lenet():
    model = models.lenet()
    result = models.summary(model, (1, 1, 28, 28))
    leaves = [(r.name, r.output_shape, r.num_params) for r in result.rows if r.depth == 2]
    assert leaves[0] == ("features.0", [1, 6, 28, 28], 156)
    assert leaves[5] == ("features.5", [1, 16, 5, 5], 0)
    assert leaves[6] == ("classifier.0", [1, 120], 48120)
    assert result.total_params == result.trainable_params == 61706
    assert result.output_shape == [1, 10]
    text = str(result)
    assert "Total params: 61,706" in text and "├─features: Sequential" in text
    assert "│    ├─0: Conv2d" in text and "[1, 6, 28, 28]" in text
    # hooks are gone and the mode is restored
    assert model.training and all(not m._forward_hooks and not m._forward_pre_hooks
                                  for m in model.modules())


def test_summary_depth_and_shared_modules():
    model = models.resnet_small(depth=8)
    model.requires_grad_(False)
    result = models.summary(model, (2, 3, 32, 32), depth=1)
    text = str(result)
    assert "layer1: Sequential" in text and "conv1: Conv2d" in text
    assert "BasicBlock" not in text             # deeper than depth 1
    assert result.trainable_params == 0 and f"Non-trainable params: {count(model):,}" in text
    # the block's shared ReLU is called twice per block: one row per call
    relus = [r for r in result.rows if r.name == "layer1.0.relu"]
    assert len(relus) == 2
