"""Attention ops: the fused attention op and F.scaled_dot_product_attention.

    _Attention                     softmax(q k^T * scale + mask), dropout, @ v in one node with a
                                   hand-written backward (four matmuls and softmax's closed form)
    scaled_dot_product_attention   softmax(q k^T * scale + mask) v (Vaswani et al. 2017, eq. 1),
                                   a composition of existing ops (their gradients follow)

mha.py builds F.multi_head_attention_forward (nn.MultiheadAttention, the Transformer) on
_Attention; d2l's masked_softmax and attention layers are in glasstorch/text/.
"""
import math

from .. import _dtype, random as _random
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp, threads as _threads
from ..tensor import _make
from .dropout import compiled_mask, dropout
from .mask import where
from .softmax import softmax

__all__ = []  # torch has these in nn.functional only (nn/functional.py imports them by name)


class _Attention(Op, name="_attention"):
    """p = softmax(s), s = q k^T * scale + mask;  y = (p * keep) @ v, keep = dropout's mask.
    gv = (p keep)^T gy;  gp = (gy v^T + gw) keep;  gs = p (gp - sum(gp p));  gq = gs k scale,
    gk = gs^T q scale, gmask = gs. Rows whose keys are all masked give p = 0 when `safe` (torch's
    scaled_dot_product_attention) and NaN otherwise (torch's need_weights path).

    Every matrix of the batch is independent, so with 2 threads each thread runs the whole
    forward (or backward) for part of the batch (_split): the same NumPy calls on slices of
    the leading axis, the same bits as one call over the batch."""

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, dropout_p, safe, need_weights):
        xp = ctx.xp
        s = xp.empty(_product_shape(xp, q, k, q.shape[-2], k.shape[-2]), xp.result_type(q, k))
        y = xp.empty(_product_shape(xp, s, v, s.shape[-2], v.shape[-1]), xp.result_type(s, v))
        keep = pd = u = None
        if dropout_p > 0:
            # Bernoulli(1 - p) from the global generator, as ops/dropout.py: one draw for the
            # whole batch, before any split (the compiled mask when it applies, same bits)
            keep = compiled_mask(s.shape, dropout_p, s.dtype)
            if keep is None:
                u = _random.default_generator.rng.random(s.shape, dtype=_xp.float32)
                keep = xp.empty_like(s)
            pd = xp.empty_like(s)
        dead = {}

        def rows(i, j):
            m = mask if mask is None or not _split_along(mask, s) else mask[i:j]
            si = s[i:j]
            xp.matmul(q[i:j], _transposed(xp, k[i:j]), out=si)
            si *= scale
            if m is not None:
                si += m
            # the row max is subtracted so exp cannot overflow; a row of -inf gives -inf - -inf
            # = NaN (torch's softmax) unless `safe` sets its max to 0 and its sum to 1: p = 0
            mx = _row_max(xp, si)
            gone = None
            if safe:
                gone = mx == -math.inf
                if gone.any():
                    mx[gone] = 0
                    dead[i] = gone
                else:
                    gone = None
            with xp.errstate(invalid="ignore"):
                si -= mx
            xp.exp(si, out=si)
            d = _row_sum(xp, si)
            if gone is not None:
                d[gone] = 1
            si /= d
            if u is not None:
                ki = keep[i:j]
                ki[...] = u[i:j] >= dropout_p
                if dropout_p < 1:
                    ki /= 1 - dropout_p
            if keep is not None:
                xp.multiply(si, keep[i:j], out=pd[i:j])
            xp.matmul(si if pd is None else pd[i:j], v[i:j], out=y[i:j])
        _split(q, k, v, s, rows)
        p = s
        if any(ctx.needs_input_grad):
            ctx.save_inputs(0, 1, 2, 3)  # the mask too: the graph backward rebuilds s
            ctx.save(p=p, keep=keep, dead=_gather_dead(xp, dead, s))
            ctx.scale = scale
        if need_weights:
            return y, (p.copy() if pd is None else pd)  # the weights must not alias saved p
        return y

    @staticmethod
    def backward(ctx, gy, gw=None):
        q, k, v, mask = ctx.saved_tensors
        if STATE.enabled:
            return _graph_backward(ctx, gy, gw, q, k, v, mask)
        xp, need = ctx.xp, ctx.needs_input_grad
        p, keep, scale = ctx.p, ctx.keep, ctx.scale
        q, k, v, gy = q._data, k._data, v._data, gy._data
        gw = None if gw is None else gw._data
        grads = need[0] or need[1] or need[3]
        L, S = p.shape[-2:]
        gv = xp.empty(_product_shape(xp, p, gy, S, gy.shape[-1]), xp.result_type(p, gy)) \
            if need[2] else None
        gq = xp.empty(_product_shape(xp, p, k, L, k.shape[-1]), xp.result_type(p, k)) \
            if need[0] else None
        gk = xp.empty(_product_shape(xp, p, q, S, q.shape[-1]), xp.result_type(p, q)) \
            if need[1] else None
        gmask = xp.empty_like(p) if need[3] else None

        def rows(i, j):
            pi, gyi = p[i:j], gy[i:j]
            if gv is not None:
                pd = pi if keep is None else pi * keep[i:j]
                xp.matmul(xp.swapaxes(pd, -1, -2), gyi, out=gv[i:j])
            if grads:
                g = xp.matmul(gyi, _transposed(xp, v[i:j]))  # our buffer: in place
                if gw is not None:
                    g += gw[i:j] if _split_along(gw, p) else gw
                if keep is not None:
                    g *= keep[i:j]
                r = xp.einsum("...j,...j->...", g, pi)[..., None]   # no g * pi temporary
                g -= r
                g *= pi
                if gmask is not None:
                    gmask[i:j] = g
                g *= scale
                if gq is not None:
                    xp.matmul(g, k[i:j], out=gq[i:j])
                if gk is not None:
                    xp.matmul(xp.swapaxes(g, -1, -2), q[i:j], out=gk[i:j])
        if gv is not None or grads:
            _split(q, k, v, p, rows)
        return (_wrap(gq), _wrap(gk), _wrap(gv), _wrap(gmask), None, None, None, None)


