"""Custom autograd.Function against torch: the same class bodies run on both libraries
(save_for_backward, needs_input_grad, mark_non_differentiable, mark_dirty, several outputs,
None gradients, double backward, errors)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close

LIBS = [gt, torch]


def make_functions(lib):
    """The same custom Functions written against `lib`."""
    F = lib.autograd.Function

    class Cube(F):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale                        # non-tensor state: a plain attribute
            return x * x * x * scale

        @staticmethod
        def backward(ctx, gy):
            x, = ctx.saved_tensors
            return 3 * x * x * ctx.scale * gy, None  # no gradient for `scale`

    class ProdSum(F):                                # two outputs
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            a, b = ctx.saved_tensors
            need_a, need_b = ctx.needs_input_grad
            return (g_prod * b + g_sum if need_a else None,
                    g_prod * a + g_sum if need_b else None)

    class Record(F):                                 # remembers needs_input_grad
        @staticmethod
        def forward(ctx, a, b):
            ctx.seen = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    class Positive(F):                               # an integer output, not differentiable
        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).long()
            ctx.mark_non_differentiable(mask)
            return x * 2, mask

        @staticmethod
        def backward(ctx, gy, g_mask):
            return gy * 2

    class DoubleInPlace(F):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Identity(F):                               # returns its input unchanged
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class OnlySecond(F):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return None, g

    return dict(Cube=Cube, ProdSum=ProdSum, Record=Record, Positive=Positive,
                DoubleInPlace=DoubleInPlace, Identity=Identity, OnlySecond=OnlySecond)


FNS = {lib: make_functions(lib) for lib in LIBS}
X = np.array([[-1.5, 0.5, 2.0], [1.0, -0.25, 3.0]])
Y = np.array([[0.5, 2.0, -1.0], [1.5, 1.0, -2.0]])


@pytest.mark.parametrize("expr", [
    lambda F, x, y: F["Cube"].apply(x, 0.5),
    lambda F, x, y: F["Cube"].apply(x * y, 2.0).tanh(),
    lambda F, x, y: F["ProdSum"].apply(x, y),
    lambda F, x, y: F["ProdSum"].apply(x, y)[0],        # second output unused: zeros
    lambda F, x, y: F["ProdSum"].apply(x, y)[1] * 3,
    lambda F, x, y: F["Positive"].apply(x)[0],
    lambda F, x, y: F["Identity"].apply(x) * y,
    lambda F, x, y: F["OnlySecond"].apply(x, y),
    lambda F, x, y: F["DoubleInPlace"].apply(x * 1) + y,
])
def test_function_matches_torch(expr):
    res = []
    for lib in LIBS:
        rng = np.random.default_rng(0)  # the same upstream gradients for both
        x, y = lib.tensor(X, requires_grad=True), lib.tensor(Y, requires_grad=True)
        out = expr(FNS[lib], x, y)
        outs = out if isinstance(out, tuple) else (out,)
        ups = [lib.tensor(rng.standard_normal(tuple(o.shape))) for o in outs]
        lib.autograd.backward(outs, ups)
        res.append((outs, x.grad, y.grad))
    assert_close(*res)


def test_grad_fn_name_and_structure():
    for lib in LIBS:
        F = FNS[lib]
        x = lib.tensor(X, requires_grad=True)
        y = F["Cube"].apply(x, 1.0)
        assert y.grad_fn.name() == "CubeBackward"
        assert (y.requires_grad, y.is_leaf) == (True, False)
        p, s = F["ProdSum"].apply(x, x)
        assert p.grad_fn is s.grad_fn and (p.output_nr, s.output_nr) == (0, 1)
        acc, _ = y.grad_fn.next_functions[0]
        assert acc.name().endswith("AccumulateGrad") and acc.variable is x


def test_needs_input_grad():
    for lib in LIBS:
        F = FNS[lib]
        a, b = lib.ones(1, requires_grad=True), lib.ones(1)
        assert F["Record"].apply(a, b).grad_fn.seen == (True, False)
        assert F["Record"].apply(a, 3).grad_fn.seen == (True, False)


def test_mark_non_differentiable():
    for lib in LIBS:
        y, mask = FNS[lib]["Positive"].apply(lib.tensor(X, requires_grad=True))
        assert y.requires_grad and not mask.requires_grad
        assert mask.dtype == lib.int64


def test_no_graph_without_grad():
    for lib in LIBS:
        F = FNS[lib]
        x = lib.tensor(X, requires_grad=True)
        with lib.no_grad():
            y = F["Cube"].apply(x, 1.0)
        z = F["Cube"].apply(lib.tensor(X), 1.0)
        assert (y.requires_grad, y.grad_fn, z.requires_grad, z.grad_fn) == \
            (False, None, False, None)


def test_identity_returns_new_tensor():
    for lib in LIBS:
        x = lib.tensor(X, requires_grad=True)
        y = FNS[lib]["Identity"].apply(x)
        assert y is not x and not y.is_leaf


def test_mark_dirty_returns_same_tensor():
    for lib in LIBS:
        a = lib.tensor(X, requires_grad=True)
        x = a * 1
        assert FNS[lib]["DoubleInPlace"].apply(x) is x
        assert x.grad_fn.name() == "DoubleInPlaceBackward"


def test_double_backward_through_function():
    res = []
    for lib in LIBS:
        x = lib.tensor(X, requires_grad=True)
        y = FNS[lib]["Cube"].apply(x, 0.5).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad((g * g).sum(), x)
        res.append((g, g2))
    assert_close(*res)


def test_saved_tensors_version_check():
    for lib in LIBS:
        a = lib.tensor(X, requires_grad=True)
        x = a * 1
        y = FNS[lib]["Cube"].apply(x, 1.0)
        x.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("body, match", [
    (lambda lib, g: lib.ones(5), "invalid gradient at index 0 - got \\[5\\] but expected "
                                 "shape compatible with \\[2, 3\\]"),
    (lambda lib, g: (g, g), "BadBackward returned an incorrect number of gradients "
                            "\\(expected 1, got 2\\)"),
    (lambda lib, g: 3.0, "expected Variable or None"),
])
def test_bad_backward_names_the_function(body, match):
    for lib in LIBS:
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return body(lib, g)

        with pytest.raises(RuntimeError, match=match):
            Bad.apply(lib.tensor(X, requires_grad=True)).sum().backward()


def test_extra_none_gradients_are_allowed():
    for lib in LIBS:
        class Extra(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2, None

        x = lib.tensor(X, requires_grad=True)
        Extra.apply(x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_fewer_gradients_raise():
    for lib in LIBS:
        class Fewer(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return (g,)

        x = lib.tensor(X, requires_grad=True)
        with pytest.raises(RuntimeError, match="incorrect number of gradients"):
            Fewer.apply(x, x).sum().backward()


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    # an output that got no gradient reaches backward as zeros, or as None when the Function
    # asked for that with ctx.set_materialize_grads(False) (torch's semantics)
    seen = {}
    for lib in (gt, torch):
        class TwoOut(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x.clone(), x.clone()

            @staticmethod
            def backward(ctx, g1, g2):
                seen[lib.__name__] = (g1 is None, g2 is None if g2 is None else
                                      float(g2.abs().sum()))
                return g1

        x = lib.ones(2, requires_grad=True)
        a, _ = TwoOut.apply(x)
        a.sum().backward()
    assert seen["glasstorch"] == seen["torch"]
    assert seen["torch"][1] == (True if not materialize else 0.0)
