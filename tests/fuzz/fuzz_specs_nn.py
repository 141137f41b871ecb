"""Fuzzer drawers (see specs.py) for indexing, linear algebra, sorting and the nn ops."""
import numpy as np
from hypothesis import strategies as st

from fuzz_engine import FLOATS, Arg, shapes, tensor
from fuzz_specs import ALIAS, SPECS, _dim, spec

INTS = ["int64", "int32"]


def _index(data, size, n_shape, dtype="int64", oob=True):
    lo, hi = (-size - 1, size) if oob else (-size, max(size - 1, 0))
    if size == 0 and not oob:
        return Arg(np.zeros(n_shape, dtype), grad=False)
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return Arg(rng.integers(lo, hi + 1, n_shape).astype(dtype), grad=False)


# ---- indexing ------------------------------------------------------------------------------
@spec("getitem", "index")
def _getitem(data, op=None):
    x = tensor(data, data.draw(shapes(1, 3)))
    s = x.array.shape
    kind = data.draw(st.sampled_from(["int", "slice", "tensor", "bool", "ellipsis", "none"]))
    if kind == "int":
        key = data.draw(st.integers(-s[0] - 1, s[0]))
    elif kind == "slice":
        key = slice(*data.draw(st.tuples(st.integers(-5, 5), st.integers(-5, 5),
                                         st.sampled_from([None, 1, 2, 3]))))
    elif kind == "ellipsis":
        key = (Ellipsis, data.draw(st.integers(-s[-1] - 1, s[-1])))
    elif kind == "none":
        key = (None, slice(None), None)
    else:
        idx = _index(data, s[0], data.draw(shapes(0, 2)), oob=data.draw(st.booleans()))
        if kind == "bool":
            idx = Arg(idx.array[:s[0]] % 2 == 0 if idx.array.ndim == 1 else idx.array > 0,
                      grad=False)
        return (lambda lib, x, i: x[i]), [x, idx], {}
    return (lambda lib, x: x[key]), [x], {}


@spec("index_put")
def _index_put(data, op=None):
    x = tensor(data, data.draw(shapes(1, 3)), FLOATS)
    idx = _index(data, x.array.shape[0], data.draw(shapes(1, 1)))
    v = tensor(data, data.draw(st.sampled_from([(), x.array.shape[1:], (1,)])), FLOATS)
    acc = data.draw(st.booleans())

    def f(lib, x, i, v):
        y = x.clone()
        y.index_put_((i,), v, accumulate=acc)
        return y
    return f, [x, idx, v], {}


@spec("gather", "scatter_add", "scatter", "index_select", "index_add", "index_fill",
      "index_copy")
def _gather(data, op=None):
    x = tensor(data, data.draw(shapes(1, 3, 1)), FLOATS)
    nd = x.array.ndim
    d = _dim(data, nd)
    op = ALIAS.get(op, op)
    size = x.array.shape[d] if -nd <= d < nd else 2
    if op in ("gather", "scatter", "scatter_add"):
        ishape = tuple(data.draw(st.integers(0, n)) for n in x.array.shape)
        idx = _index(data, size, ishape, oob=data.draw(st.integers(0, 4)) == 0)
        if op == "gather":
            return (lambda lib, x, i: lib.gather(x, d, i)), [x, idx], {}
        src = tensor(data, ishape, FLOATS)
        return (lambda lib, x, i, s: getattr(lib, op)(x, d, i, s)), [x, idx, src], {}
    idx = _index(data, size, data.draw(shapes(1, 1)), oob=data.draw(st.integers(0, 4)) == 0)
    if op == "index_select":
        return (lambda lib, x, i: lib.index_select(x, d, i)), [x, idx], {}
    if op == "index_fill":
        return (lambda lib, x, i: x.index_fill(d, i, -1.5)), [x, idx], {}
    src_shape = list(x.array.shape)
    if -nd <= d < nd:
        src_shape[d] = idx.array.shape[0]
    src = tensor(data, tuple(src_shape), FLOATS)
    if op == "index_copy":
        return (lambda lib, x, i, s: x.index_copy(d, i, s)), [x, idx, src], {}
    return (lambda lib, x, i, s: x.index_add(d, i, s)), [x, idx, src], {}


