"""nn.MultiheadAttention and F.multi_head_attention_forward (ops/mha.py,
nn/modules/attention.py) against torch with copied weights: outputs, attention weights and the
gradients of the inputs and every parameter, for every mask kind and combination (bool, float,
2-D, 3-D, key padding, is_causal), batch_first both ways, unbatched inputs, self / cross /
distinct q k v, kdim/vdim, add_bias_kv, add_zero_attn, bias=False, train mode with dropout 0,
second derivatives; init, state_dict keys, repr, dropout behaviour, fully masked rows, errors
and warnings. d2l's attention layers (glasstorch/text/attention.py): tests/text/
test_text_attention.py."""
import doctest
import importlib
import math
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_module, check_op, check_raises, module_pair

P = pytest.param
E, H, L, S, N, KDIM, VDIM = 8, 2, 3, 4, 2, 5, 6


# ---- masks ------------------------------------------------------------------------------------
def _bool(shape, seed, p=0.35):
    """A random bool mask (True = masked) that leaves the first key of every row open."""
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False
    return m


def _float(mask, seed):
    """The float form: -inf where masked, small random biases elsewhere."""
    vals = np.random.default_rng(seed).uniform(-1, 0.5, mask.shape)
    return np.where(mask, -np.inf, vals)


def _masks(spec, n, l, s, heads):
    """{name: array} for a spec like "attn2_bool+kpm_float"."""
    out = {}
    for part in spec.split("+") if spec else []:
        kind, dt = part.split("_")
        shape = {"kpm": (n, s) if n else (s,), "attn2": (l, s),
                 "attn3": ((n or 1) * heads, l, s)}[kind]
        m = _bool(shape, seed=len(out) + 7)
        out["key_padding_mask" if kind == "kpm" else "attn_mask"] = \
            m if dt == "bool" else _float(m, seed=3)
    return out


# ---- F.multi_head_attention_forward through check_op (float64, second derivatives) ------------
def _mha_f(need_weights=True, average=True, **kw):
    def fn(lib, q, k, v, w, b, wo, bo):
        return lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, H, w, b, None, None, False, 0.0, wo, bo, training=True,
            need_weights=need_weights, average_attn_weights=average, **kw)
    return fn


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("layout", ["C", "T"])
def test_functional_matches_torch(need_weights, average, layout):
    shapes = [(L, N, E), (S, N, E), (S, N, E), (3 * E, E), (3 * E,), (E, E), (E,)]
    check_op(_mha_f(need_weights, average), shapes, lib=True, layout=layout)


@pytest.mark.parametrize("need_weights", [True, False])
def test_functional_double_backward(need_weights):
    # a float attn_mask requiring grad: its gradient joins the second derivatives too
    shapes = [(L, N, E), (S, N, E), (S, N, E), (3 * E, E), (3 * E,), (E, E), (E,), (L, S)]

    def fn(lib, *args):
        return _mha_f(need_weights, attn_mask=args[-1])(lib, *args[:-1])

    def torch_fn(lib, *args):  # torch's flash kernel has no second derivative: its math one
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            return fn(lib, *args)
    check_op(fn, shapes, torch_fn, lib=True, double=True)


def test_functional_float32_and_unbatched():
    shapes = [(L, N, E), (S, N, E), (S, N, E), (3 * E, E), (3 * E,), (E, E), (E,)]
    check_op(_mha_f(), shapes, lib=True, dtype="float32")
    check_op(_mha_f(False), [(L, E), (S, E), (S, E), (3 * E, E), (3 * E,), (E, E), (E,)],
             lib=True)


