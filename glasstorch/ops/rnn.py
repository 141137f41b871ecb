"""Recurrent networks: torch's functional forms of nn.RNN / nn.LSTM / nn.GRU and their cells.

    lstm, gru, rnn_tanh, rnn_relu        all layers and directions (torch.lstm & co., the _VF
                                         functions the nn modules call), padded or packed input
    lstm_cell, gru_cell, rnn_*_cell      one time step

Each layer and direction is one fused op over the whole sequence: LSTMLayer (rnn_lstm.py:
input projection, time loop in the transposed layout and bulk weight gradients, all inside),
GRULayer (rnn_gru.py, the same layout) and RNNLayer (rnn_layers.py, after the input
projection of every step as one F.linear over all T*B rows); rnn_layers.py's docstring tells
the time loop, BPTT and second derivatives. A cell is the same op over one time step.
nn/modules/rnn.py holds the layers; nn/utils/rnn.py packs and pads.
"""
from .dropout import dropout as _dropout
from .join import cat, stack
from .linear import linear
from .rnn_gru import GRULayer
from .rnn_layers import RNNLayer
from .rnn_lstm import LSTMLayer

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell",
           "rnn_relu_cell"]


# ---- functional forms ------------------------------------------------------------------------
def _layer(mode, x, states, w, has_biases, has_proj, batch_sizes, reverse):
    """One layer and direction: w = [w_ih, w_hh, (b_ih, b_hh), (w_hr)]."""
    w_ih, w_hh = w[0], w[1]
    b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
    if mode == "lstm":
        return LSTMLayer.apply(x, states[0], states[1], w_ih, w_hh, b_ih, b_hh,
                               w[-1] if has_proj else None, batch_sizes, reverse)
    if mode == "gru":
        return GRULayer.apply(x, states[0], w_ih, w_hh, b_ih, b_hh, batch_sizes, reverse)
    return RNNLayer.apply(linear(x, w_ih, b_ih), states[0], w_hh, b_hh, batch_sizes, reverse,
                          mode == "rnn_relu")


def _rnn(mode, args):
    """torch's two call forms: (input, hx, params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first) and, for packed data, (data, batch_sizes, hx, params,
    has_biases, num_layers, dropout, train, bidirectional). Returns (output, *final states)."""
    if isinstance(args[3], bool):
        input, hx, params, has_biases, num_layers, p, train, bidirectional, batch_first = args
        if batch_first:
            input = input.transpose(0, 1)
        steps, batch = input.shape[:2]
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        batch_sizes = (batch,) * steps
        # rows (t, b): NumPy runs (T, B, in) @ (in, G) as T small GEMMs, (T*B, in) as one
        input = input.reshape(steps * batch, input.shape[2])
    else:
        input, batch_sizes, hx, params, has_biases, num_layers, p, train, bidirectional = args
        steps = None
        batch_sizes = tuple(batch_sizes.tolist())
    states = list(hx) if mode == "lstm" else [hx]
    D = 2 if bidirectional else 1
    per = len(params) // (num_layers * D)   # 2 weights, 2 biases, 1 projection
    has_proj = per - 2 - 2 * has_biases == 1
    initial = [s.unbind(0) for s in states]
    finals = [[] for _ in states]
    x = input
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            res = _layer(mode, x, [s[k] for s in initial], params[k * per:(k + 1) * per],
                         has_biases, has_proj, batch_sizes, d == 1)
            outs.append(res[0])
            for fin, s in zip(finals, res[1:]):
                fin.append(s)
        x = outs[0] if D == 1 else cat(outs, -1)
        if p > 0 and train and layer < num_layers - 1:
            x = _dropout(x, p, True)
    if steps is not None:
        x = x.reshape(steps, batch, x.shape[1])
        if batch_first:
            x = x.transpose(0, 1)
    return (x, *[stack(f) for f in finals])


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first=False):
    """Multi-layer LSTM (torch.lstm): input (T, B, in) (batch_first: (B, T, in)), hx = (h0, c0)
    each (L*D, B, H) (h0: (L*D, B, proj_size) with projections), params = per layer and
    direction [w_ih, w_hh, (b_ih, b_hh), (w_hr)]. Returns (output, h_n, c_n). The packed form
    lstm(data, batch_sizes, hx, params, has_biases, ...) takes no batch_first."""
    return _rnn("lstm", (input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first))


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
        batch_first=False):
    """Multi-layer GRU (torch.gru); as lstm with hx = h0 (L*D, B, H). Returns (output, h_n)."""
    return _rnn("gru", (input, hx, params, has_biases, num_layers, dropout, train,
                        bidirectional, batch_first))


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first=False):
    """Multi-layer Elman RNN with tanh (torch.rnn_tanh); as gru. Returns (output, h_n)."""
    return _rnn("rnn_tanh", (input, hx, params, has_biases, num_layers, dropout, train,
                             bidirectional, batch_first))


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first=False):
    """Multi-layer Elman RNN with relu (torch.rnn_relu); as gru. Returns (output, h_n)."""
    return _rnn("rnn_relu", (input, hx, params, has_biases, num_layers, dropout, train,
                             bidirectional, batch_first))


def _check_cell(input, states, w_ih, w_hh):
    """torch's checks of a cell's input and hidden states (2-D each)."""
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{w_ih.shape[1]}")
    for k, s in enumerate(states):
        if s.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                               f"batch size {s.shape[0]}")
        if s.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, "
                               f"expected {w_hh.shape[1]}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: input (B, in), hx = (h, c) each (B, H). Returns (h', c')."""
    _check_cell(input, hx, w_ih, w_hh)
    _, h, c = LSTMLayer.apply(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh, None,
                              (input.shape[0],), False)
    return h, c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: input (B, in), hx (B, H). Returns h'."""
    _check_cell(input, [hx], w_ih, w_hh)
    return GRULayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, (input.shape[0],), False)[1]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh): input (B, in), hx (B, H)."""
    _check_cell(input, [hx], w_ih, w_hh)
    return RNNLayer.apply(linear(input, w_ih, b_ih), hx, w_hh, b_hh, (input.shape[0],),
                          False, False)[1]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with relu instead of tanh."""
    _check_cell(input, [hx], w_ih, w_hh)
    return RNNLayer.apply(linear(input, w_ih, b_ih), hx, w_hh, b_hh, (input.shape[0],),
                          False, True)[1]
