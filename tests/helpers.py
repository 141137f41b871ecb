"""The one helper every op test uses: run an expression in glasstorch and in torch on the same
inputs and compare outputs (shape, dtype, values) and the gradient of every input.

    check_op(lambda x, y: x * y, [(3, 1), (1, 4)])               # broadcasting
    check_op(lambda x: x.abs(), [(8,)], avoid=[0.0])             # keep samples off the kink
    check_op(lambda lib, x, y: lib.cat([x, y], 1), [(2, 3), (2, 1)], lib=True)
    check_op(lambda x: x.sum(1), [(4, 5)], layout="T")          # non-contiguous inputs
    check_op(lambda x: x.tanh(), [(5,)], double=True)            # second derivatives too

Backward uses the *same random upstream gradient* in both frameworks (not `.sum()`: all-ones
hides transposed or permuted gradients). `check_raises` compares exception types.
"""
import contextlib

import numpy as np
import torch

import glasstorch as gt
from glasstorch.autograd import node as _node

# names of the registered ops that check_op ran (and so compared with torch); conftest.py
# reports the registered ops that no test compared
COVERED = set()


@contextlib.contextmanager
def _record_ops():
    """Records the op classes run inside into COVERED; yields the set of this block's."""
    ran = set()

    def seen(cls, args, kwargs, result):
        COVERED.add(cls)
        ran.add(cls)
    _node._OBSERVERS.append(seen)
    try:
        yield ran
    finally:
        _node._OBSERVERS.remove(seen)


_FREED = "backward through the graph a second time"

# op classes whose nodes check_op inspected after they ran a backward without retain_graph
# (each had freed everything it saved), and op classes of the graphs whose second backward
# it compared with torch's; conftest.py reports how many registered ops each covers
RELEASED = set()
BACKWARD_TWICE = set()


def _nbytes(x, depth=0):
    """Bytes of the arrays (and Tensors) in x, looking into containers."""
    if isinstance(x, np.ndarray):
        return x.nbytes
    if isinstance(x, gt.Tensor):
        return x._data.nbytes
    if depth < 3 and isinstance(x, (tuple, list)):
        return sum(_nbytes(v, depth + 1) for v in x)
    if depth < 3 and isinstance(x, dict):
        return sum(_nbytes(v, depth + 1) for v in x.values())
    return 0


def _graph_nodes(outs):
    """Every node behind `outs` but the leaves' AccumulateGrad."""
    nodes, seen = [], set()
    stack = [o.grad_fn for o in outs if isinstance(o, gt.Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or isinstance(node, _node.AccumulateGrad):
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(child for child, _ in node.next_functions)
    return nodes


@contextlib.contextmanager
def _freed_by_backward(outs, what):
    """Around a backward without retain_graph: every node of the graph behind `outs` that ran
    backward must have freed all it saved (a node the backward did not reach keeps its state,
    as in torch). Marks the op classes checked in RELEASED."""
    nodes, ran = _graph_nodes(outs), set()
    handles = [n.register_hook(lambda gi, go, i=id(n): ran.add(i)) for n in nodes]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
    held = []
    for node in nodes:
        if id(node) not in ran:
            continue
        n = (_nbytes(getattr(node, "_saved", None)) + _nbytes(getattr(node, "_out", None))
             + _nbytes(vars(node)))
        if n:
            held.append(f"{type(node).__name__} {n}")
        else:
            RELEASED.add(type(node))
    assert not held, (
        f"after {what}, nodes still hold arrays (bytes): " + ", ".join(held) + "; keep what "
        "backward needs with ctx.save_inputs/save_output/save (autograd/node.py), which "
        "backward frees")

def _second_backward_raises(lib, outs, leaves, ups):
    """Whether a second backward through a graph the first backward freed raises PyTorch's
    error (None: it raised some other error)."""
    try:
        lib.autograd.grad(outs, leaves, [lib.tensor(u) for u in ups], allow_unused=True)
    except RuntimeError as e:
        return True if _FREED in str(e) else None
    return False


_NP_OF_NAME = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
               "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8,
               "uint8": np.uint8, "bool": np.bool_}

_TOL = {  # (rtol, atol) per dtype of the compared values
    "float64": (1e-7, 1e-9),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 1e-2),
}


