"""Tensor operations the introductory tutorials use (pytorch/tutorials introyt "tensors
deeper"), against torch: out= of the matrix products (the result written into `out`, which is
returned, resized when empty or of another shape; refused when autograd would record it), the
printed form of linalg's result tuples (torch.return_types.svd(U=..., S=..., V=...)), and
torch.cross's deprecation warning and out=."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

PRODUCTS = {
    "matmul": ((2, 3), (3, 4)), "matmul_batched": ((2, 2, 3), (3, 4)), "matmul_vec": ((3,), (3,)),
    "mm": ((2, 3), (3, 4)), "bmm": ((2, 2, 3), (2, 3, 4)), "mv": ((2, 3), (3,)),
    "dot": ((3,), (3,)), "outer": ((2,), (3,)),
}


def _inputs(lib, shapes):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal(s)) for s in shapes]


@pytest.mark.parametrize("name", PRODUCTS)
def test_product_out_matches_torch(name):
    fn = name.split("_")[0]
    results = []
    for lib in (gt, torch):
        a, b = _inputs(lib, PRODUCTS[name])
        want_shape = getattr(lib, fn)(a, b).shape
        for out in (lib.zeros(want_shape, dtype=lib.float64), lib.empty(0, dtype=lib.float64)):
            r = getattr(lib, fn)(a, b, out=out)
            assert r is out and tuple(out.shape) == tuple(want_shape)
            results.append(out.numpy().copy())
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic "
                                               "differentiation"):
            getattr(lib, fn)(a.requires_grad_(), b, out=lib.zeros(want_shape, dtype=lib.float64))
    np.testing.assert_allclose(results[0], results[2], rtol=1e-12)
    np.testing.assert_allclose(results[1], results[3], rtol=1e-12)


def test_tutorial_matmul_out_keeps_the_object():
    for lib in (gt, torch):
        a, b, c = lib.rand(2, 2), lib.rand(2, 2), lib.zeros(2, 2)
        old = id(c)
        d = lib.matmul(a, b, out=c)
        assert c is d and id(c) == old
        assert lib.allclose(c, a @ b)


CALLS = {
    "svd": lambda m, x: m.svd(x), "linalg.svd": lambda m, x: m.linalg.svd(x),
    "qr": lambda m, x: m.linalg.qr(x), "eigh": lambda m, x: m.linalg.eigh(x @ x.T),
    "slogdet": lambda m, x: m.linalg.slogdet(x), "lu_factor": lambda m, x: m.linalg.lu_factor(x),
    "lu": lambda m, x: m.linalg.lu(x), "inv_ex": lambda m, x: m.linalg.inv_ex(x),
    "cholesky_ex": lambda m, x: m.linalg.cholesky_ex(x @ x.T), "lstsq": lambda m, x: m.linalg.lstsq(x, x),
    "geqrf": lambda m, x: m.geqrf(x), "frexp": lambda m, x: m.frexp(x),
    "histogram": lambda m, x: m.histogram(x.flatten(), 2),
    "ldl_factor": lambda m, x: m.linalg.ldl_factor(x @ x.T),
    "triangular_solve": lambda m, x: m.triangular_solve(x, x.triu()),
}


@pytest.mark.filterwarnings("ignore")            # triangular_solve is deprecated in torch
@pytest.mark.parametrize("name", CALLS)
def test_result_tuples_print_as_torch_return_types(name):
    data = [[1.0, 5.0], [3.0, 2.0]]
    got = CALLS[name](gt, gt.tensor(data, dtype=gt.float64))
    want = CALLS[name](torch, torch.tensor(data, dtype=torch.float64))
    first = repr(want).splitlines()[0]
    assert repr(got).splitlines()[0] == first            # torch.return_types.linalg_qr(
    fields = [line.split("=")[0] for line in repr(want).splitlines() if "=tensor(" in line]
    assert [line.split("=")[0] for line in repr(got).splitlines() if "=tensor(" in line] == fields
    assert len(got) == len(want)


def test_cross_warns_without_dim_and_writes_out():
    for lib in (gt, torch):
        a, b = lib.tensor([1.0, 0.0, 0.0]), lib.tensor([0.0, 1.0, 0.0])
        # torch warns once per process (TORCH_WARN_ONCE): an earlier test may have used it up,
        # so only glasstorch's warning is required here
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert lib.cross(b, a).tolist() == [0.0, 0.0, -1.0]
        if lib is gt:
            assert any(issubclass(w.category, UserWarning) and "Using torch.cross without "
                       "specifying the dim arg" in str(w.message) for w in seen), seen
        c = lib.zeros(3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert lib.cross(a, b, dim=0, out=c) is c
        assert c.tolist() == [0.0, 0.0, 1.0]
