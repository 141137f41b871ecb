"""Grad mode: whether ops record a graph. `no_grad`, `enable_grad`, `set_grad_enabled`,
`inference_mode` work as context managers and as decorators, like PyTorch's.

The flag lives on a tiny thread-local object (`STATE.enabled`) that `Function.apply` reads once
per op.
"""
import functools
import inspect
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "enforce_grad_layout_policy"]


class _State(threading.local):
    """Grad mode and inference mode are per thread, as in torch: a new thread starts with grad
    on, and `no_grad` in one thread leaves the others recording. Anomaly detection and the
    gradient layout policy are process-wide (torch's are static flags): they are class
    attributes, read through any thread's STATE and written only with `set_global`."""
    anomaly = False
    anomaly_check_nan = True
    grad_layout = True
    capturing = False   # (per thread) the engine is running for autograd.grad or inputs=

    def __init__(self):             # runs once in each thread that touches STATE
        self.enabled = True
        self.inference = False


GLOBAL = _State   # the process-wide flags, read without the per-thread lookup (~70 ns less)


def set_global(name, value):
    """Set a process-wide flag (anomaly, anomaly_check_nan, grad_layout) for every thread."""
    setattr(_State, name, value)


STATE = _State()


def is_grad_enabled():
    return STATE.enabled


def is_inference_mode_enabled():
    return STATE.inference


class _GradModeContext:
    """Base of the grad-mode managers: set on enter, restore on exit, usable as decorator."""
    _mode = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        # a fresh manager per call (re-entrant)
        return _decorate(functools.partial(_clone, self), fn)


def _clone(manager):
    """copy.copy(manager) without copy's __reduce_ex__ round trip: ~0.7 us instead of ~4 on
    every call of a decorated function (each optimizer.step runs under @no_grad)."""
    new = object.__new__(type(manager))
    new.__dict__.update(manager.__dict__)
    return new


def _decorate(make, fn):
    """fn run under the context `make()`; a generator function runs each step under it (torch),
    not just the call that creates the generator."""
    if not inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make():
                return fn(*args, **kwargs)
        return wrapper

    @functools.wraps(fn)
    def generator(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with make():
                value = gen.send(None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    with make():
                        gen.close()
                    raise
                except BaseException as e:
                    with make():
                        value = gen.throw(e)
                else:
                    with make():
                        value = gen.send(sent)
        except StopIteration as e:
            return e.value
    return generator


class _NoParamDecorator(_GradModeContext):
    # torch: `@no_grad` works with and without parentheses
    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Disable graph recording: results have no grad_fn and requires_grad=False."""
    _mode = False


class enable_grad(_NoParamDecorator):
    """Re-enable graph recording inside a no_grad block."""
    _mode = True


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` as a context manager, decorator, or plain call."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._mode  # torch: takes effect immediately, even when not used in `with`

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        STATE.enabled = self._prev  # used as decorator: undo the eager switch
        return _decorate(functools.partial(set_grad_enabled, self._mode), fn)


class inference_mode(_GradModeContext):
    """Like no_grad, for pure inference (`inference_mode(False)` re-enables recording)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # torch: `@inference_mode` without parentheses

    def __init__(self, mode=True):
        self._mode = not mode
        self._inf = bool(mode)

    def __enter__(self):
        self._prev = STATE.enabled
        self._prev_inf = STATE.inference
        STATE.enabled = self._mode  # torch: inference_mode(False) switches grad mode on
        STATE.inference = self._inf

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        STATE.inference = self._prev_inf
        return False


class enforce_grad_layout_policy(_GradModeContext):
    """torch's switch for the gradient layout contract (a leaf's .grad gets the leaf's
    strides), set at once like set_grad_enabled and restored on exit. In torch, False lets the
    engine steal a gradient of another layout instead of copying it. glasstorch's engine
    always writes the first gradient into a fresh array laid out like the leaf
    (accumulate._add_into_grad), so both settings give the same .grad; the flag is kept and read
    back as torch's is (`STATE.grad_layout`)."""

    def __init__(self, enable=True):
        self.prev = STATE.grad_layout
        set_global("grad_layout", bool(enable))
        self.mode = enable

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_global("grad_layout", self.prev)
        return False

    def __call__(self, fn):
        set_global("grad_layout", self.prev)  # used as decorator: undo the eager switch
        return _decorate(lambda: enforce_grad_layout_policy(self.mode), fn)

    def clone(self):
        return self.__class__(self.mode)
