"""What the differential fuzzer calls: per registered op (`glasstorch/_registry.py` OPS) or
public nn.functional name, a drawer `draw(data) -> (fn, args, kwargs)` where
`fn(lib, *args, **kwargs)` runs with lib = glasstorch or torch. Ops that have no public entry
of their own (backward ops, internal building blocks) are reached through the public op named
in VIA; the fuzzer checks that every registered op is either drawn here or listed there."""
from hypothesis import strategies as st

from fuzz_engine import FLOATS, Arg, shapes, tensor, values

SPECS = {}
ALIAS = {"max_pool2d_with_indices": "max_pool2d", "max_unpool2d": "max_pool2d",
         "scaled_dot_product_attention": "sdpa", "index": "getitem"}
VIA = {  # internal registered op -> the public op whose forward/backward runs it
    "copy_slices": "index_put", "copy_slices_backward": "index_put", "view_backward": "view",
    "index_backward": "index", "unfold_backward": "unfold", "resample": "interpolate",
    "resample_backward": "interpolate", "avg_pool2d_backward": "avg_pool2d",
    "max_pool2d_with_indices_backward": "max_pool2d_with_indices",
    "max_pool_gather": "max_pool2d_with_indices", "convolution_backward_weight": "convolution",
    "embedding_dense_backward": "embedding", "remainder.Scalar_Tensor": "remainder",
    "div.Tensor_mode": "div", "sgn": "sign (Sign's forward/backward; torch's sgn gradient is a "
    "ZeroTensor)", "lstm_layer": "(tests/nn rnn tests)", "gru_layer":
    "(tests/nn rnn tests)", "rnn_layer": "(tests/nn rnn tests)", "_attention":
    "scaled_dot_product_attention",
}


def spec(*names):
    def deco(f):
        for n in names:
            SPECS[n] = f
        return f
    return deco


def _dim(data, ndim, extra=1):
    """A dim index, sometimes out of range."""
    return data.draw(st.integers(-ndim - extra, max(ndim - 1 + extra, 0)), label="dim")


# ---- elementwise ---------------------------------------------------------------------------
_UNARY = ("neg abs sign exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal sin "
          "cos tan asin acos atan sinh cosh tanh asinh acosh atanh sigmoid relu floor ceil "
          "trunc round frac erf erfc erfinv nan_to_num lgamma digamma").split()
for _n in _UNARY:
    SPECS[_n] = (lambda n: lambda data, op=None: (lambda lib, x: getattr(lib, n)(x),
                                         [tensor(data)], {}))(_n)


@spec("clamp")
def _clamp(data, op=None):
    lo = data.draw(st.one_of(st.none(), st.floats(-2, 2, width=32), st.integers(-2, 2)))
    hi = data.draw(st.one_of(st.none(), st.floats(-2, 2, width=32), st.integers(-2, 2)))
    return (lambda lib, x: lib.clamp(x, lo, hi)), [tensor(data)], {}


_ACT = {"hardsigmoid": {}, "hardswish": {}, "silu": {}, "mish": {}, "logsigmoid": {},
        "relu6": {}, "selu": {}, "tanhshrink": {}, "softsign": {}, "sigmoid": {}, "tanh": {},
        "gelu": {"approximate": st.sampled_from(["none", "tanh"])},
        "elu": {"alpha": st.floats(0.1, 2)}, "celu": {"alpha": st.floats(0.1, 2)},
        "leaky_relu": {"negative_slope": st.floats(-1, 1)},
        "hardshrink": {"lambd": st.floats(0, 1)}, "softshrink": {"lambd": st.floats(0, 1)},
        "hardtanh": {"min_val": st.floats(-2, 0), "max_val": st.floats(0, 2)},
        "softplus": {"beta": st.floats(0.5, 2), "threshold": st.floats(1, 20)},
        "threshold": {"threshold": st.floats(-1, 1), "value": st.floats(-1, 1)}}
for _n, _kw in _ACT.items():
    def _act(data, _op=None, n=_n, kw=_kw):
        kwargs = {k: data.draw(v, label=k) for k, v in kw.items()}
        return (lambda lib, x, **k: getattr(lib.nn.functional, n)(x, **k)), \
            [tensor(data)], kwargs
    SPECS["log_sigmoid" if _n == "logsigmoid" else "F." + _n if _n in SPECS else _n] = _act


