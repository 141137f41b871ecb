"""Which kernels the hot loops use: NumPy (the default, always there) or numba (the optional
extra `glasstorch[fast]`), with the same results.

    GLASSTORCH_KERNELS=numba python train.py        # chosen when glasstorch is imported
    glasstorch.backend.set_kernels("numba")         # or at run time ("numpy" to go back)
    glasstorch.backend.get_kernels()                # -> "numpy" | "numba"

A kernel whose results are bit-identical to the NumPy path's (`numba_for_exact()`) uses numba
when it is installed and no choice was made: a program's numbers still never depend on which
packages happen to be importable. The others (sums in another order) run only when chosen.
The numba kernels (backend/numba_kernels.py: im2col with the padding fused in, BatchNorm's
per-channel passes) give bit-identical results where
the NumPy path has no reduction (im2col, the elementwise passes) and BatchNorm statistics
within a few float32 ulps (a sum's order differs: see numba_kernels.py); `exact_kernels()`
gives them to the passes that are bit-identical (BatchNorm's affine maps, relu's gradient),
which so run compiled by default wherever numba is installed. They are compiled on
first use and cached on disk (numba's cache=True: next to the module, or in numba's user cache
directory / NUMBA_CACHE_DIR when that is read-only); `compile_seconds()` tells how long the
first calls took (benchmarks print it).
"""
import os
import sys
import warnings

__all__ = ["set_kernels", "get_kernels", "numba_kernels", "compile_seconds", "numba_for_exact",
           "exact_kernels"]

_NAMES = ("numpy", "numba")
_active = None        # the numba_kernels module when numba is selected, else None
_chosen = False       # set_kernels() or GLASSTORCH_KERNELS made a choice
_installed = None     # numba importable? (numba_for_exact finds out once)
_exact = None         # the numba_kernels module once exact_kernels() loaded it


def _load_numba():
    try:
        from . import numba_kernels
    except ImportError as e:       # numba not installed (or broken): say how to get it
        raise ImportError(f"glasstorch kernels 'numba' need the numba package "
                          f"(pip install 'glasstorch[fast]'): {e}") from None
    if _jit_disabled():
        raise ImportError("glasstorch kernels 'numba' need numba's compiler, and "
                          "NUMBA_DISABLE_JIT is set")
    return numba_kernels


def _jit_disabled():
    """NUMBA_DISABLE_JIT=1 (numba's debugging switch): the kernels would be pure-Python loops
    (and some, written with numba intrinsics, cannot run at all)."""
    import numba
    return bool(numba.config.DISABLE_JIT)


def set_kernels(name):
    """Use the 'numpy' or the 'numba' kernels from now on."""
    global _active, _chosen
    if name not in _NAMES:
        raise ValueError(f"set_kernels expects one of {list(_NAMES)}, but got {name!r}")
    _active = _load_numba() if name == "numba" else None
    _chosen = True


def get_kernels():
    """'numpy' or 'numba': the kernels in use."""
    return "numpy" if _active is None else "numba"


def numba_kernels():
    """The numba kernel module when selected, else None (the ops then take their NumPy path)."""
    return _active


def numba_for_exact():
    """May a kernel whose results are bit-identical to the NumPy path's use numba? Yes when
    numba is selected, or when no choice was made (no set_kernels, no GLASSTORCH_KERNELS) and
    numba is installed: the numbers cannot then depend on which packages are importable.
    jit's batch-1 Linear/ReLU chain (jit/passes/gemv_chain.py) is such a kernel."""
    global _installed
    if _active is not None:
        return True
    if _chosen:
        return False
    if _installed is None:   # asked once: without numba each failed import took ~70 us, and
        try:                 # the ops ask per call (an MLP step ~6 times)
            import numba  # noqa: F401
            _installed = not _jit_disabled()
        except ImportError:
            _installed = False
    return _installed


def exact_kernels():
    """backend/numba_kernels.py when numba_for_exact(), else None: for the passes whose
    numba kernel gives the NumPy path's bits (BatchNorm's affine maps, relu's gradient), which
    then run compiled by default wherever numba is installed."""
    global _exact
    if _active is not None:
        return _active
    if not numba_for_exact():
        return None
    if _exact is None:
        try:
            _exact = _load_numba()
        except ImportError:         # numba importable but broken: the NumPy path, for good
            _exact = False
    return _exact or None


def compile_seconds():
    """Seconds spent compiling (or loading from the cache) the numba kernels used so far
    (those selected, and the bit-identical ones that run by default: numba_rnn.py,
    exact_kernels())."""
    base = sys.modules.get(__package__ + ".numba_base")
    return 0.0 if base is None else base.compile_seconds()


def _from_environment():
    global _chosen
    name = os.environ.get("GLASSTORCH_KERNELS", "").strip().lower()
    if not name:
        return
    _chosen = True
    if name not in _NAMES:
        warnings.warn(f"GLASSTORCH_KERNELS={name!r} is not one of {list(_NAMES)}: using the "
                      "numpy kernels", stacklevel=2)
        return
    try:
        set_kernels(name)
    except ImportError as e:
        warnings.warn(f"{e}; using the numpy kernels", stacklevel=2)


_from_environment()
