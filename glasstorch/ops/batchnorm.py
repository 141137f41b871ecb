"""batch_norm as one fused op: statistics inside the op, xhat never stored, and the input
gradient as one per-channel affine map of gy and x (nn.functional.batch_norm; the layers are
in nn/modules/normalization.py; layer/group/instance norm share ops/norm.py's op).

Per channel c, over the M = N * prod(S) values of (N, C, *S):

    forward   mean, var = batch statistics (or the running ones in eval),
              y = x * a + b0,   a = w invstd,  b0 = bias - mean a        (one fused pass)
    backward  dbias = sum(gy),  dw = invstd sum(gy (x - mean)),
              gx = a gy + k x + c0,  k = -a invstd dw / M,  c0 = -a dbias / M - k mean
              (eval, fixed statistics: gx = a gy)

which is the closed form (Ioffe & Szegedy 2015, sec. 3) with xhat = (x - mean) invstd
substituted: backward needs only x (kept by the graph anyway) and the per-channel numbers, so
no activation-sized xhat is stored. The passes run over blocks (still in cache for the next
ufunc call of the pass): of (sample, channel) rows for NCHW (_Rows), of whole samples for
channels-last; large inputs split over the thread pool (backend/threads.py), and partial sums
are added in a fixed order, so results do not depend on the thread count. The optional numba
kernels (backend/numba_kernels.py) do each pass in one compiled loop; the affine passes (y and
gx) give the NumPy passes' bits, so they run compiled by default wherever numba is installed
(`_exact`), the sums only when numba is selected. create_graph=True takes a path in recorded
ops.
"""
from .._dtype import type_word
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp, kernels as _kernels, memory as _mem, threads as _threads
from ..tensor import _make
from . import batchnorm_rows as _brows, conv_kernels_nhwc as _nhwc, layout as _layouts
from .batchnorm_rows import _Rows, _exact, _rows_affine, _rows_centered, _rows_sum

__all__ = ["batch_norm"]

_BLOCK_BYTES = 256 << 10     # rows of samples processed together inside one thread's slice