@spec("where", "masked_fill", "masked_scatter")
def _where(data, op=None):
    s = data.draw(shapes())
    x, y = tensor(data, s, FLOATS), tensor(data, s[data.draw(st.integers(0, len(s))):], FLOATS)
    m = tensor(data, s[data.draw(st.integers(0, len(s))):], ["bool", "uint8"], grad=False)
    op = ALIAS.get(op, op)
    if op == "where":
        return (lambda lib, m, x, y: lib.where(m, x, y)), [m, x, y], {}
    if op == "masked_fill":
        return (lambda lib, x, m: x.masked_fill(m, 2.5)), [x, m], {}
    return (lambda lib, x, m, y: x.masked_scatter(m, y)), [x, m, tensor(data, s, FLOATS)], {}


# ---- linear algebra ------------------------------------------------------------------------
@spec("matmul", "mm", "mv", "dot", "bmm", "addmm", "baddbmm", "einsum", "linear", "bilinear")
def _linalg(data, op=None):
    op = ALIAS.get(op, op)
    n, k, m, b = (data.draw(st.integers(0, 3)) for _ in range(4))
    k2 = k if data.draw(st.integers(0, 5)) else k + 1
    dt = [data.draw(st.sampled_from(FLOATS + ["int64"]))]
    dt2 = dt if data.draw(st.integers(0, 5)) else FLOATS
    T = lambda *s, d=dt: tensor(data, s, d)  # noqa: E731
    if op == "matmul":
        s1, s2 = data.draw(shapes(1, 3, 0, 3)), data.draw(shapes(1, 3, 0, 3))
        return (lambda lib, x, y: lib.matmul(x, y)), [T(*s1), T(*s2)], {}
    if op == "einsum":
        return (lambda lib, x, y: lib.einsum("bij,bjk->bik", x, y)), \
            [T(b, n, k), T(b, k2, m, d=dt2)], {}
    args = {"mm": [T(n, k), T(k2, m, d=dt2)], "mv": [T(n, k), T(k2, d=dt2)],
            "dot": [T(k), T(k2, d=dt2)], "bmm": [T(b, n, k), T(b, k2, m, d=dt2)],
            "addmm": [T(n, m), T(n, k), T(k2, m, d=dt2)],
            "baddbmm": [T(b, n, m), T(b, n, k), T(b, k2, m, d=dt2)],
            "linear": [T(b, k), T(m, k2, d=dt2), T(m)],
            "bilinear": [T(b, n), T(b, k), T(m, n, k2, d=dt2), T(m)]}[op]
    f = {"linear": lambda lib, *a: lib.nn.functional.linear(*a),
         "bilinear": lambda lib, *a: lib.nn.functional.bilinear(*a)}.get(
             op, lambda lib, *a: getattr(lib, op)(*a))
    return f, args, {}


# ---- sorting -------------------------------------------------------------------------------
@spec("sort", "topk", "kthvalue", "unique")
def _sort(data, op=None):
    x = tensor(data, dtypes=["float32", "float64", "int64"], special=False)
    nd = x.array.ndim
    d = _dim(data, nd)
    op = ALIAS.get(op, op)
    k = data.draw(st.integers(-1, 4))
    # ties make the index outputs ambiguous: values only for ties (unique draws are distinct)
    if op == "sort":
        desc = data.draw(st.booleans())
        return (lambda lib, x: lib.sort(x, dim=d, descending=desc, stable=True)), [x], {}
    if op == "topk":
        return (lambda lib, x: lib.topk(x, k, d)[0]), [x], {}
    if op == "kthvalue":
        return (lambda lib, x: lib.kthvalue(x, k, d)[0]), [x], {}
    return (lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True)), [x], {}


# ---- nn ops --------------------------------------------------------------------------------
def _image(data, nd, dtypes=FLOATS):
    s = data.draw(shapes(nd, nd + 2, 0, 5))
    return tensor(data, s, dtypes)


@spec("constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
      "replication_pad1d", "replication_pad2d", "replication_pad3d", "circular_pad1d",
      "circular_pad2d", "circular_pad3d")
