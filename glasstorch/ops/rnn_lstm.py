"""The fused LSTM layer: one op (LSTMLayer, "lstm_layer") runs one layer and direction of
torch.lstm over the whole sequence, input projection included (ops/rnn.py stacks layers and
directions, nn/modules/rnn.py is the module).

Layout (issue 11). Inside the time loop everything is kept transposed, one column per
sequence: the state is h^T (P, B), a step's gates are [W_ih | b] [x_t | 1]^T + W_hh h^T, a
(4H, B) block whose four gates are contiguous row ranges, so every gate nonlinearity is one
ufunc call on one contiguous block (in the (B, 4H) layout a gate is a strided column slice,
~3x slower per call) and W_hh @ h^T runs ~10% faster in OpenBLAS than h @ W_hh^T. The input
projection is a GEMM per step too: as one GEMM before the loop its (B, 4H) rows would need a
transposed add per step (~35 us, more than the bigger GEMM saves). Forward also writes what
backward needs per step (the gates' local derivatives), so BPTT is six ufunc calls and one
GEMM per step. What crosses time steps in bulk is row-major (one row per (step, sequence)),
so after BPTT the weight and bias gradients are one GEMM over all steps (dA^T [x | 1 | h_prev])
and the input gradient another (dA W_ih). Each step transposes its (4H, B) gate gradient
into dA's rows and its h^T into the output's rows (the price of the layout: ~10% of the op).

Rows are ordered step after step, `batch_sizes[t]` rows each (a padded batch: all B; a
PackedSequence: sequences sorted by decreasing length, so the active rows of a step are the
first ones): a step touches the first `m` columns of the state, and a sequence that has
ended keeps its final state in its column. `rows(lo, hi)` runs the loop for sequences
[lo, hi). At one thread the whole batch, its W_hh and W_ih products in row blocks for
OpenBLAS's small-matrix kernels (ops/rnn_layers.py `_gemm_rows`). At two, with numba, the
batch in column slices on the pool, each slice's loop one numba call that holds no GIL
(backend/numba_rnn_loops.py), OpenBLAS on one thread with its workers stopped
(`_column_slices`, `_run_slices`: only where the bits stay one thread's); otherwise the
loop runs on the calling thread, products with K <= 448 whole on OpenBLAS's
threads (the same bits as the blocks). Backward's all-steps GEMMs use OpenBLAS's threads.
"""
from ..autograd.grad_mode import STATE
from ..backend import xp as _xp, memory as _mem, threads as _threads, kernels as _kernels
from ..tensor import _make
from .linear import linear
from .rnn_layers import (_Layer, _blocks, _column_slices, _gemm_rows, _lstm_step, _mm,
                         _replay, _run_slices, _steps, _unroll)

__all__ = []


def _plan(steps, lo, hi):
    """(rows, m, k) per step this slice of sequences takes part in: rows of the step's
    (global) row-major arrays, m active columns, k the first column in the slice's saved
    blocks (blocks of all its steps, one after another)."""
    plan, k = [], 0
    for off, bs in steps:
        m = min(hi, bs) - lo
        if m > 0:
            plan.append((slice(off + lo, off + lo + m), m, k))
            k += m
    return plan, k


def _numba(dt):
    """backend/numba_rnn when its kernels (the same bits as the NumPy path's) may run for
    this dtype (backend/kernels.py `numba_for_exact`), else None."""
    if dt not in (_xp.float32, _xp.float64) or not _kernels.numba_for_exact():
        return None
    from ..backend import numba_rnn
    return numba_rnn


def _cblas(nk, dt, *products):
    """NumPy's own cblas ?gemm when numba_rnn may call it for these (weight, rows per block)
    products (numba_rnn.py `gemm_ok`: the calls NumPy's matmul would make), else None."""
    gemm = nk.blas_gemm(dt) if nk is not None else None
    if gemm is None or not all(nk.gemm_ok(w, rows, 2) for w, rows in products):
        return None
    return gemm


