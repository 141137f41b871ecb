"""nn.RNN / LSTM / GRU, their cells, the functional forms (torch.lstm & co.) and nn.utils.rnn
against torch: torch's modules with their own init, copied into glasstorch through state_dict;
outputs, final states and the gradients of input, initial states and every parameter."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_op, check_raises

T, B, IN, H = 5, 4, 3, 6
LENGTHS = [3, 5, 2, 4]             # unsorted and distinct: packing must sort them
TOL = {"float64": (1e-7, 1e-9), "float32": (1e-5, 1e-5)}
_TDT = {"float64": torch.float64, "float32": torch.float32}


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    # torch's backward on these tiny RNNs is ~3x slower with two (contending) threads
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _modules(kind, dtype="float64", **kw):
    """(torch module, glasstorch module) with torch's initial weights in both."""
    torch.manual_seed(0)
    name, extra = {"RNN_TANH": ("RNN", {}), "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
                   "LSTM_PROJ": ("LSTM", {"proj_size": 4})}.get(kind, (kind, {}))
    tm = getattr(torch.nn, name)(IN, H, **extra, **kw).to(_TDT[dtype])
    gm = getattr(gt.nn, name)(IN, H, **extra, **kw).to(getattr(gt, dtype))
    gm.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, gm


def _hidden(tm, batch, rng, dtype):
    """Random initial states shaped as the module expects (None for batch None: unbatched)."""
    D = 2 if tm.bidirectional else 1
    lead = (tm.num_layers * D,) if batch is None else (tm.num_layers * D, batch)
    shapes = [lead + (tm.proj_size or tm.hidden_size,)]
    if isinstance(tm, torch.nn.LSTM):
        shapes.append(lead + (tm.hidden_size,))
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]


def _run(lib, m, x, hx, lengths, batch_first):
    """Forward in `lib`; returns (output padded, final states) and packs / unpacks around it."""
    utils = lib.nn.utils.rnn
    inp = x if lengths is None else utils.pack_padded_sequence(x, lengths, batch_first,
                                                               enforce_sorted=False)
    if hx is not None and isinstance(m, lib.nn.LSTM):
        hx = tuple(hx)
    elif hx is not None:
        hx = hx[0]
    out, states = m(inp, hx)
    if lengths is not None:
        assert isinstance(out, utils.PackedSequence)
        out = utils.pad_packed_sequence(out, batch_first)[0]
    return [out] + (list(states) if isinstance(states, tuple) else [states])


def _compare(tm, gm, kind="padded", dtype="float64", with_hx=True, seed=0):
    rng = np.random.default_rng(seed)
    bf = tm.batch_first
    shape = (T, IN) if kind == "unbatched" else (B, T, IN) if bf else (T, B, IN)
    x = rng.uniform(-1, 1, shape).astype(dtype)
    hx = _hidden(tm, None if kind == "unbatched" else B, rng, dtype) if with_hx else []
    lengths = LENGTHS if kind == "packed" else None
    leaves = {}
    for lib, m in ((torch, tm), (gt, gm)):
        ins = [lib.tensor(a, requires_grad=True) for a in [x] + hx]
        outs = _run(lib, m, ins[0], ins[1:] or None, lengths, bf)
        leaves[lib] = (ins + list(m.parameters()), outs)
    (t_in, t_out), (g_in, g_out) = leaves[torch], leaves[gt]
    rtol, atol = TOL[dtype]
    assert_close(g_out, t_out, rtol, atol, "forward")
    ups = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in t_out]
    t_g = torch.autograd.grad(t_out, t_in, [torch.tensor(u) for u in ups])
    g_g = gt.autograd.grad(g_out, g_in, [gt.tensor(u) for u in ups])
    names = ["input"] + [f"hx[{i}]" for i in range(len(hx))] + \
        [n for n, _ in tm.named_parameters()]
    for name, g, t in zip(names, g_g, t_g):
        assert_close(g, t, rtol, atol, f"grad of {name}")


# ---- modules: every configuration ---------------------------------------------------------
MODES = ["RNN_TANH", "RNN_RELU", "GRU", "LSTM", "LSTM_PROJ"]
CONFIGS = list(itertools.product(MODES, [1, 2, 3], [False, True], [False, True], [True, False],
                                 ["padded", "unbatched", "packed"]))