def test_functional_static_kv_and_float_mask_gradient():
    # static_k / static_v replace the projected keys and values (their length is checked
    # against the masks through `key`, as in torch)
    def fn(lib, q, kv, w, b, wo, bo, sk, sv, mask):
        return lib.nn.functional.multi_head_attention_forward(
            q, kv, kv, E, H, w, b, None, None, False, 0.0, wo, bo, attn_mask=mask,
            static_k=sk, static_v=sv)
    check_op(fn, [(L, N, E), (S, N, E), (3 * E, E), (3 * E,), (E, E), (E,),
                  (N * H, S, E // H), (N * H, S, E // H), (L, S)], lib=True)


# ---- the module against torch --------------------------------------------------------------------
MHA_CASES = [  # module kwargs, forward kwargs, masks, inputs ("self": q is k is v, "cross": k is v)
    P({}, {}, "", "self", id="self"),
    P({}, {}, "", "cross", id="cross"),
    P({}, {}, "", "distinct", id="distinct"),
    P({}, {"need_weights": False}, "", "self", id="no-weights"),
    P({}, {"average_attn_weights": False}, "", "cross", id="per-head-weights"),
    P({}, {}, "kpm_bool", "self", id="kpm-bool"),
    P({}, {}, "kpm_float", "cross", id="kpm-float"),
    P({}, {}, "attn2_bool", "self", id="attn2-bool"),
    P({}, {}, "attn2_float", "distinct", id="attn2-float"),
    P({}, {}, "attn3_bool", "cross", id="attn3-bool"),
    P({}, {}, "attn3_float", "self", id="attn3-float"),
    P({}, {}, "attn2_bool+kpm_bool", "self", id="attn2+kpm-bool"),
    P({}, {}, "attn3_float+kpm_float", "distinct", id="attn3+kpm-float"),
    P({}, {"need_weights": False}, "attn2_bool+kpm_bool", "self", id="masks-no-weights"),
    P({}, {"need_weights": False}, "attn3_float", "cross", id="attn3-no-weights"),
    P({"kdim": KDIM, "vdim": VDIM}, {}, "kpm_bool", "distinct", id="kdim-vdim"),
    P({"kdim": KDIM, "vdim": VDIM, "bias": False}, {"need_weights": False}, "attn2_float",
      "distinct", id="kdim-vdim-no-bias"),
    P({"add_bias_kv": True}, {}, "attn2_bool+kpm_bool", "self", id="bias-kv"),
    P({"add_zero_attn": True}, {}, "attn3_bool+kpm_float", "cross", id="zero-attn"),
    P({"add_bias_kv": True, "add_zero_attn": True}, {"need_weights": False}, "kpm_bool",
      "distinct", id="bias-kv+zero-attn"),
    P({"bias": False}, {}, "", "self", id="no-bias"),
    P({"dropout": 0.0}, {"average_attn_weights": False}, "attn2_float+kpm_float", "self",
      id="train-dropout0"),
]


def _inputs(kind, batch_first, kw, unbatched=False):
    rng = np.random.default_rng(11)
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)

    def seq(n, d):
        if unbatched:
            return rng.standard_normal((n, d))
        return rng.standard_normal((N, n, d) if batch_first else (n, N, d))
    if kind == "self":
        return [seq(S, E)], 1
    if kind == "cross":
        return [seq(L, E), seq(S, kd)], 2
    return [seq(L, E), seq(S, kd), seq(S, vd)], 3


def _call(n_seq, call, mask_names):
    def fn(lib, m, *args):
        seqs, masks = args[:n_seq], dict(zip(mask_names, args[n_seq:]))
        q, k, v = (seqs * 3)[:3] if n_seq == 1 else (seqs[0], seqs[1], seqs[-1])
        return m(q, k, v, **masks, **call)
    return fn


@pytest.mark.parametrize("kw,call,masks,kind", MHA_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_module_matches_torch(kw, call, masks, kind, batch_first):
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H, batch_first=batch_first,
                                                             **kw))
    seqs, n_seq = _inputs(kind, batch_first, kw)
    l = S if kind == "self" else L
    m = _masks(masks, N, l, S, H)
    if "dropout" not in kw:  # the cases with dropout=0 given run in train mode
        g.eval(), t.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed mask types warn (tested below)
        check_module(g, t, _call(n_seq, call, list(m)), seqs + list(m.values()))


@pytest.mark.parametrize("kw,call,masks,kind", [
    P({}, {}, "kpm_bool+attn2_bool", "self", id="self"),
    P({}, {"need_weights": False}, "attn3_float", "cross", id="cross-no-weights"),
    P({"kdim": KDIM, "vdim": VDIM, "add_bias_kv": True}, {"average_attn_weights": False},
      "kpm_float", "distinct", id="kdim-bias-kv"),
    P({"add_zero_attn": True}, {}, "attn2_float", "self", id="zero-attn"),
])
def test_module_unbatched(kw, call, masks, kind):
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H, batch_first=True, **kw))
    seqs, n_seq = _inputs(kind, True, kw, unbatched=True)
    m = _masks(masks, 0, S if kind == "self" else L, S, H)
    check_module(g, t, _call(n_seq, call, list(m)), seqs + list(m.values()))


