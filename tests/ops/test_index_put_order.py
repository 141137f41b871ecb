"""index_put / index_put_ / setitem against torch when several things are wrong at once:
torch checks the index dtypes and size-0 dims, then the value's shape, then its dtype, and
the index values last (as it reads them); a lone mask with a one-element value goes to
masked_fill (any value dtype; uint8 masks refused). Found by the differential fuzzer."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt


def _run(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch's deprecation warning for uint8 masks
        try:
            return fn(lib), None
        except Exception as e:  # noqa: BLE001 - compared below
            return None, e


P = pytest.param
CASES = [
    P(lambda L: L.zeros(0, dtype=L.float64).index_put((L.tensor([0]),), L.tensor(1.0)),
      id="size0-dim-before-dtype"),
    P(lambda L: L.zeros(0, 2, dtype=L.float64).index_put((L.tensor([0]),), L.ones(2)),
      id="size0-dim-before-dtype-2d"),
    P(lambda L: L.zeros(0, dtype=L.float64).index_put((L.tensor([0]),), L.ones(0)),
      id="size0-dim-before-shape"),
    P(lambda L: L.zeros(0).index_put((L.tensor([]),), L.tensor(1.0)),
      id="index-dtype-first"),
    P(lambda L: L.zeros(3, dtype=L.float64).index_put((L.tensor([1]),), L.ones(2)),
      id="shape-before-dtype"),
    P(lambda L: L.zeros(3, dtype=L.float64).index_put((L.tensor([5]),), L.tensor(1.0)),
      id="dtype-before-bounds"),
    P(lambda L: L.zeros(3).index_put((L.tensor([7]),), L.ones(2)), id="shape-before-bounds"),
    P(lambda L: L.zeros(3).index_put((L.tensor([7]),), L.ones(2), accumulate=True),
      id="shape-before-bounds-accumulate"),
    P(lambda L: L.zeros(3).index_put((L.tensor([7]),), L.tensor(1.0)), id="bounds"),
    P(lambda L: L.zeros(3, dtype=L.float64).index_put_((L.tensor([True, False, True]),),
                                                       L.tensor([[2.5]])),
      id="mask-one-element-value-any-dtype"),
    P(lambda L: L.zeros(3, dtype=L.float64).index_put_((L.tensor([True, False, True]),),
                                                       L.tensor(2.5), accumulate=True),
      id="mask-accumulate-dtype"),
    P(lambda L: L.zeros(3, dtype=L.int64).index_put_((L.tensor([1, 0, 1], dtype=L.uint8),),
                                                     L.tensor(1)),
      id="byte-mask-one-element-value"),
    P(lambda L: L.zeros(3, dtype=L.int64).index_put_((L.tensor([1, 0, 1], dtype=L.uint8),),
                                                     L.tensor([1, 2])),
      id="byte-mask-two-values"),
    P(lambda L: L.zeros(3).__setitem__(L.tensor([7]), L.ones(2)), id="setitem-shape-first"),
    P(lambda L: L.zeros(3).__setitem__(L.tensor([1, 0, 1], dtype=L.uint8), 1.0),
      id="setitem-byte-mask-number"),
    P(lambda L: L.zeros(1, 3).__setitem__((slice(None), L.tensor([1, 0, 1], dtype=L.uint8)),
                                          2.0),
      id="setitem-slice-byte-mask"),
]


@pytest.mark.parametrize("fn", CASES)
def test_index_put_check_order(fn):
    (t_out, t_err), (g_out, g_err) = _run(torch, fn), _run(gt, fn)
    if t_err is not None:
        assert g_err is not None, f"glasstorch returned {g_out}, torch raised {t_err!r}"
        assert type(g_err) is type(t_err), f"{g_err!r} vs torch {t_err!r}"
        assert str(g_err) == str(t_err)
    else:
        assert g_err is None, f"glasstorch raised {g_err!r}"
        if t_out is not None:
            np.testing.assert_array_equal(g_out.numpy(), t_out.numpy())


def test_mask_fill_dispatch_keeps_gradient():
    out = []
    for lib in (torch, gt):
        v = lib.tensor([1.5], requires_grad=True)
        x = lib.zeros(3, dtype=lib.float64).index_put((lib.tensor([True, False, True]),), v)
        (x * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        out.append((x.detach().numpy(), v.grad.numpy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
