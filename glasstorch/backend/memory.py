"""64-byte-aligned array buffers for the kernels' own outputs and work arrays.

Why: glibc's malloc returns 16-byte-aligned memory, so where a NumPy buffer starts within a
64-byte cache line depends on the heap's history: it varies between processes and then
repeats within one (a training step allocates the same sizes in the same order). On this
AVX-512 machine a float32 `add` of three cache-resident 256 KiB arrays takes 7.2 us when they
are 64-byte aligned and 14.5 us when they start 16 bytes into a line (vector loads straddle
two lines); 64 KiB: 2.0 vs 3.8 us. GEMMs are not sensitive (OpenBLAS packs its inputs: within
2%). Measured on whole kernels: BatchNorm2d fwd+bwd on 64x32x32x32 (blocked passes of 256 KiB)
13.0 ms aligned vs 14.1 ms at +16 bytes; the LSTM LM step showed no difference. So this is a
small, per-process-stable effect, not the main cause of the up-to-1.8x variance between
processes (see docs/perf/threads-and-variance.md: BLAS threads' busy-waiting). torch's allocator
aligns to 64.

NumPy's allocator can only be replaced from C, so the hot kernels allocate through here:
one byte buffer 64 bytes larger, sliced to start on a line (the view keeps the buffer alive).
"""
import numpy

__all__ = ["empty", "zeros", "empty_like", "own_aligned", "ALIGNMENT"]

ALIGNMENT = 64
_OFFSET = 0      # bytes past the alignment: tests and benchmarks set 16 to show the effect


def empty(shape, dtype):
    """An uninitialized C-contiguous array whose data starts on a 64-byte boundary."""
    dtype = numpy.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = 1
    for s in shape:
        n *= s
    nbytes = n * dtype.itemsize
    if nbytes < 4 * ALIGNMENT:        # tiny arrays: not worth the extra buffer
        return numpy.empty(shape, dtype)
    buf = numpy.empty(nbytes + 2 * ALIGNMENT, numpy.uint8)
    start = (-buf.ctypes.data) % ALIGNMENT + _OFFSET
    # through a memoryview, so that the array's .base chain ends in it, not in the larger
    # buffer: a Tensor over the result has storage_offset 0 and a storage of exactly its bytes,
    # as torch's (a plain slice of buf showed an offset and 128 extra bytes)
    return numpy.frombuffer(memoryview(buf)[start:start + nbytes], dtype).reshape(shape)


def zeros(shape, dtype):
    a = empty(shape, dtype)
    a.fill(0)
    return a


def empty_like(a):
    return empty(a.shape, a.dtype)


def own_aligned(shape, dtype):
    """A zero-filled C-contiguous array on a 64-byte boundary that is its own storage: its
    `.base` chain ends in a bytearray, not in a larger ndarray, so a Tensor over it has
    storage_offset 0 and an untyped_storage of exactly its bytes, as torch's (unlike `empty`'s
    views). For parameters: a GEMV reads its weight rows with vector loads, and at 16 bytes
    past a line (where glibc leaves half the allocations) a (1, 784) @ (784, 256) product
    takes 10.9 us against 8.9 aligned, (1, 256) @ (256, 256) 4.1 vs 3.4 (same bits)."""
    dtype = numpy.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = 1
    for s in shape:
        n *= s
    if n * dtype.itemsize < 4 * ALIGNMENT:
        return numpy.zeros(shape, dtype)
    buf = bytearray(n * dtype.itemsize + ALIGNMENT)
    start = (-numpy.frombuffer(buf, numpy.uint8).ctypes.data) % ALIGNMENT
    return numpy.frombuffer(buf, dtype, n, start).reshape(shape)
