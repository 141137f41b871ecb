"""The fused Elman RNN layer that ops/rnn.py's rnn_* and their cells run on, what all fused
layers share (LSTMLayer in rnn_lstm.py and GRULayer in rnn_gru.py too), and their composite
twins.

How the RNN layer runs: the input projection of every time step is one matmul (F.linear over
all T*B rows, in rnn.py), then one fused op (RNNLayer) runs the time loop on
arrays: per step one matmul h @ W_hh^T and the gate nonlinearities written into preallocated
buffers, which backward reuses. Backward is the BPTT loop on arrays (one matmul per step), and
the weight gradient dW_hh = dgates^T @ h_prev is one matmul over all steps. One graph node per
layer and direction, so Python work per step is a handful of NumPy calls. With
create_graph=True backward instead differentiates the composite twin (`_unroll`: the same math
as per-step glasstorch ops), so second derivatives work.

Time steps are stored one after another, `batch_sizes[t]` rows each: (T*B, G) for a padded
batch, a PackedSequence's data for a packed one (sequences sorted by decreasing length, so the
rows active at step t are the first batch_sizes[t] ones). A finished sequence keeps its state
in the (B, H) state buffer, so final states are taken at each sequence's own last step, and the
reverse direction starts each sequence from h0 at its own end.
"""
from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp, memory as _mem, threads as _threads
from ..tensor import _make
from .join import cat

__all__ = []


def _steps(batch_sizes, reverse):
    """(first row, number of rows) of each time step, in the order the layer visits them."""
    steps, off = [], 0
    for bs in batch_sizes:
        steps.append((off, bs))
        off += bs
    return steps[::-1] if reverse else steps


# Per-step GEMMs of at least this many multiply-adds go whole to OpenBLAS's threads (with more
# than one thread), smaller ones run on one BLAS thread, as backend/threads.py `matmul` decides
# for any product. LSTM LM step (H 256, batch 32: 8.4M per product), min wall of 60 steps at
# real-time priority (an idle core pair), load 10: 1 thread 33.5 ms; 2 threads 24.2 ms so,
# 28.3 ms with every per-step GEMM on one thread (only the all-steps dW/dx GEMMs threaded).
# The price: with the other core busy (load 7-8, no priority) the step took 510-560 ms
# (median wall) against 190-260 ms on one thread per GEMM, as each threaded GEMM waits for a
# worker that is not running, 105 times a step (float("inf") here chooses the latter). The
# batch split over glasstorch's pool (before) took 33-34 ms: each thread packed all of W_hh
# for half the columns every step. docs/perf/lstm.md, "The LSTM layer".
LOOP_THREADED_MNK = 1 << 21    # (threads.GEMM_SERIAL_MNK was this when it was measured)


def _time_loop(run, gemm_mnk):
    """run() the time loop of a fused layer on this thread; its per-step GEMMs (gemm_mnk
    multiply-adds each) on one BLAS thread below LOOP_THREADED_MNK."""
    if _threads.get_num_threads() > 1 and gemm_mnk < LOOP_THREADED_MNK:
        with _threads.serial_blas():
            run()
    else:
        run()


# OpenBLAS's SkylakeX kernels run a float32 product of at most 100^3 multiply-adds through
# unpacked "small matrix" kernels; above that every call first packs W_hh (1 MiB for H = 256),
# 40% of a (1024, 256) @ (256, 32) step product. Row blocks under the bound (rows >= 30, at most
# 32 columns) are faster: min CPU per product, 1 thread, H x batch 256 x 32: 165 -> 135 us
# forward (120 rows), 170 -> 132 us backward ((256, 1024) @ (1024, 32), 30 rows); 128 x 16-32
# and 512 x 8-16 gain too, batch 64 or blocks under 30 rows lose (docs/perf/lstm.md).
_SMALL_GEMM_DTYPES = ((_xp.dtype(_xp.float32),) if _threads.blas_corename()
                      in ("skylakex", "cooperlake", "sapphirerapids") else ())
SMALL_GEMM_MNK, SMALL_GEMM_MIN_ROWS = 100 ** 3, 30
# Up to this K OpenBLAS's packed SkylakeX kernels (a product on its threads) sum K in one
# block (GEMM_Q), so they give the small-matrix kernels' bits: (768, K) @ (K, 32) whole on 2
# threads and in row blocks were equal for K 257-448, not from 449; so the LSTM's BPTT product
# (256, 1024) @ (1024, 32) keeps its blocks at any thread count (1 and 2 threads: same bits)
SAME_BITS_K = 448


def _gemm_rows(M, K, N, dtype, serial=False):
    """Rows per call for a time loop's (M, K) @ (K, N) product: M (one call) or a block that
    OpenBLAS's small-matrix kernels take (products on one BLAS thread only: `serial`, or
    below LOOP_THREADED_MNK)."""
    if dtype not in _SMALL_GEMM_DTYPES or N > 32 or not K * N:
        return M
    if K <= SAME_BITS_K and not serial and (_threads.get_num_threads() > 1
                                            and M * K * N >= LOOP_THREADED_MNK):
        return M                 # whole, on OpenBLAS's threads: the blocks' bits (one K block)
    rows = SMALL_GEMM_MNK // (K * N)
    return rows if SMALL_GEMM_MIN_ROWS <= rows < M else M


