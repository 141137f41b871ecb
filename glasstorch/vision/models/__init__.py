"""glasstorch.vision.models: classic CNNs with configurable in_channels, num_classes and input
size, and a registry to build them by name.

    LeNet (lenet.py), AlexNet (alexnet.py), VGG (vgg.py), NiN (nin.py), GoogLeNet
    (googlenet.py), ResNet (resnet.py), DenseNet (densenet.py), MobileNetV2 (mobilenet.py)

d2l.ai's versions (LeNet, AlexNet, NiN, GoogLeNet, the small DenseNet) keep its layer layout and
Xavier init; VGG, ResNet, DenseNet-121 and MobileNetV2 use torchvision's layer names (so their
state_dict keys match torchvision's) and init. `list_models()` / `get_model(name, **kw)` /
`get_model_info(name)` are in registry.py; `summary(model, input_size)` (summary.py) prints
each layer's output shape and parameter count, like torchinfo.
"""
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .nin import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .registry import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403
