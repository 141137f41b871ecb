"""One call per registered op (glasstorch/_registry.py OPS) for the dtype-promotion property
test (tests/test_dtype_promotion_ops.py): `SPECS[name] = (kind, fn)`.

kind "u": fn(lib, a) with `a` of every dtype; "b": fn(lib, a, b) with every pair of dtypes
(b also 0-d) and Python numbers as b; "bt": the same with tensors only (torch has no number
overload). `EXEMPT` names the registered ops this test does not call directly, and why."""


def F(lib):
    return lib.nn.functional


def _idx(lib, *v):
    return lib.tensor(list(v))


def _u(expr):
    return ("u", expr)


SPECS = {}
for n in ["acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh",
          "tan", "tanh", "exp", "exp2", "expm1", "log", "log10", "log1p", "log2", "abs", "erf",
          "erfc", "erfinv", "neg", "reciprocal", "rsqrt", "sgn", "sigmoid", "sign", "sqrt",
          "square", "digamma", "lgamma", "i0", "ceil", "floor", "frac", "round", "trunc",
          "relu", "nan_to_num", "sum", "prod", "mean", "std", "var", "amax", "amin", "max",
          "min", "median", "t", "clone", "unique", "sort"]:
    SPECS[n] = _u(lambda lib, a, n=n: getattr(lib, n)(a))
for n in ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "i0e", "i1", "i1e",
          "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
          "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"]:
    SPECS["special_" + n] = _u(lambda lib, a, n=n: getattr(lib.special, n)(a))
for n in ["hardshrink", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu", "softshrink",
          "elu", "gelu", "mish", "silu", "softplus"]:
    SPECS[n] = _u(lambda lib, a, n=n: getattr(F(lib), n)(a))
for n in ["add", "sub", "mul", "div", "floor_divide", "fmod", "remainder", "atan2", "copysign",
          "hypot", "pow", "xlogy", "fmax", "fmin", "maximum", "minimum"]:
    SPECS[n] = ("b", lambda lib, a, b, n=n: getattr(lib, n)(a, b))
for n in ["atan2", "hypot", "fmax", "fmin", "maximum", "minimum"]:     # Tensor `other` only
    SPECS[n] = ("bt", SPECS[n][1])
for n in ["mm", "matmul", "dot", "mv", "bmm"]:
    shapes = {"mm": ("ij", "jk"), "dot": ("i", "i"), "mv": ("ij", "j"), "bmm": ("bij", "bjk")}
    SPECS[n] = ("bt", lambda lib, a, b, n=n: getattr(lib, n)(*_mat(a, b, n)))