def _whole_loops(nk, dt):
    """(backend/numba_rnn_loops, np.tanh's inner loop) when a whole time loop may run as one
    numba call (numba_rnn's kernels run and NumPy's tanh loop was found), else (None, None)."""
    if nk is None:
        return None, None
    from ..backend import numba_rnn_loops
    tanh = numba_rnn_loops.tanh_loop(dt)
    return (numba_rnn_loops, tanh) if tanh is not None else (None, None)


def _plan_array(plan):
    """A slice's plan as an (steps, 3) int array: first row, active columns, column block."""
    return _xp.array([(r.start, m, k) for r, m, k in plan], dtype=_xp.intp).reshape(-1, 3)


def _numpy_bptt(dhh, dcs, K, A, F, k, m, H, da_, t1):
    """One BPTT step's elementwise work on NumPy (numba_rnn.lstm_bptt does the same in one
    call): dc += dh' A, da <- the four gate gradients (times 4), dc *= F; returns da (4H, m)."""
    a = t1[:H * m].reshape(H, m)
    _xp.multiply(A[H * k:H * (k + m)].reshape(H, m), dhh, out=a)
    dcs += a                                                 # dc += dh' o (1 - tanh^2 c')
    kt = K[4 * H * k:4 * H * (k + m)].reshape(4, H, m)
    da = da_[:4 * H * m].reshape(4, H, m)
    _xp.multiply(dcs, kt[:3], out=da[:3])                    # 4 (da_i, da_f, da_g)
    _xp.multiply(dhh, kt[3], out=da[3])                      # 4 da_o
    dcs *= F[H * k:H * (k + m)].reshape(H, m)
    return da.reshape(4 * H, m)


def _gemm(a, b):
    """a @ b over all steps (weight and input gradients): big products, on OpenBLAS's threads
    (backend/threads.py `matmul`)."""
    return _threads.matmul(a, b)


def _previous(hprev, y, h0, steps):
    """Fill hprev (N, P) with the state each row of y started its step from: the output rows
    of the step visited before (as many as both have), h0's rows for sequences starting
    there. Row copies of the layer's output (a copy: y is handed out, may change in place);
    a padded batch (every step B rows) in two copies (LM step: 0.4 -> 0.1 ms)."""
    N, B = y.shape[0], steps[0][1]
    if len(steps) * B == N:
        if steps[0][0] == 0:                   # forward: row block t starts from t - 1
            hprev[:B], hprev[B:] = h0[:B], y[:N - B]
        else:                                  # reverse: from t + 1
            hprev[N - B:], hprev[:N - B] = h0[:B], y[B:]
        return
    done = 0                                   # sequences that have had a step so far
    prev = None
    for off, bs in steps:
        if prev is not None:
            k = min(bs, prev[1])
            hprev[off:off + k] = y[prev[0]:prev[0] + k]
        if bs > done:
            hprev[off + done:off + bs] = h0[done:bs]
            done = bs
        prev = (off, bs)


def _halved(w, out):
    """out = w with the rows of gates i, f and o (quarters 0, 1, 3) halved, in three
    contiguous passes (LM's W_hh: 93 -> 39 us against a multiply by a (4H, 1) column)."""
    G, half = w.shape[0] // 4, out.dtype.type(0.5)
    _xp.multiply(w[:2 * G], half, out=out[:2 * G])
    out[2 * G:3 * G] = w[2 * G:3 * G]
    _xp.multiply(w[3 * G:], half, out=out[3 * G:])
    return out


