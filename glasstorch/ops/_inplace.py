"""In-place ops (`x.add_(y)`, `x += y`, `x[i] = v`, `copy_`, `fill_`) and their autograd.

An in-place op is its out-of-place op plus a write back into the tensor's buffer:

    result = op(self, *args)      # records a node as usual (on a snapshot when recording)
    self._data[...] = result      # same storage, so every view sees the change
    self._version_counter[0] += 1  # version bump, shared with views: saved-tensor checks fire
    self.grad_fn = result.grad_fn # the tensor now *is* the result in the graph

Why a snapshot? The out-of-place node may save `self` for its backward (mul_ needs the old
value); writing the result into that same buffer would corrupt it. When recording, the op
runs on `self.clone()` (a graph-connected copy). Without recording (optimizer steps,
initialization under no_grad) no copy is made.

Index ops (index_add_, index_put_ / `x[i] = v`, index_fill_, scatter_, scatter_add_,
masked_fill_, masked_scatter_) touch a few rows of what may be a large tensor: a copy of it per
call would make `emb.weight.index_add_(0, rows, g)` O(table) instead of O(rows). Their
backwards never read the old `self` (a gradient passes through or is zeroed at the written
places), so they run with `direct=True`: the op's forward writes into self's own buffer (it
asks `writable(x)`, which is x itself for this one call and a copy of x for the ordinary
out-of-place op) and the write-back has nothing left to copy. History, version bump and
views are handled as above.

Writing into a *view* of a tensor that requires grad also rewrites the base's history:
`CopySlices` (PyTorch's name) routes the gradient of the written region to the new values and
the rest to the old base, and the view's grad_fn is replayed from the base.
"""
from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..tensor import Tensor, _make

__all__ = []

# fn(tensor, result) after `result` was written into `tensor` (see jit/tracer.py)
WRITE_OBSERVERS = []


def _check_leaf(self):
    if STATE.enabled:
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = self._base
        if base is not None and base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        fn = self.grad_fn
        if base is not None and fn is not None and fn._n_out > 1:  # a piece of split/unbind
            raise RuntimeError(
                f"Output {self._out_nr} of {fn.name()} is a view and is being modified inplace. "
                "This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")


def _records(self, args):
    if not STATE.enabled:
        return False
    if self._requires_grad or (self._base is not None and self._base._requires_grad):
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def inplace(self, op, *args, snapshot=True, direct=False, **kwargs):
    """Run out-of-place `op(self, *args, **kwargs)` and write the result into `self`.

    snapshot=False declares that op's backward never reads `self` (it keeps only its output or
    masks made in forward: relu, sigmoid, tanh, exp, threshold, ...). op then runs on `self`
    itself: no snapshot (module docstring), one copy of the tensor fewer per call.
    direct=True declares that too, and that op's forward takes its output buffer from
    `writable(x)`: it then writes straight into self's buffer (index ops, module docstring)."""
    _check_leaf(self)
    if direct and _direct_ok(self, args, kwargs):
        _TARGET[0] = self._data
        try:
            result = op(self, *args, **kwargs)
        finally:
            _TARGET[0] = None
        return _write(self, result, op)
    recording = _records(self, args)
    src = self.clone() if snapshot and recording and self._requires_grad else self
    result = op(src, *args, **kwargs)
    return _write(self, result, op)


_TARGET = [None]   # the buffer the running in-place op may write into (inplace, writable)


def writable(x):
    """The array an op's forward writes its result into: x itself when the op runs as
    `inplace(self, op, ..., direct=True)` on self's buffer x (once per call), else a copy."""
    if _TARGET[0] is x:
        _TARGET[0] = None
        return x
    return x.copy()