@spec("prelu")
def _prelu(data, op=None):
    x = tensor(data, dtypes=FLOATS)
    c = x.array.shape[1] if x.array.ndim >= 2 else 1
    n = data.draw(st.sampled_from([1, c, c + 1]))
    return (lambda lib, x, w: lib.nn.functional.prelu(x, w)), \
        [x, tensor(data, (n,), FLOATS, layout=False)], {}


def _pair(data, dtypes=None):
    """Two broadcastable (or sometimes not) tensors, or a tensor and a Python scalar."""
    s = data.draw(shapes())
    drop = data.draw(st.integers(0, len(s)))
    s2 = tuple(1 if data.draw(st.booleans(), label="b1") else n for n in s[drop:])
    if data.draw(st.integers(0, 9), label="mismatch") == 0 and s2:
        s2 = (s2[0] + 2,) + s2[1:]
    a = tensor(data, s, dtypes or ["float32", "float64", "int64", "int32", "uint8", "bool"])
    kind = data.draw(st.sampled_from(["tensor", "tensor", "0d", "scalar"]))
    if kind == "scalar":
        b = data.draw(st.one_of(st.integers(-5, 300), st.floats(-3, 3), st.booleans()))
    else:
        b = tensor(data, () if kind == "0d" else s2,
                   dtypes or ["float32", "float64", "int64", "int32", "uint8", "bool"])
    return [b, a] if data.draw(st.booleans(), label="swap") and kind != "scalar" else [a, b]


for _n in ("add sub mul div floor_divide remainder fmod pow maximum minimum fmax fmin atan2 "
           "hypot copysign xlogy").split():
    SPECS[_n] = (lambda n: lambda data, op=None: (lambda lib, x, y: getattr(lib, n)(x, y),
                                         _pair(data), {}))(_n)


_pow_pair = SPECS["pow"]


@spec("pow")
def _pow(data, op=None):
    """A number exponent that rounds to 0 in float32 (1e-50): torch's answer for a float32
    result depends on the CPU's vector width (its vector kernel rounds the exponent to float,
    its scalar tail does not: x ** -1e-50 is 1 or nan/inf by position). glasstorch follows
    the scalar kernel (tests/ops/test_binary.py); here such exponents become the smallest
    float32 one, which both kernels agree on."""
    fn, args, kwargs = _pow_pair(data, op)
    if isinstance(args[1], float) and 0 < abs(args[1]) < 1.5e-45:
        args[1] = 1.5e-45 if args[1] > 0 else -1.5e-45
    return fn, args, kwargs


@spec("div.rounding")
def _div_mode(data, op=None):
    mode = data.draw(st.sampled_from(["trunc", "floor", None]))
    return (lambda lib, x, y: lib.div(x, y, rounding_mode=mode)), _pair(data), {}


@spec("remainder.scalar_tensor")
def _rem_scalar(data, op=None):
    s = data.draw(st.one_of(st.integers(-5, 5), st.floats(-3, 3)))
    return (lambda lib, y: lib.remainder(s, y)), [tensor(data)], {}


@spec("lerp", "addcmul", "addcdiv")
def _ternary(data, op=None):
    s = data.draw(shapes())
    name = op
    args = [tensor(data, s, FLOATS) for _ in range(3)]
    if name == "lerp":
        return (lambda lib, a, b, c: lib.lerp(a, b, c)), args, {}
    v = data.draw(st.floats(-2, 2))
    return (lambda lib, a, b, c: getattr(lib, name)(a, b, c, value=v)), args, {}


# ---- reductions, scans, softmax ------------------------------------------------------------
for _n in ("sum mean prod amax amin logsumexp var std max min median cumsum cumprod softmax "
           "log_softmax").split():
    def _red(data, _op=None, n=_n):
        x = tensor(data)
        nd = x.array.ndim
        if n in ("cumsum", "cumprod", "softmax", "log_softmax"):
            d = _dim(data, nd)
            if n in ("softmax", "log_softmax"):
                return (lambda lib, x: getattr(lib.nn.functional, n)(x, d)), [x], {}
            return (lambda lib, x: getattr(lib, n)(x, d)), [x], {}
        if n != "logsumexp" and data.draw(st.booleans(), label="all"):
            return (lambda lib, x: getattr(lib, n)(x)), [x], {}
        d = _dim(data, nd)
        kd = data.draw(st.booleans(), label="keepdim")
        return (lambda lib, x: getattr(lib, n)(x, d, keepdim=kd)), [x], {}
    SPECS[_n] = _red


