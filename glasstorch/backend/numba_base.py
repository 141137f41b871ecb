"""The numba decorators and first-call timing that the compiled kernels share
(numba_kernels.py, numba_pool.py)."""
import time
import warnings

import numba

__all__ = ["compile_seconds", "njit"]


def njit(**options):
    """numba.njit(cache=True, **options); where numba finds no writable cache directory (a
    read-only install, NUMBA_CACHE_DIR and the user cache unwritable: numba then raises
    RuntimeError "cannot cache function" on decorating) the kernel is compiled without the
    disk cache, once per process, with a warning: slower first calls, the same results."""
    def decorate(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError as e:
            if "cannot cache" not in str(e):
                raise
            if not _uncached:
                warnings.warn(f"glasstorch's numba kernels compile without a disk cache "
                              f"(set NUMBA_CACHE_DIR to a writable directory): {e}",
                              UserWarning, stacklevel=2)
            _uncached.append(fn.__name__)
            return numba.njit(**options)(fn)
    return decorate


_uncached = []   # kernels compiled without numba's disk cache
_jit = njit(nogil=True)
# a per-(sample, channel) sum over a contiguous run: float64 accumulators whose order LLVM may
# change (reassociation only) so that the loop vectorizes; fixed for a given machine code
_reassoc = njit(nogil=True, fastmath={"reassoc"})
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