def _dt_name(t):
    return str(t.dtype).split(".")[-1]


def make_inputs(shapes, dtype="float64", low=-2.0, high=2.0, avoid=(), seed=0):
    """Arrays for both frameworks. `shapes` entries: a shape tuple (random floats of
    `dtype`), an ndarray (used as is), or ("int", shape, lo, hi) / ("bool", shape)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for s in shapes:
        if isinstance(s, np.ndarray):
            arrays.append(s)
        elif isinstance(s, tuple) and s and s[0] == "int":
            _, shape, lo, hi = s
            arrays.append(rng.integers(lo, hi, shape).astype(np.int64))
        elif isinstance(s, tuple) and s and s[0] == "bool":
            arrays.append(rng.random(s[1]) < 0.5)
        else:
            a = rng.uniform(low, high, s)
            for v in avoid:  # push samples away from kinks/poles (e.g. abs at 0)
                close = np.abs(a - v) < 0.1
                a[close] = v + np.where(a[close] >= v, 0.1, -0.1) + 0.05
            arrays.append(a.astype(_NP_OF_NAME[dtype]))
    return arrays


def _to_framework(lib, arrays, requires_grad, layout):
    """Leaves (what gradients are compared on) and the tensors handed to the op (for layout
    "T", transposed views of leaves laid out in reversed order: non-contiguous inputs)."""
    leaves, inputs = [], []
    for a in arrays:
        rg = requires_grad and a.dtype.kind == "f"
        if layout == "T" and a.ndim >= 2:
            leaf = lib.tensor(np.ascontiguousarray(a.T), requires_grad=rg)
            x = leaf.permute(*reversed(range(a.ndim)))
        else:
            leaf = lib.tensor(a.copy(), requires_grad=rg)
            x = leaf
        leaves.append(leaf)
        inputs.append(x)
    return leaves, inputs


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy(force=True)  # force: torch's ZeroTensor grads (sgn)
    if isinstance(t, gt.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def assert_close(got, want, rtol=None, atol=None, what="value"):
    """Compare a glasstorch result with a torch one: type, shape, dtype, requires_grad and
    values."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, gt.Tensor), f"{what}: expected a Tensor, got {type(got)}"
        assert tuple(got.shape) == tuple(want.shape), \
            f"{what}: shape {tuple(got.shape)} != torch's {tuple(want.shape)}"
        assert _dt_name(got) == _dt_name(want), \
            f"{what}: dtype {got.dtype} != torch's {want.dtype}"
        assert got.requires_grad == want.requires_grad, \
            f"{what}: requires_grad {got.requires_grad} != torch's {want.requires_grad}"
        r, a = _TOL.get(_dt_name(want), (0, 0))
        rtol = r if rtol is None else rtol
        atol = a if atol is None else atol
        g, w = _np(got), _np(want)
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g, w, err_msg=what)
        else:
            np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol,
                                       atol=atol, equal_nan=True, err_msg=what)
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want), f"{what}: {len(got)} results != torch's {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rtol, atol, f"{what}[{i}]")
    elif isinstance(want, torch.Size):
        assert tuple(got) == tuple(want), f"{what}: {got} != {want}"
    else:
        if isinstance(want, float):
            np.testing.assert_allclose(got, want, rtol=rtol or 1e-6, atol=atol or 1e-9,
                                       err_msg=what)
        else:
            assert got == want, f"{what}: {got!r} != torch's {want!r}"