def _direct_ok(self, args, kwargs):
    # a source sharing memory with self (x.index_add_(0, i, x[:3])) must be read before the
    # write: the copying path does that. An expanded self is refused by _copyto, as in torch.
    d = self._data
    if _overlaps(d):
        return False
    for a in (*args, *kwargs.values()):
        if isinstance(a, (tuple, list)):   # index_put_'s indices
            if any(isinstance(t, Tensor) and Op.xp.may_share_memory(t._data, d) for t in a):
                return False
        elif isinstance(a, Tensor) and Op.xp.may_share_memory(a._data, d):
            return False
    return True


def maybe_inplace(self, in_place, op, *args, snapshot=True):
    """nn.functional's `inplace=` flag: `inplace(self, op, ...)` when set (self is returned),
    else the plain `op(self, ...)` (activation.py, activation_smooth.py)."""
    if in_place:
        return inplace(self, op, *args, snapshot=snapshot)
    return op(self, *args)


def _write(self, result, op=None):
    rd, sd = result._data, self._data
    if rd.dtype != sd.dtype and not _dtype.can_cast(_dtype.from_numpy_dtype(rd.dtype),
                                                    _dtype.from_numpy_dtype(sd.dtype)):
        raise RuntimeError(f"result type {_type_word(rd.dtype)} can't be cast to the desired "
                           f"output type {_type_word(sd.dtype)}")
    if rd.shape != sd.shape:
        raise RuntimeError(f"output with shape {list(sd.shape)} doesn't match the broadcast "
                           f"shape {list(rd.shape)}")
    if rd is not sd:   # else op wrote into self's buffer already (direct=True)
        _copyto(sd, rd)
    self._version_counter[0] += 1
    for fn in WRITE_OBSERVERS:  # the jit tracer: `self` now holds `result`'s value
        fn(self, result)
    if result.grad_fn is not None:
        _rebase_history(self, result)
    return self


def _copyto(dst, src):
    # torch: in-place results are cast to the tensor's dtype ("same_kind" already checked)
    if 0 in dst.strides and _overlaps(dst):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    Op.xp.copyto(dst, src, casting="unsafe")


def check_no_overlap(self, *others):
    """torch's refusal of index_add_ / index_put_ reading a tensor (source, values, index) that
    lies in self's memory. Like torch it tells only for dense layouts (any dim order); other
    pairs are "too hard" and proceed (inplace's copying path reads them before writing)."""
    d = self._data
    if not _dense(d):
        return
    for t in others:
        if isinstance(t, Tensor) and _dense(t._data) and Op.xp.may_share_memory(d, t._data):
            raise RuntimeError("unsupported operation: some elements of the input tensor and "
                               "the written-to tensor refer to a single memory location. "
                               "Please clone() the tensor before performing the operation.")


def _dense(a):
    # non-overlapping and dense: the strides, sorted, are those of a contiguous array
    if not a.size:
        return False
    step = a.itemsize
    for st, n in sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n != 1):
        if st != step:
            return False
        step *= n
    return True


def _overlaps(a):
    # torch refuses in-place writes where memory repeats (an expanded dim); fill_ allows them
    return a.size and any(st == 0 and s > 1 for s, st in zip(a.shape, a.strides))


_type_word = _dtype.type_word  # "Float", "Long", ...: the dtype's cpp_name


def float_only(x, kernel):
    """torch's NotImplementedError for a kernel that has no loop for x's (non-float) dtype."""
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_type_word(x._data.dtype)}'")


def _rebase_history(self, result):
    """Make `self` stand for `result` in the graph; for a view, rewrite its base's history."""
    base = self._base
    if base is None or not STATE.enabled:
        self.grad_fn = result.grad_fn
        self._out_nr = result._out_nr
        self._requires_grad = True
        return
    view_fn = self._view_fn
    node = CopySlices.apply(_detach_keep_graph(base), result, view_fn=view_fn)
    base.grad_fn = node.grad_fn
    base._out_nr = 0
    base._requires_grad = True
    # the view's new history: the same view taken of the base's new history
    replay = view_fn(base)
    self.grad_fn = replay.grad_fn
    self._out_nr = replay._out_nr
    self._grad_fn_version = self._version_counter[0]
    self._requires_grad = True