# At 2+ threads a time loop whose batch is wide enough runs its sequences in column slices,
# one per thread, each on one BLAS thread (sequences are independent: no sync between steps,
# one hand-off per loop), with OpenBLAS's workers stopped for the duration (threads.py
# `quiet_blas`: a spinning worker keeps the pool thread off the other core). LSTM LM step
# at 2 threads, real-time priority: 23.1 ms (per-step GEMMs on OpenBLAS's threads) -> 19.6
# (slices of 16 columns; each W_hh product costs 74 us for 16 columns, 116 us for 32). Only
# when each slice's loop is one numba call (ops/rnn_lstm.py): NumPy's ~6 calls per step in
# two threads made the step 42 ms, the GIL changing hands at each.
SPLIT_MIN_COLUMNS = 16
_SMALL_KERNEL_CORES = ("skylakex", "cooperlake", "sapphirerapids")


def _small_kernel(M, K, N, dtype):
    """Whether OpenBLAS runs the time loop's (M, K) @ (K, N) product (one thread, in
    `_gemm_rows` blocks) through its small-matrix kernels (at most 100^3 multiply-adds per
    call, float32 and float64 alike on SkylakeX). Their bits depend on the kernel family
    (packed kernels sum K in blocks) and on N (columns past a multiple of 16 take another
    path: a (132, 33) product's first 17 columns differ alone and within 32 or 35)."""
    return M * K * N <= SMALL_GEMM_MNK or _gemm_rows(M, K, N, dtype, True) < M