def _pad(data, op=None):
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    x = _image(data, 1)
    pad = tuple(data.draw(st.lists(st.integers(-2, 3), min_size=1, max_size=6)))
    return (lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode)), [x], {}


@spec("max_pool2d_with_indices", "adaptive_max_pool2d", "avg_pool2d", "adaptive_avg_pool1d",
      "adaptive_avg_pool2d", "max_unpool2d")
def _pool(data, op=None):
    op = ALIAS.get(op, op)
    x = _image(data, 2 if op != "adaptive_avg_pool1d" else 1)
    if op.startswith("adaptive"):
        out = data.draw(st.integers(0, 4)) if op.endswith("1d") else \
            tuple(data.draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=2,
                                     max_size=2)))
        return (lambda lib, x: getattr(lib.nn.functional, op)(x, out)), [x], {}
    k, s, p = (data.draw(st.integers(0, 3)) for _ in range(3))
    cm = data.draw(st.booleans())
    if op == "max_pool2d":
        return (lambda lib, x: lib.nn.functional.max_pool2d(x, k, s or None, p,
                                                            ceil_mode=cm)), [x], {}
    inc = data.draw(st.booleans())
    return (lambda lib, x: lib.nn.functional.avg_pool2d(x, k, s or None, p, ceil_mode=cm,
                                                        count_include_pad=inc)), [x], {}


@spec("convolution", "im2col", "col2im")
def _conv(data, op=None):
    nd = data.draw(st.sampled_from([1, 2]))
    n, c, L, o = (data.draw(st.integers(0, 3)) for _ in range(4))
    g = data.draw(st.sampled_from([1, 1, 2]))
    k = data.draw(st.integers(0, 3))
    x = tensor(data, (n, c) + (L + 1,) * nd, FLOATS)
    w = tensor(data, (o, max(c // g, 1)) + (k,) * nd, FLOATS)
    st_, pad, dil = (data.draw(st.integers(0, 2)) for _ in range(3))
    fn = "conv1d" if nd == 1 else "conv2d"
    return (lambda lib, x, w: getattr(lib.nn.functional, fn)(x, w, None, st_, pad, dil, g)), \
        [x, w], {}


@spec("layer_norm", "group_norm", "batch_norm")
def _norms(data, op=None):
    op = ALIAS.get(op, op)
    x = _image(data, 2)
    s = x.array.shape
    if op == "layer_norm":
        ns = s[-data.draw(st.integers(1, len(s))):] if data.draw(st.integers(0, 5)) else (3,)
        return (lambda lib, x, w: lib.nn.functional.layer_norm(x, ns, w)), \
            [x, tensor(data, ns, FLOATS)], {}
    if op == "group_norm":
        g = data.draw(st.integers(1, 3))
        return (lambda lib, x: lib.nn.functional.group_norm(x, g)), [x], {}
    training = data.draw(st.booleans())
    rm = Arg(np.zeros(s[1], x.array.dtype), grad=False)
    rv = Arg(np.ones(s[1], x.array.dtype), grad=False)
    return (lambda lib, x, rm, rv: lib.nn.functional.batch_norm(x, rm, rv,
                                                                training=training)), \
        [x, rm, rv], {}


_LOSSES = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss", "kl_div", "soft_margin_loss", "poisson_nll_loss"]


@spec(*_LOSSES)
def _loss(data, op=None):
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    if op in ("cross_entropy", "nll_loss"):
        n, c = data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4))
        x = tensor(data, (n, c), FLOATS)
        if data.draw(st.booleans(), label="probs") and op == "cross_entropy":
            y = tensor(data, (n, c), FLOATS, special=False, low=0, high=1)
        else:
            y = _index(data, c, (n,), oob=data.draw(st.integers(0, 4)) == 0)
        return (lambda lib, x, y: getattr(lib.nn.functional, op)(x, y, reduction=red)), \
            [x, y], {}
    s = data.draw(shapes())
    low = 0 if op == "binary_cross_entropy" else -3
    x = tensor(data, s, FLOATS, low=low, high=1 if low == 0 else 3)
    y = tensor(data, s if data.draw(st.integers(0, 6)) else s + (2,), FLOATS,
               low=data.draw(st.sampled_from([0, -1])), high=data.draw(st.sampled_from([1, 2])))
    return (lambda lib, x, y: getattr(lib.nn.functional, op)(x, y, reduction=red)), [x, y], {}


@spec("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d",
      "_upsample_nearest_exact1d", "_upsample_nearest_exact2d", "_upsample_nearest_exact3d",
      "upsample_linear1d", "upsample_bilinear2d", "upsample_trilinear3d", "interpolate")
def _interp(data, op=None):
    nd = data.draw(st.sampled_from([1, 2, 3]))
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact",
                                      ("linear", "bilinear", "trilinear")[nd - 1]]))
    x = tensor(data, data.draw(shapes(nd + 2, nd + 2, 0, 4)), FLOATS)
    size = data.draw(st.integers(0, 6))
    ac = {} if mode.startswith("nearest") else {"align_corners": data.draw(st.booleans())}
    return (lambda lib, x: lib.nn.functional.interpolate(x, size=size, mode=mode, **ac)), \
        [x], {}