@pytest.mark.parametrize("mode,layers,bidirectional,batch_first,bias,kind", CONFIGS)
def test_module_matches_torch(mode, layers, bidirectional, batch_first, bias, kind):
    tm, gm = _modules(mode, num_layers=layers, bidirectional=bidirectional,
                      batch_first=batch_first, bias=bias)
    _compare(tm, gm, kind)


@pytest.mark.parametrize("mode,kw,kind", [
    ("LSTM", {}, "padded"),
    ("LSTM_PROJ", {"num_layers": 2, "bidirectional": True}, "packed"),
    ("GRU", {"batch_first": True}, "unbatched"),
    ("GRU", {"num_layers": 2}, "packed"),
    ("RNN_TANH", {"bidirectional": True}, "padded"),
    ("RNN_RELU", {}, "unbatched"),
])
def test_default_zero_states(mode, kw, kind):
    tm, gm = _modules(mode, **kw)
    _compare(tm, gm, kind, with_hx=False)


@pytest.mark.parametrize("mode,kw,kind", [
    ("LSTM", {"num_layers": 2, "bidirectional": True}, "padded"),
    ("LSTM_PROJ", {"num_layers": 2, "batch_first": True}, "packed"),
    ("GRU", {"num_layers": 3, "bidirectional": True}, "packed"),
    ("RNN_TANH", {"num_layers": 2, "batch_first": True}, "unbatched"),
    ("RNN_RELU", {"bias": False}, "padded"),
])
def test_float32(mode, kw, kind):
    tm, gm = _modules(mode, "float32", **kw)
    _compare(tm, gm, kind, "float32")


@pytest.mark.parametrize("mode", MODES)
def test_dropout_in_eval_is_identity(mode):
    tm, gm = _modules(mode, num_layers=3, dropout=0.5, bidirectional=True)
    tm.eval(), gm.eval()
    _compare(tm, gm, "packed")


@pytest.mark.parametrize("mode", MODES)
def test_dropout_one_in_training_zeroes_between_layers(mode):
    # p = 1 is deterministic: every layer after the first sees zeros, the first one is intact
    tm, gm = _modules(mode, num_layers=2, dropout=1.0)
    _compare(tm, gm, "padded")


def test_dropout_in_training_is_random_and_not_after_last_layer():
    gt.manual_seed(0)
    _, gm = _modules("LSTM", "float32", num_layers=2, dropout=0.5)
    x = gt.randn(T, B, IN)
    a, b = gm(x)[0].detach(), gm(x)[0].detach()
    assert not np.allclose(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        _, single = _modules("GRU", "float32", dropout=0.5)
    np.testing.assert_array_equal(single(x)[0].detach().numpy(), single(x)[0].detach().numpy())


@pytest.mark.parametrize("mode", ["GRU", "LSTM_PROJ"])
def test_packed_already_sorted(mode):
    tm, gm = _modules(mode, bidirectional=True)
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, IN)) for n in (5, 4, 4, 1)]
    outs = {}
    for lib, m in ((torch, tm), (gt, gm)):
        packed = lib.nn.utils.rnn.pack_sequence([lib.tensor(a) for a in seqs])
        out, states = m(packed)
        assert out.sorted_indices is None and out.unsorted_indices is None
        outs[lib] = [out.data, out.batch_sizes, states]
    assert_close(outs[gt], outs[torch])


@pytest.mark.parametrize("mode", ["RNN_TANH", "GRU", "LSTM"])
def test_zero_batch(mode):
    tm, gm = _modules(mode, num_layers=2)
    x = np.zeros((T, 0, IN))
    assert_close(_run(gt, gm, gt.tensor(x), None, None, False),
                 _run(torch, tm, torch.tensor(x), None, None, False))


# ---- cells --------------------------------------------------------------------------------
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("GRUCell", {}),
         ("GRUCell", {"bias": False}), ("LSTMCell", {}), ("LSTMCell", {"bias": False})]


