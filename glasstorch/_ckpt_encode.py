"""glasstorch.save's first half: the object to save as a JSON tree plus the raw bytes of its
storages (tensors sharing memory are grouped into one storage). `serialization.py` describes
the format and writes the archive."""
import base64
import collections
import math
import sys

from . import _dtype
from ._device import device as _device
from .backend import xp as _xp, ndarray as _ndarray
from .tensor import Tensor, Size

MAX_DEPTH = 200                     # nesting of containers that load accepts (and save writes)
_U8 = _xp.dtype(_xp.uint8)
_LE = sys.byteorder == "little"


class _Encoder:
    """Turns an object into a JSON tree, collecting tensors (grouped by memory) and pickles."""

    def __init__(self, pickle_module, pickle_protocol):
        self.tensors = []          # header entries, "storage" filled in by storage_bytes()
        self.arrays = []           # the backend array behind each tensor entry
        self.memo = {}             # id(tensor) -> entry index: the same tensor saved once
        self.keep = []             # keeps memoized tensors alive so their ids stay unique
        self.pickles = []          # (type name, bytes)
        self.pickle_module, self.protocol = pickle_module, pickle_protocol
        self.path = set()          # ids of the containers being encoded, to catch cycles

    def node(self, x):
        t = type(x)
        if x is None or t is bool or t is int or t is str:
            return x
        if t is float:
            return x if math.isfinite(x) else {"float": repr(x)}
        if isinstance(x, Tensor):
            return {"tensor": self.tensor(x)}
        if t in (list, tuple, set, frozenset, dict, collections.OrderedDict, collections.Counter):
            return self.container(x, t)
        if t is bytes or t is bytearray:
            return {t.__name__: base64.b64encode(x).decode("ascii")}
        if t is complex:
            return {"complex": [self.node(x.real), self.node(x.imag)]}
        if t is _dtype.dtype:
            return {"dtype": x.name}
        if t is _device:
            return {"device": str(x)}
        if t is Size:
            return {"size": list(x)}
        name = f"{t.__module__}.{t.__qualname__}"
        self.pickles.append((name, self.pickle_module.dumps(x, protocol=self.protocol)))
        return {"pickle": len(self.pickles) - 1, "type": name}

    def container(self, x, t):
        if id(x) in self.path:
            raise ValueError("glasstorch.save: the object contains a reference cycle")
        if len(self.path) >= MAX_DEPTH:
            raise ValueError(f"glasstorch.save: the object nests containers deeper than "
                             f"{MAX_DEPTH} levels (load would refuse it)")
        self.path.add(id(x))
        if t is dict or t is collections.OrderedDict or t is collections.Counter:
            items = [[self.node(k), self.node(v)] for k, v in x.items()]
            out = {{dict: "dict", collections.OrderedDict: "odict"}.get(t, "counter"): items}
            if t is collections.OrderedDict and hasattr(x, "_metadata"):
                out["metadata"] = self.node(x._metadata)
        else:
            out = {{list: "list", tuple: "tuple"}.get(t, "set"): [self.node(v) for v in x]}
        self.path.discard(id(x))
        return out

    def tensor(self, t):
        i = self.memo.get(id(t))
        if i is None:
            arr = _xp.asarray(t._data)
            i = self.memo[id(t)] = len(self.tensors)
            self.keep.append(t)
            self.arrays.append(arr)
            self.tensors.append({
                "storage": None, "dtype": _dtype.from_numpy_dtype(arr.dtype).name,
                "shape": list(arr.shape), "offset": 0, "strides": list(arr.strides),
                "requires_grad": t._requires_grad, "parameter": _is_parameter(t)})
        return i

    def storage_bytes(self):
        """Group tensors by the memory they live in; return one little-endian buffer per group
        and fill in each tensor's storage, offset and strides relative to it."""
        groups = {}
        for i, arr in enumerate(self.arrays):
            key = id(_root(arr)) if arr.size else ("empty", i)
            groups.setdefault(key, []).append(i)
        storages = []
        for members in groups.values():
            storages.append(self.pack(members))
            for i in members:
                self.tensors[i]["storage"] = len(storages) - 1
        return storages

    def pack(self, members):
        arrays = [self.arrays[i] for i in members]
        bounds = [_byte_bounds(a) for a in arrays]
        lo = min(b[0] for b in bounds)
        hi = max(b[1] for b in bounds)
        if len(arrays) == 1 and _save_compact(arrays[0], hi - lo):
            c = arrays[0].astype(arrays[0].dtype.newbyteorder("<"), order="C", copy=False)
            self.tensors[members[0]]["strides"] = list(c.strides)
            return memoryview(c.reshape(-1).view(_U8))     # no copy when already contiguous
        # views of one memory: copy each into a fresh buffer at its own place; bytes that no
        # tensor covers stay zero (nothing else from the process's memory leaks into the file)
        buf = _xp.zeros(hi - lo, _U8)
        for i, a in zip(members, arrays):
            offset = a.__array_interface__["data"][0] - lo
            self.tensors[i]["offset"] = offset
            dst = _xp.ndarray(a.shape, a.dtype.newbyteorder("<"), buffer=buf, offset=offset,
                              strides=a.strides)
            dst[...] = a
        return memoryview(buf)


def _save_compact(a, span):
    """Whether a lone tensor is saved as contiguous bytes: yes when it is contiguous already,
    empty, a strided slice (fewer bytes than its span) or flipped (negative strides); a
    permuted or stride-0 (expanded) view keeps its strides, as in PyTorch."""
    return (a.size == 0 or span > a.nbytes or min(a.strides, default=0) < 0
            or (a.flags.c_contiguous and _LE))


def _is_parameter(t):
    # by name: nn/ sits above this module, so importing it here would invert the layering
    return any(c.__name__ == "Parameter" and c.__module__ == "glasstorch.nn.parameter"
               for c in type(t).__mro__)


def _root(arr):
    """The array that owns the memory `arr` looks into (views chain through `.base`)."""
    while isinstance(arr.base, _ndarray):
        arr = arr.base
    return arr


def _byte_bounds(a):
    """[lo, hi) addresses of the bytes `a` touches, for any (negative or zero) strides."""
    lo = hi = a.__array_interface__["data"][0]
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += s * (n - 1)
        else:
            hi += s * (n - 1)
    return lo, hi + a.itemsize