def _transposed(xp, a):
    """a's last two dims swapped, as a C-contiguous copy: OpenBLAS multiplies these small
    matrices faster as a plain (NN) product than with a transposed operand (NT), even counting
    the copy: 128 x (35 x 32) @ (32 x 35) 213 -> 172 us."""
    return xp.ascontiguousarray(xp.swapaxes(a, -1, -2))


def _row_max(xp, s):
    """s.max(-1, keepdims=True) (-inf for empty rows). NumPy reduces a short contiguous last
    dim with one inner-loop call per row: a transposed copy and one call per column is faster
    (128 x 35 x 35 scores 192 -> 87 us) and gives the same values (a max has no order)."""
    n = s.shape[-1]
    if not 0 < n <= 64 or not s.flags.c_contiguous:
        return s.max(-1, keepdims=True, initial=-math.inf)
    rows = xp.ascontiguousarray(s.reshape(-1, n).T)
    return xp.maximum.reduce(rows, axis=0).reshape(s.shape[:-1] + (1,))


def _row_sum(xp, s):
    """s.sum(-1, keepdims=True) by einsum, whose inner loop adds a short row faster than the
    reduction machinery (88 -> ~30 us for 128 x 35 x 35); each row is summed alone, so a slice
    of the batch gives the same bits as the whole."""
    return xp.einsum("...j->...", s)[..., None]


def _wrap(a):
    return None if a is None else _make(a)


def _split_along(a, s):
    """Whether `a` (a mask or weights gradient broadcast to s's shape) has s's leading axis."""
    return a.ndim == s.ndim and a.shape[0] == s.shape[0] and s.ndim > 2


def _split(q, k, v, s, rows):
    """rows(i, j) over the leading axis of the (*, L, S) scores s: split over the thread pool
    when q, k and v share it (no broadcasting between them), else one call rows(None, None)
    ([None:None] is the whole array). The work handed to parallel_for is counted in bytes of
    an elementwise pass: per score, two products of E multiply-adds and the softmax (forward:
    1.4 ms serial for 128 x 35 x 35 scores, E = 32)."""
    if s.ndim > 2 and q.ndim == s.ndim and q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        _threads.parallel_for(s.shape[0], rows, s.nbytes * (4 + q.shape[-1] + v.shape[-1]))
    else:
        rows(None, None)


def _product_shape(xp, a, b, rows, cols):
    """The shape of a @ b for (*, rows, .) and (*, ., cols) operands (batch dims broadcast)."""
    return xp.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (rows, cols)


def _gather_dead(xp, dead, s):
    """The rows with every key masked (None when there are none), from the slices' parts."""
    if not dead:
        return None
    if None in dead:
        return dead[None]
    full = xp.zeros(s.shape[:-1] + (1,), bool)
    for i, part in dead.items():
        full[i:i + part.shape[0]] = part
    return full


