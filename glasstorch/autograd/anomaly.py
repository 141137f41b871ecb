"""Anomaly detection: find the op that produced a NaN gradient.

Under `detect_anomaly()`, every op records where it was called from (a traceback: costly, so
off by default), and after each backward node runs the engine checks its gradients for NaN;
the error names the node and shows the forward call that created it.
"""
import os

from ..backend import xp as _xp
from .grad_mode import STATE, set_global

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class detect_anomaly:
    """Context manager / decorator enabling anomaly detection for autograd."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = STATE.anomaly, STATE.anomaly_check_nan
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(*self._prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    """`set_detect_anomaly(True)`: switch on at once; also usable as a context manager."""

    def __init__(self, mode, check_nan=True):
        self._prev = STATE.anomaly, STATE.anomaly_check_nan
        self.check_nan = check_nan
        _set(bool(mode), check_nan)

    def __enter__(self):
        pass


def _set(mode, check_nan):
    # process-wide, as torch's AnomalyMode: a thread started later sees it too
    set_global("anomaly", mode)
    set_global("anomaly_check_nan", check_nan)


def is_anomaly_enabled():
    return STATE.anomaly


# ---- the engine's check after each node (autograd/engine.py _run_node) ---------------------
def _check_anomaly(node, grads_in):
    for i, g in enumerate(grads_in):
        if g is None:
            continue
        if _xp.isnan(g._data).any():
            trace = _user_frames(getattr(node, "_trace", None))
            where = ("".join(trace[-6:]) if trace else
                     "(the op was recorded before detect_anomaly was enabled)\n")
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward call that created this {node.name()} node:\n{where}")


def _user_frames(trace):
    """The recorded forward stack without its innermost glasstorch frames, so the last line
    shown is the caller's own (the op's file/line in the user's code)."""
    if not trace:
        return trace
    end = len(trace)
    while end > 1 and trace[end - 1].lstrip().startswith(f'File "{_PKG_DIR}'):
        end -= 1
    return trace[:end]


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
