"""glasstorch.load's second half: the JSON tree of header.json back into objects, tensors as
views into the storages `serialization.py` read and checked (`_fits`: a view stays inside its
buffer), pickled objects through the allowlist of `_safe_globals.py` unless weights_only=False.
`serialization.py` describes the format; `_ckpt_encode.py` is the first half of save.
"""
import base64
import binascii
import collections
import json
import pickle
import sys

from . import _dtype, _safe_globals
from ._ckpt_encode import MAX_DEPTH
from ._device import device as _device
from ._safezip import ZIP_ERRORS as _ZIP_ERRORS, CheckpointError as _CheckpointError
from .backend import xp as _xp
from .tensor import Size, _make

_LE = sys.byteorder == "little"


class _Decoder:
    """Rebuilds the object tree; tensors are views into the loaded storage buffers."""

    def __init__(self, header, buffers, zf, pickle_module, weights_only):
        self.header, self.buffers, self.zf = header, buffers, zf
        self.pickle_module, self.weights_only = pickle_module, weights_only
        self.tensors = {}

    def node(self, x, depth):
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if depth > MAX_DEPTH:
            raise _CheckpointError(f"is corrupt: the saved object nests deeper than {MAX_DEPTH} "
                                   "levels")
        if isinstance(x, dict) and len(x) >= 1:
            try:
                return self.tagged(x, depth + 1)
            except (KeyError, TypeError, ValueError, IndexError, binascii.Error):
                pass
        raise _CheckpointError(f"is corrupt: unreadable entry {json.dumps(x)[:80]} in header.json")

    def tagged(self, x, depth):
        if "list" in x:
            return [self.node(v, depth) for v in x["list"]]
        if "tuple" in x:
            return tuple(self.node(v, depth) for v in x["tuple"])
        if "set" in x:
            return {self.node(v, depth) for v in x["set"]}
        if "dict" in x:
            return {self.node(k, depth): self.node(v, depth) for k, v in x["dict"]}
        if "odict" in x:
            d = collections.OrderedDict((self.node(k, depth), self.node(v, depth))
                                        for k, v in x["odict"])
            if "metadata" in x:
                d._metadata = self.node(x["metadata"], depth)
            return d
        if "tensor" in x:
            return self.tensor(x["tensor"])
        if "float" in x:
            return float({"nan": "nan", "inf": "inf", "-inf": "-inf"}[x["float"]])
        if "counter" in x:
            return collections.Counter({self.node(k, depth): self.node(v, depth)
                                        for k, v in x["counter"]})
        if "bytes" in x:
            return base64.b64decode(x["bytes"], validate=True)
        if "bytearray" in x:
            return bytearray(base64.b64decode(x["bytearray"], validate=True))
        if "complex" in x:
            return complex(self.node(x["complex"][0], depth), self.node(x["complex"][1], depth))
        if "dtype" in x:
            return _dtype._BY_NAME[x["dtype"]]
        if "device" in x:
            return _device(x["device"])
        if "size" in x:
            return Size(int(s) for s in x["size"])
        if "pickle" in x:
            return self.unpickle(int(x["pickle"]), x.get("type", "?"))
        raise KeyError(x)

    def tensor(self, i):
        t = self.tensors.get(i)
        if t is not None:
            return t                    # the same tensor saved twice is one object again
        if type(i) is not int or not 0 <= i < len(self.header["tensors"]):
            raise _CheckpointError(f"is corrupt: tensor {i} has no valid storage")
        meta = self.header["tensors"][i]
        buf = self.buffers[meta["storage"]]
        dt = _dtype._BY_NAME[meta["dtype"]].np
        shape, strides, offset = tuple(meta["shape"]), tuple(meta["strides"]), meta["offset"]
        if not _fits(
                shape, strides, offset, dt.itemsize, buf.size):
            raise _CheckpointError(f"is corrupt: tensor {i} does not fit in its storage")
        arr = _xp.ndarray(shape, dt.newbyteorder("<"), buffer=buf, offset=offset,
                          strides=strides)
        if not _LE:
            arr = arr.astype(dt)        # big-endian hosts get native copies (sharing is lost)
        t = _make(arr)
        if meta.get("requires_grad") and arr.dtype.kind == "f":
            t._requires_grad = True
        if meta.get("parameter"):
            from .nn.parameter import Parameter
            t = Parameter(t, requires_grad=t._requires_grad)
        self.tensors[i] = t
        return t

    def unpickle(self, i, type_name):
        if self.weights_only and not _safe_globals.get_safe_globals():
            raise pickle.UnpicklingError(
                f"Weights only load failed: the checkpoint holds a pickled object of type "
                f"{type_name}. Load it with weights_only=False only if you trust its source: "
                "unpickling can execute arbitrary code.")
        try:
            data = self.zf.read(f"pickles/{i}.pkl")
        except (KeyError,) + _ZIP_ERRORS:
            raise _CheckpointError(f"is corrupt: pickle {i} is missing or damaged") from None
        if self.weights_only:        # only the globals add_safe_globals trusts (+ tensors)
            return _safe_globals.restricted_loads(data)
        return self.pickle_module.loads(data)


def _fits(shape, strides, offset, itemsize, nbytes):
    """Whether a strided view stays inside a buffer of `nbytes` (checked before building it)."""
    if 0 in shape:
        return 0 <= offset <= nbytes
    lo = hi = offset
    for n, s in zip(shape, strides):
        if s < 0:
            lo += s * (n - 1)
        else:
            hi += s * (n - 1)
    return lo >= 0 and hi + itemsize <= nbytes
