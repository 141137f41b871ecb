"""Autograd's error paths against torch (same exception type, a message that says what went
wrong), and anomaly detection naming the forward op and the line that created it."""
import numpy as np
import pytest
import torch

import glasstorch as gt

LIBS = [gt, torch]


def _leaf(lib, data=(1.0, 2.0)):
    return lib.tensor(list(data), requires_grad=True)


def _double_backward(lib):
    y = (_leaf(lib) * _leaf(lib)).sum()
    y.backward()
    y.backward()


def _inplace_on_saved(lib):
    a = _leaf(lib)
    b = a * 1
    c = b * b          # saves b
    b.add_(1)
    c.sum().backward()


def _inplace_on_saved_leaf_input(lib):
    w = lib.ones(2)    # no grad, but saved by the mul for a's gradient
    c = _leaf(lib) * w
    w.mul_(2)
    c.sum().backward()


def _inplace_on_saved_output(lib):
    y = _leaf(lib).exp()   # exp saves its output
    y.mul_(2)
    y.sum().backward()


def _grad_outputs_shape(lib):
    a = _leaf(lib)
    lib.autograd.grad((a * 2).sum(), a, grad_outputs=lib.ones(3))


def _backward_gradient_shape(lib):
    (_leaf(lib) * 2).backward(lib.ones(3))


def _hook_changes(lib, change, leaf):
    a = _leaf(lib)
    t = a if leaf else a * 1
    t.register_hook(change)
    (t * 2).sum().backward()


def _view_of_leaf_inplace(lib):
    _leaf(lib).view(2).add_(1)


@pytest.mark.parametrize("fn, match", [
    (lambda lib: (_leaf(lib) * 2).backward(), "grad can be implicitly created only for scalar "
                                              "outputs"),
    (_double_backward, "Trying to backward through the graph a second time"),
    (_inplace_on_saved, r"modified by an inplace operation: \[torch.FloatTensor \[2\]\], which "
                        r"is output 0 of Add, is at version 1; expected version 0 instead"),
    (_inplace_on_saved_leaf_input, r"inplace operation: \[torch.FloatTensor \[2\]\] is at "
                                   "version 1; expected version 0"),
    (_inplace_on_saved_output, r"\[torch.FloatTensor \[2\]\], which is output 0 of Exp, is at "
                               "version 1"),
    (lambda lib: _leaf(lib).add_(1), "a leaf Variable that requires grad is being used in an "
                                     "in-place operation."),
    (lambda lib: _leaf(lib).mul_(2), "leaf Variable that requires grad"),
    (_view_of_leaf_inplace, "a view of a leaf Variable that requires grad"),
    (lambda lib: (_leaf(lib) * 2).requires_grad_(False), "you can only change requires_grad "
                                                         "flags of leaf variables"),
    (lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(), "only Tensors of floating "
                                                                "point"),
    (lambda lib: (lib.ones(2) * 2).sum().backward(), "element 0 of tensors does not require "
                                                     "grad and does not have a grad_fn"),
    (lambda lib: lib.autograd.grad((_leaf(lib) * 2).sum(), lib.ones(2)),
     "One of the differentiated Tensors does not require grad"),
    (lambda lib: lib.autograd.grad((_leaf(lib) * 2).sum(), _leaf(lib)),
     "The differentiated Tensor at index 0 appears to not have been used in the graph"),
    (_grad_outputs_shape, "Mismatch in shape: grad_output\\[0\\] has a shape of"),
    (_backward_gradient_shape, "Mismatch in shape"),
    (lambda lib: (_leaf(lib) * 2).sum().backward(inputs=[]), "cannot be empty"),
    (lambda lib: lib.ones(2).register_hook(lambda g: g), "doesn't require gradient"),
    (lambda lib: lib.ones(2).retain_grad(), "can't retain_grad on Tensor that has "
                                            "requires_grad=False"),
    (lambda lib: _hook_changes(lib, lambda g: g.double(), True),
     r"hook '<lambda>' has changed the type of value \(was torch.FloatTensor got "
     r"torch.DoubleTensor\)"),
    (lambda lib: _hook_changes(lib, lambda g: g.sum(), False), "has changed the size of value"),
])
def test_error_matches_torch(fn, match):
    for lib in LIBS:
        with pytest.raises(RuntimeError, match=match):
            fn(lib)


@pytest.mark.parametrize("lib", LIBS)
def test_inplace_on_leaf_allowed_without_grad(lib):
    a = _leaf(lib)
    with lib.no_grad():
        a.mul_(2)
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 8.0])


