"""Opening a checkpoint's zip archive without trusting it: the checks that make a hostile file
fail fast, with a clear error, before anything large is allocated.

    zf = open_zip(fh)      # a zipfile.ZipFile whose members are all safe to read

A zip archive describes itself (the central directory at its end lists each member's name,
method, sizes and position), and all of that can lie. `open_zip` accepts an archive only when
every member is STORED (no compression: a 1 kB "zip bomb" cannot inflate into gigabytes), not
encrypted, has a sane name, and its declared size fits inside the file where the directory
says it starts. After that, reading a member can never allocate more than the file's own size.
Both glasstorch checkpoints and PyTorch's zip checkpoints are STORED archives, so both readers
use this. Problems raise CheckpointError; `glasstorch.load` re-raises it as a RuntimeError
naming the file.
"""
import zipfile

__all__ = ["CheckpointError", "open_zip", "ZIP_ERRORS"]

# what zipfile raises on damaged archives (a flipped compression-method byte: NotImplementedError)
ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, NotImplementedError)
_LOCAL_HEADER = 30        # bytes of a zip local file header before its name and extra field


class CheckpointError(Exception):
    """What is wrong with a checkpoint file, worded to follow its name: "is corrupt: ..."."""


def open_zip(fh):
    """A zipfile.ZipFile over the seekable binary file `fh` once every member passed the
    checks above; raises CheckpointError otherwise (the file is left open, `fh` is the caller's)."""
    start = fh.tell()
    magic = fh.read(4)
    size = fh.seek(0, 2) - start
    fh.seek(start)
    try:
        zf = zipfile.ZipFile(fh)
    except ZIP_ERRORS + (ValueError,):
        if magic == b"PK\x03\x04":
            raise CheckpointError("is corrupt: the zip archive is truncated or damaged") from None
        hint = "; it looks like a pickle, e.g. a legacy PyTorch checkpoint" \
            if magic[:1] == b"\x80" else ""
        raise CheckpointError(f"is not a glasstorch checkpoint (it is not a zip archive{hint})"
                              ) from None
    try:
        _check_members(zf.infolist(), size)
    except CheckpointError:
        zf.close()
        raise
    return zf


def _check_members(infos, size):
    seen, total = set(), 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise CheckpointError(f"is corrupt: the zip archive lists {name!r} twice")
        seen.add(name)
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or \
                "\x00" in name:
            raise CheckpointError(f"is corrupt: the zip archive has an unsafe member name "
                                  f"{name[:80]!r}")
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"is corrupt: zip member {name!r} is compressed (method "
                                  f"{info.compress_type}); checkpoints store members "
                                  "uncompressed")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"is corrupt: zip member {name!r} is encrypted")
        # a STORED member's bytes are its data: both sizes must agree and lie inside the file
        end = info.header_offset + _LOCAL_HEADER + len(info.orig_filename.encode("utf-8",
                                                                                 "replace"))
        if info.compress_size != info.file_size or info.header_offset < 0 or \
                end + info.file_size > size:
            raise CheckpointError(f"is corrupt: zip member {name!r} claims {info.file_size} "
                                  f"bytes, more than the file ({size} bytes) can hold")
        total += info.file_size
        if total > size:
            raise CheckpointError(f"is corrupt: the zip members claim {total} bytes, more "
                                  f"than the file's {size}")
