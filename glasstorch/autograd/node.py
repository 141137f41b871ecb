"""Graph nodes. A node is the `ctx` of one op call: edges to the nodes of its inputs, what its
backward needs, and nothing else (never its own output Tensor: that would be a cycle).

    Node            edges (`next_functions`), saved tensors with version checks, hooks, release
    Op(Node)        built-in ops: `forward(ctx, *arrays)` on backend arrays, `backward(ctx, *gy)`
                    in glasstorch ops (so create_graph=True gives second derivatives for free)
    AccumulateGrad  the sink of a leaf tensor: adds the incoming gradient into `leaf.grad`

`Op.apply` is the hot path of every op: read the grad mode once, unwrap Tensors, run forward,
wrap the result, and only when recording build the edges. Read engine.py next.

What a node keeps for backward (the one way; everything below is freed by `_release` after
backward unless retain_graph, and a second backward then raises PyTorch's error):

    ctx.save_inputs(0, 1)    positional inputs, kept as Tensors (version-checked, and with their
                             history, so a backward written in glasstorch ops differentiates
                             again); read back with `x, w = ctx.saved_tensors`
    ctx.save_output(y)       the output array y, version-checked; read back with `ctx.output()`
    ctx.save(mask=m, ...)    any other arrays backward needs (masks, statistics, indices, a
                             tuple of arrays); read back as `ctx.mask`
    ctx.dim = dim            small settings PyTorch does not keep as tensors either (dims,
                             shapes, flags, scalars): plain attributes, kept after backward
    ctx.save_for_backward(*tensors)   custom Functions (autograd.Function), PyTorch's API

Keep arrays only with these calls: an array set as a plain attribute would outlive backward
(tests/autograd/test_saved_state.py measures what a graph still holds after backward).
"""
import traceback
import weakref

from .. import _registry
from ..backend import xp as _xp, ndarray as _ndarray, asarray as _asarray
from .grad_mode import STATE, GLOBAL

_new = object.__new__


class Node:
    """One recorded op call; `ctx` in forward/backward. See module docstring."""
    __slots__ = ("next_functions", "needs_input_grad", "_saved", "_saved_versions", "_in_meta",
                 "_out", "_retain", "_pre_hooks", "_post_hooks", "_trace", "_n_out",
                 "__dict__", "__weakref__")
    xp = _xp  # the array module of this node's device (CuPy later)
    _state = ()          # names of the state kept with `save` (set per node by save)
    _released = False    # set by _release: what backward needed is gone

    # ---- saved state ---------------------------------------------------------------------
    def save(self, **state):
        """Keep arrays (or other large values) for backward: `ctx.save(mask=m)` in forward,
        `ctx.mask` in backward. Freed with everything else the node saved after backward
        (unless retain_graph); a second backward then raises PyTorch's error (the engine
        checks `_released`). Small settings that are not tensors in PyTorch either (dims,
        shapes, flags) stay plain attributes, `ctx.dim = dim`: they are kept, as PyTorch
        keeps them."""
        self.__dict__.update(state)
        self._state = self._state + tuple(state)

    def save_for_backward(self, *items):
        """Keep tensors (or arrays) for backward. A Tensor's version is recorded so an in-place
        change before backward raises instead of silently giving a wrong gradient."""
        self._saved = items
        self._saved_versions = tuple([t._version_counter[0] if isinstance(t, Tensor) else None
                                      for t in items])

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_FREED_MSG)
        items = self._saved
        for i, (t, v) in enumerate(zip(items, self._saved_versions)):
            if v is not None and t._version_counter[0] != v:
                # torch names the op that produced the modified tensor (none for a leaf)
                raise RuntimeError(_version_msg(t, t._out_nr, t.grad_fn, v))
        return items

    def _release(self):
        """Free everything backward needed (retain_graph=False): the saved tensors, the saved
        output and the state kept with `save`. Later use raises PyTorch's error."""
        state = self._state
        if state:
            d = self.__dict__
            for name in state:
                d.pop(name, None)
        elif not getattr(self, "_saved", None) and getattr(self, "_out", None) is None:
            return   # nothing saved: a second backward works, as in PyTorch
        self._saved = None
        self._out = None
        self._released = True

    # ---- graph inspection ----------------------------------------------------------------
    def name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> None | new grad_inputs, after this node ran."""
        if getattr(self, "_post_hooks", None) is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return _RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) -> None | new grad_outputs, before this node runs."""
        return self._add_pre_hook(None, fn)

    def _add_pre_hook(self, output_nr, fn):
        # output_nr None: a node prehook (sees the tuple); int: a tensor hook on that output
        if getattr(self, "_pre_hooks", None) is None:
            self._pre_hooks = []
        entry = (output_nr, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


def _version_msg(t, i, node, expected):
    """torch's message; `node` produced `t` as its output `i` (None: `t` is a leaf)."""
    made_by = "" if node is None else \
        f", which is output {i} of {node.name().rsplit('Backward', 1)[0]},"
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{_type_name(t)} {list(t.shape)}]{made_by} is at version "
        f"{t._version_counter[0]}; "
        f"expected version {expected} instead. Hint: enable anomaly detection to find the "
        "operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _type_name(t):
    return t.dtype.tensor_type  # "torch.FloatTensor"


