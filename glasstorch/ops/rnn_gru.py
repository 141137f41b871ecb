"""The fused GRU layer: one op (GRULayer, "gru_layer") runs one layer and direction of
torch.gru over the whole sequence, input projection included, in the LSTM layer's transposed
layout (read ops/rnn_lstm.py's docstring: state h^T, a step's gates a (3H, B) block of
contiguous gate rows, projections as GEMMs per step, backward's factors saved by forward,
weight gradients as GEMMs over all steps, the batch split over threads).

The biases ride the GEMMs as columns of ones: [W_ih | b_ih] [x | 1]^T and [W_hh | b_hh]
[h | 1]^T (the state keeps a row of ones under h^T), since b_hn must stay inside r (.).
"""
from ..autograd.grad_mode import STATE
from ..backend import xp as _xp, memory as _mem
from ..tensor import _make
from .linear import linear
from .rnn_layers import (_Layer, _blocks, _gemm_rows, _gru_step, _mm, _replay, _steps,
                         _time_loop, _unroll)
from .rnn_lstm import _gemm, _plan, _previous

__all__ = []


def _with_bias(w, b, half, dt):
    """[w | b] (zeros for no bias), rows scaled by half: (G, in + 1), C order."""
    out = _mem.empty((w.shape[0], w.shape[1] + 1), dt)
    _xp.multiply(w, half, out=out[:, :-1])
    out[:, -1] = 0 if b is None else b
    out[:, -1] *= half[:, 0]
    return out