SPECS.update({
    "polygamma": _u(lambda lib, a: lib.polygamma(1, a)),
    "zeta": ("bt", lambda lib, a, b: lib.special.zeta(a, b)),
    "igamma": ("bt", lambda lib, a, b: lib.igamma(a, b)),
    "clamp": _u(lambda lib, a: lib.clamp(a, min=1, max=2.5)),
    "threshold": _u(lambda lib, a: F(lib).threshold(a, 1.5, 0)),
    "log_sigmoid": _u(lambda lib, a: F(lib).logsigmoid(a)),
    "prelu": ("bt", lambda lib, a, b: F(lib).prelu(a, b[0, :1])),
    "div.Tensor_mode": ("b", lambda lib, a, b: lib.div(a, b, rounding_mode="floor")),
    "remainder.Scalar_Tensor": _u(lambda lib, a: lib.remainder(5, a)),
    "lerp": ("bt", lambda lib, a, b: lib.lerp(a, b, 0.5)),
    "addcdiv": ("bt", lambda lib, a, b: lib.addcdiv(a, b, b)),
    "addcmul": ("bt", lambda lib, a, b: lib.addcmul(a, b, b)),
    "logsumexp": _u(lambda lib, a: lib.logsumexp(a, 1)),
    "cumsum": _u(lambda lib, a: lib.cumsum(a, 1)),
    "cumprod": _u(lambda lib, a: lib.cumprod(a, 1)),
    "softmax": _u(lambda lib, a: lib.softmax(a, 1)),
    "log_softmax": _u(lambda lib, a: lib.log_softmax(a, 1)),
    "linalg_vector_norm": _u(lambda lib, a: lib.linalg.vector_norm(a)),
    "kthvalue": _u(lambda lib, a: lib.kthvalue(a, 2)[0]),
    "topk": _u(lambda lib, a: lib.topk(a, 2)[0]),
    "expand": _u(lambda lib, a: a[:1].expand(4, 3)),
    "permute": _u(lambda lib, a: a.permute(1, 0)),
    "reshape": _u(lambda lib, a: a.t().reshape(6)),
    "view": _u(lambda lib, a: a.view(3, 2)),
    "squeeze": _u(lambda lib, a: a[None].squeeze(0)),
    "unsqueeze": _u(lambda lib, a: a.unsqueeze(0)),
    "transpose": _u(lambda lib, a: a.transpose(0, 1)),
    "flip": _u(lambda lib, a: a.flip(0)),
    "repeat": _u(lambda lib, a: a.repeat(2, 1)),
    "roll": _u(lambda lib, a: a.roll(1, 1)),
    "tril": _u(lambda lib, a: a.tril()),
    "triu": _u(lambda lib, a: a.triu(1)),
    "narrow": _u(lambda lib, a: a.narrow(1, 1, 2)),
    "select": _u(lambda lib, a: a.select(1, 2)),
    "diagonal": _u(lambda lib, a: a.diagonal()),
    "unfold": _u(lambda lib, a: a.unfold(1, 2, 1)),
    "split": _u(lambda lib, a: a.split(2, 1)[1]),
    "split_with_sizes": _u(lambda lib, a: a.split_with_sizes([1, 2], 1)[1]),
    "unbind": _u(lambda lib, a: a.unbind(1)[2]),
    "to": _u(lambda lib, a: a.to(lib.float16)),
    "getitem": _u(lambda lib, a: a[1:, ::2]),
    "index": _u(lambda lib, a: a[_idx(lib, 1, 0), _idx(lib, 2, 2)]),
    "index_select": _u(lambda lib, a: a.index_select(1, _idx(lib, 2, 0))),
    "gather": _u(lambda lib, a: a.gather(1, _idx(lib, [2, 0], [1, 1]))),
    "index_fill": _u(lambda lib, a: a.index_fill(1, _idx(lib, 1), 2)),
    "cat": ("bt", lambda lib, a, b: lib.cat([a, b])),
    "stack": ("bt", lambda lib, a, b: lib.stack([a, b])),
    "where": ("b", lambda lib, a, b: lib.where(_idx(lib, True, False, True), a, b)),
    "masked_fill": ("b", lambda lib, a, b: a.masked_fill(_idx(lib, True, False, True),
                                                         b if not hasattr(b, "ndim") or b.ndim
                                                         == 0 else b[0, 0])),
    "masked_scatter": ("bt", lambda lib, a, b: a.masked_scatter(_idx(lib, True, False, True),
                                                                b)),
    "copy_": ("bt", lambda lib, a, b: a.clone().copy_(b)),
    "index_put": ("bt", lambda lib, a, b: a.index_put((_idx(lib, 1),), b[0])),
    "index_add": ("bt", lambda lib, a, b: a.index_add(0, _idx(lib, 1, 0), b)),
    "index_copy": ("bt", lambda lib, a, b: a.index_copy(0, _idx(lib, 1, 0), b)),
    "scatter": ("bt", lambda lib, a, b: a.scatter(1, _idx(lib, [2, 0], [1, 1]), b)),
    "scatter_add": ("bt", lambda lib, a, b: a.scatter_add(1, _idx(lib, [2, 0], [1, 1]), b)),
    "scatter_reduce": ("bt", lambda lib, a, b: a.scatter_reduce(1, _idx(lib, [2, 0], [1, 1]),
                                                                b, "amax")),
    "addmm": ("bt", lambda lib, a, b: lib.addmm(a[:, :2], a, b.t())),
    "baddbmm": ("bt", lambda lib, a, b: lib.baddbmm(a[None, :, :2], a[None], b.t()[None])),
    "einsum": ("bt", lambda lib, a, b: lib.einsum("ij,kj->ik", a, b)),
    "linear": ("bt", lambda lib, a, b: F(lib).linear(a, b)),
    "bilinear": ("bt", lambda lib, a, b: F(lib).bilinear(a, b, lib.ones(1, 3, 3).to(b.dtype))),
    "embedding": _u(lambda lib, a: F(lib).embedding(_idx(lib, 1, 0, 1), a)),
    "embedding_bag": _u(lambda lib, a: F(lib).embedding_bag(_idx(lib, 1, 0, 1), a,
                                                            _idx(lib, 0, 2))),
    "dropout": _u(lambda lib, a: F(lib).dropout(a, 0.0)),
    "binary_cross_entropy": ("bt", lambda lib, a, b: F(lib).binary_cross_entropy(a / 7, b / 7)),
    "binary_cross_entropy_with_logits": ("bt", lambda lib, a, b:
                                         F(lib).binary_cross_entropy_with_logits(a, b / 7)),
    "cross_entropy": _u(lambda lib, a: F(lib).cross_entropy(a, _idx(lib, 2, 0))),
    "nll_loss": _u(lambda lib, a: F(lib).nll_loss(a, _idx(lib, 2, 0))),
    "ctc_loss": _u(lambda lib, a: F(lib).ctc_loss(a[:, None], _idx(lib, [1]), [2], [1])),
    "batch_norm": _u(lambda lib, a: F(lib).batch_norm(a, None, None, training=True)),
    "layer_norm": _u(lambda lib, a: F(lib).layer_norm(a, (3,))),
    "group_norm": _u(lambda lib, a: F(lib).group_norm(a, 1)),
    "convolution": ("bt", lambda lib, a, b: F(lib).conv1d(a[None], b[:, :, None])),
    "im2col": _u(lambda lib, a: F(lib).unfold(a[None, None], 2)),
    "col2im": _u(lambda lib, a: F(lib).fold(a[None], (2, 2), 1)),
    "max_pool2d_with_indices": _u(lambda lib, a: F(lib).max_pool2d(a[None], 2)),
    "adaptive_max_pool2d": _u(lambda lib, a: F(lib).adaptive_max_pool2d(a[None], 1)),
    "max_unpool2d": _u(lambda lib, a: F(lib).max_unpool2d(*F(lib).max_pool2d(
        a[None, None], 2, return_indices=True), 2)),
    "avg_pool2d": _u(lambda lib, a: F(lib).avg_pool2d(a[None], 2)),
    "adaptive_avg_pool1d": _u(lambda lib, a: F(lib).adaptive_avg_pool1d(a, 2)),
    "adaptive_avg_pool2d": _u(lambda lib, a: F(lib).adaptive_avg_pool2d(a[None], 1)),
    "constant_pad_nd": _u(lambda lib, a: F(lib).pad(a, (1, 1), value=2)),
    "cross_map_lrn2d": _u(lambda lib, a: F(lib).local_response_norm(a[None, :, :, None], 2)),
    "linalg_det": _u(lambda lib, a: lib.linalg.det(a[:, :2])),
    "linalg_inv": _u(lambda lib, a: lib.linalg.inv(a[:, :2] + lib.eye(2).to(a.dtype))),
    "linalg_solve": ("bt", lambda lib, a, b: lib.linalg.solve(a[:, :2] + a[:, :2].t(), b)),
    "linalg_svd": _u(lambda lib, a: lib.linalg.svd(a)[1]),
    "linalg_eigh": _u(lambda lib, a: lib.linalg.eigh(a[:, :2] + a[:, :2].t())[0]),
    "linalg_qr": _u(lambda lib, a: lib.linalg.qr(a)[1]),
    "linalg_slogdet": _u(lambda lib, a: lib.linalg.slogdet(a[:, :2])[0]),
    "linalg_cholesky": _u(lambda lib, a: lib.linalg.cholesky(a[:, :2] @ a[:, :2].t())),
    "linalg_pinv": _u(lambda lib, a: lib.linalg.pinv(a)),
    "geqrf": _u(lambda lib, a: lib.geqrf(a)[0]),
    "linalg_lu_factor_ex": _u(lambda lib, a: lib.linalg.lu_factor_ex(a[:, :2])[0]),
    "linalg_ldl_factor_ex": _u(lambda lib, a: lib.linalg.ldl_factor_ex(
        a[:, :2] + a[:, :2].t())[0]),
    "linalg_ldl_solve": ("bt", lambda lib, a, b: lib.linalg.ldl_solve(
        *lib.linalg.ldl_factor_ex(a[:, :2] + a[:, :2].t())[:2], b)),
    "linalg_solve_triangular": ("bt", lambda lib, a, b: lib.linalg.solve_triangular(
        a[:, :2], b, upper=True)),
    # the fused recurrent layers: input of one dtype, weights and state of the other
    "lstm_layer": ("bt", lambda lib, a, b: lib.lstm(a[None], [b[None, :, :1]] * 2,
                                                    _rnn_w(b, 4), False, 1, 0.0, False,
                                                    False, False)[0]),
    "gru_layer": ("bt", lambda lib, a, b: lib.gru(a[None], b[None, :, :1], _rnn_w(b, 3),
                                                  False, 1, 0.0, False, False, False)[0]),
    "rnn_layer": ("bt", lambda lib, a, b: lib.rnn_tanh(a[None], b[None, :, :1], _rnn_w(b, 1),
                                                       False, 1, 0.0, False, False, False)[0]),
})