@spec("embedding", "embedding_bag", "one_hot")
def _embedding(data, op=None):
    w = tensor(data, data.draw(shapes(2, 2, 0, 4)), FLOATS)
    idx = _index(data, w.array.shape[0], data.draw(shapes(1, 2)),
                 oob=data.draw(st.integers(0, 4)) == 0)
    op = ALIAS.get(op, op)
    if op == "one_hot":
        return (lambda lib, i: lib.nn.functional.one_hot(i, 5)), [idx], {}
    mode = data.draw(st.sampled_from(["mean", "sum", "max"]))
    if op == "embedding_bag" and idx.array.ndim == 2:
        return (lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, mode=mode)), \
            [idx, w], {}
    return (lambda lib, i, w: lib.nn.functional.embedding(i, w)), [idx, w], {}


@spec("dropout", "to", "clone", "copy_", "normalize", "cosine_similarity", "pairwise_distance",
      "scaled_dot_product_attention", "glu", "softmin")
def _misc(data, op=None):
    op = ALIAS.get(op, op)
    x = tensor(data)
    nd = x.array.ndim
    d = _dim(data, nd)
    if op == "dropout":
        p = data.draw(st.sampled_from([0.0, 1.0, -0.1, 1.5]))
        return (lambda lib, x: lib.nn.functional.dropout(x, p, training=p != 0.0)), [x], {}
    if op == "to":
        dt = data.draw(st.sampled_from(["float32", "float64", "int64", "uint8", "bool"]))
        return (lambda lib, x: x.to(getattr(lib, dt))), [x], {}
    if op == "clone":
        return (lambda lib, x: x.clone()), [x], {}
    if op == "copy_":
        src = tensor(data, x.array.shape[data.draw(st.integers(0, nd)):])

        def f(lib, x, s):
            y = x.detach().clone()
            return y.copy_(s)
        return f, [x, src], {}
    if op in ("normalize", "glu", "softmin"):
        return (lambda lib, x: getattr(lib.nn.functional, op)(x, dim=d)), [x], {}
    y = tensor(data, x.array.shape, FLOATS)
    if op == "sdpa":
        return (lambda lib, q, k: lib.nn.functional.scaled_dot_product_attention(q, k, k)), \
            [tensor(data, data.draw(shapes(2, 4, 0, 3)), FLOATS),
             tensor(data, data.draw(shapes(2, 4, 0, 3)), FLOATS)], {}
    return (lambda lib, x, y: getattr(lib.nn.functional, op)(x, y)), [x, y], {}


assert all(callable(f) for f in SPECS.values())