def check_op(fn, shapes, torch_fn=None, *, dtype="float64", low=-2.0, high=2.0, avoid=(),
             seed=0, lib=False, grad=True, double=False, layout="C", rtol=None, atol=None,
             grad_rtol=None, grad_atol=None):
    """Run `fn` in both frameworks on the same inputs; compare outputs and input gradients.

    fn(*tensors) (or fn(lib, *tensors) with lib=True) is used for both unless `torch_fn`
    is given. Returns (glasstorch_outputs, torch_outputs) for extra assertions."""
    torch_fn = torch_fn or fn
    arrays = make_inputs(shapes, dtype, low, high, avoid, seed)
    g_leaves, g_in = _to_framework(gt, arrays, grad, layout)
    t_leaves, t_in = _to_framework(torch, arrays, grad, layout)
    with _record_ops() as ran:
        g_out = fn(gt, *g_in) if lib else fn(*g_in)
    t_out = torch_fn(torch, *t_in) if lib else torch_fn(*t_in)
    assert_close(g_out, t_out, rtol, atol, "forward")
    if not grad:
        return g_out, t_out

    t_flat = _flat(t_out)
    g_flat = _flat(g_out)
    pairs = [(g, t) for g, t in zip(g_flat, t_flat)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return g_out, t_out
    rng = np.random.default_rng(seed + 1)
    ups = [rng.standard_normal(tuple(t.shape)).astype(_NP_OF_NAME[_dt_name(t)])
           for _, t in pairs]
    # only float inputs are differentiated (integer inputs such as indices have no grad)
    g_leaves = [g for g, t in zip(g_leaves, t_leaves) if t.requires_grad]
    t_leaves = [t for t in t_leaves if t.requires_grad]
    t_grads = torch.autograd.grad([t for _, t in pairs], t_leaves,
                                  [torch.tensor(u) for u in ups], allow_unused=True,
                                  create_graph=double)
    # without create_graph the backward frees what every node saved
    freed = contextlib.nullcontext() if double else _freed_by_backward(
        [g for g, _ in pairs], "backward")
    with freed, _record_ops():  # ops used only in backward (e.g. the grad of an index op)
        g_grads = gt.autograd.grad([g for g, _ in pairs], g_leaves,
                                   [gt.tensor(u) for u in ups], allow_unused=True,
                                   create_graph=double)
    for i, (gg, tg) in enumerate(zip(g_grads, t_grads)):
        if tg is None:
            assert gg is None or not np.any(_np(gg)), f"grad of input {i}: torch has None"
            continue
        assert gg is not None, f"grad of input {i}: glasstorch gave None, torch a gradient"
        assert_close(gg, tg, grad_rtol or rtol, grad_atol or atol, f"grad of input {i}")
    if not double:
        # the first backward freed what the graph saved: where torch's second backward
        # raises (an op saved tensors), glasstorch's must raise the same error
        BACKWARD_TWICE.update(ran)
        if _second_backward_raises(torch, [t for _, t in pairs], t_leaves, ups):
            ops = ", ".join(sorted(c.__name__ for c in ran))
            assert _second_backward_raises(gt, [g for g, _ in pairs], g_leaves, ups), (
                f"a second backward through the graph ({ops}) raises in torch but not in "
                "glasstorch: keep what backward needs with ctx.save_inputs/save_output/save "
                "(autograd/node.py), which backward frees")

    if double:
        # second derivatives: differentiate <grads, v> w.r.t. the inputs once more
        vs = [rng.standard_normal(tuple(leaf.shape)) for leaf in t_leaves]
        t_terms = [(tg * torch.tensor(v, dtype=tg.dtype)).sum()
                   for tg, v in zip(t_grads, vs) if tg is not None and tg.requires_grad]
        g_terms = [(gg * gt.tensor(v, dtype=gg.dtype)).sum()
                   for gg, v in zip(g_grads, vs) if gg is not None and gg.requires_grad]
        assert len(t_terms) == len(g_terms), "second derivative: graph differs from torch's"
        if t_terms:
            t2 = torch.autograd.grad(sum(t_terms), t_leaves, allow_unused=True)
            g_sum = sum(g_terms[1:], g_terms[0])
            # this backward retains nothing: the forward nodes and those the first backward
            # recorded (the backward ops: avg_pool2d_backward, ...) free all they saved
            with _freed_by_backward([g_sum], "a second-order backward"), _record_ops():
                g2 = gt.autograd.grad(g_sum, g_leaves, allow_unused=True)
            for i, (gg, tg) in enumerate(zip(g2, t2)):
                if tg is None:
                    assert gg is None or not np.any(_np(gg)), f"2nd grad {i}: torch has None"
                    continue
                assert gg is not None, f"2nd grad of input {i}: glasstorch gave None"
                assert_close(gg, tg, grad_rtol or rtol, grad_atol or atol, f"2nd grad {i}")
    return g_out, t_out


def check_raises(fn, shapes=(), *, lib=False, dtype="float64", match=None, exc=None):
    """Both frameworks must raise, with the same exception type (or `exc`); `match` is a
    regex the glasstorch message must contain."""
    import re
    arrays = make_inputs(shapes, dtype)
    results = []
    for mod in (gt, torch):
        _, inputs = _to_framework(mod, arrays, False, "C")
        try:
            fn(mod, *inputs) if lib else fn(*inputs)
        except Exception as e:  # noqa: BLE001 - we compare the type below
            results.append(e)
        else:
            results.append(None)
    g_err, t_err = results
    assert t_err is not None or exc is not None, "torch did not raise"
    assert g_err is not None, f"glasstorch did not raise (torch raised {t_err!r})"
    want = exc or type(t_err)
    assert isinstance(g_err, want), f"glasstorch raised {g_err!r}, torch {t_err!r}"
    if match:
        assert re.search(match, str(g_err)), f"message {str(g_err)!r} does not match {match!r}"
    return g_err, t_err


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Finite-difference check (float64) of glasstorch gradients for fn(*inputs) -> Tensor:
    full Jacobian-vector comparison along a random upstream gradient."""
    rng = np.random.default_rng(0)
    leaves = [gt.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in inputs]
    out = fn(*leaves)
    up = rng.standard_normal(tuple(out.shape))
    grads = gt.autograd.grad(out, leaves, gt.tensor(up), allow_unused=True)
    for i, a in enumerate(inputs):
        a = np.asarray(a, dtype=np.float64)
        num = np.zeros_like(a)
        flat = num.reshape(-1)
        for j in range(a.size):
            plus, minus = a.copy().reshape(-1), a.copy().reshape(-1)
            plus[j] += eps
            minus[j] -= eps
            args_p = [gt.tensor(x) for x in inputs]
            args_m = [gt.tensor(x) for x in inputs]
            args_p[i] = gt.tensor(plus.reshape(a.shape))
            args_m[i] = gt.tensor(minus.reshape(a.shape))
            fp = fn(*args_p).detach().numpy()
            fm = fn(*args_m).detach().numpy()
            flat[j] = np.sum((fp - fm) * up) / (2 * eps)
        got = np.zeros_like(a) if grads[i] is None else grads[i].numpy()
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol,
                                   err_msg=f"finite differences, input {i}")


def module_pair(make, dtype="float64", seed=0):
    """The same module in both frameworks: make(lib) -> module, torch's init (seeded) copied
    into glasstorch through state_dict; float64 unless dtype="float32"."""
    torch.manual_seed(seed)
    t, g = make(torch), make(gt)
    if dtype == "float64":
        t, g = t.double(), g.double()
    g.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return g, t


def check_module(g_mod, t_mod, fn, arrays, rtol=None, atol=None, seed=1):
    """fn(lib, module, *tensors) in both frameworks; float arrays become leaves requiring
    grad. Compares the outputs, backpropagates the same random upstream gradient into every
    output, then compares the leaves' gradients and every parameter's (by name)."""
    g_in = [gt.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    g_out, t_out = fn(gt, g_mod, *g_in), fn(torch, t_mod, *t_in)
    assert_close(g_out, t_out, rtol, atol, "forward")
    pairs = [(g, t) for g, t in zip(_flat(g_out), _flat(t_out))
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return g_out, t_out
    rng = np.random.default_rng(seed)
    ups = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    sum((t * torch.tensor(u, dtype=t.dtype)).sum() for (_, t), u in zip(pairs, ups)).backward()
    sum((g * gt.tensor(u, dtype=g.dtype)).sum() for (g, _), u in zip(pairs, ups)).backward()
    for i, (g, t) in enumerate(zip(g_in, t_in)):
        if t.requires_grad:
            assert_close(g.grad, t.grad, rtol, atol, f"grad of input {i}")
    t_params, g_params = dict(t_mod.named_parameters()), dict(g_mod.named_parameters())
    assert list(g_params) == list(t_params), "parameter names differ from torch's"
    for name, tp in t_params.items():
        if tp.grad is None:
            assert g_params[name].grad is None, f"grad of {name}: torch has None"
        else:
            assert_close(g_params[name].grad, tp.grad, rtol, atol, f"grad of {name}")
    return g_out, t_out