@pytest.mark.parametrize("name,kw", CELLS)
@pytest.mark.parametrize("batched,with_hx", [(True, True), (False, True), (True, False),
                                             (False, False)])
def test_cell_module_matches_torch(name, kw, batched, with_hx):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(IN, H, **kw).double()
    gm = getattr(gt.nn, name)(IN, H, **kw).double()
    gm.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(0)
    lead = (B,) if batched else ()
    arrays = [rng.uniform(-1, 1, lead + (IN,))]
    if with_hx:
        arrays += [rng.uniform(-1, 1, lead + (H,)) for _ in range(2 if name == "LSTMCell" else 1)]
    results = {}
    for lib, m in ((torch, tm), (gt, gm)):
        ins = [lib.tensor(a, requires_grad=True) for a in arrays]
        hx = None if not with_hx else tuple(ins[1:]) if name == "LSTMCell" else ins[1]
        out = m(ins[0], hx)
        out = list(out) if isinstance(out, tuple) else [out]
        leaves = ins + list(m.parameters())
        ups = [np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)) for o in out]
        results[lib] = out, lib.autograd.grad(out, leaves, [lib.tensor(u) for u in ups])
    assert_close(results[gt], results[torch])


@pytest.mark.parametrize("name,gates", [("lstm_cell", 4), ("gru_cell", 3), ("rnn_tanh_cell", 1),
                                        ("rnn_relu_cell", 1)])
@pytest.mark.parametrize("bias,layout", [(True, "C"), (False, "C"), (True, "T")])
def test_cell_functions(name, gates, bias, layout):
    n_states = 2 if name == "lstm_cell" else 1
    shapes = [(B, IN)] + [(B, H)] * n_states + [(gates * H, IN), (gates * H, H)]
    shapes += [(gates * H,)] * (2 * bias)

    def fn(lib, x, *rest):
        hx = tuple(rest[:2]) if n_states == 2 else rest[0]
        return getattr(lib, name)(x, hx, *rest[n_states:])
    # one relu step: torch marks the bias gradient gy [y > 0] as differentiable (its second
    # derivative is zero); glasstorch's relu mask is a constant
    check_op(fn, shapes, lib=True, double=not (name == "rnn_relu_cell" and bias), layout=layout)


@pytest.mark.parametrize("name,n_states", [("lstm", 2), ("gru", 1), ("rnn_tanh", 1),
                                           ("rnn_relu", 1)])
@pytest.mark.parametrize("bidirectional,packed", [(False, False), (True, True)])
def test_functional_second_derivatives(name, n_states, bidirectional, packed):
    # create_graph=True differentiates the composite twin of the fused layers
    gates = {"lstm": 4, "gru": 3}.get(name, 1)
    D = 2 if bidirectional else 1
    shapes = [(7, IN) if packed else (3, 2, IN)] + [(D, 2, H)] * n_states
    shapes += [(gates * H, IN), (gates * H, H), (gates * H,), (gates * H,)] * D

    def fn(lib, x, *rest):
        hx = tuple(rest[:2]) if n_states == 2 else rest[0]
        params = list(rest[n_states:])
        if packed:
            bsz = lib.tensor([2, 2, 2, 1])
            return getattr(lib, name)(x, bsz, hx, params, True, 1, 0.0, False, bidirectional)
        return getattr(lib, name)(x, hx, params, True, 1, 0.0, False, bidirectional, False)
    check_op(fn, shapes, lib=True, double=True, low=-1, high=1)


# ---- parameters, init, repr -----------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 3}),
    ("LSTM", {"bias": False, "proj_size": 2}),
    ("GRU", {"num_layers": 3}),
    ("RNN", {"bidirectional": True, "bias": False}),
])
def test_parameter_names_shapes_and_all_weights(name, kw):
    torch.manual_seed(0)
    tm, gm = getattr(torch.nn, name)(IN, H, **kw), getattr(gt.nn, name)(IN, H, **kw)
    assert [(n, tuple(p.shape)) for n, p in gm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert [[tuple(p.shape) for p in ws] for ws in gm.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
    assert gm._flat_weights_names == tm._flat_weights_names
    assert gm.flatten_parameters() is None
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gm.state_dict().items()})


