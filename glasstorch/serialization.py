"""glasstorch.save / glasstorch.load: checkpoints as a zip of JSON + raw bytes, no pickle needed.

A checkpoint is a zip archive (stdlib `zipfile`, ZIP_STORED: no compression) holding

    header.json        {"format": "glasstorch-checkpoint", "version": 1, "byteorder": "little",
                        "root": <node>, "tensors": [...], "storages": [...], "pickles": [...]}
    storages/<i>.bin   the raw little-endian bytes of storage i
    pickles/<i>.pkl    only for objects JSON cannot describe (see "Safety" below)

`root` is the saved object as a tree of JSON values. null, true/false, ints, finite floats and
strings stand for themselves; everything else is a one-key object (two for metadata):
`{"list": [...]}`, `{"tuple": [...]}`, `{"set": [...]}`, `{"dict": [[key, value], ...]}` (keys
are nodes too, so int keys survive), `{"odict": [...], "metadata": <node>}` (an OrderedDict and
its `_metadata`, as in a state_dict), `{"counter": [[key, count], ...]}` (a collections.Counter,
e.g. MultiStepLR's milestones), `{"bytes": "<base64>"}`, `{"bytearray": "<base64>"}`,
`{"float": "nan" | "inf" | "-inf"}`, `{"complex": [re, im]}`, `{"dtype": "float32"}`,
`{"device": "cpu"}`, `{"size": [...]}` (torch.Size), `{"tensor": i}` and
`{"pickle": i, "type": "module.Name"}`.

Tensor i is `{"storage": s, "dtype": "float32", "shape": [...], "offset": bytes, "strides":
[bytes...], "requires_grad": bool, "parameter": bool}` (byte offsets and byte strides into its
storage). Storage s is `{"nbytes": n, "sha256": hex}`. Tensors that share memory when saved (the
same tensor twice, `t` and `t[1:]`, `w` and `w.T`) share one storage: the smallest byte range
covering all of them, so they load as views of one buffer, as in PyTorch. A lone tensor that
covers only part of its range (a strided slice) or has negative strides (a NumPy flip) is
saved contiguously instead. Like PyTorch,
`.grad` and the autograd graph are not saved; a saved non-leaf loads as a leaf.

Integrity: zip's crc32 per member and the header's sha256 per storage are both checked; a
truncated, corrupt or foreign file raises RuntimeError naming the file and the problem.
Nothing in a file is trusted before it is checked (`_safezip.open_zip`, `_check_header`): members
must be STORED and fit in the file, header.json is capped at MAX_HEADER_BYTES and MAX_DEPTH
levels, so a hostile file fails before any allocation larger than the file itself. Saving
to a path is atomic: a temporary file in the same directory, fsync, then os.replace, so an
interrupted save leaves the previous checkpoint intact; the next save to that path removes
the temporary files that killed saves left behind.

Safety: with weights_only=True (the default) loading never unpickles; it builds only the types
above, so a checkpoint from the internet cannot run code. `save` pickles objects it has no JSON
form for (a custom class, a NumPy array...) into pickles/; loading those needs
weights_only=False, which is UNSAFE for untrusted files: unpickling can execute arbitrary code.
"""
import hashlib
import io
import json
import os
import pickle
import re
import secrets
import time
import zipfile

try:
    import fcntl
except ImportError:               # Windows
    fcntl = None

from . import _dtype
from ._device import check_device
from ._ckpt_decode import _Decoder
from ._ckpt_encode import MAX_DEPTH, _Encoder
from ._safezip import ZIP_ERRORS as _ZIP_ERRORS, CheckpointError as _CheckpointError, open_zip
from .backend import xp as _xp
from .tensor import Tensor, _make

from ._safe_globals import add_safe_globals, get_safe_globals, clear_safe_globals, safe_globals

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

FORMAT = "glasstorch-checkpoint"
VERSION = 1
_U8 = _xp.dtype(_xp.uint8)
# limits that keep a hostile file from exhausting memory or the stack (see _check_header)
MAX_HEADER_BYTES = 32 * 2**20       # header.json: ~150 bytes per tensor, so ~200k tensors
MAX_VIEW_BYTES = 2**31              # a tensor may span more than its storage (stride 0) up to this