@spec("linalg_vector_norm")
def _norm(data, op=None):
    ord_ = data.draw(st.sampled_from([2, 1, 0, 3, float("inf"), -float("inf"), 0.5]))
    return (lambda lib, x: x.norm(ord_)), [tensor(data, dtypes=FLOATS)], {}


# ---- shapes --------------------------------------------------------------------------------
@spec("view", "reshape")
def _view(data, op=None):
    x = tensor(data)
    n = x.array.size
    target = data.draw(st.sampled_from([(-1,), (n,), (1, -1), (-1, 1), (n + 1,), (-1, -1),
                                        x.array.shape[::-1], (0, -1)]))
    how = data.draw(st.sampled_from(["view", "reshape"]))
    return (lambda lib, x: getattr(x, how)(target)), [x], {}


@spec("permute", "transpose", "t", "squeeze", "unsqueeze", "flip", "select", "narrow",
      "diagonal", "unbind", "tril", "triu", "roll")
def _shape1(data, op=None):
    x = tensor(data)
    nd = x.array.ndim
    op = ALIAS.get(op, op)
    d, d2 = _dim(data, nd), _dim(data, nd)
    i = data.draw(st.integers(-3, 3))
    perm = data.draw(st.permutations(range(nd))) if data.draw(st.booleans()) else [0] * nd
    calls = {
        "permute": lambda lib, x: x.permute(perm),
        "transpose": lambda lib, x: x.transpose(d, d2), "t": lambda lib, x: x.t(),
        "squeeze": lambda lib, x: x.squeeze(d), "unsqueeze": lambda lib, x: x.unsqueeze(d),
        "flip": lambda lib, x: x.flip(d), "select": lambda lib, x: x.select(d, i),
        "narrow": lambda lib, x: x.narrow(d, i, abs(i)),
        "diagonal": lambda lib, x: x.diagonal(i, d, d2), "unbind": lambda lib, x: x.unbind(d),
        "tril": lambda lib, x: x.tril(i), "triu": lambda lib, x: x.triu(i),
        "roll": lambda lib, x: x.roll(i, d)}
    return calls[op], [x], {}


@spec("expand", "repeat", "unfold", "split", "split_with_sizes")
def _shape2(data, op=None):
    x = tensor(data)
    nd = x.array.ndim
    op = ALIAS.get(op, op)
    sizes = tuple(data.draw(st.lists(st.integers(-1, 3), min_size=max(nd - 1, 0),
                                     max_size=nd + 1)))
    d, i = _dim(data, nd), data.draw(st.integers(0, 3))
    calls = {"expand": lambda lib, x: x.expand(sizes),
             "repeat": lambda lib, x: x.repeat([abs(s) for s in sizes]),
             "unfold": lambda lib, x: x.unfold(d, i, max(i, 1)),
             "split": lambda lib, x: x.split(i, d),
             "split_with_sizes": lambda lib, x: x.split([abs(s) for s in sizes], d)}
    return calls[op], [x], {}


@spec("cat", "stack")
def _cat(data, op=None):
    s = data.draw(shapes(0, 3))
    n = data.draw(st.integers(1, 3))
    xs = []
    for _ in range(n):
        s2 = list(s)
        if s2 and data.draw(st.integers(0, 3), label="vary") == 0:
            s2[data.draw(st.integers(0, len(s2) - 1))] += 1
        xs.append(tensor(data, tuple(s2)))
    d = _dim(data, len(s))
    op = ALIAS.get(op, op)
    return (lambda lib, xs: getattr(lib, op)(xs, d)), [xs], {}


@spec("polygamma")
def _polygamma(data, op=None):
    n = data.draw(st.integers(-1, 3))
    return (lambda lib, x: lib.polygamma(n, x)), [tensor(data)], {}


@spec("zeta")
def _zeta(data, op=None):
    # torch has no derivative in x (backward raises): only q is differentiated here
    s = data.draw(shapes())
    return (lambda lib, x, q: lib.special.zeta(x, q)), [tensor(data, s, grad=False),
                                                       tensor(data, s)], {}


