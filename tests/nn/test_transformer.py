"""nn.TransformerEncoderLayer / DecoderLayer / Encoder / Decoder / Transformer
(nn/modules/transformer.py) against torch with copied weights: outputs and the gradients of the
inputs and every parameter, for every mask (src/tgt/memory masks bool and float, 2-D and 3-D,
key padding masks, is_causal hints and their detection), batch_first and norm_first both ways,
relu / gelu / callable activations, bias=False, unbatched inputs, eval mode (dropout 0.1) and
train mode with dropout 0; deep copies, state_dict keys, reprs, xavier init, the causal mask,
torch's nested-tensor inference path (zeros at padded positions), warnings and errors."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_module, check_raises, module_pair

P = pytest.param
pytestmark = pytest.mark.filterwarnings(  # torch's own warnings (glasstorch's are tested below)
    "ignore:enable_nested_tensor is True", "ignore:Support for mismatched")
D, H, FF, S, T, N = 8, 2, 16, 5, 4, 3


def _seq(n, batch_first, unbatched=False, seed=0):
    rng = np.random.default_rng(seed)
    if unbatched:
        return rng.standard_normal((n, D))
    return rng.standard_normal((N, n, D) if batch_first else (n, N, D))


def _bool(shape, seed, p=0.35):
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False   # every query keeps one key: no fully masked rows
    return m


def _mask(kind, l, s, seed=1, n=N):
    """kind: 'bool', 'float' (-inf where masked, random biases elsewhere), 'bool3' / 'float3'
    ((N*H, l, s)), 'causal' (the square subsequent mask), 'kpm_bool', 'kpm_float' ((N, s),
    or (s,) with n=0: unbatched)."""
    if kind == "causal":
        return np.triu(np.full((l, s), -np.inf), 1)
    if kind.startswith("kpm"):
        shape = (n, s) if n else (s,)
    else:
        shape = (n * H, l, s) if kind.endswith("3") else (l, s)
    m = _bool(shape, seed)
    if "float" in kind:
        return np.where(m, -np.inf, np.random.default_rng(seed + 1).uniform(-1, 0.5, shape))
    return m


def _activation(name):
    """The activation argument in each framework: a string, a function or a module."""
    return {"relu": lambda lib: "relu", "gelu": lambda lib: "gelu",
            "F.gelu": lambda lib: lib.nn.functional.gelu, "GELU()": lambda lib: lib.nn.GELU(),
            "F.relu": lambda lib: lib.nn.functional.relu,
            "tanh": lambda lib: lib.tanh}[name]


# ---- encoder layer ------------------------------------------------------------------------------
ENC_CASES = [  # layer kwargs, activation, masks {forward kwarg: mask kind}, forward kwargs
    P({}, "relu", {}, {}, id="plain"),
    P({"norm_first": True}, "gelu", {}, {}, id="norm-first-gelu"),
    P({}, "F.gelu", {"src_mask": "bool"}, {}, id="gelu-fn-mask-bool"),
    P({"norm_first": True}, "GELU()", {"src_mask": "float"}, {}, id="gelu-module-mask-float"),
    P({}, "tanh", {"src_key_padding_mask": "kpm_bool"}, {}, id="callable-kpm-bool"),
    P({}, "F.relu", {"src_key_padding_mask": "kpm_float"}, {}, id="kpm-float"),
    P({}, "relu", {"src_mask": "bool3", "src_key_padding_mask": "kpm_bool"}, {},
      id="mask3-kpm"),
    P({"norm_first": True}, "relu", {"src_mask": "float3", "src_key_padding_mask": "kpm_float"},
      {}, id="norm-first-mask3-kpm-float"),
    P({}, "relu", {"src_mask": "causal"}, {"is_causal": True}, id="causal"),
    P({}, "relu", {"src_mask": "bool"}, {"is_causal": True}, id="causal-hint-overrides"),
    P({"bias": False}, "gelu", {"src_mask": "float", "src_key_padding_mask": "kpm_float"}, {},
      id="no-bias"),
    P({"dropout": 0.0}, "relu", {"src_mask": "bool", "src_key_padding_mask": "kpm_bool"}, {},
      id="train-dropout0"),
    P({"dropout": 0.0, "norm_first": True, "layer_norm_eps": 1e-3}, "gelu", {}, {},
      id="train-norm-first-eps"),
]


def _forward(names, extra, n_seq=1):
    def fn(lib, m, *args):
        return m(*args[:n_seq], **dict(zip(names, args[n_seq:])), **extra)
    return fn


def _mode(g, t, kw):
    if "dropout" not in kw:   # dropout 0.1 by default: compare in eval mode
        g.eval(), t.eval()


@pytest.mark.parametrize("kw,act,masks,extra", ENC_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(kw, act, masks, extra, batch_first):
    make = lambda lib: lib.nn.TransformerEncoderLayer(  # noqa: E731
        D, H, FF, activation=_activation(act)(lib), batch_first=batch_first, **kw)
    g, t = module_pair(make)
    _mode(g, t, kw)
    arrays = [_seq(S, batch_first)] + [_mask(k, S, S) for k in masks.values()]
    check_module(g, t, _forward(list(masks), extra), arrays)


@pytest.mark.parametrize("masks", [{}, {"src_mask": "float", "src_key_padding_mask": "kpm_bool"}])
def test_encoder_layer_unbatched(masks):
    g, t = module_pair(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0))
    arrays = [_seq(S, False, unbatched=True)] + [_mask(k, S, S, n=0) for k in masks.values()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed mask types warn
        check_module(g, t, _forward(list(masks), {}), arrays)


def test_encoder_layer_float32():
    g, t = module_pair(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0,
                                                                  activation="gelu"), "float32")
    arrays = [_seq(S, False).astype(np.float32), _mask("bool", S, S)]
    check_module(g, t, _forward(["src_mask"], {}), arrays, rtol=1e-4, atol=1e-5)


def test_encoder_layer_attributes():
    for act, code in (("relu", 1), ("gelu", 2), ("F.gelu", 2), ("GELU()", 2), ("tanh", 0)):
        g = gt.nn.TransformerEncoderLayer(D, H, activation=_activation(act)(gt))
        t = torch.nn.TransformerEncoderLayer(D, H, activation=_activation(act)(torch))
        assert g.activation_relu_or_gelu == t.activation_relu_or_gelu == code
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
    assert gt.nn.TransformerEncoderLayer(D, H).activation is gt.nn.functional.relu


# ---- decoder layer ----------------------------------------------------------------------------
DEC_CASES = [  # layer kwargs, activation, masks, forward kwargs
    P({}, "relu", {}, {}, id="plain"),
    P({"norm_first": True}, "gelu", {"tgt_mask": "causal"}, {"tgt_is_causal": True},
      id="norm-first-causal"),
    P({}, "F.gelu", {"tgt_mask": "bool", "memory_mask": "float"}, {}, id="masks"),
    P({}, "relu", {"tgt_key_padding_mask": "kpm_bool", "memory_key_padding_mask": "kpm_bool"},
      {}, id="kpms-bool"),
    P({"norm_first": True}, "tanh", {"tgt_mask": "float3", "memory_mask": "bool3",
                                     "tgt_key_padding_mask": "kpm_float",
                                     "memory_key_padding_mask": "kpm_float"}, {},
      id="all-masks"),
    P({}, "relu", {"memory_mask": "bool"}, {"memory_is_causal": True},
      id="memory-causal-hint"),
    P({"bias": False, "dropout": 0.0}, "gelu", {"tgt_mask": "causal",
                                                "memory_key_padding_mask": "kpm_bool"},
      {"tgt_is_causal": True}, id="train-no-bias"),
]


def _dec_arrays(masks, batch_first, n=N, unbatched=False):
    arrays = [_seq(T, batch_first, unbatched, seed=0), _seq(S, batch_first, unbatched, seed=1)]
    for name, kind in masks.items():
        s = T if name.startswith("tgt") else S
        arrays.append(_mask(kind, T, s, seed=len(arrays), n=n))
    return arrays


@pytest.mark.parametrize("kw,act,masks,extra", DEC_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer(kw, act, masks, extra, batch_first):
    if extra.get("memory_is_causal"):   # the hint is for square memory masks
        masks = {"memory_mask": "bool"}
    make = lambda lib: lib.nn.TransformerDecoderLayer(  # noqa: E731
        D, H, FF, activation=_activation(act)(lib), batch_first=batch_first, **kw)
    g, t = module_pair(make)
    _mode(g, t, kw)
    arrays = _dec_arrays(masks, batch_first)
    if extra.get("memory_is_causal"):
        arrays[1] = _seq(T, batch_first, seed=1)
        arrays[2] = _mask("bool", T, T, seed=9)
    check_module(g, t, _forward(list(masks), extra, n_seq=2), arrays)


def test_decoder_layer_unbatched():
    g, t = module_pair(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0))
    masks = {"tgt_mask": "causal", "memory_key_padding_mask": "kpm_bool"}
    check_module(g, t, _forward(list(masks), {}, n_seq=2),
                 _dec_arrays(masks, False, n=0, unbatched=True))


# ---- stacks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first,norm_first,norm", [
    (False, False, True), (True, False, False), (True, True, True)])
def test_encoder_stack(batch_first, norm_first, norm):
    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, batch_first=batch_first,
                                               norm_first=norm_first)
        return lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(D) if norm else None,
                                         enable_nested_tensor=False)
    g, t = module_pair(make)
    g.eval(), t.eval()
    arrays = [_seq(S, batch_first), _mask("causal", S, S), _mask("kpm_bool", S, S)]
    check_module(g, t, _forward(["mask", "src_key_padding_mask"], {}), arrays)
    check_module(g, t, _forward(["mask"], {"is_causal": True}), arrays[:2])


@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_stack(batch_first):
    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(D, H, FF, batch_first=batch_first)
        return lib.nn.TransformerDecoder(layer, 2, lib.nn.LayerNorm(D))
    g, t = module_pair(make)
    g.eval(), t.eval()
    masks = {"tgt_mask": "causal", "memory_mask": "float", "tgt_key_padding_mask": "kpm_bool",
             "memory_key_padding_mask": "kpm_bool"}
    check_module(g, t, _forward(list(masks), {}, n_seq=2), _dec_arrays(masks, batch_first))


def test_stacks_deep_copy_the_layer():
    layer = gt.nn.TransformerEncoderLayer(D, H, FF)
    enc = gt.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    params = [p for m in enc.layers for p in m.parameters()]
    assert len({id(p) for p in params}) == len(params)
    assert all(p is not q for p, q in zip(layer.parameters(), enc.layers[0].parameters()))
    np.testing.assert_array_equal(enc.layers[2].linear1.weight.detach().numpy(),
                                  layer.linear1.weight.detach().numpy())
    with gt.no_grad():
        enc.layers[0].linear1.weight.add_(1)
    assert not np.allclose(enc.layers[0].linear1.weight.detach().numpy(),
                           enc.layers[1].linear1.weight.detach().numpy())
    dec = gt.nn.TransformerDecoder(gt.nn.TransformerDecoderLayer(D, H, FF), 2)
    t = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF), 2)
    assert list(dec.state_dict()) == list(t.state_dict())
    assert repr(dec) == repr(t)
    assert enc.num_layers == 3 and dec.num_layers == 2


@pytest.mark.parametrize("kw", [
    P({}, id="batch-first-false"),
    P({"batch_first": True, "norm_first": True}, id="norm-first"),
    P({"batch_first": True, "activation": "tanh"}, id="activation"),
    P({"batch_first": True, "layer_norm_eps": 1e-3}, id="ok"),
    P({"batch_first": True, "nhead": 1}, id="odd-heads"),
    P({"batch_first": True, "bias": False}, id="no-bias"),
])
def test_enable_nested_tensor_warning(kw):
    kw = dict(kw)
    nhead = kw.pop("nhead", H)
    act = kw.pop("activation", "relu")
    msgs = []
    for lib in (gt, torch):
        layer = lib.nn.TransformerEncoderLayer(
            D, nhead, FF, activation=_activation(act)(lib), **kw)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            enc = lib.nn.TransformerEncoder(layer, 2)
        msgs.append(([str(x.message) for x in w], enc.use_nested_tensor))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("kpm,grad,zeros", [
    P([[False] * 3 + [True] * 2, [False] * 5, [False] * 4 + [True]], False, True,
      id="left-aligned"),
    P([[False, True, False, True, False]] * 3, False, False, id="not-left-aligned"),
    P([[False] * 3 + [True] * 2] * 3, True, False, id="grad-enabled"),
])
def test_encoder_nested_tensor_path(kpm, grad, zeros):
    # torch's inference path (eval, no grad, batch_first, left-aligned padding) runs the
    # layers on a nested tensor: padded positions come out as 0 (before the final norm)
    outs, state = [], None
    for lib in (torch, gt):
        torch.manual_seed(0)
        enc = lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(D, H, FF, batch_first=True), 2).eval()
        if state is None:
            state = {k: v.numpy() for k, v in enc.state_dict().items()}
        enc.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        x, mask = lib.tensor(_seq(S, True).astype(np.float32)), lib.tensor(np.array(kpm))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # torch: nested tensors are a prototype
            with lib.set_grad_enabled(grad):
                x.requires_grad_(grad)
                outs.append(enc(x, src_key_padding_mask=mask).detach())
    assert_close(outs[1], outs[0], atol=1e-5)
    assert (not outs[1].numpy()[np.array(kpm)].any()) == zeros


# ---- Transformer ---------------------------------------------------------------------------
def _transformer(**kw):
    return lambda lib: lib.nn.Transformer(D, H, 2, 2, FF, **kw)


@pytest.mark.parametrize("kw,masks,extra", [
    P({}, {}, {}, id="plain"),
    P({"batch_first": True, "norm_first": True, "activation": "gelu"},
      {"src_mask": "float", "tgt_mask": "causal", "memory_mask": "bool"}, {}, id="masks"),
    P({}, {"tgt_mask": "causal", "src_key_padding_mask": "kpm_bool",
           "tgt_key_padding_mask": "kpm_bool", "memory_key_padding_mask": "kpm_bool"},
      {"tgt_is_causal": True}, id="padding"),
    P({"batch_first": True, "dropout": 0.0, "bias": False}, {"tgt_mask": "causal"}, {},
      id="train-no-bias"),
])
def test_transformer(kw, masks, extra):
    g, t = module_pair(_transformer(**kw))
    _mode(g, t, kw)
    bf = kw.get("batch_first", False)
    arrays = [_seq(S, bf, seed=0), _seq(T, bf, seed=1)]
    for name, kind in masks.items():
        q = S if name.startswith("src") else T
        k = T if name.startswith("tgt") else S
        arrays.append(_mask(kind, q, k, seed=len(arrays)))
    check_module(g, t, _forward(list(masks), extra, n_seq=2), arrays)


def test_transformer_float32_unbatched():
    g, t = module_pair(_transformer(dropout=0.0), "float32")
    arrays = [_seq(S, False, True).astype(np.float32), _seq(T, False, True, 1).astype(np.float32),
              _mask("causal", T, T).astype(np.float32)]
    check_module(g, t, _forward(["tgt_mask"], {}, n_seq=2), arrays, rtol=1e-4, atol=1e-5)


def test_transformer_structure_and_init():
    g, t = gt.nn.Transformer(D, H, 2, 1, FF), torch.nn.Transformer(D, H, 2, 1, FF)
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)
    assert (g.d_model, g.nhead, g.batch_first) == (D, H, False)
    # xavier_uniform on every matrix: U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    big = gt.nn.Transformer(64, 4, 1, 1, 256)
    for name, p in big.named_parameters():
        w = p.detach().numpy()
        if w.ndim > 1:
            bound = np.sqrt(6 / sum(w.shape))
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound, name
            np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.1, err_msg=name)
    assert not big.encoder.layers[0].self_attn.in_proj_bias.detach().numpy().any()


def test_transformer_custom_encoder_decoder():
    enc = gt.nn.TransformerEncoder(gt.nn.TransformerEncoderLayer(D, H, FF), 1,
                                   enable_nested_tensor=False)
    dec = gt.nn.TransformerDecoder(gt.nn.TransformerDecoderLayer(D, H, FF), 1)
    m = gt.nn.Transformer(D, H, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    assert m(gt.randn(S, N, D), gt.randn(T, N, D)).shape == (T, N, D)


@pytest.mark.parametrize("sz,dtype", [(1, None), (4, None), (3, "float64")])
def test_generate_square_subsequent_mask(sz, dtype):
    got = gt.nn.Transformer.generate_square_subsequent_mask(
        sz, dtype=None if dtype is None else gt.float64)
    want = torch.nn.Transformer.generate_square_subsequent_mask(
        sz, dtype=None if dtype is None else torch.float64)
    assert_close(got, want)


@pytest.mark.parametrize("fn", [
    P(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF)(lib.zeros(S, N, D), lib.zeros(T, N + 1, D)),
      id="batch-mismatch"),
    P(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF, batch_first=True)(
        lib.zeros(N, S, D), lib.zeros(N + 1, T, D)), id="batch-mismatch-batch-first"),
    P(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF)(lib.zeros(S, N, D), lib.zeros(T, N, D + 2)),
      id="d-model"),
    P(lambda lib: lib.nn.TransformerEncoderLayer(D, H, activation="tanh"), id="activation"),
    P(lambda lib: lib.nn.TransformerEncoderLayer(D, 3), id="heads"),
    P(lambda lib: lib.nn.TransformerEncoderLayer(D, H)(
        lib.zeros(S, N, D), src_mask=lib.zeros(S, S, dtype=lib.int64)), id="int-mask"),
])
def test_errors(fn):
    check_raises(fn, lib=True)
