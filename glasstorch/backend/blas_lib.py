"""NumPy's OpenBLAS, found among the process's loaded libraries, and its knobs: the thread-count
functions (under whatever symbol prefix/suffix the wheel uses), the idle threads' spin time,
the kernel family. backend/threads.py holds the one thread count that drives it."""
import ctypes
import os
import threading

__all__ = ["find_library", "limit_spin", "spin_limit_supported", "corename",
           "BLAS_SPIN_EXPONENT"]


def find_library():
    """NumPy's OpenBLAS (a ctypes CDLL) with its `set`/`get` thread-count functions, found
    under whatever symbol prefix/suffix the wheel uses, or (None, None, None)."""
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.count(" ") >= 5 else ""
                if "openblas" in os.path.basename(path).lower():
                    paths.add(path)
    except OSError:
        return None, None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return lib, setter, getter
    return None, None, None


# OpenBLAS's idle worker threads spin (sched_yield in a loop) for 2^THREAD_TIMEOUT TSC cycles
# after each threaded call before they sleep: 2^28, ~0.1 s, by default. A spinning worker takes
# the second core from glasstorch's pool thread: an LSTM slice (Python and small GEMMs, the
# GIL changing hands every step) right after a threaded GEMM runs far slower. A sleeping one
# costs too: on a KVM guest an idle vCPU halts, and waking the pool thread on it takes longer
# than when a spinner keeps it busy (LeNet's conv regions). Fresh processes at 2 threads,
# real-time priority (an idle core pair; docs/perf/threads-and-variance.md), by exponent
# (~2.6 GHz TSC):
#     exponent          20 (0.4 ms)  22        24       25 (13 ms)  26       28 (0.1 s)
#     LSTM LM (1t 35)   25-28 ms     27-28     30       33-34       37       41-49
#     LeNet (1t 17)     19-20        19-20     19-20    17-18       16-17    16-17
#     ResNet (1t 490)   339-365      354-374   -        334         -        396-407
# Transformer (40-42 ms) and MLP (1.55 ms) do not care. 2^25 is the shortest spin that outlasts
# LeNet's conv part between its threaded GEMMs, the longest that keeps the LSTM faster than at
# one thread.
BLAS_SPIN_EXPONENT = 25


def spin_limit_supported(lib):
    """lib (find_library's) is OpenBLAS's own pthreads build and exports what the spin limit
    needs: openblas_read_env, blas_thread_shutdown_, a get_parallel reporting 1."""
    if lib is None or getattr(lib, "openblas_read_env", None) is None \
            or getattr(lib, "blas_thread_shutdown_", None) is None:
        return False
    parallel = [getattr(lib, f"{prefix}_get_parallel{suffix}", None)
                for prefix in ("scipy_openblas", "openblas") for suffix in ("64_", "")]
    parallel = next((f for f in parallel if f is not None), None)
    return parallel is not None and parallel() == 1


def limit_spin(lib):
    """Set OpenBLAS's spin time to 2^BLAS_SPIN_EXPONENT cycles unless the user chose one
    (OPENBLAS_THREAD_TIMEOUT): the setting is read when OpenBLAS starts its threads, so they
    are stopped here (as OpenBLAS's own fork handler does) and restart with it on the next
    threaded call. Returns whether it was applied: not when another thread is running (it may
    be inside a GEMM, which then waits forever for the stopped threads)."""
    if threading.active_count() > 1 or "OPENBLAS_THREAD_TIMEOUT" in os.environ \
            or not spin_limit_supported(lib):
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(BLAS_SPIN_EXPONENT)
    try:
        lib.openblas_read_env()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]   # children's NumPy: their own default
    lib.blas_thread_shutdown_()
    return True


def corename(lib):
    """OpenBLAS's kernel family in lower case ('skylakex', 'haswell', ...), '' if unknown."""
    for prefix in ("scipy_openblas", "openblas"):
        for suffix in ("64_", ""):
            fn = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            if fn is not None:
                fn.argtypes, fn.restype = [], ctypes.c_char_p
                return fn().decode().strip().lower()
    return ""
