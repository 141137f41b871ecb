"""Embedding lookups: F.embedding (rows of a table at integer indices) and F.embedding_bag
(per-bag sum / mean / max of such rows, reduced segment by segment without a Python loop).

The backward of a lookup is a scatter-add of the upstream rows into a zero table, done by the
index-add kernel `add_at` of backend/cpu_kernels.py (sorted once, added in rounds of distinct
rows, or for a small vocabulary as one zero-padded table: torch's summation order either way;
with numba installed, backend/numba_rnn.py's in-order loop, the same bits, 3x faster). Both
directions are ops here (`Embedding` gathers, `EmbeddingDenseBackward` scatters), each one the
other's backward, so second derivatives work. nn.Embedding / nn.EmbeddingBag
(nn/modules/sparse.py) hold the table and call these.
"""
import warnings

from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import Tensor, _make
from ._inplace import _type_word

__all__ = ["embedding", "embedding_bag"]

_INT = (_xp.dtype(_xp.int64), _xp.dtype(_xp.int32))
_MODES = ("sum", "mean", "max")


class Embedding(Op, name="embedding"):
    """y = weight[indices];  dy/dweight = the rows of gy added into zeros at indices (repeats
    add up; none to row padding_idx; divided by each index's count with scale_grad_by_freq)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        if ctx.needs_input_grad[0]:
            ctx.save(indices=indices)
            ctx.num_weights = weight.shape[0]
            ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return _xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, gy):
        gw = EmbeddingDenseBackward.apply(gy, ctx.indices, ctx.num_weights, ctx.padding_idx,
                                          ctx.scale)
        return gw, None, None, None


class EmbeddingDenseBackward(Op, name="embedding_dense_backward"):
    """y = zeros(num_weights, *row) with y[indices[i]] += c_i * gy[i], c_i = 0 at padding_idx,
    1 / count(indices[i]) with scale_grad_by_freq, else 1;  dy/dgy: gg[indices[i]] * c_i."""

    @staticmethod
    def forward(ctx, gy, indices, num_weights, padding_idx, scale_grad_by_freq):
        flat = indices.reshape(-1)
        rows = gy.reshape((flat.size,) + gy.shape[indices.ndim:])
        c = _row_factors(flat, num_weights, padding_idx, scale_grad_by_freq, gy.dtype)
        if c is not None:
            c = c.reshape((-1,) + (1,) * (rows.ndim - 1))
            rows = rows * c
        if ctx.needs_input_grad[0]:
            ctx.save(indices=indices, c=c)
        out = _xp.zeros((num_weights,) + rows.shape[1:], gy.dtype)
        if not _scatter_in_order(out, flat, rows):
            _k.add_at(out, (flat,), rows)
        return out

    @staticmethod
    def backward(ctx, gg):
        ggy = Embedding.apply(gg, ctx.indices, -1, False)
        if ctx.c is not None:
            ggy = ggy * _make(ctx.c.reshape(ctx.indices.shape + ctx.c.shape[1:]))
        return ggy, None, None, None, None


def _scatter_in_order(out, flat, rows):
    """out[flat[i]] += rows[i] by backend/numba_rnn.py's loop when it gives add_at's exact
    bits (numba installed and not deselected: kernels.numba_for_exact): add_at adds each row's
    contributions one by one in order, except when one row repeats more than its _ROUNDS times
    and the padded table would be too large (then it sums the excess first). True if done."""
    from ..backend import kernels, scatter_kernels as sk
    if not kernels.numba_for_exact() or out.dtype not in (_xp.float32, _xp.float64) \
            or rows.dtype != out.dtype or not out.size or not flat.size or flat.min() < 0:
        return False
    counts = _xp.bincount(flat, minlength=out.shape[0])
    most, width = int(counts.max()), out.size // out.shape[0]
    if most > sk._ROUNDS:
        distinct = int(_xp.count_nonzero(counts))
        if (most + 1) * distinct > 4 * flat.size or distinct * width < 16:
            return False                                    # add_at's reduceat rounds
    from ..backend import numba_rnn
    return numba_rnn.scatter_rows(out.reshape(out.shape[0], width), flat,
                                  _xp.ascontiguousarray(rows).reshape(flat.size, width))


def _row_factors(flat, num_weights, padding_idx, scale_grad_by_freq, dtype):
    """The per-lookup gradient factor c_i, or None when every c_i is 1."""
    if padding_idx < 0 and not scale_grad_by_freq:
        return None
    c = _xp.ones(flat.size, dtype)
    if scale_grad_by_freq:
        c /= _xp.bincount(flat, minlength=num_weights)[flat].astype(dtype)
    if padding_idx >= 0:
        c[flat == padding_idx] = 0
    return c


def _indices(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    a = input._data
    if a.dtype not in _INT:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"torch.{_type_word(a.dtype)}Tensor instead (while checking "
                           f"arguments for {op})")
    return a


def _renorm_(weight, indices, max_norm, norm_type):
    """torch.embedding_renorm_: rows of `weight` used by `indices` whose norm_type-norm exceeds
    max_norm are scaled (in place, no autograd) to norm max_norm / (norm + 1e-7) * norm."""
    w = weight._data
    rows = _xp.unique(indices)
    norms = _xp.linalg.norm(w[rows], ord=norm_type, axis=1).astype(_xp.float64)
    big = norms > max_norm
    # scale cast to the table's dtype first: float32 rows are scaled in float32, as torch
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    w[rows[big]] *= scale[:, None]
    # torch: an in-place op on weight, whether or not a row changed
    weight._version_counter[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` (num_embeddings, D) at the integer `input` (*): output (*, D).

    padding_idx: that row gets no gradient. max_norm: rows looked up whose norm_type-norm is
    larger are first rescaled to max_norm, in place in `weight` (as torch). scale_grad_by_freq:
    gradients divided by how often each index occurs in `input`. sparse=True is accepted; the
    gradient is dense (same values).

    Example::

        >>> import glasstorch as torch
        >>> w = torch.arange(6.).view(3, 2)
        >>> torch.nn.functional.embedding(torch.tensor([[2, 0]]), w)
        tensor([[[4., 5.],
                 [0., 1.]]])
    """
    n = weight.shape[0] if weight.ndim else 0
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    a = _indices(input, "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if a.size and n == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive "
                           f"(embedding: {a.size} indices into an empty weight of shape "
                           f"{list(weight.shape)})")
    if a.size and (int(a.min()) < 0 or int(a.max()) >= n):
        if weight.shape[1] == 0:   # torch's take path for an empty weight: another message
            bad = int(a[(a < 0) | (a >= n)].ravel()[0])
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n} "
                               f"(embedding of a weight of shape {list(weight.shape)})")
        bad = int(a[(a < 0) | (a >= n)].ravel()[0])
        raise IndexError(f"index out of range in self (embedding: index {bad} is not in [0, "
                         f"{n}), the rows of a weight of shape {list(weight.shape)})")
    if max_norm is not None:
        _renorm_(weight, a, max_norm, norm_type)
    return Embedding.apply(weight, a, padding_idx, bool(scale_grad_by_freq))


