"""Tensors in shared memory: `Tensor.share_memory_()` and `Module.share_memory()`.

A shared tensor's data lives in an anonymous file (Linux `O_TMPFILE` in /dev/shm, so nothing
is left behind when the process ends) mapped with `mmap(MAP_SHARED)`:
- a child made by `fork` inherits the mapping: both processes see the same bytes (Hogwild!);
- a child made by `spawn` (or anything that pickles the tensor) gets a small handle,
  `/proc/<pid>/fd/<fd>` plus dtype, shape, strides and offset, and maps the same file.
  The creating process must still be alive when the handle is opened, as in PyTorch's
  file-descriptor strategy.
Views of a shared tensor (`w[0]`, `w.T`) are shared too: pickling sends their offset.
"""
import mmap
import os
import tempfile

from ..backend import xp as _xp

__all__ = ["share_array", "is_shared_array", "reduce_shared", "SHM_DIR"]

SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
# id(mmap) -> (mmap, path other processes open); the maps live as long as this process
_MAPS = {}


def _new_map(nbytes):
    size = max(nbytes, 1)            # mmap cannot map 0 bytes
    try:
        fd = os.open(SHM_DIR, os.O_RDWR | os.O_TMPFILE, 0o600)
    except (AttributeError, OSError):    # no O_TMPFILE: a named file, unlinked at once
        fd, name = tempfile.mkstemp(prefix="glasstorch-shm-", dir=SHM_DIR)
        os.unlink(name)
    os.ftruncate(fd, size)
    m = mmap.mmap(fd, size)
    _MAPS[id(m)] = (m, f"/proc/{os.getpid()}/fd/{fd}")
    return m


def _open_map(path, size):
    key = ("path", path)
    if key in _MAPS:
        return _MAPS[key][0]
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, size)
    _MAPS[id(m)] = (m, f"/proc/{os.getpid()}/fd/{fd}")
    _MAPS[key] = (m, path)           # the same handle twice maps once: views stay views
    return m


def _root(a):
    while isinstance(a.base, _xp.ndarray):
        a = a.base
    return a


def _map_of(a):
    """(mmap, path) behind array `a`, or None when `a` is ordinary memory."""
    base = _root(a).base
    obj = base.obj if isinstance(base, memoryview) else base
    return _MAPS.get(id(obj)) if isinstance(obj, mmap.mmap) else None


def is_shared_array(a):
    return _map_of(a) is not None


def share_array(a):
    """A copy of array `a` in shared memory (same dtype, shape; C-contiguous)."""
    if is_shared_array(a):
        return a
    m = _new_map(a.nbytes)
    out = _xp.frombuffer(m, dtype=a.dtype, count=a.size).reshape(a.shape)
    out[...] = a
    return out


def _rebuild(path, size, dtype, shape, strides, offset):
    m = _open_map(path, size)
    return _xp.ndarray(shape, _xp.dtype(dtype), buffer=m, offset=offset, strides=strides)


def reduce_shared(a):
    """(callable, args) that rebuild array `a` over the same shared memory in another process."""
    m, path = _map_of(a)
    start = _xp.frombuffer(m, dtype=_xp.uint8).__array_interface__["data"][0]
    offset = a.__array_interface__["data"][0] - start
    return _rebuild, (path, len(m), a.dtype.str, a.shape, a.strides, offset)