def test_module_train_mode_float32():
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H, kdim=KDIM,
                                                             add_bias_kv=True), "float32")
    seqs, n_seq = _inputs("distinct", False, {"kdim": KDIM})
    seqs = [s.astype(np.float32) for s in seqs]
    m = _masks("attn2_bool+kpm_bool", N, L, S, H)
    check_module(g, t, _call(n_seq, {}, list(m)), seqs + list(m.values()), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kpm", [False, True])
def test_is_causal(need_weights, kpm):
    # torch ignores the (here deliberately non-causal) attn_mask when is_causal=True, there is
    # no key padding mask and no weights are needed; otherwise the mask is used
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H))
    x = np.random.default_rng(0).standard_normal((S, N, E))
    arrays = [x, _bool((S, S), 4)]
    if kpm:
        arrays.append(_bool((N, S), 5))

    def fn(lib, m, x, mask, *kpm):
        return m(x, x, x, attn_mask=mask, key_padding_mask=kpm[0] if kpm else None,
                 need_weights=need_weights, is_causal=True)
    check_module(g, t, fn, arrays)


def test_eval_no_grad_matches_torch_fast_path():
    # torch takes its fused inference kernel here (eval, no grad, self-attention, batch_first)
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H, batch_first=True),
                       "float32")
    g.eval(), t.eval()
    x = np.random.default_rng(0).standard_normal((N, S, E)).astype(np.float32)
    kpm = _bool((N, S), 1)
    for need in (True, False):
        with torch.no_grad():
            want = t(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm),
                     need_weights=need)
        with gt.no_grad():
            got = g(*[gt.tensor(x)] * 3, key_padding_mask=gt.tensor(kpm), need_weights=need)
        assert_close(got, want, atol=1e-6)


@pytest.mark.parametrize("need_weights", [True, False])
def test_fully_masked_rows(need_weights):
    # torch: NaN rows in the weights path (softmax of all -inf), zeros (then the out-proj
    # bias) in the scaled_dot_product_attention path, with zero gradients there
    g, t = module_pair(lambda lib: lib.nn.MultiheadAttention(E, H))
    x = np.random.default_rng(0).standard_normal((S, N, E))
    kpm = np.zeros((N, S), bool)
    kpm[0] = True
    fn = lambda lib, m, x, kpm: m(x, x, x, key_padding_mask=kpm,  # noqa: E731
                                   need_weights=need_weights)
    if need_weights:
        got, want = fn(gt, g, gt.tensor(x), gt.tensor(kpm)), fn(torch, t, torch.tensor(x),
                                                                  torch.tensor(kpm))
        assert_close(got, want)
        assert np.isnan(got[1].detach().numpy()[0]).all()
    else:
        check_module(g, t, fn, [x, kpm])


@pytest.mark.parametrize("masks", ["", "kpm_float", "attn2_float", "attn3_float",
                                   "attn2_float+kpm_float", "attn3_float+kpm_float"])
def test_merge_masks(masks):
    m = _masks(masks, N, S, S, H)
    results = []
    for lib in (gt, torch):
        mha = lib.nn.MultiheadAttention(E, H, batch_first=True)
        args = {k: lib.tensor(v) for k, v in m.items()}
        results.append(mha.merge_masks(args.get("attn_mask"), args.get("key_padding_mask"),
                                       lib.zeros(N, S, E)))
    assert_close(*results)


def test_docstrings():
    for name in ("glasstorch.ops.attention", "glasstorch.ops.mha",
                 "glasstorch.nn.modules.attention",
                 "glasstorch.nn.modules.transformer", "glasstorch.text.attention",
                 "glasstorch.text.masking"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name


# ---- dropout ---------------------------------------------------------------------------------
def test_dropout_on_attention_weights():
    m = gt.nn.MultiheadAttention(E, H, dropout=0.5)
    x = gt.randn(S, N, E)
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    m.train()
    gt.manual_seed(3)
    _, w = m(x, x, x, average_attn_weights=False)
    gt.manual_seed(3)
    _, w2 = m(x, x, x, average_attn_weights=False)
    w, w_eval = w.detach().numpy(), w_eval.detach().numpy()
    np.testing.assert_array_equal(w, w2.detach().numpy())   # the generator decides the mask
    kept = w != 0
    assert 0.25 < kept.mean() < 0.75
    np.testing.assert_allclose(w[kept], 2 * w_eval[kept], rtol=1e-6)  # scaled by 1/(1-p)
    out, _ = m(x, x, x)
    out.sum().backward()
    assert m.in_proj_weight.grad is not None
    with gt.no_grad():   # p = 1 drops every weight: the output is the out-proj bias
        m.dropout = 1.0
        out, w = m(x, x, x)
        assert not w.detach().numpy().any()


# ---- init, state_dict, repr ------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"kdim": KDIM, "vdim": VDIM}, {"bias": False},
                                {"add_bias_kv": True, "add_zero_attn": True},
                                {"kdim": KDIM, "add_bias_kv": True, "bias": False}])
