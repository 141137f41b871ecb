"""Small instances of every zoo model (and input sizes) shared by the jit and onnx tests."""
import pytest

import glasstorch as gt
from glasstorch.vision import models

# the biggest models (tens of millions of weights even at 32x32) run with `pytest -m slow`
_BIG = {"alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "resnet34",
        "resnet50", "densenet121"}


def zoo_models():
    """Every zoo model as a pytest parameter; the biggest marked slow."""
    return [pytest.param(name, marks=pytest.mark.slow) if name in _BIG else name
            for name in models.list_models()]


def zoo_instance(name, batch=2, seed=0):
    """(model in eval mode, example input) at the smallest input size >= 32 it accepts."""
    info = models.get_model_info(name)
    size = max(info.min_input_size, 32)
    kw = dict(num_classes=10, in_channels=info.input_shape[0])
    if info.sized:
        kw["input_size"] = size
    gt.manual_seed(seed)
    model = models.get_model(name, **kw).eval()
    return model, gt.randn(batch, info.input_shape[0], size, size)