@pytest.mark.parametrize("module", [
    lambda nn: nn.LSTM(10, 20, num_layers=2, batch_first=True),
    lambda nn: nn.LSTM(3, 4, proj_size=2, num_layers=2, bias=False, dropout=0.5,
                       bidirectional=True),
    lambda nn: nn.GRU(5, 7),
    lambda nn: nn.RNN(3, 4, 2, "relu"),
    lambda nn: nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
    lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda nn: nn.LSTMCell(10, 20),
    lambda nn: nn.GRUCell(10, 20, bias=False),
])
def test_repr(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(module(gt.nn)) == repr(module(torch.nn))


@pytest.mark.parametrize("make", [lambda: gt.nn.LSTM(8, 400, bidirectional=True),
                                  lambda: gt.nn.GRUCell(8, 400)])
def test_init_is_uniform_in_one_over_sqrt_hidden(make):
    gt.manual_seed(0)
    bound = 1 / np.sqrt(400)
    for p in make().parameters():
        a = p.detach().numpy()
        assert a.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.95 * bound
        assert abs(a.mean()) < 0.05 * bound and abs(a.std() - bound / np.sqrt(3)) < 0.05 * bound


# ---- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,match", [
    (lambda nn: nn.LSTM(3, 4, proj_size=4), "proj_size has to be smaller"),
    (lambda nn: nn.LSTM(3, 4, proj_size=-1), "proj_size should be a positive"),
    (lambda nn: nn.GRU(3, 4, proj_size=2), "only supported for LSTM"),
    (lambda nn: nn.RNN(3, 4, nonlinearity="sigmoid"), "Unknown nonlinearity 'sigmoid'"),
    (lambda nn: nn.LSTM(3, 4, dropout=1.5), "dropout should be a number"),
    (lambda nn: nn.LSTM(3, 4, dropout=True), "dropout should be a number"),
    (lambda nn: nn.LSTM(3, 0), "hidden_size must be greater than zero"),
    (lambda nn: nn.LSTM(3.0, 4), "input_size should be of type int"),
    (lambda nn: nn.LSTM(3, 4, bias=1), "bias should be of type bool"),
    (lambda nn: nn.LSTM(3, 4, num_layers=0), "num_layers must be greater than zero"),
])
def test_constructor_errors(fn, match):
    check_raises(lambda lib: fn(lib.nn), lib=True, match=match)


def _call(name, x_shape, hx_shapes=None, dtype="float32", **kw):
    def fn(lib):
        torch.manual_seed(0)
        m = getattr(lib.nn, name)(IN, H, **kw)
        x = lib.zeros(*x_shape, dtype=getattr(lib, dtype))
        if hx_shapes is None:
            return m(x)
        hx = [lib.zeros(*s) for s in hx_shapes]
        return m(x, tuple(hx) if name in ("LSTM", "LSTMCell") else hx[0])
    return fn


@pytest.mark.parametrize("fn,match", [
    (_call("LSTM", (2,)), "LSTM: Expected input to be 2D or 3D, got 1D instead"),
    (_call("RNN", (2, 3, 4, 5)), "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    (_call("GRU", (T, B, 5)), "input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"),
    (_call("GRU", (T, B, IN), dtype="float64"), "RNN input dtype"),
    (_call("LSTM", (T, B, IN), [(1, B, 5), (1, B, H)]), "Expected hidden\\[0\\] size"),
    (_call("LSTM", (T, B, IN), [(1, B, H), (2, B, H)]), "Expected hidden\\[1\\] size"),
    (_call("LSTM", (T, B, IN), [(B, H), (1, B, H)]), "hx and cx should also be 3-D"),
    (_call("LSTM", (T, IN), [(1, B, H), (1, B, H)]), "hx and cx should also be 2-D"),
    (_call("GRU", (T, B, IN), [(1, 2, H)]), r"Expected hidden size \(1, 4, 6\), got \[1, 2, 6\]"),
    (_call("RNN", (T, B, IN), [(B, H)]), "hx should also be 3-D but got 2-D tensor"),
    (_call("RNN", (T, IN), [(1, B, H)]), "hx should also be 2-D but got 3-D tensor"),
    (_call("LSTM", (0, B, IN)), "Expected sequence length to be larger than 0"),
    (_call("LSTMCell", (B, IN, 2)), "LSTMCell: Expected input to be 1D or 2D, got 3D"),
    (_call("GRUCell", (B, IN), [(B, H, 1)]), "GRUCell: Expected hidden to be 1D or 2D"),
    (_call("LSTMCell", (B, IN), [(B, H), (B, H, 1)]), "Expected hx\\[1\\] to be 1D or 2D"),
    (_call("GRUCell", (B, 5)), "input has inconsistent input_size: got 5 expected 3"),
    (_call("RNNCell", (B, IN), [(B, 2)]), "hidden0 has inconsistent hidden_size: got 2"),
    (_call("LSTMCell", (B, IN), [(B, H), (2, H)]), "Input batch size 4 doesn't match hidden1"),
])
def test_forward_errors(fn, match):
    check_raises(fn, lib=True, match=match)


# ---- nn.utils.rnn -------------------------------------------------------------------------
def _seqs(lib, lengths, trailing=(2,), seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal((n,) + trailing), requires_grad=True)
            for n in lengths]