def _rnn_w(b, gates):
    """[w_ih (gates, 3), w_hh (gates, 1)] of b's dtype (hidden size 1)."""
    return [b.reshape(-1)[:1].expand(gates, 3) * 0.1, b.reshape(-1)[:1].expand(gates, 1) * 0.1]


for p in ["reflect", "replicate", "circular"]:
    for d, shape in ((1, "[None]"), (2, "[None, None]"), (3, "[None, None, None]")):
        name = {"reflect": "reflection", "replicate": "replication"}.get(p, p) + f"_pad{d}d"
        SPECS[name] = _u(lambda lib, a, p=p, d=d: F(lib).pad(
            a.reshape((1,) * (d + 2 - a.ndim) + tuple(a.shape)), (1, 1) * d, mode=p))
for mode, d in [("nearest", 1), ("nearest", 2), ("nearest", 3), ("linear", 1),
                ("bilinear", 2), ("trilinear", 3), ("nearest-exact", 1), ("nearest-exact", 2),
                ("nearest-exact", 3)]:
    name = {"nearest": f"upsample_nearest{d}d", "linear": "upsample_linear1d",
            "bilinear": "upsample_bilinear2d", "trilinear": "upsample_trilinear3d",
            "nearest-exact": f"_upsample_nearest_exact{d}d"}[mode]
    SPECS[name] = _u(lambda lib, a, mode=mode, d=d: F(lib).interpolate(
        a.reshape((1,) * (d + 2 - a.ndim) + tuple(a.shape)), scale_factor=2, mode=mode))


