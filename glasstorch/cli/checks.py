"""Checks the commands run on their inputs before doing any work, so that every bad input
ends in one line naming the problem (CLIError), never in a traceback, a hang or a confident
answer computed from garbage."""
import errno
import json
import math
import os
import tempfile

from .common import CLIError

__all__ = ["at_least", "finite", "seed", "image_array", "fresh_run_dir", "writable_dir",
           "finite_outputs", "resumed_config"]


def at_least(name, value, low=1):
    """An int option (--batch-size, --samples...) that must be >= low."""
    if value is not None and value < low:
        raise CLIError(f"--{name.replace('_', '-')} must be >= {low}, got {value}")
    return value


def finite(name, value, low=None, high=None, low_open=False):
    """A float option that must be a finite number in [low, high] ((low, high] if low_open)."""
    if value is None:
        return value
    flag = f"--{name.replace('_', '-')}"
    if not math.isfinite(value):
        raise CLIError(f"{flag} must be a finite number, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise CLIError(f"{flag} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and value > high:
        raise CLIError(f"{flag} must be <= {high:g}, got {value:g}")
    return value


def seed(value):
    """torch.manual_seed's range: a 64-bit integer."""
    if value is not None and not -2**63 <= value < 2**64:
        raise CLIError(f"--seed must fit in 64 bits (between {-2**63} and {2**64 - 1}), got "
                       f"{value}")
    return value


def image_array(a, path):
    """A .npy image: real numbers (not complex, not objects), not empty, all finite."""
    if a.dtype.kind not in "buif":
        raise CLIError(f"cannot read image {path}: expected real numbers, got dtype {a.dtype}")
    if a.size == 0:
        raise CLIError(f"cannot read image {path}: the array is empty (shape {a.shape})")
    if a.dtype.kind == "f" and not bool(__import__("numpy").isfinite(a).all()):
        raise CLIError(f"cannot read image {path}: it contains NaN or infinite values")
    return a


def fresh_run_dir(run_dir):
    """The run folder of a new run: refuse one that already holds files (a previous run would
    be overwritten: continue it with --resume or choose another --out) or that cannot be
    created. Nothing is created here, so a run failing on a later check leaves no folder."""
    if os.path.isdir(run_dir) and os.listdir(run_dir):
        raise CLIError(f"run folder {run_dir} already exists and is not empty: continue it with "
                       f"--resume {run_dir}, or choose another --out")
    return writable_dir(run_dir)


_WHY = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded", errno.ENOTDIR: "not a directory"}


def writable_dir(out, what="the run folder"):
    """An output folder (--out) that is, or can be made, a writable directory; else one line
    naming the path and why not: a file is in the way, permission denied, read-only file
    system, no space left. Probed by making (and removing) a temporary folder in the nearest
    existing ancestor, so a failing run leaves nothing behind."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"cannot write {what} {out}: it is a file, not a directory")
    parent = os.path.abspath(out)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise CLIError(f"cannot write {what} {out}: {parent} is a file, not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".glasstorch-probe-", dir=parent))
    except OSError as e:
        why = _WHY.get(e.errno) or (e.strerror or str(e)).lower()
        raise CLIError(f"cannot write {what} {out}: {why} (in {parent})") from None
    return out


def finite_outputs(t, what):
    """Refuse to report numbers computed from NaN/inf (e.g. NaN weights in a checkpoint)."""
    import glasstorch as torch
    if not bool(torch.isfinite(t).all()):
        raise CLIError(f"{what} are not finite numbers (NaN or inf): the checkpoint's weights "
                       "or the inputs are broken")
    return t


def resumed_config(resume, error=CLIError):
    """(run folder, its config.json as a dict) of `--resume RUN` (a run folder or a checkpoint
    in one); one line saying what is missing or broken otherwise."""
    run_dir = resume if os.path.isdir(resume) else os.path.dirname(resume)
    if not os.path.exists(resume):
        raise error(f"cannot resume from {resume}: no such run folder or checkpoint")
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        raise error(f"cannot resume from {resume}: no config.json in {run_dir or '.'} (not a "
                    "run folder of glasstorch train)")
    try:
        with open(path) as f:
            saved = json.load(f)
    except OSError as e:
        raise error(f"cannot resume from {resume}: {e.strerror or e}: {path}") from None
    except ValueError as e:
        raise error(f"cannot resume from {resume}: {path} is not valid JSON ({e})") from None
    if not isinstance(saved, dict):
        raise error(f"cannot resume from {resume}: {path} holds a {type(saved).__name__}, "
                    "not the run's settings")
    return run_dir, saved
