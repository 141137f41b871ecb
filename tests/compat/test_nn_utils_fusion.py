"""nn.utils fusion of eval-mode BatchNorm into Conv/Linear vs torch: the fused module gives the
same output as conv -> bn, and the same fused weights as torch's."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close


def _pair(lib, kind):
    lib.manual_seed(0)
    if kind == "conv":
        layer, bn = lib.nn.Conv2d(3, 4, 3, bias=True), lib.nn.BatchNorm2d(4)
    elif kind == "conv_nobias":
        layer, bn = lib.nn.Conv2d(3, 4, 3, bias=False), lib.nn.BatchNorm2d(4)
    else:
        layer, bn = lib.nn.Linear(5, 4), lib.nn.BatchNorm1d(4)
    return layer.double(), bn.double()


def _copy_params(src_layer, src_bn, layer, bn):
    rng = np.random.default_rng(1)
    for (_, p), (_, q) in zip(src_layer.named_parameters(), layer.named_parameters()):
        a = rng.standard_normal(tuple(p.shape))
        p.data = gt.tensor(a)
        q.data = torch.tensor(a)
    for name in ("weight", "bias", "running_mean", "running_var"):
        a = rng.uniform(0.5, 1.5, 4)
        getattr(src_bn, name).data = gt.tensor(a)
        getattr(bn, name).data = torch.tensor(a)


@pytest.mark.parametrize("kind", ["conv", "conv_nobias", "linear"])
def test_fused_matches_torch(kind):
    gl, gb = _pair(gt, kind)
    tl, tb = _pair(torch, kind)
    _copy_params(gl, gb, tl, tb)
    for m in (gl, gb, tl, tb):
        m.eval()
    fuse_g = gt.nn.utils.fuse_conv_bn_eval if kind != "linear" else gt.nn.utils.fuse_linear_bn_eval
    fuse_t = torch.nn.utils.fuse_conv_bn_eval if kind != "linear" else \
        torch.nn.utils.fuse_linear_bn_eval
    fg, ft = fuse_g(gl, gb), fuse_t(tl, tb)
    assert_close(fg.weight, ft.weight)
    assert_close(fg.bias, ft.bias)
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6) if kind != "linear" else (2, 5))
    assert_close(fg(gt.tensor(x)), ft(torch.tensor(x)))
    np.testing.assert_allclose(fg(gt.tensor(x)).detach().numpy(),
                               gb(gl(gt.tensor(x))).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_fusion_needs_eval_and_others():
    conv, bn = gt.nn.Conv2d(3, 4, 3), gt.nn.BatchNorm2d(4)
    with pytest.raises(AssertionError):
        gt.nn.utils.fuse_conv_bn_eval(conv, bn)
    m = gt.nn.utils.skip_init(gt.nn.Linear, 3, 2)
    assert tuple(m.weight.shape) == (2, 3)
    assert gt.nn.utils.convert_conv2d_weight_memory_format(conv, None) is conv