@pytest.mark.parametrize("lengths,trailing,batch_first,padding_value,side", [
    ([3, 5, 1], (2,), False, 0.0, "right"),
    ([3, 5, 1], (2, 3), True, -1.5, "right"),
    ([2, 2], (), True, 7.0, "left"),
    ([4, 1, 3], (2,), False, 0.5, "left"),
    ([0, 2], (3,), True, 0.0, "right"),
])
def test_pad_sequence(lengths, trailing, batch_first, padding_value, side):
    out = {}
    for lib in (torch, gt):
        seqs = _seqs(lib, lengths, trailing)
        y = lib.nn.utils.rnn.pad_sequence(seqs, batch_first, padding_value, side)
        up = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))
        out[lib] = [y] + list(lib.autograd.grad(y, seqs, up))
    assert_close(out[gt], out[torch])


def test_pad_sequence_of_ints_and_of_a_tensor():
    a = [[1, 2, 3], [4]]
    got = gt.nn.utils.rnn.pad_sequence([gt.tensor(s) for s in a], padding_value=-1)
    want = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in a], padding_value=-1)
    assert_close(got, want)
    x = np.arange(6.0).reshape(2, 3)
    assert_close(gt.nn.utils.rnn.pad_sequence(gt.tensor(x)),
                 torch.nn.utils.rnn.pad_sequence(torch.tensor(x)))


@pytest.mark.parametrize("fn,match", [
    (lambda lib: lib.nn.utils.rnn.pad_sequence(5), "Expected iterable"),
    (lambda lib: lib.nn.utils.rnn.pad_sequence([]), "received an empty list of sequences"),
    (lambda lib: lib.nn.utils.rnn.pad_sequence([lib.zeros(2)], padding_side="up"),
     "Expected padding_side to be one of left or right, but got up."),
    (lambda lib: lib.nn.utils.rnn.pad_sequence([lib.zeros(2, 3, 5), lib.zeros(3, 3, 6)]),
     "The size of tensor a \\(5\\) must match the size of tensor b \\(6\\) at non-singleton "
     "dimension 2"),
    (lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
     "must be sorted in decreasing order"),
    (lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [4, 3]),
     "Expected `len\\(lengths\\)` to be equal to batch_size, but got 2 \\(batch_size=3\\)"),
    (lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [4, 3, 0]),
     "Length of all samples has to be greater than 0"),
    (lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_sequence([lib.zeros(4), lib.zeros(2)]), total_length=3),
     "Expected total_length to be at least the length of the longest sequence in input, "
     "but got total_length=3 and max sequence length being 4"),
])
def test_packing_errors(fn, match):
    check_raises(fn, lib=True, match=match)


