"""torch's F.multi_head_attention_forward (Vaswani et al. 2017, sec. 3.2.2) step by step, as
torch's slow path: in-projection, heads split off the batch, the fused attention op of
attention.py (`_Attention`), heads merged back, out-projection; and torch's helpers for it
(`_canonical_mask`, `_mha_shape_check`, the in-projections), which the modules use too.

nn/modules/attention.py (MultiheadAttention) and transformer.py call these through
nn.functional; read attention.py first (the op and scaled_dot_product_attention).
"""
import math
import warnings

from ..backend import xp as _xp
from ..tensor import _make
from .attention import _attention
from .join import cat
from .linear import linear
from .pad import pad

__all__ = []  # torch has these in nn.functional only (nn/functional.py imports them by name)

# ---- torch's helpers -----------------------------------------------------------------------
def _none_or_dtype(input):
    if input is None:
        return None
    if hasattr(input, "_data"):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked) becomes a float one (-inf where masked, 0 elsewhere); a
    float mask is returned as is, to be added to the attention scores."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if kind == "b":
        m = mask._data
        out = _xp.zeros(m.shape, target_type.np)
        out[m] = -math.inf
        return _make(out)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) inputs, False for unbatched (2-D); torch's AssertionErrors."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v @ w^T + b with w = [w_q; w_k; w_v] (3E, E): one matmul for self-attention
    (q is k is v), two for encoder-decoder attention (k is v), three otherwise."""
    E = q.size(-1)
    if k is v:
        if q is k:
            proj = linear(q, w, b).unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2)
            # unbind, not torch's proj[0], proj[1], proj[2]: one stacked gradient in
            # backward instead of three zero-filled (3, L, N, E) arrays
            return proj.squeeze(-2).contiguous().unbind(0)
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2)
        k, v = kv.squeeze(-2).contiguous().unbind(0)
        return linear(q, w_q, b_q), k, v
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """Separate projections (kdim or vdim differ from embed_dim): w_q (E, E), w_k (E, Ek),
    w_v (E, Ev)."""
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, t, want in (("query weights", w_q, (Eq, Eq)), ("key weights", w_k, (Eq, Ek)),
                          ("value weights", w_v, (Eq, Ev)), ("query bias", b_q, (Eq,)),
                          ("key bias", b_k, (Eq,)), ("value bias", b_v, (Eq,))):
        if t is not None and tuple(t.shape) != want:
            raise AssertionError(f"expecting {name} shape of {want}, but got {t.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


# ---- multi-head attention ------------------------------------------------------------------
def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention (Vaswani et al. 2017, sec. 3.2.2): each of H heads attends with
    its E/H slice of the projected q, k, v; the heads' outputs are concatenated and projected.

    query (L, N, E) or (L, E), key (S, N, Ek), value (S, N, Ev); key_padding_mask (N, S) or
    (S), True / -inf = ignore that key; attn_mask (L, S) or (N*H, L, S), bool or float.
    Returns (output (L, N, E), weights (N, L, S) averaged over heads or (N, H, L, S), None
    when need_weights=False). Weights come with NaN rows where every key is masked (torch's
    softmax); with need_weights=False those rows give 0 (torch's scaled_dot_product_attention).
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:  # run as a batch of one, squeezed again at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    causal = False
    if is_causal and key_padding_mask is None and not need_weights:
        # torch hands is_causal (not the mask) to scaled_dot_product_attention here
        attn_mask, causal = None, True
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    # self-attention with nothing added to the keys: q, k and v stay strided views of the one
    # projection, and their heads go to the attention op as (N, H, L, E/H) batches, which need
    # no contiguous copy of them (torch's layout (N*H, L, E/H) does: a copy forward, one more
    # backward; Transformer step -0.9 ms)
    packed = (not use_separate_proj_weight and query is key and key is value and bias_k is None
              and bias_v is None and not add_zero_attn and static_k is None and static_v is None)
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        if packed:
            q, k, v = linear(query, in_proj_weight, in_proj_bias).unflatten(
                -1, (3, embed_dim)).unbind(2)
        else:
            q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:  # (L, S) -> (1, L, S); (N*H, L, S) as is
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:  # one more key/value: the learned biases
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    if packed:  # (L, N, E) -> (N, H, L, E/H)
        q, k, v = (t.unflatten(-1, (num_heads, head_dim)).permute(1, 2, 0, 3)
                   for t in (q, k, v))
    else:       # heads join the batch: (L, N, E) -> (N*H, L, E/H)
        q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
        k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
        v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:  # one more key/value of zeros
        zeros = _make(_xp.zeros((bsz * num_heads, 1, head_dim), k._data.dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.size(-2)

    if key_padding_mask is not None:  # (N, S) -> (N*H, 1, S), merged into attn_mask
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError("Expected key_padded_mask.shape[0] to be "
                                 f"{bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError("Expected key_padded_mask.shape[1] to be "
                                 f"{src_len}, but got {key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    elif causal:
        attn_mask = _make(_xp.triu(_xp.full((tgt_len, src_len), -math.inf,
                                            q._data.dtype), 1))
    if not training:
        dropout_p = 0.0

    if packed and attn_mask is not None and attn_mask.dim() == 3 \
            and attn_mask.shape[0] == bsz * num_heads:      # (N*H, L, S) -> (N, H, L, S)
        attn_mask = attn_mask.reshape(bsz, num_heads, *attn_mask.shape[1:])
    out = _attention(q, k, v, attn_mask, dropout_p, not need_weights, need_weights)
    if need_weights:
        out, weights = out
    # heads back into the features: (N*H, L, E/H) or (N, H, L, E/H) -> (L*N, E)
    out = (out.permute(2, 0, 1, 3) if packed else out.transpose(0, 1))
    out = out.reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not need_weights:
        return (out if is_batched else out.squeeze(1)), None
    weights = weights.view(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not is_batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights


def _heads(x, static, name, bh, head_dim):
    """(S, N, E) -> (N*H, S, E/H), or the given static keys/values (N*H, S, E/H)."""
    if static is None:
        return x.view(x.shape[0], bh, head_dim).transpose(0, 1)
    if static.size(0) != bh:
        raise AssertionError(f"expecting {name}.size(0) of {bh}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.size(2)}")
    return static