class Op(Node):
    """Base of built-in ops. Subclasses define

        forward(ctx, *args, **kwargs) -> array   Tensor args arrive as backend arrays
        backward(ctx, gy) -> grad or tuple        one entry per positional arg (None: no grad)

    and register by name: `class Exp(Op, name="exp")`. A forward returning a tuple of arrays
    makes one Tensor per array (split, unbind); backward then receives one gy per output
    (zeros for outputs that got no gradient).
    """
    __slots__ = ()
    # True for the few ops whose torch twin leaves a gradient undefined (None) in some cases;
    # for all others the engine raises when backward returns None for an input needing one
    undefined_grads = False

    def __init_subclass__(cls, name=None, **attrs):
        super().__init_subclass__()
        if name is not None:
            _registry.register(name, cls, **attrs)

    def output(self):
        """The op's output as a Tensor (saved with `save_output`), attached to this node when
        backward records a graph (create_graph=True), so second derivatives flow through it."""
        out = self._out
        if out is None:
            raise RuntimeError(_FREED_MSG)
        data, vc, version = out
        if vc[0] != version:
            raise RuntimeError(_version_msg(_Shim(data, vc), 0, self, version))
        if STATE.enabled:
            t = _make(data, self)
            t._version_counter = vc
            return t
        return _make(data)

    def save_inputs(self, *indices):
        """Ask apply to keep these positional inputs (as Tensors, version-checked) for
        backward; read them back with `ctx.saved_tensors`. Inputs kept as Tensors keep
        their history, so a backward written in glasstorch ops is itself differentiable."""
        self._retain = indices

    def save_output(self, y):
        """Ask apply to keep the output array `y` for backward (version-checked)."""
        self._out = y

    @classmethod
    def apply(cls, *args, **kwargs):
        if _OBSERVERS:
            return _observed_apply(cls, args, kwargs)
        ctx = _new(cls)
        # one pass unwraps the Tensors and sees whether any requires grad; `_requires_grad` is
        # the slot behind the requires_grad property (a property call per argument shows on small
        # ops)
        raw = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                if a._requires_grad:
                    record = True
            else:
                raw.append(a)
        if not record or not STATE.enabled:
            ctx.needs_input_grad = _NO_GRAD
            ctx._out = None
            ctx._retain = None
            try:
                y = cls.forward(ctx, *raw, **kwargs)
            except ValueError as e:
                raise _shape_error(e, args, cls) from None
            if type(y) is not _ndarray:
                if type(y) is tuple:  # several outputs (split, unbind)
                    return tuple(_make(a) for a in y)
                y = _asarray(y)
            return _make(y)

        ctx.needs_input_grad, edges, meta = input_edges(args)
        ctx._out = None
        ctx._retain = None
        # set, not left missing: the engine's getattr(node, "_pre_hooks", None) & co. on an
        # unset slot raise and catch AttributeError, ~5x slower (~7% of a small-op backward)
        ctx._saved = ctx._pre_hooks = ctx._post_hooks = None
        try:
            y = cls.forward(ctx, *raw, **kwargs)
        except ValueError as e:
            raise _shape_error(e, args, cls) from None
        if ctx._retain is not None:
            ctx.save_for_backward(*[args[i] for i in ctx._retain])
        if type(y) is not _ndarray and type(y) is not tuple:
            y = _asarray(y)
        ctx.next_functions = edges
        ctx._in_meta = meta
        ctx._n_out = 1
        if GLOBAL.anomaly:
            ctx._trace = traceback.format_stack()[:-2]
        if type(y) is tuple:  # several outputs: backward(ctx, *gys), one gy per output
            return _outputs(ctx, y)
        out = _make(y, ctx)
        if ctx._out is not None:  # save_output was called: remember the version of the output
            ctx._out = (y, out._version_counter, out._version_counter[0])
        return out