@pytest.mark.parametrize("lib", LIBS)
def test_inplace_on_unsaved_tensor_is_fine(lib):
    a = _leaf(lib)
    b = a + 1          # add saves nothing
    c = b + a
    b.mul_(3)
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


# ---- anomaly detection --------------------------------------------------------------------
def _nan_in_div_backward(lib):
    a = _leaf(lib)
    b = lib.tensor([0.0, 1.0], requires_grad=True)
    y = a / b  # ANOMALY-LINE
    (y * 0).sum().backward()   # 0 * inf = nan in DivBackward0


def _nan_in_sqrt_backward(lib):
    x = lib.zeros(2, requires_grad=True)
    (x.sqrt() * 0).sum().backward()   # 0 / (2 sqrt(0)) = nan


@pytest.mark.filterwarnings("ignore")  # torch warns when anomaly mode is switched on
@pytest.mark.parametrize("fn, op", [(_nan_in_div_backward, "DivBackward0"),
                                    (_nan_in_sqrt_backward, "SqrtBackward0")])
def test_anomaly_names_op(fn, op):
    for lib in LIBS:
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match=f"Function '{op}' returned nan values in its "
                                                   "0th output"):
                fn(lib)


@pytest.mark.filterwarnings("ignore")
def test_anomaly_shows_forward_line():
    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as e:
            _nan_in_div_backward(gt)
    msg = str(e.value)
    last = msg.strip().splitlines()[-2:]   # the innermost frame is the user's forward call
    assert __file__ in last[0] and "_nan_in_div_backward" in last[0]
    assert "ANOMALY-LINE" in last[1]


@pytest.mark.filterwarnings("ignore")
def test_anomaly_check_nan_false_and_off_by_default():
    for lib in LIBS:
        a = _leaf(lib)
        b = lib.tensor([0.0, 1.0], requires_grad=True)
        (a / b * 0).sum().backward()                     # off: nan flows silently
        assert np.isnan(a.grad.numpy()[0])
        with lib.autograd.detect_anomaly(check_nan=False):
            (a / b * 0).sum().backward()


@pytest.mark.filterwarnings("ignore")  # NumPy warns on 0 / 0
def test_anomaly_as_decorator_and_set_detect_anomaly():
    @gt.autograd.detect_anomaly()
    def run():
        _nan_in_div_backward(gt)

    with pytest.raises(RuntimeError, match="DivBackward0"):
        run()
    assert not gt.autograd.is_anomaly_enabled()
    with gt.autograd.set_detect_anomaly(True):
        assert gt.autograd.is_anomaly_enabled()
    assert not gt.autograd.is_anomaly_enabled()


@pytest.mark.filterwarnings("ignore")  # NumPy warns on 0 / 0
def test_anomaly_in_custom_function():
    class ZeroOverZero(gt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 0 / (x * 0)  # 0 / 0

    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'ZeroOverZeroBackward' returned nan"):
            ZeroOverZero.apply(gt.zeros(2, requires_grad=True)).sum().backward()


# ---- the gradient contract of built-in ops (engine.py: one gradient per input, never None for
# an input that needs one); an Op subclass without a name is not registered -------------------
def _op_with_backward(backward):
    from glasstorch.autograd.node import Op

    class Twice(Op):
        @staticmethod
        def forward(ctx, x, y):
            return x * 2 + y

    Twice.backward = staticmethod(backward)
    return Twice


@pytest.mark.parametrize("backward, match", [
    (lambda ctx, gy: gy, r"function TwiceBackward0 returned an incorrect number of gradients "
                         r"\(expected 2, got 1\) \(.*Twice\.backward must return"),
    (lambda ctx, gy: (gy, gy, gy), r"incorrect number of gradients \(expected 2, got 3\)"),
    (lambda ctx, gy: (gy * 2, None), r"function TwiceBackward0 returned None as the gradient "
                                     r"of input 1, which requires grad"),
])
def test_op_gradient_contract_names_the_op(backward, match):
    op = _op_with_backward(backward)
    x, y = _leaf(gt), _leaf(gt)
    out = op.apply(x, y).sum()
    with pytest.raises(RuntimeError, match=match):
        out.backward()


def test_op_may_return_none_for_an_input_without_grad():
    op = _op_with_backward(lambda ctx, gy: (gy * 2, None))
    x = _leaf(gt)
    op.apply(x, gt.tensor([1.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