# ---- the rest of the public nn.functional surface ------------------------------------------
_F_ONE = {  # name -> extra positional/keyword arguments after the input
    "relu": {}, "relu6": {}, "selu": {}, "celu": {}, "rrelu": {"training": False},
    "alpha_dropout": {"training": False}, "feature_alpha_dropout": {"training": False},
    "dropout1d": {"training": False}, "dropout2d": {"training": False},
    "dropout3d": {"training": False}, "instance_norm": {}, "local_response_norm": {"size": 2},
    "pixel_shuffle": {"upscale_factor": 2}, "pixel_unshuffle": {"downscale_factor": 2},
    "avg_pool1d": {"kernel_size": 2}, "max_pool1d": {"kernel_size": 2},
    "max_pool1d_with_indices": {"kernel_size": 2}, "max_pool2d_with_indices": {"kernel_size": 2},
    "adaptive_max_pool1d": {"output_size": 2}, "upsample_nearest": {"scale_factor": 2},
    "lp_pool1d": {"norm_type": 2, "kernel_size": 2},
    "lp_pool2d": {"norm_type": 3, "kernel_size": 2, "stride": 1},
    "channel_shuffle": {"groups": 2}, "pdist": {"p": 2},
}
for _n, _kw in _F_ONE.items():
    def _f_one(data, op=None, n=_n, kw=_kw):
        x = tensor(data, data.draw(shapes(1, 5, 0, 4)))
        if n == "pdist" and x.array.shape[0] == 0:
            x.grad = False      # torch 2.13's pdist backward segfaults on 0 rows
        return (lambda lib, x: getattr(lib.nn.functional, n)(x, **kw)), [x], {}
    SPECS["F." + _n] = _f_one


@spec("F.rms_norm")
def _rms(data, op=None):
    x = tensor(data, dtypes=FLOATS)
    ns = x.array.shape[-data.draw(st.integers(0, x.array.ndim)):] if x.array.ndim else ()
    return (lambda lib, x, w: lib.nn.functional.rms_norm(x, ns, w)), \
        [x, tensor(data, ns, FLOATS)], {}


@spec("F.conv_transpose1d", "F.conv_transpose2d")
def _conv_t(data, op=None):
    nd = 1 if op.endswith("1d") else 2
    n, c, L, o = (data.draw(st.integers(0, 3)) for _ in range(4))
    k, s, p = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 2)), \
        data.draw(st.integers(0, 1))
    x = tensor(data, (n, c) + (L,) * nd, FLOATS)
    w = tensor(data, (c, o) + (k,) * nd, FLOATS)
    fn = op[2:]
    return (lambda lib, x, w: getattr(lib.nn.functional, fn)(x, w, None, s, p)), [x, w], {}


_F_LOSS2 = ["multilabel_soft_margin_loss", "gaussian_nll_loss", "margin_ranking_loss",
            "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
            "multi_margin_loss", "multilabel_margin_loss"]


@spec(*["F." + n for n in _F_LOSS2])
def _loss2(data, op=None):
    name = op[2:]
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    F = lambda lib: getattr(lib.nn.functional, name)  # noqa: E731
    n, c = data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4))
    x, x2 = tensor(data, (n, c), FLOATS), tensor(data, (n, c), FLOATS)
    sign = Arg(np.where(np.arange(n) % 2, 1.0, -1.0).astype(x.array.dtype), grad=False)
    if name == "gaussian_nll_loss":
        var = tensor(data, (n, c), FLOATS, special=False, low=0, high=2)
        return (lambda lib, a, b, v: F(lib)(a, b, v, reduction=red)), [x, x2, var], {}
    if name in ("margin_ranking_loss",):
        a, b = tensor(data, (n,), FLOATS), tensor(data, (n,), FLOATS)
        return (lambda lib, a, b, y: F(lib)(a, b, y, reduction=red)), [a, b, sign], {}
    if name == "hinge_embedding_loss":
        return (lambda lib, a, y: F(lib)(a, y, reduction=red)), \
            [tensor(data, (n,), FLOATS), sign], {}
    if name == "cosine_embedding_loss":
        return (lambda lib, a, b, y: F(lib)(a, b, y, reduction=red)), [x, x2, sign], {}
    if name == "triplet_margin_loss":
        return (lambda lib, a, p, q: F(lib)(a, p, q, reduction=red)), \
            [x, x2, tensor(data, (n, c), FLOATS)], {}
    if name == "multi_margin_loss":
        return (lambda lib, a, y: F(lib)(a, y, reduction=red)), \
            [x, _index(data, c, (n,), oob=data.draw(st.integers(0, 4)) == 0)], {}
    if name == "multilabel_margin_loss":
        y = _index(data, c, (n, c), oob=False)
        return (lambda lib, a, y: F(lib)(a, y, reduction=red)), [x, y], {}
    y = tensor(data, (n, c), FLOATS, special=False, low=0, high=1)
    return (lambda lib, a, y: F(lib)(a, y, reduction=red)), [x, y], {}