def _mat(a, b, n):
    if n == "mm":
        return a, b.t()
    if n == "matmul":
        return a, b.t()
    if n == "dot":
        return a[0], b[0]
    if n == "mv":
        return a, b[0]
    return a[None], b.t()[None]          # bmm


EXEMPT = {  # registered ops this test does not call by themselves, and why
    "copy_slices": "in-place write through a view (copy_ and index_put cover its dtypes)",
    "copy_slices_backward": "backward of copy_slices: not a user op",
    "convolution_backward_weight": "a backward op of convolution",
    "embedding_dense_backward": "a backward op of embedding",
    "index_backward": "a backward op of index",
    "max_pool2d_with_indices_backward": "a backward op of max_pool2d",
    "avg_pool2d_backward": "a backward op of avg_pool2d",
    "resample_backward": "a backward op of resample",
    "unfold_backward": "a backward op of Tensor.unfold",
    "view_backward": "a backward op of the views",
    "max_pool_gather": "fractional max pooling's gather (random windows: "
                       "tests/nn/test_fractional_pool.py)",
    "resample": "the base class of the pads, upsamplings and adaptive average pools, each "
                "registered under its own name and called above",
    "_attention": "scaled_dot_product_attention's kernel: tests/test_dtype_promotion_fused.py",
}
