"""The generated families (_families.py) against torch: every in-place twin, alias and _copy
variant it makes is run in both frameworks (values, gradients through the in-place write,
dtype, shape), plus the torch-level linalg names (torch.det, x.inverse(), torch.svd...)."""
import pytest
import torch

import glasstorch as gt
from glasstorch import _families
from tests.helpers import check_op, check_raises

UNARY = ["abs", "absolute", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "ceil",
         "cos", "cosh", "deg2rad", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fix",
         "floor", "frac", "log", "log10", "log1p", "log2", "neg", "negative", "rad2deg",
         "reciprocal", "relu", "round", "rsqrt", "sgn", "sigmoid", "sign", "sin", "sinh",
         "sqrt", "square", "tan", "tanh", "trunc", "nan_to_num", "logit", "asinh", "arcsinh",
         "atanh", "arctanh", "sinc", "lgamma", "digamma"]
BINARY = ["atan2", "arctan2", "copysign", "div", "divide", "true_divide", "float_power",
          "fmod", "hypot", "mul", "multiply", "pow", "remainder", "sub", "subtract", "xlogy",
          ]
COMPARE = ["eq", "ne", "not_equal", "ge", "greater_equal", "gt", "greater", "le", "less_equal",
           "lt", "less"]


def _made(names):
    return [n for n in names if hasattr(gt.Tensor, n + "_") and hasattr(torch.Tensor, n + "_")]


@pytest.mark.parametrize("name", [n for n in _made(UNARY)
                                  if n not in _families.NO_INPLACE_DERIVATIVE])
def test_inplace_unary(name):
    check_op(lambda x: getattr(x * 1, name + "_")(), [(3, 4)], low=0.1, high=0.9)
    check_op(lambda m, x: getattr(m, name + "_")(x * 1) if hasattr(torch, name + "_")
             else getattr(x * 1, name + "_")(), [(3, 4)], lib=True, low=0.1, high=0.9)


@pytest.mark.parametrize("name", _made(BINARY))
def test_inplace_binary(name):
    check_op(lambda x, y: getattr(x * 1, name + "_")(y), [(3, 4), (4,)], low=0.5, high=1.5)


@pytest.mark.parametrize("name", _made(COMPARE))
def test_inplace_compare_keeps_dtype(name):
    check_op(lambda x, y: getattr(x.detach() * 1, name + "_")(y), [(3, 4), (3, 4)], grad=False)


@pytest.mark.parametrize("call", [
    lambda x: (x * 1).clamp_(-0.5, 0.5), lambda x: (x * 1).clip_(max=0.5),
    lambda x: (x * 1).clamp_min_(0.1), lambda x: (x * 1).clamp_max_(0.1),
    lambda x: (x * 1).tril_(), lambda x: (x * 1).triu_(1), lambda x: (x * 1).cumsum_(0),
    lambda x: (x * 1).cumprod_(1), lambda x: (x * 1).lerp_(x.detach() * 0, 0.3),
    lambda x: (x * 1).masked_fill_(x.detach() > 0, 2.0),
    lambda x: (x * 1).index_fill_(1, x.new_tensor([0, 2]).long(), -1.0),
    lambda x: (x * 1).addmm_(x.detach()[:, :3], x.detach()[:3]),
])
def test_inplace_with_arguments(call):
    check_op(call, [(4, 4)])


def test_floor_divide_inplace_values():
    check_op(lambda x, y: x.detach().floor_divide_(y), [(3, 4), (4,)], low=0.5, high=1.5,
             grad=False)


def test_inplace_on_leaf_raises_and_int_dtype_errors():
    check_raises(lambda x: x.requires_grad_().cos_(), [(3,)])
    check_raises(lambda m, x: x.long().cos_(), [(3,)], lib=True)


@pytest.mark.parametrize("alias", [a for a in _families.ALIASES if hasattr(torch, a)])
def test_torch_level_aliases(alias):
    target = _families.ALIASES[alias]
    assert getattr(gt, alias) is getattr(gt, target) or hasattr(gt, alias)
    args = {"cat": lambda m, x: getattr(m, alias)([x, x], 1),
            "transpose": lambda m, x: getattr(m, alias)(x, 0, 1),
            "movedim": lambda m, x: getattr(m, alias)(x, 0, 1),
            "vstack": lambda m, x: getattr(m, alias)([x, x]),
            "outer": lambda m, x: getattr(m, alias)(x[0], x[1]),
            "clamp": lambda m, x: getattr(m, alias)(x, 0.3, 0.6)}
    binary = {"atan2", "div", "mul", "sub", "gt", "ge", "lt", "le", "ne"}
    if target in args:
        fn = args[target]
    elif target in binary:
        def fn(m, x):
            return getattr(m, alias)(x, x.flip(0))
    else:
        def fn(m, x):
            return getattr(m, alias)(x)
    check_op(fn, [(3, 3)], lib=True, low=0.1, high=0.9, avoid=[0.0])