# ---- save ------------------------------------------------------------------------------------
def save(obj, f, pickle_module=pickle, pickle_protocol=2, *, format="glasstorch"):
    """Save `obj` (tensors, containers of them, plain values) to a path or a binary file object.

    Args:
        obj: a tensor, a state_dict, an optimizer state_dict, or nested dict/OrderedDict/list/
            tuple/set of tensors and int/float/bool/str/None/bytes.
        f: a path (str or os.PathLike; written atomically) or a writable binary file object.
        format: "glasstorch" (this module's format) or "torch": PyTorch's zip + pickle format,
            which real `torch.load(f, weights_only=True)` reads (_torch_format.py).

    Example::

        >>> import io, glasstorch as torch
        >>> buf = io.BytesIO()
        >>> torch.save({"w": torch.ones(2)}, buf)
        >>> _ = buf.seek(0)
        >>> torch.load(buf)["w"]
        tensor([1., 1.])
    """
    if format == "torch":
        from . import _torch_format
        return _torch_format.save(obj, f, pickle_protocol)
    if format != "glasstorch":
        raise ValueError(f"glasstorch.save: format should be 'glasstorch' or 'torch', got "
                         f"{format!r}")
    enc = _Encoder(pickle_module, pickle_protocol)
    root = enc.node(obj)
    storages = enc.storage_bytes()
    header = {"format": FORMAT, "version": VERSION, "byteorder": "little", "root": root,
              "tensors": enc.tensors,
              "storages": [{"nbytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                           for b in storages],
              "pickles": [{"type": t} for t, _ in enc.pickles]}
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(f, header, storages, enc.pickles)
        return
    path = os.path.realpath(f)          # a symlink's target is replaced, as open() would write
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask set the final permissions, as a plain open() would
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if fcntl is not None:      # held until closed: marks the temp file as being written
            fcntl.flock(fd, fcntl.LOCK_EX)
        _remove_stale_temps(directory, name, tmp)
        with os.fdopen(fd, "wb") as out:
            _write_archive(out, header, storages, enc.pickles)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _remove_stale_temps(directory, name, mine):
    """Delete temp files that killed saves to the same path left behind. A save in progress
    holds a lock on its temp file, so only abandoned ones are removed (without flock, e.g. on
    Windows: those untouched for an hour)."""
    pattern = re.compile(re.escape(f".{name}.") + r"[0-9a-f]{8}\.tmp")
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if not pattern.fullmatch(entry) or path == mine:
            continue
        try:
            if fcntl is None:
                if time.time() - os.stat(path).st_mtime > 3600:
                    os.unlink(path)
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(path)
            finally:
                os.close(fd)
        except OSError:           # locked (being written), or already gone
            pass


def _write_archive(out, header, storages, pickles):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        text = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
        _write_member(zf, "header.json", text)
        for i, data in enumerate(storages):
            _write_member(zf, f"storages/{i}.bin", data)
        for i, (_, data) in enumerate(pickles):
            _write_member(zf, f"pickles/{i}.pkl", data)


def _write_member(zf, name, data):
    # a fixed timestamp: the same object always gives the same bytes (reproducible files)
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    # streamed from a memoryview: no extra copy of a large storage
    with zf.open(info, "w", force_zip64=len(data) > 2**31) as w:
        w.write(data)


def _fsync_dir(directory):
    # makes the rename itself durable; not possible on every OS/filesystem, so best effort
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load ------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None):
    """Load an object saved by `glasstorch.save` from a path or a readable binary file object.

    Args:
        map_location: None, "cpu", a device, a dict mapping saved locations to devices, or a
            callable `(storage, location) -> storage | None` called with each storage as a 1-D
            uint8 tensor and "cpu". Only the CPU exists today.
        weights_only: True (default) never unpickles. False also loads objects that `save`
            had to pickle; UNSAFE for untrusted files (unpickling can run arbitrary code).
        mmap: torch maps the file's storages instead of reading them (copy-on-write: writes
            to the loaded tensors never reach the file). glasstorch reads them, which gives
            the same tensors; as in torch, f must then be a file path (ValueError).

    Raises RuntimeError naming the file when it is truncated, corrupt or not a glasstorch
    checkpoint, and pickle.UnpicklingError (as PyTorch) when weights_only=True meets a pickle.
    """
    if weights_only is None:
        weights_only = True  # torch: the default since 2.6
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                return _load(fh, map_location, pickle_module or pickle, weights_only)
        if not (hasattr(f, "seekable") and f.seekable()):
            f = io.BytesIO(f.read())
        return _load(f, map_location, pickle_module or pickle, weights_only)
    except _CheckpointError as e:
        raise RuntimeError(f"{name} {e}") from None
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(f"{name}: {e}") from None


def _load(fh, map_location, pickle_module, weights_only):
    start = fh.tell()
    with open_zip(fh) as zf:
        names = set(zf.namelist())
        if "header.json" not in names and any(n.endswith("/data.pkl") for n in names):
            from . import _torch_format       # a torch.save file: its own restricted reader
            size = fh.seek(0, io.SEEK_END) - start
            try:
                return _torch_format.load_zip(zf, size, _map_location(map_location))
            except _torch_format.TorchFormatError as e:
                raise _CheckpointError(str(e)) from None
        if "header.json" not in names:
            torch_like = any(n.endswith("/data.pkl") for n in names)
            raise _CheckpointError("is not a glasstorch checkpoint (no header.json" + (
                "; it looks like a PyTorch checkpoint)" if torch_like else ")"))
        header = _read_header(zf)
        loc = _map_location(map_location)
        buffers = [_read_storage(zf, i, s, loc) for i, s in enumerate(header["storages"])]
        dec = _Decoder(header, buffers, zf, pickle_module, weights_only)
        return dec.node(header["root"], 0)


def _read_header(zf):
    size = zf.getinfo("header.json").file_size
    if size > MAX_HEADER_BYTES:
        raise _CheckpointError(f"is corrupt: header.json has {size} bytes (at most "
                               f"{MAX_HEADER_BYTES} are accepted)")
    try:
        header = json.loads(zf.read("header.json"))
    except _ZIP_ERRORS + (ValueError,):    # ValueError: JSON (or UTF-8) decoding failed
        raise _CheckpointError("is corrupt: header.json is damaged") from None
    except RecursionError:
        raise _CheckpointError(f"is corrupt: header.json nests deeper than {MAX_DEPTH} levels"
                               ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _CheckpointError("is not a glasstorch checkpoint (header.json has another format)")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise _CheckpointError(f"was written by a newer glasstorch (format version "
                               f"{header.get('version')}; this one reads up to {VERSION})")
    for key in ("root", "tensors", "storages"):
        if key not in header:
            raise _CheckpointError(f"is corrupt: header.json has no {key!r}")
    _check_header(header)
    return header


def _check_header(header):
    """Every field the loader reads has the right type and range (a bare TypeError or a
    huge allocation later would not say what is wrong)."""
    def bad(what):
        raise _CheckpointError(f"is corrupt: header.json has {what}")

    def is_int(v, lo=0):
        return type(v) is int and v >= lo

    storages, tensors = header["storages"], header["tensors"]
    if not isinstance(storages, list) or not isinstance(tensors, list):
        bad("'storages' or 'tensors' that is not a list")
    if not isinstance(header.get("pickles", []), list):
        bad("'pickles' that is not a list")
    for i, st in enumerate(storages):
        if not (isinstance(st, dict) and is_int(st.get("nbytes"))
                and isinstance(st.get("sha256"), str)):
            bad(f"a malformed entry for storage {i}")
    for i, t in enumerate(tensors):
        if not isinstance(t, dict) or not is_int(t.get("storage")) or \
                t["storage"] >= len(storages) or t.get("dtype") not in _dtype._BY_NAME or \
                not isinstance(t.get("shape"), list) or not isinstance(t.get("strides"), list) \
                or len(t["shape"]) != len(t["strides"]) or not is_int(t.get("offset")) or \
                not all(is_int(n) for n in t["shape"]) or \
                not all(is_int(s, -2**62) for s in t["strides"]):
            bad(f"a malformed entry for tensor {i}")
        nbytes = _dtype._BY_NAME[t["dtype"]].np.itemsize
        for n in t["shape"]:
            nbytes *= n
        if nbytes > max(MAX_VIEW_BYTES, storages[t["storage"]]["nbytes"]):
            bad(f"tensor {i} of shape {t['shape'][:8]} ({nbytes} bytes) viewing a storage of "
                f"{storages[t['storage']]['nbytes']} bytes")


def _read_storage(zf, i, meta, loc):
    member = f"storages/{i}.bin"
    try:
        nbytes, digest = int(meta["nbytes"]), meta["sha256"]
        info = zf.getinfo(member)
    except (KeyError, TypeError, ValueError):
        raise _CheckpointError(f"is corrupt: storage {i} is missing") from None
    if info.file_size != nbytes:
        raise _CheckpointError(f"is corrupt: storage {i} has {info.file_size} bytes, the "
                               f"header says {nbytes}")
    buf = _xp.empty(nbytes, _U8)
    try:
        with zf.open(info) as r:
            got = r.readinto(memoryview(buf))
            tail = r.read(1)          # reaching EOF makes zipfile compare the crc32
    except _ZIP_ERRORS as e:
        what = "checksum mismatch" if "CRC" in str(e) else "damaged zip entry"
        raise _CheckpointError(f"is corrupt: {what} for storage {i}") from None
    if got != nbytes or tail:
        raise _CheckpointError(f"is corrupt: storage {i} is truncated")
    if hashlib.sha256(buf).hexdigest() != digest:
        raise _CheckpointError(f"is corrupt: checksum mismatch for storage {i}")
    if loc is not None:
        mapped = loc(_make(buf), "cpu")
        if mapped is not None:
            buf = _xp.asarray(mapped._data if isinstance(mapped, Tensor) else mapped)
            if buf.dtype != _U8 or buf.shape != (nbytes,):
                raise RuntimeError("map_location must return the storage it was given (a 1-D "
                                   f"uint8 tensor of {nbytes} bytes) or None")
    return buf


def _map_location(map_location):
    """None or a callable for the storages; raises for devices that do not exist."""
    if callable(map_location):
        return map_location
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
    check_device(map_location)
    return None
