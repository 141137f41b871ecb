"""PyTorch's checkpoint format, both ways: read what `torch.save` writes, write what
`torch.load(weights_only=True)` reads. Called by serialization.load (a zip with `*/data.pkl`)
and serialization.save(..., format="torch").

The format (torch/serialization.py, torch/_utils.py): a zip archive (ZIP_STORED) under one
top folder, `archive/` by default:

    archive/data.pkl        the object, pickled (protocol 2); a tensor is the call
                            torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                            requires_grad, OrderedDict()) and its storage a *persistent id*
                            ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
    archive/data/<key>      the raw little-endian bytes of storage <key>
    archive/byteorder       "little";  archive/version "3"; archive/.format_version "1";
    archive/.storage_alignment "64" (each data record starts at a multiple of 64 bytes)

Reading never runs what the pickle names. `_SafeUnpickler.find_class` is an allowlist, the
`weights_only=True` contract of torch.load: tensor and parameter rebuilders, storage types,
dtypes, torch.Size, torch.device, OrderedDict/Counter/set/complex/bytearray and
`_codecs.encode` (protocol 2's form of bytes). Any other global -- `os.system`,
`builtins.eval`, a class of some package -- raises pickle.UnpicklingError before anything is
called. Storages are read only after checking their record size against the declared numel
and the archive's real size, and every tensor view is bounds-checked against its storage.

Writing emits the same opcodes torch does, by pickling with stand-ins (`_Global`) that write
`GLOBAL torch._utils _rebuild_tensor_v2` etc. without importing torch.
"""
import collections
import io
import os
import pickle
import secrets
import zipfile

from . import _dtype
from ._device import device as _device
from .backend import xp as _xp
from .tensor import Tensor, Size, _make

__all__ = ["load_zip", "save"]

# torch storage class name -> glasstorch dtype name (None: a dtype glasstorch lacks)
_STORAGE_DTYPE = {"FloatStorage": "float32", "DoubleStorage": "float64",
                  "HalfStorage": "float16", "LongStorage": "int64", "IntStorage": "int32",
                  "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
                  "BoolStorage": "bool", "BFloat16Storage": None,
                  "ComplexFloatStorage": None, "ComplexDoubleStorage": None,
                  "UntypedStorage": "uint8"}
_DTYPE_STORAGE = {v: k for k, v in _STORAGE_DTYPE.items() if v and k != "UntypedStorage"}
_TORCH_DTYPES = {"float32", "float", "float64", "double", "float16", "half", "int64", "long",
                 "int32", "int", "int16", "short", "int8", "uint8", "bool", "bfloat16",
                 "complex64", "complex128", "cfloat", "cdouble"}


class TorchFormatError(Exception):
    """A damaged or unsupported PyTorch checkpoint (serialization.load adds the file name)."""


# ---- reading ---------------------------------------------------------------------------------
class _StorageType:
    """What `torch.FloatStorage` & co. unpickle to: the element dtype of a storage."""

    def __init__(self, name):
        self.name = name

    def dtype(self):
        dt = _STORAGE_DTYPE[self.name]
        if dt is None:
            raise TorchFormatError(f"holds a tensor of torch.{self.name}, a dtype glasstorch "
                                   "does not have")
        return _dtype._BY_NAME[dt]


def _rebuild_tensor(storage, storage_offset, size, stride):
    arr = storage                                   # a 1-D array of the storage's dtype
    size, stride = tuple(size), tuple(stride)
    if not (isinstance(storage_offset, int) and all(isinstance(n, int) for n in size + stride)
            and len(size) == len(stride) and min(size, default=0) >= 0):
        raise TorchFormatError("is corrupt: a tensor has an invalid size or stride")
    item = arr.dtype.itemsize
    from ._ckpt_decode import _fits
    if not _fits(size, tuple(s * item for s in stride), storage_offset * item, item,
                 arr.size * item):
        raise TorchFormatError(f"is corrupt: a tensor of size {list(size)} and stride "
                               f"{list(stride)} at offset {storage_offset} does not fit in its "
                               f"storage of {arr.size} elements")
    view = _xp.ndarray(size, arr.dtype, buffer=arr, offset=storage_offset * item,
                       strides=tuple(s * item for s in stride))
    return _make(view)           # a view of the storage array: shared storages stay shared


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad and t.dtype.is_floating_point:
        t._requires_grad = True
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError("Weights only load failed: _rebuild_parameter expects a "
                                     f"tensor, got {type(data).__name__}")
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    if new_type is not Tensor:
        raise pickle.UnpicklingError(f"Weights only load failed: tensor subclass {new_type} "
                                     "is not allowed")
    return func(*args)