class LSTMLayer(_Layer, name="lstm_layer"):
    """One LSTM layer over a sequence (Hochreiter & Schmidhuber 1997, Gers et al. 2000).

    Forward, per step:  a = x_t W_ih^T + b_ih + h W_hh^T + b_hh,  (i, f, g, o) = a's quarters,
        i, f, o = sigmoid(.),  g = tanh(.),  c' = f c + i g,  h' = o tanh(c')
        (projection, Sak et al. 2014: h' = (o tanh(c')) W_hr^T).
    sigmoid(a) = (1 + tanh(a/2)) / 2: the i, f, o rows of the weights and biases are halved
    up front (exact, a power of two), so one tanh call activates all four gates. Forward
    saves per step K = 4 (i(1-i) g, f(1-f) c, (1-g^2) i, o(1-o) tanh(c')) (with t = tanh(a/2),
    4 s(1-s) = 1 - t^2), A = o (1 - tanh^2 c') and f; backward runs on 4 da (W_hh / 4 in the
    recurrence, W_ih / 4 and dW / 4 in the all-steps GEMMs: powers of two, exact).

    Backward (BPTT), per step from the last:  dh' += dy_t  (projection: dW_hr += dh' u^T,
        dh' <- dh' W_hr),  dc += dh' o (1 - tanh^2 c'),
        da = (dc g i(1-i),  dc c f(1-f),  dc i (1-g^2),  dh' tanh(c') o(1-o)),
        dc <- dc f,  dh <- da W_hh.
    Then over all steps at once:  [dW_ih | db | dW_hh] = da^T [x | 1 | h_prev],  dx = da W_ih,
        (db_ih = db_hh = sum_t da_t).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse):
        B, H = c0.shape
        P, dt, (N, I) = h0.shape[1], x.dtype, x.shape
        save = any(ctx.needs_input_grad)
        half = _xp.full((4 * H, 1), 0.5, dtype=dt)
        half[2 * H:3 * H] = 1
        wh = _halved(w_hh, _mem.empty(w_hh.shape, _xp.result_type(w_hh, dt)))  # C order
        # [W_ih | b_ih + b_hh] against the rows [x | 1] of xh: the bias comes with the input
        # projection (a broadcast add of a (4H, 1) column per step costs 3x a contiguous
        # one); backward appends h_prev (xh = [x | 1 | h_prev]) for one weight-gradient GEMM
        wi = _mem.empty((4 * H, I + 1), dt)
        _halved(w_ih, wi[:, :I])
        wi[:, I] = 0
        for b in (b_ih, b_hh):
            if b is not None:
                wi[:, I] += b
        wi[:, I] *= half[:, 0]
        xh = _mem.empty((N, I + 1 + P if save else I + 1), dt)
        xh[:, :I], xh[:, I] = x, 1
        wr = _xp.ascontiguousarray(w_hr) if w_hr is not None else None
        y = _mem.empty((N, P), dt)
        h_n, c_n = _mem.empty_like(h0), _mem.empty_like(c0)
        steps = _steps(batch_sizes, reverse)
        saved = {}
        nk = _numba(dt) if wr is None else None
        loops, tanh = _whole_loops(nk, dt)
        # sequences in column slices, one per thread (rnn_layers.py `_column_slices`), when
        # each slice's loop is one numba call (NumPy's ~6 calls per step in two threads: the
        # GIL changing hands made the LM step 42 ms at 2 threads, 23 ms unsplit)
        slices = _column_slices(B, [(4 * H, P), (4 * H, I + 1)] + [(P, 4 * H)] * save, dt) \
            if loops is not None else [(0, B)]
        serial = len(slices) > 1                             # one BLAS thread per slice

        def products(mc):            # row blocks (rnn_layers) of W_hh h^T and [W_ih | b] xT
            hrows = _gemm_rows(4 * H, P, mc, dt, serial)
            irows = _gemm_rows(4 * H, I + 1, mc, dt, serial)
            return (_blocks(wh, hrows), _blocks(wi, irows), hrows, irows,
                    _cblas(nk, dt, (wi, irows), (wh, hrows)))
        plans = {hi - lo: products(hi - lo) for lo, hi in slices}
        if serial and (any(p[4] is None for p in plans.values()) or any(   # no cblas from
                m < 2 for lo, hi in slices for _, m, _ in _plan(steps, lo, hi)[0])):  # numba
            slices, serial = [(0, B)], False
            plans = {B: products(B)}
        # backward's W_hh^T / 4 in the C order its row blocks want: with the batch split, each
        # slice builds a share after its loop (numba_rnn_loops.transposed_quarter) instead of
        # backward's 0.3-0.5 ms on the calling thread (LM step at 2 threads 0.15-0.4 ms faster)
        whT = _mem.empty((P, 4 * H), dt) if save and serial and w_hh.dtype == dt and min(
            _gemm_rows(P, 4 * H, hi - lo, dt, True) for lo, hi in slices) < P else None
        if any(len(p[1]) > 1 for p in plans.values()):   # the small-matrix kernels want [x |
            xT = _mem.empty((I + 1, N), dt)     # 1]^T's columns (3.1 -> 2.65 ms of GEMMs), its
            for q in range(0, N, 64):           # x^T in blocks of 64 rows (LM: 130 -> 48 us)
                xT[:I, q:q + 64] = x[q:q + 64].T
            xT[I] = 1
        else:
            xT = xh[:, :I + 1].T                             # BLAS reads the .T as is

        def rows(lo, hi):            # the time loop for sequences [lo, hi)
            mc = hi - lo
            wblocks, iblocks, hrows, irows, gemm = plans[mc]
            plan, total = _plan(steps, lo, hi)
            h = h0[lo:hi].T.copy()
            c = c0[lo:hi].T.copy()
            g, a = _mem.empty(4 * H * mc, dt), _mem.empty(4 * H * mc, dt)
            tc_ = _mem.empty(H * mc, dt)
            n = total if save else mc                        # saved blocks or one scratch
            U = _mem.empty(H * n, dt) if wr is not None else None   # o tanh(c'), projected
            if save:        # backward's step-local factors, 4x (see the class docstring)
                K = _mem.empty(4 * H * total, dt)
                A, F = _mem.empty(H * total, dt), _mem.empty(H * total, dt)
            elif nk is not None:
                K = A = F = _mem.empty(0, dt)
            todo = plan
            if loops is not None and gemm is not None and all(m > 1 for _, m, _ in plan):
                loops.forward_loop(gemm, tanh, wi, irows, xT, wh, hrows, h, c, g, a, tc_, K,
                                   A, F, y, _plan_array(plan), save)    # one numba call
                todo = ()
            for r, m, k in todo:
                hs, cs = (h, c) if m == mc else (h[:, :m], c[:, :m])
                gt = g[:4 * H * m].reshape(4 * H, m)
                at = a[:4 * H * m].reshape(4 * H, m)
                i, f, gg, o = gt[:H], gt[H:2 * H], gt[2 * H:3 * H], gt[3 * H:]
                # the input projection per step, straight into the (4H, m) layout (as one
                # GEMM before the loop its (m, 4H) rows cost a transposed add per step)
                if gemm is not None and m > 1:   # the same cblas calls from numba
                    nk.step_gemms(gemm, wi, irows, xT, r.start, wh, hrows, h, m, g, a)
                else:
                    _mm(iblocks, xT[:, r], gt)
                    _mm(wblocks, hs, at)
                    gt += at
                _xp.tanh(gt, out=gt)
                if nk is not None:          # the rest as two passes (backend/numba_rnn.py)
                    nk.lstm_cell(g, c, K, F, k, m, save)
                    _xp.tanh(cs, out=tc_[:H * m].reshape(H, m))
                    nk.lstm_hidden(g, tc_, h, K, A, k, m, save)
                    y[r] = hs.T
                    continue
                if save:    # every saved factor is written once (they stream to memory)
                    kt = K[4 * H * k:4 * H * (k + m)].reshape(4 * H, m)
                    q, qg = at, at[2 * H:3 * H]
                    _xp.multiply(gt, gt, out=q)              # 1 - tanh^2: 4 s(1-s) for
                    _xp.subtract(1, q, out=q)                # i, f, o; tanh' for g
                    _xp.multiply(q[H:2 * H], cs, out=kt[H:2 * H])
                for s in (gt[:2 * H], o):                    # tanh(a/2) -> sigmoid(a)
                    s *= 0.5
                    s += 0.5
                if save:
                    _xp.multiply(q[:H], gg, out=kt[:H])
                    qg *= 4
                    _xp.multiply(qg, i, out=kt[2 * H:3 * H])
                    F[H * k:H * (k + m)].reshape(H, m)[...] = f
                cs *= f
                t = tc_[:H * m].reshape(H, m)
                _xp.multiply(i, gg, out=t)
                cs += t
                tc = t
                _xp.tanh(cs, out=tc)
                if wr is None:
                    _xp.multiply(o, tc, out=hs)
                else:
                    u = U[H * k:H * (k + m)].reshape(H, m) if save else U[:H * m].reshape(H, m)
                    _xp.multiply(o, tc, out=u)
                    _xp.matmul(wr, u, out=hs)
                if save:
                    _xp.multiply(q[3 * H:], tc, out=kt[3 * H:])
                    a2 = q[:H]                               # o (1 - tanh^2 c')
                    _xp.multiply(tc, tc, out=a2)
                    _xp.subtract(1, a2, out=a2)
                    _xp.multiply(a2, o, out=A[H * k:H * (k + m)].reshape(H, m))
                y[r] = hs.T
            h_n[lo:hi], c_n[lo:hi] = h.T, c.T
            if whT is not None:         # this slice's share of backward's W_hh^T / 4
                i, n_ = slices.index((lo, hi)), len(slices)
                loops.transposed_quarter(w_hh, whT, 4 * H * i // n_, 4 * H * (i + 1) // n_)
            if save:
                saved[lo] = (hi, plan, K, A, F, U)
        _run_slices(rows, slices, 4 * H * P * B)
        if save:
            _previous(xh[:, I + 1:], y, h0, steps)
            ctx.save(acts=saved, xh=xh, whT=whT)
            ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
            ctx.save_inputs(0, 1, 2, 3, 4, 5, 6, 7)
        return y, h_n, c_n

    @staticmethod
    def backward(ctx, gy, gh, gc):
        if STATE.enabled:
            return _replay(ctx, (gy, gh, gc))
        x, _, _, w_ih, w_hh, b_ih, b_hh, w_hr = (t if t is None else t._data
                                                 for t in ctx.saved_tensors)
        need = ctx.needs_input_grad
        H, P = w_hh.shape[0] // 4, w_hh.shape[1]
        (N, I), dt = x.shape, x.dtype
        dy, gh, gc = gy._data, gh._data, gc._data
        dA = _mem.empty((N, 4 * H), dt)                      # 4 da of all steps, row-major
        dR = _mem.empty((N, P), dt) if need[7] else None     # dh' before W_hr, and u
        u_all = _mem.empty((N, H), dt) if need[7] else None
        B = gh.shape[0]
        slices = [(lo, ctx.acts[lo][0]) for lo in sorted(ctx.acts)]   # forward's
        serial = len(slices) > 1
        rows_t = {hi - lo: _gemm_rows(P, 4 * H, hi - lo, dt, serial) for lo, hi in slices}
        if ctx.whT is not None and min(rows_t.values()) < P:
            whT = ctx.whT                                    # the forward slices built it
        elif min(rows_t.values()) < P:   # (P, 4H) C-ordered for row blocks, transposed by blocks
            whT = _mem.empty((P, 4 * H), dt)                 # of 64 rows (3.5x faster than
            for q in range(0, 4 * H, 64):                    # ascontiguousarray of the .T)
                _xp.multiply(w_hh[q:q + 64].T, 0.25, out=whT[:, q:q + 64])
        else:
            whT = _xp.multiply(w_hh, 0.25).T                 # BLAS reads the .T as is
        wrT = w_hr.T if w_hr is not None else None
        dh0, dc0 = _mem.empty_like(gh), _mem.empty_like(gc)
        nk = _numba(dt) if w_hr is None and dy.dtype == dt else None
        plans = {mc: (_blocks(whT, r), r, _cblas(nk, dt, (whT, r))) for mc, r in rows_t.items()}

        def rows(lo, _):             # BPTT for the sequences of one forward slice
            hi, plan, K, A, F, U = ctx.acts[lo]
            mc = hi - lo
            tblocks, rows_t, gemm = plans[mc]
            dh = gh[lo:hi].T.copy()
            dc = gc[lo:hi].T.copy()
            da_, t1 = _mem.empty(4 * H * mc, dt), _mem.empty(H * mc, dt)
            dhp = _mem.empty(H * mc, dt) if wrT is not None else None
            todo = plan
            if nk is not None and gemm is not None and all(m > 1 for _, m, _ in plan):
                from ..backend import numba_rnn_loops           # one numba call
                numba_rnn_loops.backward_loop(gemm, whT, rows_t, dh, dc, dy, K, A, F, da_, t1,
                                              dA, _plan_array(plan))
                todo = ()
            for r, m, k in reversed(todo):
                d, dcs = (dh, dc) if m == mc else (dh[:, :m], dc[:, :m])
                d += dy[r].T
                dhh = d
                if wrT is not None:
                    if dR is not None:
                        dR[r] = d.T
                        u_all[r] = U[H * k:H * (k + m)].reshape(H, m).T
                    dhh = dhp[:H * m].reshape(H, m)
                    _xp.matmul(wrT, d, out=dhh)
                if gemm is not None and m > 1:   # one call: the pass and the product
                    nk.lstm_bptt_gemm(dh, dc, K, A, F, k, m, da_, t1, gemm, whT, rows_t)
                    da = da_[:4 * H * m].reshape(4 * H, m)
                elif nk is not None:        # one pass (backend/numba_rnn.py)
                    nk.lstm_bptt(dh, dc, K, A, F, k, m, da_, t1)
                    da = da_[:4 * H * m].reshape(4 * H, m)
                    _mm(tblocks, da, d)
                else:
                    da = _numpy_bptt(dhh, dcs, K, A, F, k, m, H, da_, t1)
                    _mm(tblocks, da, d)
                rows_r = dA[r]
                for q in range(0, 4 * H, 256):               # transposed in blocks of
                    rows_r[:, q:q + 256] = da[q:q + 256].T    # rows: ~1.7x faster
            dh0[lo:hi], dc0[lo:hi] = dh.T, dc.T
        if nk is not None and all(p[2] is not None for p in plans.values()):
            _run_slices(rows, slices, 4 * H * P * B)         # one numba call per slice
        else:
            _run_slices(lambda lo, hi: [rows(*s) for s in slices], [(0, B)], 4 * H * P * B)
        dW = None
        if need[3] or need[4] or need[5] or need[6]:         # [dW_ih | db | dW_hh]
            dW = _gemm(dA.T, ctx.xh)

        def part(cols):             # dW's columns, scaled (4 da: exact) into their own array
            return _xp.multiply(dW[:, cols], 0.25)
        grads = (_gemm(dA, _xp.multiply(w_ih, 0.25)) if need[0] else None,
                 dh0 if need[1] else None, dc0 if need[2] else None,
                 part(slice(0, I)) if need[3] else None,
                 part(slice(I + 1, None)) if need[4] else None,
                 part(I) if need[5] else None, part(I) if need[6] else None,
                 dR.T @ u_all if need[7] else None)
        return tuple(None if a is None else _make(a) for a in grads) + (None, None)

    @staticmethod
    def twin(ctx, inputs):
        """The composite twin's outputs (create_graph=True backward)."""
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = inputs
        return _unroll(_lstm_step, linear(x, w_ih, b_ih), [h0, c0], (w_hh, b_hh, w_hr),
                       ctx.batch_sizes, ctx.reverse)
