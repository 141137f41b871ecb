"""The model zoo's registry: every model by name, with its default input and parameter count.

    >>> from glasstorch.vision import models
    >>> models.list_models()[:3]
    ['alexnet', 'densenet121', 'densenet_small']
    >>> net = models.get_model("lenet", num_classes=10, in_channels=1, input_size=28)
    >>> models.get_model_info("lenet").num_params
    61706

get_model takes the same keyword arguments everywhere (num_classes, in_channels, input_size,
plus each model's own options) so the `glasstorch` command can build any of them for any
dataset: input_size is checked against the model's minimum and passed on only to models whose
classifier depends on it (LeNet, AlexNet, VGG); global-average-pooling models take any size
from their minimum up.
"""
from typing import Callable, NamedTuple

from .alexnet import alexnet
from .densenet import densenet121, densenet_small
from .googlenet import googlenet
from .lenet import lenet, lenet_classic
from .mobilenet import mobilenet_v2, mobilenet_v2_small
from .nin import nin
from .resnet import resnet18, resnet34, resnet50, resnet_small
from .vgg import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn

__all__ = ["ModelInfo", "list_models", "get_model", "get_model_info", "num_parameters"]


class ModelInfo(NamedTuple):
    name: str
    builder: Callable
    description: str
    input_shape: tuple      # (C, H, W) the defaults are built for
    num_classes: int        # the default number of outputs
    num_params: int         # parameters at those defaults
    min_input_size: int     # the smallest H (and W) the network accepts
    sized: bool             # whether the builder takes input_size (its classifier needs it)


_IMAGENET = (3, 224, 224)
_ZOO = [
    ModelInfo("lenet", lenet, "LeNet-5 with ReLU and max pooling", (1, 28, 28), 10,
              61706, 12, True),
    ModelInfo("lenet_classic", lenet_classic, "LeNet-5 of d2l/1998 (sigmoid, avg pool)",
              (1, 28, 28), 10, 61706, 12, True),
    ModelInfo("alexnet", alexnet, "AlexNet, paper widths (d2l)", _IMAGENET, 1000,
              50844008, 65, True),
    ModelInfo("vgg11", vgg11, "VGG-11 (config A)", _IMAGENET, 1000, 132863336, 32, True),
    ModelInfo("vgg11_bn", vgg11_bn, "VGG-11 with batch norm", _IMAGENET, 1000, 132868840,
              32, True),
    ModelInfo("vgg13", vgg13, "VGG-13 (config B)", _IMAGENET, 1000, 133047848, 32, True),
    ModelInfo("vgg13_bn", vgg13_bn, "VGG-13 with batch norm", _IMAGENET, 1000, 133053736,
              32, True),
    ModelInfo("vgg16", vgg16, "VGG-16 (config D)", _IMAGENET, 1000, 138357544, 32, True),
    ModelInfo("vgg16_bn", vgg16_bn, "VGG-16 with batch norm", _IMAGENET, 1000, 138365992,
              32, True),
    ModelInfo("nin", nin, "Network in Network (d2l)", _IMAGENET, 1000, 7439608, 67, False),
    ModelInfo("googlenet", googlenet, "GoogLeNet, 9 Inception blocks (d2l)",
              _IMAGENET, 1000, 6998552, 1, False),
    ModelInfo("resnet18", resnet18, "ResNet-18, BasicBlock", _IMAGENET, 1000,
              11689512, 1, False),
    ModelInfo("resnet34", resnet34, "ResNet-34, BasicBlock", _IMAGENET, 1000,
              21797672, 1, False),
    ModelInfo("resnet50", resnet50, "ResNet-50, Bottleneck", _IMAGENET, 1000,
              25557032, 1, False),
    ModelInfo("resnet_small", resnet_small, "CIFAR ResNet-20 (16-32-64 channels)",
              (3, 32, 32), 10, 272474, 1, False),
    ModelInfo("densenet_small", densenet_small, "DenseNet, 4x4 layers (d2l)",
              (3, 32, 32), 10, 763594, 29, False),
    ModelInfo("densenet121", densenet121, "DenseNet-121 (BC)", _IMAGENET, 1000,
              7978856, 29, False),
    ModelInfo("mobilenet_v2", mobilenet_v2, "MobileNetV2", _IMAGENET, 1000,
              3504872, 1, False),
    ModelInfo("mobilenet_v2_small", mobilenet_v2_small,
              "MobileNetV2 x0.5 for 32x32 inputs", (3, 32, 32), 10, 700490, 1, False),
]
_REGISTRY = {info.name: info for info in _ZOO}


def list_models():
    """The names get_model accepts, sorted."""
    return sorted(_REGISTRY)


def get_model_info(name):
    """The ModelInfo of `name` (ValueError listing the valid names if there is none)."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; choose from: "
                         f"{', '.join(list_models())}") from None


def get_model(name, **kwargs):
    """Build the model `name` with `kwargs` (num_classes, in_channels, input_size, and the
    model's own options, e.g. batch_norm for VGG or dropout for LeNet)."""
    info = get_model_info(name)
    size = kwargs.pop("input_size", None)
    if size is not None:
        h, w = (size, size) if isinstance(size, int) else size
        if min(h, w) < info.min_input_size:
            raise ValueError(f"{name} needs inputs of at least {info.min_input_size}x"
                             f"{info.min_input_size}, got {h}x{w}")
        if info.sized:
            kwargs["input_size"] = size
    return info.builder(**kwargs)


def num_parameters(model, trainable_only=False):
    """Number of scalars in the model's parameters (shared parameters counted once)."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)
