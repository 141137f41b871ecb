"""out= of the factories, against torch: zeros/ones/empty/full used to accept out= and ignore
it (a new tensor returned, out untouched); rand/randn refused it (pytorch/tutorials "tensors
deeper": torch.rand(2, 2, out=c) "works for creation too"). The result is written into out
(resized), made in out's dtype, and out is returned; a dtype that is not out's, or an out that
requires grad, is torch's RuntimeError. rand/randn of an integer dtype: torch's
NotImplementedError naming its kernel."""
import pytest
import torch

import glasstorch as gt

MAKERS = {
    "zeros": lambda m, **k: m.zeros(3, **k), "ones": lambda m, **k: m.ones((3,), **k),
    "empty": lambda m, **k: m.empty(3, **k), "full": lambda m, **k: m.full((3,), 2, **k),
    "rand": lambda m, **k: m.rand(3, **k), "randn": lambda m, **k: m.randn(3, **k),
}


@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_out_is_written_and_returned(name, dtype):
    for lib in (gt, torch):
        out = lib.ones(2, 2, dtype=getattr(lib, dtype))
        make = lambda: MAKERS[name](lib, out=out)                         # noqa: E731
        if name in ("rand", "randn") and dtype == "int64":
            with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
                make()
            continue
        r = make()
        assert r is out and tuple(out.shape) == (3,) and out.dtype == getattr(lib, dtype)
        if name in ("zeros", "ones", "full"):
            assert out.tolist() == {"zeros": [0] * 3, "ones": [1] * 3, "full": [2] * 3}[name]


@pytest.mark.parametrize("name", ["zeros", "ones", "full", "rand"])
def test_out_errors_match_torch(name):
    for lib in (gt, torch):
        with pytest.raises(RuntimeError, match=r"dtype Float does not match dtype of out "
                                               r"parameter \(Double\)"):
            MAKERS[name](lib, dtype=lib.float32, out=lib.zeros(3, dtype=lib.float64))
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
            MAKERS[name](lib, out=lib.zeros(3, requires_grad=True))


def test_integer_dtype_kernels():
    for lib in (gt, torch):
        with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not "
                                                      "implemented for 'Bool'"):
            lib.rand(2, dtype=lib.bool)
        with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented "
                                                      "for 'Long'"):
            lib.randn(2, dtype=lib.long)
        with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
            lib.normal(0.0, 1.0, (2,), dtype=lib.long)