def _column_slices(B, products, dtype):
    """[(lo, hi)]: the sequences each thread's time loop takes, [(0, B)] for one loop. Split
    only where every per-step product ((M, K) @ (K, columns)) gives one thread's bits: on
    SkylakeX-family builds the same kernel family for the slices as for the whole batch,
    and with small-matrix kernels float32 slices of whole 16-column groups (measured
    bit-equal; float64's 16 and 32 columns differ);
    elsewhere over 100^3 multiply-adds per call (packed kernels: their K blocks depend on K
    alone, and OpenBLAS splits no K sum)."""
    n = min(_threads.get_num_threads(), B // SPLIT_MIN_COLUMNS)
    if n <= 1:
        return [(0, B)]
    bounds = [B * i // n for i in range(n + 1)]
    small = _threads.blas_corename() in _SMALL_KERNEL_CORES
    if small and any(_small_kernel(M, K, B, dtype) for M, K in products):
        if B % 16 or dtype not in _SMALL_GEMM_DTYPES:      # float64's differ at 16 and 32
            return [(0, B)]
        bounds = [16 * (B // 16 * i // n) for i in range(n + 1)]
    widths = {hi - lo for lo, hi in zip(bounds, bounds[1:])}
    for M, K in products:
        for w in widths:
            if (_small_kernel(M, K, w, dtype) != _small_kernel(M, K, B, dtype) if small
                    else M * K * w <= SMALL_GEMM_MNK):
                return [(0, B)]
    return list(zip(bounds, bounds[1:]))


def _run_slices(run, slices, gemm_mnk):
    """run(lo, hi) for each column slice: on the pool when there are several (OpenBLAS on
    one thread, its workers stopped: threads.py `quiet_blas`), else `_time_loop` here."""
    if len(slices) == 1:
        _time_loop(lambda: run(*slices[0]), gemm_mnk)
        return
    with _threads.quiet_blas():
        _threads.parallel_for(len(slices), lambda i, j: [run(*s) for s in slices[i:j]],
                              _threads.THRESHOLD)


def _blocks(w, rows):
    """(row slice, rows of w) blocks of `rows` rows (one block: all of w)."""
    return [(slice(r, r + rows), w[r:r + rows]) for r in range(0, w.shape[0], rows)]


def _mm(blocks, b, out):
    """out = w @ b, w given as _blocks: one GEMM per block."""
    if len(blocks) == 1:
        _xp.matmul(blocks[0][1], b, out=out)
    else:
        for r, w in blocks:
            _xp.matmul(w, b, out=out[r])


class _Layer(Op):
    """Shared by the three fused layers: the activations saved for backward are `ctx.acts`
    (kept with ctx.save, so freed with the graph), and create_graph=True backward goes
    through `_replay`, which differentiates the layer's `twin(ctx, inputs)`."""
    __slots__ = ()


class RNNLayer(_Layer, name="rnn_layer"):
    """One Elman RNN layer over a sequence: h' = tanh(xg + h W_hh^T + b_hh) (or relu).
    BPTT: da = dh' (1 - h'^2) (relu: dh' [h' > 0]),  dh_prev = da W_hh,  dxg = da."""

    @staticmethod
    def forward(ctx, xg, h0, w_hh, b_hh, batch_sizes, reverse, relu):
        B, H = h0.shape
        x = xg.reshape(-1, H)
        n, dt = x.shape[0], x.dtype
        xs = x + b_hh if b_hh is not None else x
        wt = _xp.ascontiguousarray(w_hh.T)                   # C order as in LSTMLayer
        hprev, y = _xp.empty((n, H), dt), _xp.empty((n, H), dt)
        h = h0.copy()
        for off, bs in _steps(batch_sizes, reverse):
            r = slice(off, off + bs)
            hp, yt = hprev[r], y[r]
            hp[...] = h[:bs]
            _xp.matmul(hp, wt, out=yt)
            yt += xs[r]
            if relu:
                _xp.maximum(yt, 0, out=yt)
            else:
                _xp.tanh(yt, out=yt)
            h[:bs] = yt
        if any(ctx.needs_input_grad):
            # the local derivative now: y is handed out and may be changed in place later
            ctx.save(acts=((y > 0).astype(dt) if relu else 1 - y * y, hprev))
            ctx.batch_sizes, ctx.reverse, ctx.relu = batch_sizes, reverse, relu
            ctx.save_inputs(0, 1, 2, 3)
        return y.reshape(xg.shape[:-1] + (H,)), h

    @staticmethod
    def backward(ctx, gy, gh):
        if STATE.enabled:
            return _replay(ctx, (gy, gh))
        xg, _, w_hh, _ = ctx.saved_tensors
        K, hprev = ctx.acts
        need = ctx.needs_input_grad
        n, H = K.shape
        dA = _xp.empty_like(K)
        wd = w_hh._data
        dy = gy._data.reshape(n, H)
        dh = gh._data.copy()
        for off, bs in reversed(_steps(ctx.batch_sizes, ctx.reverse)):
            r = slice(off, off + bs)
            d = dh[:bs]
            d += dy[r]
            _xp.multiply(d, K[r], out=dA[r])
            _xp.matmul(dA[r], wd, out=d)
        return (_make(dA.reshape(xg.shape)) if need[0] else None,
                _make(dh) if need[1] else None,
                _make(dA.T @ hprev) if need[2] else None,
                _make(dA.sum(0)) if need[3] else None, None, None, None)


    @staticmethod
    def twin(ctx, inputs):
        xg, h0, w_hh, b_hh = inputs
        return _unroll(_rnn_step, xg, [h0], (w_hh, b_hh, ctx.relu), ctx.batch_sizes,
                       ctx.reverse)


# ---- the composite twin: the same layers as per-step glasstorch ops --------------------------
def _lstm_step(x, state, w_hh, b_hh, w_hr):
    h, c = state
    a = x + h @ w_hh.mT
    if b_hh is not None:
        a = a + b_hh
    i, f, g, o = a.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = h @ w_hr.mT
    return h, c


def _gru_step(x, state, w_hh, b_hh):
    h, = state
    a = h @ w_hh.mT
    if b_hh is not None:
        a = a + b_hh
    xr, xz, xn = x.chunk(3, 1)
    ar, az, an = a.chunk(3, 1)
    r, z = (xr + ar).sigmoid(), (xz + az).sigmoid()
    n = (xn + r * an).tanh()
    return (n + z * (h - n),)


def _rnn_step(x, state, w_hh, b_hh, relu):
    a = x + state[0] @ w_hh.mT
    if b_hh is not None:
        a = a + b_hh
    return (a.relu() if relu else a.tanh(),)


def _unroll(step, xg, states, params, batch_sizes, reverse):
    """The layer one step at a time in glasstorch ops: (y, *final states). Rows of sequences
    that have ended (or, in reverse, not started) keep their state."""
    B = states[0].shape[0]
    x = xg.reshape(-1, xg.shape[-1])
    outs = {}
    for off, bs in _steps(batch_sizes, reverse):
        new = step(x[off:off + bs], [s[:bs] for s in states], *params)
        states = [a if bs == B else cat([a, s[bs:]]) for a, s in zip(new, states)]
        outs[off] = new[0]
    y = cat([outs[off] for off in sorted(outs)])
    return (y.reshape(xg.shape[:-1] + (y.shape[-1],)), *states)


def _replay(ctx, grads):
    """create_graph=True: differentiate the composite twin (each layer's `twin`), recomputed
    from the saved inputs (which keep their history), so the gradients are differentiable."""
    inputs = ctx.saved_tensors
    outs = type(ctx).twin(ctx, inputs)
    wanted = [k for k, t in enumerate(inputs) if ctx.needs_input_grad[k]]
    gs = _grad(outs, [inputs[k] for k in wanted], grads, allow_unused=True, create_graph=True)
    result = [None] * len(ctx.next_functions)   # None for batch_sizes, reverse (and relu)
    for k, g in zip(wanted, gs):
        result[k] = g
    return tuple(result)
