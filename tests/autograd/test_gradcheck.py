"""autograd.gradcheck / gradgradcheck: pass on correct composites, catch wrong first and
second derivatives, and agree with torch's verdicts on the same functions."""
import numpy as np
import pytest
import torch

import glasstorch as gt

LIBS = [gt, torch]
RNG = np.random.default_rng(0)
X34, Y34 = RNG.uniform(-1, 1, (3, 4)), RNG.uniform(-1, 1, (3, 4))
W = RNG.uniform(-1, 1, (4, 2))

COMPOSITES = [
    (lambda x, y: (x.tanh() * y.exp()).sum(dim=0) / (1 + x * x), [X34, Y34]),
    (lambda x, w: (x @ w).tanh() * (x @ w), [X34, W]),
    (lambda x, y: gt_or_torch(x).einsum("ij,ij->j", x, y.exp()), [X34, Y34]),
    (lambda x, y: x[:, :1] * y + x.sum(), [X34, Y34]),                       # broadcasting
    (lambda x, y: (x * y, (x - y).exp()), [X34, Y34]),                       # two outputs
    (lambda x, y: x / (1 + y * y), [X34[0], Y34]),
]


def gt_or_torch(t):
    return gt if isinstance(t, gt.Tensor) else torch


def _inputs(lib, arrays):
    return tuple(lib.tensor(a, requires_grad=True) for a in arrays)


@pytest.mark.parametrize("fn, arrays", COMPOSITES)
@pytest.mark.parametrize("lib", LIBS)
def test_gradcheck_passes(lib, fn, arrays):
    assert lib.autograd.gradcheck(fn, _inputs(lib, arrays))


@pytest.mark.parametrize("fn, arrays", COMPOSITES)
@pytest.mark.parametrize("lib", LIBS)
def test_gradgradcheck_passes(lib, fn, arrays):
    assert lib.autograd.gradgradcheck(fn, _inputs(lib, arrays))


@pytest.mark.parametrize("fast_mode", [True, False])
def test_gradcheck_fast_and_full_mode(fast_mode):
    x = gt.tensor(RNG.uniform(-1, 1, (40, 30)), requires_grad=True)
    assert gt.autograd.gradcheck(lambda t: (t * t).tanh().sum(1), (x,), fast_mode=fast_mode)


def test_gradcheck_passes_non_tensor_args_and_single_tensor():
    x = gt.tensor(X34, requires_grad=True)
    assert gt.autograd.gradcheck(lambda t, k: t * k, (x, 3.0))
    assert gt.autograd.gradcheck(lambda t: t.exp(), x)


def make_wrong(lib):
    """Square with a wrong first derivative, and one whose backward is right but not
    differentiable (it detaches x, so the second derivative is lost)."""
    class WrongFirst(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x * 2.1

    class WrongSecond(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x.detach() * 2

    return WrongFirst, WrongSecond


@pytest.mark.parametrize("lib", LIBS)
def test_gradcheck_catches_wrong_gradient(lib):
    wrong_first, wrong_second = make_wrong(lib)
    x = _inputs(lib, [X34])
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):
        lib.autograd.gradcheck(wrong_first.apply, x)
    assert lib.autograd.gradcheck(wrong_first.apply, x, raise_exception=False) is False
    assert lib.autograd.gradcheck(wrong_second.apply, x)
    assert lib.autograd.gradgradcheck(wrong_second.apply, x, raise_exception=False) is False


def test_gradcheck_error_is_gradcheck_error():
    from glasstorch.autograd.gradcheck import GradcheckError
    wrong_first, _ = make_wrong(gt)
    with pytest.raises(GradcheckError):
        gt.autograd.gradcheck(wrong_first.apply, _inputs(gt, [X34[0]]), fast_mode=True)


@pytest.mark.parametrize("lib", LIBS)
def test_gradcheck_needs_an_input_requiring_grad(lib):
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        lib.autograd.gradcheck(lambda t: t * 2, (lib.tensor(X34),))


@pytest.mark.parametrize("lib", LIBS)
def test_gradcheck_warns_for_float32(lib):
    x = lib.tensor(X34.astype(np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        lib.autograd.gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