@pytest.mark.parametrize("name", [n for n in _families.COPIES
                                  if hasattr(gt, n + "_copy") and hasattr(torch, n + "_copy")])
def test_copy_variants(name):
    args = {"diagonal": (), "expand": ((2, 3, 3),), "narrow": (0, 1, 2), "permute": ((1, 0),),
            "select": (0, 1), "split": (2,), "squeeze": (), "t": (), "transpose": (0, 1),
            "unbind": (), "unsqueeze": (0,), "view": ((9,),), "detach": (), "alias": (),
            "unfold": (0, 2, 1), "as_strided": ((2, 2), (1, 2))}
    if name not in args:
        pytest.skip(f"{name}_copy: no sample arguments")
    out, _ = check_op(lambda m, x: getattr(m, name + "_copy")(x, *args[name]), [(3, 3)],
                      lib=True, grad=name not in ("detach",))
    outs = out if isinstance(out, (tuple, list)) else [out]
    assert all(o._base is None for o in outs)        # not views


@pytest.mark.parametrize("fn,shape", [
    (lambda m, A: m.det(A), (3, 3)), (lambda m, A: A.det(), (2, 3, 3)),
    (lambda m, A: m.logdet(A @ A.mT + m.eye(3, dtype=A.dtype)), (3, 3)),
    (lambda m, A: m.slogdet(A)[1], (3, 3)), (lambda m, A: A.inverse(), (3, 3)),
    (lambda m, A: m.matrix_power(A, 3), (3, 3)), (lambda m, A: m.pinverse(A), (4, 3)),
    (lambda m, A: m.svd(A)[1], (4, 3)), (lambda m, A: (lambda r: (r.U * r.S) @ r.V.mT)(
        m.svd(A)), (4, 3)),
    (lambda m, A: m.qr(A)[1].abs(), (4, 3)), (lambda m, A: m.trace(A), (3, 4)),
    (lambda m, A: A.trace(), (3, 3)),
    (lambda m, A: m.cholesky(A @ A.mT + m.eye(3, dtype=A.dtype)), (3, 3)),
    (lambda m, A: m.chain_matmul(A, A.mT, A), (3, 4)),
])
def test_torch_level_linalg(fn, shape):
    check_op(fn, [shape], lib=True)


def test_trace_needs_a_matrix():
    check_raises(lambda x: x.trace(), [(3,)])


# torch functions that are also Tensor methods (_families.METHODS):
# x.name(...) == torch.name(x, ...)
METHOD_CALLS = {
    "acosh": lambda x: (x + 1.5).acosh(), "asinh": lambda x: x.asinh(),
    "atanh": lambda x: x.atanh(), "arccosh": lambda x: (x + 1.5).arccosh(),
    "argwhere": lambda x: (x.detach() > 0.5).argwhere(), "fliplr": lambda x: x.fliplr(),
    "flipud": lambda x: x.flipud(), "hardshrink": lambda x: x.hardshrink(0.4),
    "narrow_copy": lambda x: x.narrow_copy(1, 1, 2), "positive": lambda x: x.positive(),
    "prelu": lambda x: x.prelu(x.new_tensor([0.25])), "ravel": lambda x: x.t().ravel(),
    "signbit": lambda x: (x.detach() - 0.5).signbit(),
    "addbmm_": lambda x: (x * 1).addbmm_(x.detach().expand(2, 3, 3), x.detach().expand(2, 3, 3)),
    "addmv_": lambda x: (x[:, 0] * 1).addmv_(x.detach(), x.detach()[0]),
    "addr_": lambda x: (x * 1).addr_(x.detach()[0], x.detach()[1]),
    "heaviside_": lambda x: (x.detach() - 0.5).heaviside_(x.detach()[0]),
}


@pytest.mark.parametrize("name", list(METHOD_CALLS))
def test_generated_methods(name):
    assert hasattr(gt.Tensor, name)
    grad = name not in ("argwhere", "signbit", "heaviside_")
    check_op(METHOD_CALLS[name], [(3, 3)], low=0.1, high=0.9, grad=grad)


@pytest.mark.parametrize("name", ["gcd_", "lcm_"])
def test_generated_integer_inplace(name):
    for lib in (gt, torch):
        a, b = lib.tensor([4, 6, 9]), lib.tensor([6, 4, 3])
        getattr(a, name)(b)
        assert a.tolist() == getattr(torch.tensor([4, 6, 9]), name[:-1])(
            torch.tensor([6, 4, 3])).tolist()


@pytest.mark.parametrize("name", list(_families.NO_INPLACE_DERIVATIVE))
def test_inplace_without_derivative(name):
    # values as torch's; backward raises torch's NotImplementedError (no derivative defined)
    shift = 1.5 if "cosh" in name else 0.0
    check_op(lambda x: getattr(x.detach() + shift, name + "_")(), [(3, 3)], low=0.1,
             high=0.9, grad=False)
    check_raises(lambda x: getattr(x.requires_grad_() + shift, name + "_")().sum().backward(),
                 [(3, 3)], match="the derivative for 'inplace version of")
