"""Checks the commands run on their inputs before doing any work, so that every bad input
ends in one line naming the problem (CLIError), never in a traceback, a hang or a confident
answer computed from garbage."""
import math
import os

from .common import CLIError

__all__ = ["at_least", "finite", "seed", "image_array", "fresh_run_dir", "finite_outputs"]


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
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise CLIError(f"cannot write the run folder {run_dir}: it is a file")
    parent = os.path.dirname(os.path.abspath(run_dir))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(f"cannot write the run folder {run_dir}: {parent} is not a writable "
                       "directory")
    return run_dir


def finite_outputs(t, what):
    """Refuse to report numbers computed from NaN/inf (e.g. NaN weights in a checkpoint)."""
    import glasstorch as torch
    if not bool(torch.isfinite(t).all()):
        raise CLIError(f"{what} are not finite numbers (NaN or inf): the checkpoint's weights "
                       "or the inputs are broken")
    return t