# public nn.functional names the fuzzer does not draw, and why
F_NOT_DRAWN = {
    "celu_": "in place: the same kernel as celu", "elu_": "in place", "hardtanh_": "in place",
    "leaky_relu_": "in place", "relu_": "in place", "rrelu_": "in place", "selu_": "in place",
    "threshold_": "in place",
    "multi_head_attention_forward": "a dozen coupled weights: tests/nn attention tests",
    "triplet_margin_with_distance_loss": "takes a Python callable",
    "max_unpool1d": "needs indices from max_pool1d: tests/nn pool tests",
    "max_unpool2d": "needs indices from max_pool2d: tests/nn pool tests",
    "fold": "col2im: drawn as 'col2im' through conv", "unfold": "im2col, as fold",
    "upsample": "deprecated alias of interpolate", "upsample_bilinear": "deprecated alias",
    "gumbel_softmax": "random (Gumbel noise): tests/nn/test_functional_extras.py",
    # the 3-D forms run the N-d ops the 2-D ones are drawn through; their own checks and
    # messages: tests/nn/test_conv_pool3d.py (not fuzzed yet)
    **{n: "3-D form of a drawn N-d op: tests/nn/test_conv_pool3d.py" for n in (
        "max_pool3d_with_indices", "max_unpool3d")},
    "conv_tbc": "conv1d on permuted views: tests/nn/test_conv_pool3d.py",
    "native_channel_shuffle": "channel_shuffle without a derivative (ops/native_forms.py)",
    "grouped_mm": "torch's CPU kernel refuses strides not multiple of 16 bytes (a layout rule "
                  "glasstorch has not): tests/nn/test_grouped_mm.py",
}


# ---- torch.linalg decompositions -----------------------------------------------------------
@spec("linalg_cholesky", "linalg_det", "linalg_eigh", "linalg_inv", "linalg_qr",
      "linalg_slogdet", "linalg_solve", "linalg_solve_triangular", "linalg_svd", "linalg_pinv")
def _decomp(data, op=None):
    name = op[len("linalg_"):]
    n = data.draw(st.integers(0, 4))
    m = n if name not in ("qr", "svd", "pinv") or data.draw(st.booleans()) else n + 1
    batch = data.draw(shapes(0, 1, 0, 2))
    a = tensor(data, batch + (n, m), FLOATS + ["int64"], special=data.draw(st.booleans()))
    if name in ("cholesky", "eigh"):       # symmetric positive definite from any square a
        def f(lib, a):
            spd = a @ a.mT + lib.eye(a.shape[-1], dtype=a.dtype) if a.ndim >= 2 and \
                a.shape[-1] == a.shape[-2] else a
            out = getattr(lib.linalg, name)(spd)
            # eigenvectors are defined up to sign: compare |v|
            return (out[0], out[1].abs()) if name == "eigh" else out
        return f, [a], {}
    if name == "solve":
        b = tensor(data, batch + (n, data.draw(st.integers(0, 2))), FLOATS)
        return (lambda lib, a, b: lib.linalg.solve(a, b)), [a, b], {}
    if name == "solve_triangular":
        up, unit, left = (data.draw(st.booleans()) for _ in range(3))
        k = data.draw(st.integers(0, 2))
        b = tensor(data, batch + ((n, k) if left else (k, n)), FLOATS)
        return (lambda lib, a, b: lib.linalg.solve_triangular(
            a, b, upper=up, left=left, unitriangular=unit)), [a, b], {}
    if name == "qr":    # Q, R up to signs of columns/rows: compare Q R and |R|
        return (lambda lib, a: (lambda q, r: (q @ r, r.abs()))(*lib.linalg.qr(a))), [a], {}
    if name == "svd":   # singular vectors up to sign: compare S and U diag(S) Vh
        return (lambda lib, a: (lambda u, s, vh: (s, (u * s.unsqueeze(-2)) @ vh))(
            *lib.linalg.svd(a, full_matrices=False))), [a], {}
    return (lambda lib, a: getattr(lib.linalg, name)(a)), [a], {}