class GRULayer(_Layer, name="gru_layer"):
    """One GRU layer over a sequence (Cho et al. 2014, torch's / cuDNN's variant).

    Forward, per step:  ai = x W_ih^T + b_ih,  ah = h W_hh^T + b_hh  (thirds r, z, n),
        r, z = sigmoid(ai + ah) (first two thirds),  n = tanh(ai_n + r ah_n),
        h' = n + z (h - n).
    sigmoid via tanh(a/2) as in the LSTM layer (r, z rows of the weights halved: exact).
    Forward saves per step  Kn = (1-z)(1-n^2),  Kz = (h-n) z(1-z),  Kr = ah_n r(1-r),  r, z.

    Backward (BPTT), per step from the last:  dh' += dy_t,
        dn* = dh' Kn,  dz* = dh' Kz,  dr* = dn* Kr,
        dai = (dr*, dz*, dn*),  dah = (dr*, dz*, dn* r),  dh <- dh' z + dah W_hh.
    Then over all steps at once:  [dW_ih | db_ih] = dai^T [x | 1],
        [dW_hh | db_hh] = dah^T [h_prev | 1],  dx = dai W_ih.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, batch_sizes, reverse):
        B, H = h0.shape
        dt, (N, I) = x.dtype, x.shape
        save = any(ctx.needs_input_grad)
        half = _xp.ones((3 * H, 1), dtype=dt)
        half[:2 * H] = 0.5
        wi, wh = _with_bias(w_ih, b_ih, half, dt), _with_bias(w_hh, b_hh, half, dt)
        xh = _mem.empty((N, I + 1), dt)
        xh[:, :I], xh[:, I] = x, 1
        y = _mem.empty((N, H), dt)
        h_n = _mem.empty_like(h0)
        steps = _steps(batch_sizes, reverse)
        saved = {}
        wblocks = _blocks(wh, _gemm_rows(3 * H, H + 1, B, dt))  # row blocks (rnn_layers)

        def rows(lo, hi):            # the time loop for sequences [lo, hi)
            mc = hi - lo
            plan, total = _plan(steps, lo, hi)
            h1 = _mem.empty((H + 1, mc), dt)                 # [h^T; 1]
            h1[:H], h1[H] = h0[lo:hi].T, 1
            gi_, ga_, t_ = (_mem.empty(3 * H * mc, dt), _mem.empty(3 * H * mc, dt),
                            _mem.empty(H * mc, dt))
            if save:
                S = _mem.empty(5 * H * total, dt)            # Kn, Kz, Kr, r, z per step
            for r, m, k in plan:
                hp = h1 if m == mc else h1[:, :m]
                hs = hp[:H]
                gi = gi_[:3 * H * m].reshape(3 * H, m)
                ga = ga_[:3 * H * m].reshape(3 * H, m)
                t = t_[:H * m].reshape(H, m)
                _xp.matmul(wi, xh[r].T, out=gi)
                _mm(wblocks, hp, ga)
                rz, n = gi[:2 * H], gi[2 * H:]
                rz += ga[:2 * H]
                _xp.tanh(rz, out=rz)
                rz *= 0.5                                    # tanh(a/2) -> sigmoid(a)
                rz += 0.5
                rg, z, an = rz[:H], rz[H:], ga[2 * H:]
                _xp.multiply(rg, an, out=t)
                n += t
                _xp.tanh(n, out=n)
                _xp.subtract(hs, n, out=t)                   # h - n
                if save:
                    s = S[5 * H * k:5 * H * (k + m)].reshape(5, H, m)
                    s[3:] = rz.reshape(2, H, m)
                    q = ga[:H]                               # z (1 - z), (1 - r) r: scratch
                    _xp.subtract(1, z, out=q)
                    _xp.multiply(q, z, out=s[1])
                    s[1] *= t                                # Kz = (h-n) z(1-z)
                    _xp.subtract(1, rg, out=q)
                    q *= rg
                    _xp.multiply(q, an, out=s[2])            # Kr = ah_n r(1-r)
                    _xp.multiply(n, n, out=q)
                    _xp.subtract(1, q, out=q)
                    _xp.subtract(1, z, out=s[0])
                    s[0] *= q                                # Kn = (1-z)(1-n^2)
                t *= z
                _xp.add(n, t, out=hs)
                y[r] = hs.T
            h_n[lo:hi] = h1[:H].T
            if save:
                saved[lo] = (hi, plan, S)
        _time_loop(lambda: rows(0, B), 3 * H * (H + 1) * B)
        if save:
            hp1 = _mem.empty((N, H + 1), dt)
            _previous(hp1[:, :H], y, h0, steps)
            hp1[:, H] = 1
            ctx.save(acts=saved, xh=xh, hp1=hp1)
            ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
            ctx.save_inputs(0, 1, 2, 3, 4, 5)
        return y, h_n

    @staticmethod
    def backward(ctx, gy, gh):
        if STATE.enabled:
            return _replay(ctx, (gy, gh))
        x, _, w_ih, w_hh, _, _ = (t if t is None else t._data for t in ctx.saved_tensors)
        need = ctx.needs_input_grad
        H, (N, I), dt = w_hh.shape[1], x.shape, x.dtype
        dy, gh = gy._data, gh._data
        dA = _mem.empty((N, 4 * H), dt)                      # (dr*, dz*, dn*, dn* r) rows
        whT = w_hh.T
        dh0 = _mem.empty_like(gh)

        def rows(lo):                # BPTT for the sequences of one forward slice
            hi, plan, S = ctx.acts[lo]
            mc = hi - lo
            dh = gh[lo:hi].T.copy()
            da_, t_ = _mem.empty(4 * H * mc, dt), _mem.empty(H * mc, dt)
            for r, m, k in reversed(plan):
                s = S[5 * H * k:5 * H * (k + m)].reshape(5, H, m)
                d = dh if m == mc else dh[:, :m]
                d += dy[r].T
                da = da_[:4 * H * m].reshape(4, H, m)
                _xp.multiply(d, s[0], out=da[2])             # dn*
                _xp.multiply(d, s[1], out=da[1])             # dz*
                _xp.multiply(da[2], s[2], out=da[0])         # dr*
                _xp.multiply(da[2], s[3], out=da[3])         # dn* r
                d *= s[4]                                    # dh' z
                t = t_[:H * m].reshape(H, m)
                dah = da.reshape(4 * H, m)
                _xp.matmul(whT[:, :2 * H], dah[:2 * H], out=t)
                d += t
                _xp.matmul(whT[:, 2 * H:], dah[3 * H:], out=t)
                d += t
                rows_r = dA[r]
                for q in range(0, 4 * H, 256):               # transposed in blocks of
                    rows_r[:, q:q + 256] = dah[q:q + 256].T   # rows, as in the LSTM
            dh0[lo:hi] = dh.T
        starts = sorted(ctx.acts)
        _time_loop(lambda: [rows(lo) for lo in starts], 3 * H * H * gh.shape[0])
        gi = gw = None
        if need[2] or need[4]:                               # [dW_ih | db_ih]
            gi = _gemm(dA[:, :3 * H].T, ctx.xh)
        if need[3] or need[5]:                               # [dW_hh | db_hh]
            gw = _mem.empty((3 * H, H + 1), dt)
            gw[:2 * H] = _gemm(dA[:, :2 * H].T, ctx.hp1)
            gw[2 * H:] = _gemm(dA[:, 3 * H:].T, ctx.hp1)
        grads = (_gemm(dA[:, :3 * H], w_ih) if need[0] else None,
                 dh0 if need[1] else None,
                 _xp.ascontiguousarray(gi[:, :I]) if need[2] else None,
                 _xp.ascontiguousarray(gw[:, :H]) if need[3] else None,
                 gi[:, I].copy() if need[4] else None,
                 gw[:, H].copy() if need[5] else None)
        return tuple(None if a is None else _make(a) for a in grads) + (None, None)

    @staticmethod
    def twin(ctx, inputs):
        """The composite twin's outputs (create_graph=True backward)."""
        x, h0, w_ih, w_hh, b_ih, b_hh = inputs
        return _unroll(_gru_step, linear(x, w_ih, b_ih), [h0], (w_hh, b_hh), ctx.batch_sizes,
                       ctx.reverse)