def input_edges(args):
    """The graph inputs of one op call, shared by Op.apply and autograd.Function.apply: per
    argument, whether it needs a gradient, the edge `(node, output_nr)` its gradient flows to
    (the producing node, a leaf's AccumulateGrad, or `(None, 0)`), and its `(shape, dtype)` for
    the engine's gradient check (None for a non-Tensor)."""
    needs, edges, meta = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            meta.append((d.shape, d.dtype))
            if a._requires_grad:
                needs.append(True)
                if a._base is not None and a._grad_fn_version != a._version_counter[0]:
                    _refresh_view(a)
                fn = a.grad_fn
                edges.append((fn, a._out_nr) if fn is not None else (_accumulator(a), 0))
            else:
                needs.append(False)
                edges.append(_NO_EDGE)
        else:
            needs.append(False)
            edges.append(_NO_EDGE)
            meta.append(None)
    return tuple(needs), tuple(edges), meta


# Observers see every op call: fn(op_class, args, kwargs, result). The test suite uses one to
# check that every registered op is compared against torch; the tracer (jit) will record the
# static graph this way. Empty (one falsy check per op) unless something listens.
_OBSERVERS = []


def _observed_apply(cls, args, kwargs):
    observers = _OBSERVERS[:]
    _OBSERVERS.clear()  # ops called inside this op are not reported separately
    try:
        result = cls.apply(*args, **kwargs)
    finally:
        _OBSERVERS.extend(observers)
    for fn in observers:
        fn(cls, args, kwargs, result)
    return result


def _refresh_view(t):
    """A view whose base was changed in place after the view's grad_fn was set
    (`_grad_fn_version`: the version then) takes its history from the base again by replaying the
    view on it, as PyTorch does; otherwise its gradient would skip the in-place op."""
    prev, STATE.enabled = STATE.enabled, True
    try:
        r = t._view_fn(t._base)
    finally:
        STATE.enabled = prev
    t.grad_fn, t._out_nr, t._grad_fn_version = r.grad_fn, r._out_nr, t._version_counter[0]


def _outputs(ctx, arrays):
    ctx._n_out = len(arrays)
    ctx._out_meta = [(a.shape, a.dtype) for a in arrays]  # zeros for outputs without a grad
    outs = tuple(_make(a, ctx) for a in arrays)
    for i, o in enumerate(outs):
        o._out_nr = i
    return outs


def _shape_error(e, args, op):
    """NumPy's ValueError for operands that don't broadcast, in torch's type and words (the
    first pair of shapes that clash, compared from the last dim), then the op and the shapes;
    other errors unchanged."""
    if "could not be broadcast" not in str(e):
        return e
    shapes = [a._data.shape for a in args if isinstance(a, Tensor)]
    acc = shapes[0] if shapes else ()
    for shape in shapes[1:]:
        n = max(len(acc), len(shape))
        a, b = (1,) * (n - len(acc)) + acc, (1,) * (n - len(shape)) + shape
        for i in reversed(range(n)):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i} ({_op_name(op)}: shapes "
                    f"{', '.join(str(list(sh)) for sh in shapes)})")
        acc = tuple(max(x, y) if min(x, y) != 0 else min(x, y) for x, y in zip(a, b))
    return e


def _op_name(op):
    """The registered name of an op class (`add` for Add), for error messages; a name as is."""
    if isinstance(op, str):
        return op
    from .._registry import OPS
    return next((name for name, info in OPS.items() if info.cls is op), op.__name__)


class _Shim:
    # just enough of a Tensor for _version_msg
    def __init__(self, data, vc):
        self._version_counter, self.shape, self.dtype = vc, data.shape, _dtype_of(data)


class AccumulateGrad(Node):
    """Sink of a leaf tensor: runs the leaf's hooks, then adds the gradient into `leaf.grad`."""
    __slots__ = ("_variable",)

    def __init__(self, leaf):
        self._variable = weakref.ref(leaf)
        self.next_functions = ()
        self._n_out = 1
        self.needs_input_grad = ()
        # set, not missing: the engine's getattr(node, "_pre_hooks", None) on an unset slot
        # raises and catches AttributeError (~0.35 us, for every parameter in every backward)
        self._pre_hooks = self._post_hooks = None

    @property
    def variable(self):
        return self._variable()

    def name(self):
        return "AccumulateGrad"


def _accumulator(leaf):
    acc = leaf._accum
    if acc is None:
        acc = leaf._accum = AccumulateGrad(leaf)
        if getattr(leaf, "_hooks", None) is None:
            leaf._hooks = None   # the engine reads it per backward: a set slot reads fast
    return acc


_NO_GRAD = (False,) * 32  # needs_input_grad when not recording: every index is False
_NO_EDGE = (None, 0)

# Tensor and its constructor are bound at the end of tensor.py's import (tensor imports autograd)
Tensor = None
_make = None
_dtype_of = None


def _bind(tensor_cls, make, dtype_of):
    global Tensor, _make, _dtype_of
    Tensor, _make, _dtype_of = tensor_cls, make, dtype_of