def _detach_keep_graph(t):
    # a stand-in for `t` with t's current history, whose data is not read by CopySlices
    s = _make(t._data, t.grad_fn)
    s._requires_grad = t._requires_grad
    s._out_nr = t._out_nr
    s._accum = t._accum
    if t.grad_fn is None and t._requires_grad:
        from ..autograd.node import _accumulator
        s._accum = _accumulator(t)
    return s


class CopySlices(Op, name="copy_slices", inplace=True):
    """base_new = base_old with view(base_old) replaced by `values`.
    d/d base_old: grad with the view's region zeroed; d/d values: the view's region of grad."""

    @staticmethod
    def forward(ctx, base, values, view_fn):
        ctx.view_fn = view_fn
        ctx.order = _memory_order(base)
        return base  # the data was already written in place; only the history is new

    @staticmethod
    def backward(ctx, gy):
        # the view is replayed on a gradient laid out like the base: a view such as
        # `base.t().view(-1)` exists only for the base's layout
        g = _laid_out(gy, ctx.order)
        g_values = ctx.view_fn(g) if ctx.needs_input_grad[1] else None
        g_base = _ZeroRegion.apply(g, ctx.view_fn, ctx.order) if ctx.needs_input_grad[0] \
            else None
        return g_base, g_values, None


class _ZeroRegion(Op, name="copy_slices_backward"):
    """y = g with view(g) set to 0;  a projection, so dy/dg does the same to gy."""

    @staticmethod
    def forward(ctx, g, view_fn, order):
        ctx.view_fn, ctx.order = view_fn, order
        y = g.copy(order="K")  # g is laid out like the base, and so is the copy
        view_fn(_make(y))._data[...] = 0
        return y

    @staticmethod
    def backward(ctx, gy):
        return _ZeroRegion.apply(_laid_out(gy, ctx.order), ctx.view_fn, ctx.order), None, None


def _memory_order(a):
    """a's dims from outermost to innermost in memory; None for row-major."""
    if a.flags.c_contiguous:
        return None
    return tuple(sorted(range(a.ndim), key=lambda d: -a.strides[d]))


def _laid_out(t, order):
    """t densely laid out in memory order `order` (differentiable; no copy if it already is)."""
    if order is None:
        return t.contiguous()
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return t.permute(order).contiguous().permute(inv)


def copy_(self, src):
    """self[...] = src (broadcast, cast to self's dtype); differentiable w.r.t. src, and the old
    value of self gets a zero gradient (it was overwritten)."""
    if not isinstance(src, Tensor):
        src = _make(Op.xp.asarray(src))
    _check_leaf(self)
    from .view import expand
    from .convert import to
    if src._data.shape != self._data.shape:
        src = expand(src, self._data.shape)
    if src._data.dtype != self._data.dtype:
        src = to(src, _dtype.from_numpy_dtype(self._data.dtype))
    if _records(self, (src,)):
        return _write(self, _CopyFrom.apply(_detach_keep_graph(self), src))
    _copyto(self._data, src._data)
    self._version_counter[0] += 1
    return self


class _CopyFrom(Op, name="copy_"):
    """y = src (written over the old value); d/d old = 0, d/d src = gy."""

    @staticmethod
    def forward(ctx, old, src):
        return src

    @staticmethod
    def backward(ctx, gy):
        return (gy * 0 if ctx.needs_input_grad[0] else None), gy


def fill_(self, value):
    """Every element set to `value` (a number or a 0-d tensor)."""
    if not isinstance(value, Tensor):
        from ._util import check_number
        check_number(value, "fill_", "value", 1)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if STATE.enabled and value._requires_grad:
            return copy_(self, value)
        value = value._data.item()
    _check_leaf(self)
    if _records(self, ()):
        return copy_(self, _make(Op.xp.full(self._data.shape, value, dtype=self._data.dtype)))
    self._data.fill(value)
    self._version_counter[0] += 1
    return self