class EmbeddingBag(Op, name="embedding_bag"):
    """y[b] = sum / mean / max of weight[idx[i]] (* per_sample_weights[i]) over the lookups i of
    bag b (0 for an empty bag);  dy/dweight: gy[b] scattered to the bag's rows (divided by the
    bag size for mean; for max only to the first arg-max row of each feature);
    dy/dper_sample_weights[i] = <gy[b], weight[idx[i]]>."""

    @staticmethod
    def forward(ctx, weight, psw, idx, keep, bag, n_bags, n, mode, freq_of):
        # idx, bag: the lookups kept (padding and lookups past the last offset dropped) and
        # their bag, non-decreasing; keep: their positions in the flat input (n lookups);
        # freq_of: all n indices when scale_grad_by_freq (frequencies count every lookup)
        rows = _xp.take(weight, idx, axis=0)
        if psw is not None:
            rows *= psw[keep][:, None]
        out = _xp.zeros((n_bags, weight.shape[1]), weight.dtype)
        ctx.mode = mode
        if not idx.size:   # no lookups: zero output, zero gradients
            ctx.save(idx=idx)   # (empty; saved as torch saves its indices: a second backward
            ctx.bag, ctx.shapes = None, (weight.shape, (n,))   # raises as in torch)
            return out
        starts = _xp.flatnonzero(_xp.concatenate(([True], bag[1:] != bag[:-1])))
        sizes = _xp.diff(_xp.append(starts, idx.size))
        used = bag[starts]
        if mode == "max":
            out[used], arg = _segment_max(rows, starts, sizes, any(ctx.needs_input_grad))
            if arg is not None:
                ctx.save(arg_rows=idx[arg])
        else:
            seg = _xp.add.reduceat(rows, starts, axis=0)
            if mode == "mean":
                seg /= sizes[:, None].astype(seg.dtype)
            out[used] = seg
        if any(ctx.needs_input_grad):
            c = None
            if mode == "mean":
                c = (1 / _xp.repeat(sizes, sizes)).astype(weight.dtype)
            if freq_of is not None:
                counts = _xp.bincount(freq_of, minlength=weight.shape[0])[idx]
                counts = counts.astype(weight.dtype)
                c = (1 / counts) if c is None else c / counts
            ctx.save(idx=idx, keep=keep, bag=bag, used=used, c=c)
            ctx.n, ctx.num_weights = n, weight.shape[0]
            # weight only for the grad of per_sample_weights, as torch: a later in-place
            # change of the table (max_norm in another lookup) must not break this backward
            ctx.weighted = psw is not None
            if ctx.needs_input_grad[1]:
                ctx.save_inputs(0, 1)
            elif ctx.weighted:
                ctx.save_inputs(1)
        return out

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        if ctx.bag is None:
            return *(_make(_xp.zeros(s, gy._data.dtype)) if need[i] else None
                     for i, s in enumerate(ctx.shapes)), *(None,) * 7
        if ctx.mode == "max":
            d = gy.shape[1]
            g = Embedding.apply(gy, ctx.used, -1, False).reshape(-1)
            pos = (ctx.arg_rows * d + _xp.arange(d)).reshape(-1)
            gw = EmbeddingDenseBackward.apply(g, pos, ctx.num_weights * d, -1, False)
            return gw.reshape(ctx.num_weights, d), None, *(None,) * 7
        saved = ctx.saved_tensors if ctx.weighted else ()
        psw = saved[-1] if saved else None
        g = Embedding.apply(gy, ctx.bag, -1, False)          # (kept lookups, D)
        gw = gpsw = None
        if need[1]:
            weight = saved[0]
            per = (g * Embedding.apply(weight, ctx.idx, -1, False)).sum(1)
            gpsw = EmbeddingDenseBackward.apply(per, ctx.keep, ctx.n, -1, False)
        if need[0]:
            if ctx.c is not None:
                g = g * _make(ctx.c[:, None])
            if psw is not None:
                g = g * Embedding.apply(psw, ctx.keep, -1, False)[:, None]
            gw = EmbeddingDenseBackward.apply(g, ctx.idx, ctx.num_weights, -1, False)
        return gw, gpsw, *(None,) * 7


