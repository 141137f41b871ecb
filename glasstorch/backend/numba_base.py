"""The numba decorators and first-call timing that the compiled kernels share
(numba_kernels.py, numba_pool.py)."""
import time

import numba

__all__ = ["compile_seconds"]

_jit = numba.njit(cache=True, nogil=True)
# a per-(sample, channel) sum over a contiguous run: float64 accumulators whose order LLVM may
# change (reassociation only) so that the loop vectorizes; fixed for a given machine code
_reassoc = numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
_seen = set()
_compile = [0.0]


def compile_seconds():
    return _compile[0]


def _call(kernel, *args):
    """kernel(*args), timing the first call per (kernel, dtype): numba compiles then."""
    key = (kernel, args[0].dtype)
    if key in _seen:
        return kernel(*args)
    t0 = time.perf_counter()
    result = kernel(*args)
    _compile[0] += time.perf_counter() - t0
    _seen.add(key)
    return result