def _codecs_encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("Weights only load failed: _codecs.encode is allowed "
                                     "only as protocol 2's form of bytes (str, 'latin1')")
    return text.encode("latin1")


def _size(dims=()):
    return Size(dims)


def _allowed(module, name):
    """The object a permitted global stands for, or None."""
    if module == "collections" and name in ("OrderedDict", "Counter"):
        return getattr(collections, name)
    if module == "builtins" and name in ("set", "frozenset", "complex", "bytearray", "slice"):
        return __builtins__[name] if isinstance(__builtins__, dict) else getattr(
            __builtins__, name)
    if module == "_codecs" and name == "encode":
        return _codecs_encode
    if module == "torch._utils":
        return {"_rebuild_tensor_v2": _rebuild_tensor_v2, "_rebuild_tensor": _rebuild_tensor,
                "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter}.get(name)
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch.nn.parameter" and name == "Parameter":
        from .nn.parameter import Parameter
        return Parameter
    if module in ("torch", "torch.storage"):
        if name in _STORAGE_DTYPE:
            return _StorageType(name)
        if name == "Tensor":
            return Tensor
        if name == "Size":
            return _size
        if name == "device":
            return _device
        if name in _TORCH_DTYPES:
            found = getattr(_dtype, name, None)
            if isinstance(found, _dtype.dtype):
                return found
            raise TorchFormatError(f"holds torch.{name}, a dtype glasstorch does not have")
    return None


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, data, load_storage):
        super().__init__(io.BytesIO(data))
        self.load_storage = load_storage

    def find_class(self, module, name):
        # protocol 2 names Python 3's builtins by their Python 2 module (pickle's fix_imports)
        found = _allowed("builtins" if module == "__builtin__" else module, name)
        if found is None:
            raise pickle.UnpicklingError(
                f"Weights only load failed: the checkpoint names the global {module}.{name}, "
                "which is not a tensor, storage, container or primitive. glasstorch.load "
                "never imports or calls it (torch.load(weights_only=True) refuses it too).")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int) and pid[4] >= 0):
            raise pickle.UnpicklingError(f"Weights only load failed: unsupported persistent "
                                         f"id {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        return self.load_storage(key, storage_type.dtype(), numel, location)


def load_zip(zf, archive_size, map_location=None):
    """Load the object of a torch.save zip (already opened as `zf`); `archive_size` in bytes
    bounds every record. `map_location` is None or a callable (storage, location) as in
    serialization.load."""
    pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise TorchFormatError("is not a PyTorch checkpoint (no single <folder>/data.pkl)")
    prefix = pkl[0][:-len("data.pkl")]
    byteorder = _read(zf, prefix + "byteorder", archive_size, 16) if (
        prefix + "byteorder") in zf.namelist() else b"little"
    if byteorder not in (b"little", b"big"):
        raise TorchFormatError(f"is corrupt: byteorder record {byteorder[:16]!r}")
    storages = {}

    def load_storage(key, dt, numel, location):
        if key in storages:
            arr = storages[key]
            if arr.dtype != dt.np or arr.size != numel:
                arr = arr.view(_xp.uint8)[:numel * dt.np.itemsize].view(dt.np)
            return arr
        name = f"{prefix}data/{key}"
        nbytes = numel * dt.np.itemsize
        raw = _read(zf, name, archive_size, nbytes, exact=True)
        arr = _xp.frombuffer(bytearray(raw), dtype=dt.np.newbyteorder(
            "<" if byteorder == b"little" else ">")).astype(dt.np, copy=False)
        if map_location is not None:
            mapped = map_location(_make(arr.view(_xp.uint8)), "cpu")
            if mapped is not None:
                arr = _xp.asarray(mapped._data if isinstance(mapped, Tensor) else mapped)
                arr = arr.view(dt.np) if arr.dtype == _xp.uint8 else arr
        storages[key] = arr
        return arr

    data = _read(zf, pkl[0], archive_size, archive_size)
    try:
        return _SafeUnpickler(data, load_storage).load()
    except TorchFormatError:
        raise
    except pickle.UnpicklingError:
        raise
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            OverflowError, MemoryError) as e:
        raise TorchFormatError(f"is corrupt: data.pkl cannot be unpickled ({type(e).__name__}: "
                               f"{e})") from None