def _segment_max(rows, starts, sizes, need_arg):
    """Max over each segment of rows (segment i: `sizes[i]` rows from `starts[i]`) and, if
    need_arg, the row position of each feature's first maximum (torch's strict > scan)."""
    if (sizes == sizes[0]).all():   # equal bags (2-D input): a reshape, no (N, D) index arrays
        r3 = rows.reshape(sizes.size, int(sizes[0]), rows.shape[1])
        return r3.max(1), (r3.argmax(1) + starts[:, None]) if need_arg else None
    seg = _xp.maximum.reduceat(rows, starts, axis=0)
    if not need_arg:
        return seg, None
    pos = _xp.where(rows == _xp.repeat(seg, sizes, axis=0), _xp.arange(len(rows))[:, None],
                    len(rows))
    return seg, _xp.minimum.reduceat(pos, starts, axis=0)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings, without building the (bags, len, D) tensor.

    input (B, L) holds B bags of L indices (offsets must be None); or input (N,) with offsets
    (B,) giving where each bag starts (offsets (B + 1,) ending with the end of the last bag when
    include_last_offset). per_sample_weights (shape of input) weight each row (mode 'sum' only).
    Lookups of padding_idx are left out of their bag (and of its size, for 'mean'); an empty
    bag gives zeros. Output: (B, D), weight's dtype.

    Example::

        >>> import glasstorch as torch
        >>> w = torch.arange(6.).view(3, 2)
        >>> torch.nn.functional.embedding_bag(torch.tensor([0, 2, 1]), w, torch.tensor([0, 2]))
        tensor([[2., 3.],
                [2., 3.]])
    """
    if weight._data.dtype.kind in "iu" and input._data.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and input.shape != psw.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    a = _indices(input, "embedding_bag")
    if a.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        if a.shape[1] == 0:
            raise RuntimeError("step must be nonzero")   # torch: from its arange(0, N, L)
        o = _xp.arange(0, a.size, a.shape[1])
        include_last_offset = False
        a = a.reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
    elif a.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        o = offsets._data
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {a.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_(weight, a, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    idx, keep, bag, n_bags = _bags(a, o, weight, psw, include_last_offset, padding_idx)
    return EmbeddingBag.apply(weight, psw, idx, keep, bag, n_bags, a.size, mode,
                              a if scale_grad_by_freq else None)


def _bags(a, o, weight, psw, include_last_offset, padding_idx):
    """torch's checks of offsets, indices and padding_idx; then the kept lookups (indices and
    positions), the bag of each, and the number of bags."""
    n_w = weight.shape[0]
    if o.dtype not in _INT:
        raise RuntimeError("Expected tensor for argument #1 'offsets' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"torch.{_type_word(o.dtype)}Tensor instead (while checking "
                           "arguments for embedding_bag)")
    w_dt = weight._data.dtype
    if w_dt.kind != "f":
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the "
                           "following scalar types: Half, BFloat16, Float, Double; but got "
                           f"torch.{_type_word(w_dt)}Tensor instead (while checking arguments "
                           "for embedding_bag)")
    if psw is not None and psw._data.dtype != w_dt:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"torch.{_type_word(w_dt)}Tensor does not equal "
                           f"torch.{_type_word(psw._data.dtype)}Tensor (while checking "
                           "arguments for embedding_bag)")
    if padding_idx is not None:
        if not -n_w <= padding_idx < n_w:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-n_w} "
                               f"through {n_w - 1}, but got {padding_idx}")
        padding_idx %= n_w
    if include_last_offset and o.size < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    starts = o[:-1] if include_last_offset else o
    end = int(o[-1]) if include_last_offset else a.size
    if o.size:
        if int(o[0]) != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                               "mini-batch has to start from position 0. However, got "
                               f"{int(o[0])}")
        if int(o[-1]) > a.size:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {a.size} "
                               f"but got offsets[-1] of {int(o[-1])}")
        if (_xp.diff(o) < 0).any():
            raise RuntimeError("offsets must be non-decreasing (each bag starts where the "
                               "previous one ends or later)")
    bad = _xp.flatnonzero((a < 0) | (a >= n_w))
    if bad.size:
        j = int(bad[0])
        raise RuntimeError(f"Index {j} of input takes value {int(a[j])} which is not in the "
                           f"valid range [0, {n_w})")
    if not starts.size:
        end = 0
    keep = _xp.arange(end)
    if padding_idx is not None:
        keep = keep[a[:end] != padding_idx]
    bag = _xp.searchsorted(starts, keep, side="right") - 1
    return a[keep], keep, bag, starts.size
