"""SyncBatchNorm's keyword `bias` (torch 2.13): bias=False keeps the affine weight only; one
process normalizes as BatchNorm (torch's own SyncBatchNorm needs a GPU, so its BatchNorm2d is
the oracle here)."""
import torch

import glasstorch as gt
from tests.helpers import check_op


def test_syncbatchnorm_without_bias():
    m = gt.nn.SyncBatchNorm(3, bias=False)
    t = torch.nn.SyncBatchNorm(3, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == \
        [n for n, _ in t.named_parameters()]

    def fn(lib, x, w):
        cls = lib.nn.SyncBatchNorm if lib is gt else lib.nn.BatchNorm2d
        bn = cls(3, bias=False).double()
        bn.weight.data.copy_(w.detach())
        return bn(x)
    check_op(fn, [(4, 3, 2, 2), (3,)], lib=True)