@pytest.mark.parametrize("lengths,batch_first,enforce_sorted,as_tensor", [
    ([5, 3, 3, 1], False, True, False),
    ([5, 3, 3, 1], True, True, True),
    ([2, 5, 1, 4], False, False, True),
    ([2, 5, 1, 4], True, False, False),
    ([3, 3, 3, 3], False, False, False),
])
def test_pack_and_pad_round_trip(lengths, batch_first, enforce_sorted, as_tensor):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 2) if batch_first else (6, 4, 2))
    up = rng.standard_normal((4, 7, 2) if batch_first else (7, 4, 2))   # total_length 7
    res = {}
    for lib in (torch, gt):
        xt = lib.tensor(x, requires_grad=True)
        lens = lib.tensor(lengths) if as_tensor else lengths
        p = lib.nn.utils.rnn.pack_padded_sequence(xt, lens, batch_first, enforce_sorted)
        padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(p, batch_first, -2.0, 7)
        res[lib] = [p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices, padded,
                    out_lengths, lib.autograd.grad(padded, xt, lib.tensor(up))[0]]
    if enforce_sorted:
        assert res[gt][2] is None and res[gt][3] is None
        res[gt], res[torch] = res[gt][:2] + res[gt][4:], res[torch][:2] + res[torch][4:]
    assert_close(res[gt], res[torch])


def test_pack_sequence_unpack_and_unpad():
    seqs = {lib: _seqs(lib, [2, 4, 3], (3,)) for lib in (torch, gt)}
    res = {}
    for lib in (torch, gt):
        utils = lib.nn.utils.rnn
        p = utils.pack_sequence(seqs[lib], enforce_sorted=False)
        unpacked = utils.unpack_sequence(p)
        padded = utils.pad_sequence(seqs[lib])
        unpadded = utils.unpad_sequence(padded, lib.tensor([2, 4, 3]))
        res[lib] = [p.data, p.batch_sizes, unpacked, unpadded]
    assert_close(res[gt], res[torch])
    with pytest.raises(RuntimeError, match="must be sorted"):
        gt.nn.utils.rnn.pack_sequence(seqs[gt])


def test_packed_sequence_is_a_namedtuple():
    p = gt.nn.utils.rnn.pack_sequence([gt.ones(3, 2), gt.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert batch_sizes.dtype == gt.int64 and batch_sizes.tolist() == [2, 1, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert p.double().data.dtype == gt.float64 and p.double().batch_sizes is batch_sizes
    q = gt.nn.utils.rnn.PackedSequence(data, batch_sizes, gt.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0]
    assert gt.nn.utils.rnn.invert_permutation(gt.tensor([2, 0, 1])).tolist() == [1, 2, 0]


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_hidden_state_of_another_dtype_is_refused_as_torch(cls):
    # torch raises RuntimeError from its first GEMM; glasstorch checks before running
    import torch
    for fw in (gt, torch):
        m = getattr(fw.nn, cls)(4, 3).double()
        x = fw.zeros(5, 2, 4, dtype=fw.float64)
        h = fw.zeros(1, 2, 3)
        hx = (h, h.double()) if cls == "LSTM" else h
        with pytest.raises(RuntimeError):
            m(x, hx)
    if cls == "LSTM":          # a float32 c0 with float64 h0 and input: promoted, as torch
        tm = torch.nn.LSTM(4, 3).double()
        gm = gt.nn.LSTM(4, 3).double()
        gm.load_state_dict({k: gt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
        xs = np.random.RandomState(0).randn(5, 2, 4)
        c0 = np.random.RandomState(1).randn(1, 2, 3).astype(np.float32)
        ty = tm(torch.tensor(xs), (torch.zeros(1, 2, 3, dtype=torch.float64), torch.tensor(c0)))
        gy = gm(gt.tensor(xs), (gt.zeros(1, 2, 3, dtype=gt.float64), gt.tensor(c0)))
        for a, b in zip((gy[0],) + gy[1], (ty[0],) + ty[1]):
            assert a.dtype == gt.float64
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
        for fw in (gt, torch):   # a float64 c0 with float32 input and h0: both refuse
            with pytest.raises(RuntimeError):
                fw.nn.LSTM(4, 3)(fw.zeros(5, 2, 4), (fw.zeros(1, 2, 3),
                                                     fw.zeros(1, 2, 3, dtype=fw.float64)))