# ---- torch.special's Bessel / Airy / incomplete gamma (ops/special_bessel.py) ---------------
_BESSEL = {"i0": "i0", "special_i0e": "i0e", "special_i1": "i1", "special_i1e": "i1e"}
_BESSEL.update({"special_" + n: n for n in (
    "bessel_j0 bessel_j1 bessel_y0 bessel_y1 modified_bessel_i0 modified_bessel_i1 "
    "modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 scaled_modified_bessel_k1 "
    "airy_ai").split()})
for _op, _fn in _BESSEL.items():
    SPECS[_op] = (lambda f: lambda data, op=None: (
        lambda lib, x: getattr(lib.special, f)(x), [tensor(data)], {}))(_fn)


@spec("igamma")
def _igamma(data, op=None):
    # torch has no derivative in the first argument (backward raises): only x is differentiated
    s = data.draw(shapes())
    upper = data.draw(st.booleans())
    name = "gammaincc" if upper else "gammainc"
    return (lambda lib, a, x: getattr(lib.special, name)(a, x)), [tensor(data, s, grad=False),
                                                                 tensor(data, s)], {}


# ---- LU / LDL / geqrf (ops/linalg_lu.py) ---------------------------------------------------
@spec("linalg_lu_factor_ex", "linalg_ldl_factor_ex", "linalg_ldl_solve", "geqrf")
def _lu_family(data, op=None):
    from fuzz_engine import FLOATS as _F
    n = data.draw(st.integers(0, 4))
    m = n if op in ("linalg_ldl_factor_ex", "linalg_ldl_solve") or data.draw(st.booleans()) \
        else data.draw(st.integers(0, 4))
    batch = data.draw(shapes(0, 1, 0, 2))
    a = tensor(data, batch + (m, n), _F + ["int64"], special=data.draw(st.booleans()))
    if op == "linalg_lu_factor_ex":
        return (lambda lib, a: tuple(lib.linalg.lu_factor_ex(a))), [a], {}
    if op == "geqrf":
        return (lambda lib, a: tuple(lib.geqrf(a))), [a], {}
    if op == "linalg_ldl_factor_ex":   # symmetric input
        return (lambda lib, a: tuple(lib.linalg.ldl_factor_ex(a + a.mT if a.ndim >= 2
                                                              else a))), [a], {}
    b = tensor(data, batch + (n, data.draw(st.integers(0, 2))), _F, grad=False)
    return (lambda lib, a, b: lib.linalg.ldl_solve(
        *lib.linalg.ldl_factor(a + a.mT if a.ndim >= 2 else a), b)), [a, b], {}


@spec("scatter_reduce")
def _scatter_reduce(data, op=None):
    s = data.draw(shapes(1, 3, 1, 4))
    x = tensor(data, s)
    dim = data.draw(st.integers(0, len(s) - 1))
    idx_shape = tuple(data.draw(st.integers(1, n)) for n in s)
    reduce = data.draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
    include_self = data.draw(st.booleans())
    import numpy as _np
    seed = data.draw(st.integers(0, 2 ** 16))
    idx = _np.random.default_rng(seed).integers(0, s[dim], idx_shape)
    src = tensor(data, idx_shape)
    return (lambda lib, x, src: lib.scatter_reduce(
        x, dim, lib.tensor(idx), src.to(x.dtype), reduce, include_self=include_self)), \
        [x, src], {}


# ---- F.grid_sample / F.affine_grid (ops/grid_sample.py) ------------------------------------
@spec("F.grid_sample")
def _grid_sample(data, op=None):
    from fuzz_engine import FLOATS as _F
    n, c, h, w = (data.draw(st.integers(1, 3)) for _ in range(4))
    ho, wo = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3))
    dt = data.draw(st.sampled_from(_F))
    x = tensor(data, (n, c, h, w), [dt])
    g = tensor(data, (n, ho, wo, 2), [dt], special=data.draw(st.booleans()))
    mode = data.draw(st.sampled_from(["bilinear", "nearest"]))
    pad = data.draw(st.sampled_from(["zeros", "border", "reflection"]))
    align = data.draw(st.booleans())
    return (lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode, pad, align)), [x, g], {}


@spec("F.affine_grid")
def _affine_grid(data, op=None):
    from fuzz_engine import FLOATS as _F
    n, h, w = (data.draw(st.integers(1, 3)) for _ in range(3))
    theta = tensor(data, (n, 2, 3), _F)
    align = data.draw(st.booleans())
    return (lambda lib, t: lib.nn.functional.affine_grid(t, (n, 1, h, w), align)), [theta], {}