def _graph_backward(ctx, gy, gw, q, k, v, mask):
    """create_graph=True: the same formulas in recorded ops, with p rebuilt from q and k so
    that second derivatives see how it depends on them."""
    need, scale = ctx.needs_input_grad, ctx.scale
    s = (q @ k.mT) * scale
    if mask is not None:
        s = s + mask
    dead = None if ctx.dead is None else _make(ctx.dead)
    if dead is not None:
        s = where(dead, 0.0, s)
    p = softmax(s, -1)
    if dead is not None:
        p = where(dead, 0.0, p)
    keep = None if ctx.keep is None else _make(ctx.keep)
    pd = p if keep is None else p * keep
    g = gy @ v.mT
    if gw is not None:
        g = g + gw
    if keep is not None:
        g = g * keep
    gs = p * (g - (g * p).sum(-1, keepdim=True))
    return (gs @ k * scale if need[0] else None, gs.mT @ q * scale if need[1] else None,
            pd.mT @ gy if need[2] else None, gs if need[3] else None,
            None, None, None, None)


def _attention(q, k, v, mask, dropout_p, safe, need_weights):
    """(*, L, E), (*, S, E), (*, S, Ev), mask broadcast to (*, L, S) -> (*, L, Ev) [, weights]"""
    return _Attention.apply(q, k, v, mask, 1 / math.sqrt(q.shape[-1]), dropout_p, safe,
                            need_weights)


# ---- F.scaled_dot_product_attention (the composite) ---------------------------------------
def _heads_repeated(x, groups):
    # (*, H, S, E) -> (*, H * groups, S, E), each head repeated `groups` times in place
    # (torch's repeat_interleave along dim -3)
    shape = x.shape
    x = x.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return x.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, scale = 1/sqrt(E) by default.

    query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev). attn_mask: bool (True =
    takes part) or float (added), broadcast to (*, L, S); is_causal masks keys after each
    query; rows with every key masked give 0 (torch's safe softmax), not NaN. enable_gqa
    lets H query heads (dim -3) share H / G key/value heads.
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.ndim} key.dim: {key.ndim} and "
                           f"value.dim: {value.ndim} instead.")
    dt = query._data.dtype
    if key._data.dtype != dt or value._data.dtype != dt:
        names = [_dtype.c_type_name(t._data.dtype)
                 for t in (query, key, value)]
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {names[0]} key.dtype: {names[1]} and value.dtype: "
                           f"{names[2]} instead.")
    if attn_mask is not None and attn_mask._data.dtype not in (_xp.bool_, dt):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           "dtype, but got attn_mask.dtype: "
                           f"{_dtype.c_type_name(attn_mask._data.dtype)} and  "
                           f"query.dtype: {_dtype.c_type_name(dt)} instead.")
    if query.shape[-2] == 0 or value._data.size == 0:
        # torch's math kernel returns here, before any other check: zeros (*, L, Ev), kept in
        # the graph as 0 * (the inputs' sums), so a NaN or inf input gives NaN everywhere
        zeros = _make(_xp.zeros(tuple(query._data.shape[:-1]) + (value._data.shape[-1],), dt))
        return zeros + (value.sum() + key.sum() + query.sum()) * 0
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        attn_mask = _make(_xp.tril(_xp.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    if enable_gqa and query.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in query")
        key, value = _heads_repeated(key, hq // hk), _heads_repeated(value, hq // hv)
    # torch's math kernel: scale q and k by sqrt(scale) each before the product, which keeps
    # q k^T in range for large E (a negative scale goes to q alone)
    if scale is None:   # E == 0: 1 / sqrt(0) is inf in torch's C++
        scale = 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else math.inf
    root = math.sqrt(abs(scale))
    attn = (query * (-root if scale < 0 else root)) @ (key.mT * root)
    if attn_mask is not None:
        if attn_mask._data.dtype == _xp.bool_:
            attn_mask = _make(_xp.where(attn_mask._data, 0, -math.inf).astype(dt))
        attn = attn + attn_mask
    attn = _safe_softmax(attn)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn @ value


def _safe_softmax(x):
    """softmax over the last dim, but 0 (not 0/0 = NaN) for rows that are all -inf (torch).
    Those rows are zeroed before the softmax too, so their gradient is 0, not NaN."""
    dead = (x._data == -math.inf).all(-1, keepdims=True)
    if not dead.any():
        return softmax(x, -1)
    dead = _make(dead)
    return where(dead, 0.0, softmax(where(dead, 0.0, x), -1))
