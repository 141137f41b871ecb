"""The transposed convolution's forward (conv_transpose, and every conv's input gradient):
col2im(W^T x) in batch chunks, or a flipped-kernel convolution, one GEMM for 1x1 kernels, the
channels-last kernels for strided 2-d ones. Split from conv_kernels.py, whose helpers and
switches (_FLIP, _NHWC_STRIDED, tests patch them there) it reads at call time."""
from ..backend import xp as _xp, cpu_kernels as _k, memory as _mem
from . import conv_kernels as _ck, conv_kernels_nhwc as _nhwc

__all__ = ["conv_t_forward"]


def conv_t_forward(x, w, geometry, groups, out):
    """x (N, Cin, *S), w (Cin, Cout/G, *k) -> y (N, Cout, *out): col2im(W^T x).

    Stride 1 (one group): the same as a convolution of x, padded by d*(k-1) - p, with the
    kernel flipped and its in/out channels swapped; so the input gradient of every stride-1
    conv is an im2col + GEMM like the forward, with no col2im (9 strided adds of a 3x3
    kernel's columns, the costliest pass of a ResNet step). 1x1 kernels: one GEMM."""
    N, Cin = x.shape[:2]
    G = groups
    kshape, size = w.shape[2:], x.shape[2:]
    Cout_g = w.shape[1]
    if _ck._pointwise(geometry, G):
        xm, wt = x.reshape(N, Cin, -1), w.reshape(Cin, Cout_g).T
        ym = _mem.empty((N, Cout_g, xm.shape[2]), x.dtype)
        _ck._per_samples(N, lambda n: _xp.matmul(wt, xm[n], out=ym[n]), ym.nbytes)
        if all(g[1] == 1 for g in geometry) and tuple(out) == tuple(size):
            return ym.reshape((N, Cout_g) + tuple(out))
        y = _xp.zeros((N, Cout_g) + tuple(out), x.dtype)
        sl = tuple(slice(None, g[1] * (n - 1) + 1, g[1]) for g, n in zip(geometry, size))
        y[(slice(None), slice(None)) + sl] = ym.reshape((N, Cout_g) + tuple(size))
        return y
    # the flipped conv copies Cin * k columns per output pixel (im2col), col2im adds back
    # Cout * k: flip when that is not more. Measured: ResNet's 3x3 Cin = Cout convs fwd+bwd
    # 84 -> 71 ms; LeNet's 16 -> 6 channel 5x5 input gradient by flipping made the whole
    # LeNet step 23 -> 28 ms, so it keeps col2im. Not with an inf/nan weight: the flipped conv
    # multiplies it by the zero padding (nan), where torch's kernels never touch the padding.
    if _ck._FLIP and G == 1 and Cin <= Cout_g and all(s == 1 and p <= d * (k - 1)
                                                   for k, s, d, p in geometry) \
            and _xp.isfinite(w).all():
        flipped = w.swapaxes(0, 1)[(slice(None), slice(None))
                                   + (slice(None, None, -1),) * len(kshape)]
        geo = tuple((k, 1, d, d * (k - 1) - p) for k, s, d, p in geometry)
        return _ck.conv_forward(x, _xp.ascontiguousarray(flipped), geo, 1, out)
    # strided 2-d (a stride-2 conv's input gradient): the channels-last kernel's GEMM + col2im
    # adds runs of C values where the NCHW col2im adds runs of n (batch-last) values; with
    # the transposes in and out it still wins: ResNet-small's 32->64 3x3 stride-2 input
    # gradient 20-21 -> ~14 ms, 64->128 10-11 -> ~9 ms (1 thread, batch 64)
    if _ck._NHWC_STRIDED and G == 1 and len(kshape) == 2 \
            and _nhwc.takes(x, w, (Cin, Cout_g), geometry, 1):
        return _nhwc.contiguous(_nhwc.conv_t_forward(x, w, geometry, out))
    wm = w.reshape(G, Cin // G, Cout_g * _ck._prod(kshape)).swapaxes(1, 2)
    y = _xp.empty((N, G * Cout_g) + tuple(out), x.dtype)
    sample_bytes = G * Cout_g * _ck._prod(kshape) * _ck._prod(size) * x.itemsize
    fz = _ck._fused(x, Cout_g * _ck._prod(kshape), Cin, _ck._prod(size)) \
        if G == 1 and len(kshape) == 2 and w.dtype == x.dtype else None
    if fz is not None and N:        # the chunks below, one GIL-free call per thread
        starts = _ck._chunk_starts(N, sample_bytes)
        wt = _xp.ascontiguousarray(w.reshape(Cin, -1))
        _ck._per_slice(len(starts) - 1, N * sample_bytes, lambda i, j: fz.col2im_grad(
            x, wt, geometry, starts, i, j, y, _ck._scratch), joinable=True)
        return y

    def chunk(n):
        xm = _k.batch_last(x[n]).reshape(G, Cin // G, -1)            # (G, Cin/G, S*n)
        cols = _xp.matmul(wm, xm) if G > 1 else wm[0] @ xm[0]
        cols = cols.reshape((G * Cout_g,) + tuple(kshape) + tuple(size) + (n.stop - n.start,))
        if nb is not None:          # the same sums, written straight into y (numba_conv.py)
            nb.col2im(cols, geometry, y[n])
        else:
            y[n] = _k.col2im(cols, geometry, out)
    nb = _ck._numba_conv() if len(kshape) == 2 and x.dtype in _ck._NUMBA_DTYPES else None
    _ck._per_chunk(N, sample_bytes, chunk)
    return y