def _blocks(x3, fn, blas=False):
    """Run fn(i, j) over blocks of samples of x3 (N, L, C), split over the thread pool
    (blas: fn calls BLAS, which then runs one thread per slice)."""
    n = x3.shape[0]
    per = max(1, _BLOCK_BYTES // max(x3[0].nbytes, 1))

    def run(i, j):
        for k in range(i, j, per):
            fn(k, min(k + per, j))
    _threads.parallel_for(n, run, x3.nbytes, blas_serial=blas)


def _sum_rows(a, out):
    """out[n] = sum over axis 1 of a (n, L, C): as ones(L) @ a, a BLAS matrix-vector product
    (NumPy's sum over a middle axis adds C-value rows one at a time: 2.45 -> 0.39 ms for a
    64 x 1024 x 32 block)."""
    _xp.matmul(_xp.ones(a.shape[1], a.dtype), a, out=out)


# x3 is (N, C, L), or (N, L, C) for a channels-last input (a view of its NHWC memory, no
# copy) or one with L = 1 (BatchNorm1d's (N, C): C is then contiguous): `axis` is the one
# summed per sample (-1 or 1), per-channel numbers are shaped (C, 1) or (C,) to broadcast
# against it.

def _layout(x):
    """(x3, axis, per-channel shape) of an (N, C, *S) array; channels-last stays so."""
    N, C = x.shape[:2]
    if x.ndim > 2 and not x.flags.c_contiguous and _layouts.channels_last_like(x):
        return _nhwc.nhwc(x).reshape(N, -1, C), 1, (C,)
    if x.size == N * C and x.flags.c_contiguous:
        return x.reshape(N, 1, C), 1, (C,)
    return x.reshape(N, C, -1), -1, (C, 1)


def _as_input(y3, x, axis):
    """The (N, C, *S) result of a pass over x3's layout (row-major when L = 1, as x was)."""
    if axis == 1 and y3.shape[1] > 1:
        return _nhwc.from_nhwc(y3.reshape((x.shape[0],) + x.shape[2:] + (x.shape[1],)))
    return y3.reshape(x.shape)


def _numba(*arrays):
    """The numba kernels (backend/kernels.py) when selected and the arrays suit them (float32
    or float64, C-contiguous), else None: the NumPy passes below."""
    nb = _kernels.numba_kernels()
    if nb is None:
        return None
    for a in arrays:
        if a.dtype not in (_xp.float32, _xp.float64) or not a.flags.c_contiguous:
            return None
    return nb


def _per_samples(x3, fn):
    """fn(i, j) over slices of x3's samples on the thread pool (numba kernels: no blocks)."""
    _threads.parallel_for(x3.shape[0], fn, x3.nbytes, threshold=_brows._SPLIT_BYTES)


def _sums(x3, axis=-1):
    C = x3.shape[2 if axis == 1 else 1]
    nb = _numba(x3)
    if axis == -1 and nb is None:
        R = _Rows(x3)
        return _rows_sum(R, R.x2).reshape(C)
    s = _xp.empty((x3.shape[0], C), x3.dtype)
    if nb is not None:
        _per_samples(x3, lambda i, j: nb.bn_sums(x3[i:j], axis == 1, s[i:j]))
    else:
        _blocks(x3, lambda i, j: _sum_rows(x3[i:j], s[i:j]), blas=True)
    return s.sum(0)


def _centered_sums(x3, mean, other=None, axis=-1):
    """Per channel: sum((x - mean)^2), or sum((x - mean) * other) when other is given."""
    C = x3.shape[2 if axis == 1 else 1]
    nb = _numba(x3, mean) if other is None else None
    if nb is not None:
        s = _xp.empty((x3.shape[0], C), x3.dtype)
        _per_samples(x3, lambda i, j: nb.bn_sums(x3[i:j], axis == 1, s[i:j], mean))
        return s.sum(0)
    if axis == -1:
        R = _Rows(x3)
        if other is None:
            return _rows_centered(R, mean).reshape(C)
        return _rows_centered(R, mean, R.rows(other))[0].reshape(C)
    s = _xp.empty((x3.shape[0], C), x3.dtype)

    def run(i, j):
        d = _xp.subtract(x3[i:j], mean)
        d *= d if other is None else other[i:j]
        _sum_rows(d, s[i:j])
    _blocks(x3, run, blas=True)
    return s.sum(0)


def _affine(x3, a, b, out, axis=-1):
    """out = x3 * a + b (a, b per channel, shaped (C, 1), or (C,) channels-last)."""
    nb = _numba(x3, a, b) or _exact(x3, a, b, out)
    if nb is not None:
        _per_samples(x3, lambda i, j: nb.bn_affine(x3[i:j], a, b, axis == 1, out[i:j]))
        return out
    if axis == -1:
        R = _Rows(x3)
        _rows_affine(R, a, b, R.rows(out))
        return out

    def run(i, j):
        _xp.multiply(x3[i:j], a, out=out[i:j])
        out[i:j] += b
    _blocks(x3, run)
    return out


class NativeBatchNorm(Op, name="batch_norm"):
    """y = (x - mean) invstd w + bias with statistics over all dims but 1 (computed here in
    training, into `stats`); gx = a gy + k x + c0 (module docstring), dw, dbias."""

    @staticmethod
    def forward(ctx, x, w, b, mean, var, training, eps, stats):
        N, C = x.shape[:2]
        x3, axis, ps = _layout(x)
        M = x.size // C if C else 0
        invstd = None
        if training:
            if M:
                mean = (_sums(x3, axis) / M).reshape(ps)
                var = (_centered_sums(x3, mean, axis=axis) / M).reshape(ps)
                if x.dtype == _xp.float32 and not _xp.isfinite(var).all() and \
                        not x.flags.c_contiguous and axis == -1:
                    # torch's kernel for a strided input sums float32 statistics in double:
                    # |x| ~ 1e30 keeps a finite variance (and a float32 invstd ~ 1e-30)
                    # there, not inf and invstd 0 (its contiguous kernels sum in float)
                    x64 = x3.astype(_xp.float64)
                    mean = _sums(x64, axis).reshape(ps) / M
                    var = _centered_sums(x64, mean, axis=axis).reshape(ps) / M
                    invstd = (1 / _xp.sqrt(var + eps)).astype(x.dtype)
                    mean, var = mean.astype(x.dtype), var.astype(x.dtype)
            else:  # an empty batch: torch returns an empty result
                mean, var = _xp.zeros(ps, x.dtype), _xp.ones(ps, x.dtype)
            stats.extend((mean.reshape(C), var.reshape(C)))
        else:
            mean = mean.reshape(ps).astype(x.dtype)
            var = var.reshape(ps).astype(x.dtype)
        if invstd is None:
            invstd = 1 / _xp.sqrt(var + eps)
        a = invstd if w is None else invstd * w.reshape(ps)
        shift = -mean * a if b is None else b.reshape(ps) - mean * a
        need = ctx.needs_input_grad
        if need[0] or need[1] or need[2]:
            ctx.save_inputs(0, 1)
            ctx.save(mean=mean, invstd=invstd, a=a)
            ctx.training, ctx.eps = training, eps
        return _as_input(_affine(x3, a, shift, _mem.empty(x3.shape, x.dtype), axis), x, axis)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        if STATE.enabled:
            return _graph_backward(ctx, gy, x, w)
        need = ctx.needs_input_grad
        x, gy = x._data, gy._data
        N, C = x.shape[:2]
        x3, axis, ps = _layout(x)
        g3 = _nhwc.nhwc(gy).reshape(x3.shape) if axis == 1 else gy.reshape(x3.shape)
        M = x.size // C if C else 0
        nb = _numba(x3, g3, ctx.mean) if M else None
        dw = None
        if nb is not None:      # both sums in one pass over x and gy
            gsum, xgsum = (_xp.empty((N, C), x.dtype) for _ in range(2))
            _per_samples(x3, lambda i, j: nb.bn_backward_sums(
                x3[i:j], g3[i:j], ctx.mean, axis == 1, gsum[i:j], xgsum[i:j]))
            dbias, dw = gsum.sum(0).reshape(ps), xgsum.sum(0).reshape(ps) * ctx.invstd
        elif axis == -1 and M and (need[1] or (need[0] and ctx.training)):
            R = _Rows(x3)       # NCHW: both sums in one pass over x and gy too
            dw, dbias = _rows_centered(R, ctx.mean, R.rows(g3))
            dw = dw * ctx.invstd
        else:
            dbias = _sums(g3, axis).reshape(ps) if M else _xp.zeros(ps, x.dtype)
        if dw is None and (need[1] or (need[0] and ctx.training)):
            dw = (_centered_sums(x3, ctx.mean, g3, axis).reshape(ps) * ctx.invstd if M
                  else _xp.zeros(ps, x.dtype))
        gx = None
        if need[0]:
            a = ctx.a
            if ctx.training and M:
                k = -a * ctx.invstd * dw / M
                c0 = -a * dbias / M - k * ctx.mean
                gx = _mem.empty(x3.shape, x.dtype)

                def run(i, j):
                    _xp.multiply(g3[i:j], a, out=gx[i:j])
                    t = _xp.multiply(x3[i:j], k)
                    t += c0
                    gx[i:j] += t
                nb = nb or _exact(g3, x3, a, k, c0, gx)
                if nb is not None:
                    _per_samples(x3, lambda i, j: nb.bn_input_grad(
                        g3[i:j], x3[i:j], a, k, c0, axis == 1, gx[i:j]))
                elif axis == -1:
                    R = _Rows(x3)
                    _rows_affine(R, a, c0, R.rows(gx), R.rows(g3), k)
                else:
                    _blocks(x3, run)
            else:
                gx = _affine(g3, a, _xp.zeros(ps, x.dtype), _mem.empty(x3.shape, x.dtype),
                             axis)
            gx = _make(_as_input(gx, x, axis))
        return (gx, _make(dw.reshape(C)) if need[1] else None,
                _make(dbias.reshape(C)) if need[2] else None, None, None, None, None, None)


def _graph_backward(ctx, gy, x, w):
    """create_graph=True: the closed form in recorded ops, statistics rebuilt from x, so that
    second derivatives see how they depend on x."""
    need = ctx.needs_input_grad
    dims = (0,) + tuple(range(2, x.dim()))
    bshape = (1, -1) + (1,) * (x.dim() - 2)
    if ctx.training:
        mean = x.mean(dims, keepdim=True)
        invstd = (x.var(dims, correction=0, keepdim=True) + ctx.eps).rsqrt()
    else:
        mean, invstd = _make(ctx.mean.reshape(bshape)), _make(ctx.invstd.reshape(bshape))
    xhat = (x - mean) * invstd
    g = gy if w is None else gy * w.reshape(bshape)
    gx = None
    if need[0]:
        if ctx.training:
            gx = (g - g.mean(dims, keepdim=True)
                  - xhat * (g * xhat).mean(dims, keepdim=True)) * invstd
        else:
            gx = g * invstd
    return (gx, (gy * xhat).sum(dims) if need[1] else None,
            gy.sum(dims) if need[2] else None, None, None, None, None, None)


def _update(buf, stat, momentum):
    """buf = (1 - momentum) buf + momentum stat, in place (a buffer: no autograd)."""
    d = buf._data
    d *= 1 - momentum
    d += momentum * stat.reshape(d.shape)
    buf._version_counter[0] += 1


def mixed_params(x, *params):
    """torch's CPU normalization kernels take parameters (and running statistics) of the
    input's dtype, or float32 ones with a float16 input: that mixed-precision case computes in
    float32 and returns float16 (returns True). Any other mix is torch's RuntimeError."""
    dts = {p._data.dtype for p in params if p is not None}
    if dts <= {x.dtype}:
        return False
    if x.dtype == _xp.float16 and dts == {_xp.dtype(_xp.float32)}:
        return True
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype."
                       if dts == {_xp.dtype(_xp.float32)} else
                       "mixed dtype (CPU): expect parameter to have scalar type of Float")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization over (N, C, *): statistics per channel over N and *. Training uses
    the batch's statistics and moves running_mean/running_var towards them by `momentum`
    (running_var towards the unbiased variance); eval uses the running statistics."""
    shape = tuple(input.shape)
    M = shape[0]
    for s in shape[2:]:
        M *= s
    if training and M == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{type_word(x.dtype)}'")
    C = shape[1] if x.ndim > 1 else 0
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.size != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
    if mixed_params(x, weight, bias, running_mean, running_var):
        return batch_norm(input.float(), running_mean, running_var, weight, bias, training,
                          momentum, eps).to(input.dtype)
    if x.size == 0:         # torch: an empty batch gives an empty output, statistics unchanged,
        y, per_channel = input.clone(), (1, C) + (1,) * (x.ndim - 2)   # weight/bias get zero
        y = y if weight is None else y * weight.reshape(per_channel)    # gradients: x * w + b
        return y if bias is None else y + bias.reshape(per_channel)
    stats = []
    y = NativeBatchNorm.apply(input, weight, bias,
                              None if training else running_mean._data,
                              None if training else running_var._data, training, eps, stats)
    if training:
        mean, var = stats
        if running_mean is not None:
            _update(running_mean, mean, momentum)
        if running_var is not None:
            _update(running_var, var * (M / (M - 1)), momentum)
    return y