def test_parameters_state_dict_and_repr(kw):
    g, t = gt.nn.MultiheadAttention(E, H, **kw), torch.nn.MultiheadAttention(E, H, **kw)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    for (n, gp), (_, tp) in zip(g.named_parameters(), t.named_parameters()):
        assert tuple(gp.shape) == tuple(tp.shape), n
    assert repr(g) == repr(t)
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first",
                 "_qkv_same_embed_dim", "add_zero_attn", "dropout"):
        assert getattr(g, attr) == getattr(t, attr), attr
    assert (g.bias_k is None) == (t.bias_k is None)


def test_init_distribution():
    e = 256
    m = gt.nn.MultiheadAttention(e, 4, add_bias_kv=True)
    w = m.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (e + 3 * e))   # xavier_uniform over fan_in = E, fan_out = 3E
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    ow = m.out_proj.weight.detach().numpy()   # Linear's kaiming_uniform(a=sqrt(5))
    assert np.abs(ow).max() <= 1 / math.sqrt(e)
    bk = gt.nn.MultiheadAttention(e, 4, add_bias_kv=True, kdim=e // 2).k_proj_weight
    kb = math.sqrt(6 / (e // 2 + e))
    assert np.abs(bk.detach().numpy()).max() <= kb
    # bias_k (1, 1, E): xavier_normal, fan_in = fan_out = E (torch's fans of a 3-D tensor)
    big = gt.nn.MultiheadAttention(4096, 4, add_bias_kv=True).bias_k.detach().numpy()
    np.testing.assert_allclose(big.std(), math.sqrt(1 / 4096), rtol=0.05)


# ---- errors and warnings -----------------------------------------------------------------------
def _mha(lib, **kw):
    torch.manual_seed(0)
    return lib.nn.MultiheadAttention(E, H, **kw)


@pytest.mark.parametrize("fn", [
    P(lambda lib: lib.nn.MultiheadAttention(E, 3), id="heads-do-not-divide"),
    P(lambda lib: lib.nn.MultiheadAttention(0, 2), id="zero-embed"),
    P(lambda lib: lib.nn.MultiheadAttention(E, 0), id="zero-heads"),
    P(lambda lib: _mha(lib)(*[lib.zeros(2, 3, 4, E)] * 3), id="4d-query"),
    P(lambda lib: _mha(lib)(lib.zeros(S, N, E), lib.zeros(S, E), lib.zeros(S, E)),
      id="3d-query-2d-key"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, E)] * 3, key_padding_mask=lib.zeros(N, S)),
      id="unbatched-2d-kpm"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, key_padding_mask=lib.zeros(S)),
      id="batched-1d-kpm"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, key_padding_mask=lib.zeros(N, S + 1)),
      id="kpm-length"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, key_padding_mask=lib.zeros(N + 1, S)),
      id="kpm-batch"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, attn_mask=lib.zeros(S, S + 1)),
      id="attn2-shape"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, attn_mask=lib.zeros(H, S, S)),
      id="attn3-shape"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, E)] * 3, attn_mask=lib.zeros(1, S, S)),
      id="unbatched-attn3-shape"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, attn_mask=lib.zeros(1, 1, S, S)),
      id="attn4"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3,
                            attn_mask=lib.zeros(S, S, dtype=lib.int64)), id="int-mask"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E)] * 3, is_causal=True), id="causal-no-mask"),
    P(lambda lib: _mha(lib)(lib.zeros(S, N, E), lib.zeros(S, N, E), lib.zeros(S + 1, N, E)),
      id="key-value-shapes"),
    P(lambda lib: _mha(lib)(*[lib.zeros(S, N, E + 1)] * 3), id="embed-dim"),
    P(lambda lib: _mha(lib, kdim=KDIM)(lib.zeros(S, N, E), lib.zeros(S, N, KDIM),
                                       lib.zeros(S + 1, N, E)), id="separate-kv-lengths"),
])
def test_errors(fn):
    check_raises(fn, lib=True)


def test_mismatched_mask_types_warn():
    for lib in (gt, torch):
        m = _mha(lib)
        x = lib.zeros(S, N, E)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                             "attn_mask is deprecated"):
            m(x, x, x, key_padding_mask=lib.zeros(N, S, dtype=lib.bool),
              attn_mask=lib.zeros(S, S))