def _read(zf, name, archive_size, limit, exact=False):
    """A record's bytes after checking its declared size (no allocation from a lie)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise TorchFormatError(f"is corrupt: record {name} is missing") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise TorchFormatError(f"is not a PyTorch checkpoint: record {name} is compressed")
    if exact and info.file_size != limit:
        raise TorchFormatError(f"is corrupt: record {name} has {info.file_size} bytes, the "
                               f"pickle declares {limit}")
    if info.file_size > min(limit, archive_size):
        raise TorchFormatError(f"is corrupt: record {name} declares {info.file_size} bytes in "
                               f"an archive of {archive_size}")
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise TorchFormatError(f"is corrupt: record {name} is damaged ({e})") from None


# ---- writing ---------------------------------------------------------------------------------
class _Global:
    """Pickles as `GLOBAL module name`: how torch's own functions and classes are named."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):        # pickle's reduce wants a callable; never called here
        raise TypeError(f"{self.module}.{self.name} is a name in a PyTorch file, not a function")


class _Storage:
    def __init__(self, key, dtype_name, numel):
        self.key, self.dtype_name, self.numel = key, dtype_name, numel


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAM = _Global("torch._utils", "_rebuild_parameter")


class _Pickler(pickle._Pickler):     # the Python pickler: its save_global can be extended
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}           # id(root array) -> (_Storage, root array)

    def save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))

    dispatch[_Global] = save_torch_global
    dispatch[_dtype.dtype] = lambda self, obj: self.save_torch_global(_Global("torch", obj.name))

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _Global("torch", _DTYPE_STORAGE[obj.dtype_name]), obj.key,
                    "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        t = type(obj)
        if isinstance(obj, Tensor):
            if t.__name__ == "Parameter":
                return (_REBUILD_PARAM, (obj.detach(), obj.requires_grad,
                                         collections.OrderedDict()))
            if t is not Tensor and t.__name__ != "Buffer":
                raise TypeError(f"glasstorch.save(format='torch'): cannot save a tensor "
                                f"subclass {t.__name__}")
            storage, offset, stride = self.storage_of(obj._data)
            return (_REBUILD_V2, (storage, offset, tuple(obj.shape), stride,
                                  bool(obj.requires_grad), collections.OrderedDict()))
        if t is Size:
            return (_Global("torch", "Size"), (tuple(obj),))
        if t is _device:
            return (_Global("torch", "device"), (str(obj),))
        return NotImplemented

    def storage_of(self, a):
        """(storage, element offset, element strides): views of one array share a storage."""
        if a.dtype.name not in _DTYPE_STORAGE:
            raise TypeError(f"glasstorch.save(format='torch'): no torch storage for {a.dtype}")
        root = a
        while isinstance(root.base, _xp.ndarray):
            root = root.base
        item = a.dtype.itemsize
        ok = (root.dtype == a.dtype and root.flags.c_contiguous
              and all(s >= 0 and s % item == 0 for s in a.strides))
        if ok:
            start = root.__array_interface__["data"][0]
            delta = a.__array_interface__["data"][0] - start
            ok = delta >= 0 and delta % item == 0
        if not ok:                  # a reinterpreting or negative-stride view: its own copy
            a = root = a.copy()
            delta = 0
        entry = self.storages.get(id(root))
        if entry is None:
            entry = (_Storage(str(len(self.storages)), a.dtype.name, root.size), root)
            self.storages[id(root)] = entry
        return entry[0], delta // item, tuple(s // item for s in a.strides)


def save(obj, f, pickle_protocol=2):
    """Write `obj` (tensors, parameters, containers, primitives) as torch.save would."""
    buf = io.BytesIO()
    p = _Pickler(buf, pickle_protocol)
    p.dump(obj)
    if isinstance(f, (str, os.PathLike)):
        path = os.path.realpath(f)
        tmp = os.path.join(os.path.dirname(path),
                           f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "wb") as out:
                _write_zip(out, "archive", buf.getvalue(), p.storages.values())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        _write_zip(f, "archive", buf.getvalue(), p.storages.values())


def _write_zip(out, prefix, pkl, storages):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        records = [("data.pkl", pkl), (".format_version", b"1"),
                   (".storage_alignment", b"64"), ("byteorder", b"little")]
        records += [(f"data/{s.key}", _le_bytes(root)) for s, root in storages]
        records += [("version", b"3\n")]
        for name, data in records:
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            if name.startswith("data/"):      # pad the local header so the data is aligned
                header_end = out.tell() + 30 + len(info.filename.encode()) + 4
                info.extra = b"FB" + ((-header_end) % 64).to_bytes(2, "little") + \
                    b"Z" * ((-header_end) % 64)
            zf.writestr(info, bytes(data))


def _le_bytes(a):
    a = _xp.ascontiguousarray(a)
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not _xp.little_endian):
        a = a.astype(a.dtype.newbyteorder("<"))
    return memoryview(a).cast("B")
