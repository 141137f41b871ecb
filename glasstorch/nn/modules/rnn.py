"""Recurrent layers: RNN (Elman, tanh or relu), LSTM (with optional projection), GRU, over whole
sequences (padded or packed) with stacked layers, dropout between layers and both directions;
and their one-step cells RNNCell, LSTMCell, GRUCell.

Parameters carry torch's names and layout, so state_dicts interchange with torch's:
weight_ih_l{k}{_reverse} (G*H, in), weight_hh_l{k} (G*H, H), bias_ih/bias_hh_l{k} (G*H,) and
weight_hr_l{k} (proj, H), gates stacked in torch's order (LSTM i, f, g, o; GRU r, z, n), all
initialised U(-1/sqrt(H), 1/sqrt(H)). The math is in ops/rnn.py (torch.lstm & co.).
"""
import math
import numbers
import warnings

from ..._dtype import promote_types as _promote_types
from ... import creation
from ...ops import rnn as _F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_FUNCTIONS = {"LSTM": _F.lstm, "GRU": _F.gru, "RNN_TANH": _F.rnn_tanh, "RNN_RELU": _F.rnn_relu}


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters, checks, and forward over padded or packed input.

    input (T, B, in) (batch_first: (B, T, in)), (T, in) unbatched, or a PackedSequence;
    hx (num_layers * D, B, H_out), zeros by default (LSTM: a pair (h0, c0), c0 with H).
    Returns (output (T, B, D * H_out) or packed, h_n) (LSTM: (output, (h_n, c_n)))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int),
                                  ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(D):
                layer_input = input_size if layer == 0 else real_hidden * D
                shapes = [("weight_ih_l{}{}", (gate_size, layer_input)),
                          ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: torch packs the weights into one buffer for cuDNN; NumPy needs none."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ---- torch's checks ------------------------------------------------------------------
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        D = 2 if self.bidirectional else 1
        return (self.num_layers * D, mini_batch, self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))
        self._check_hidden_dtype(input, hidden)

    def _check_hidden_dtype(self, input, h, which="hidden state"):
        # torch's kernel refuses it in its first GEMM ("mat1 and mat2 must have the same
        # dtype"): checked here, before anything runs, with the names of what differs. (An
        # LSTM's c0 only meets elementwise ops: torch promotes it, and so does glasstorch.)
        if h.dtype != input.dtype:
            raise RuntimeError(f"{type(self).__name__}: {which} dtype ({h.dtype}) does not "
                               f"match input dtype ({input.dtype}); convert it: "
                               f"h.to({input.dtype})")

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else hx.index_select(1, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward -------------------------------------------------------------------------
    def _zeros(self, input, batch, size):
        D = 2 if self.bidirectional else 1
        return creation.zeros(self.num_layers * D, batch, size, dtype=input.dtype)

    def forward(self, input, hx=None):
        """RNN and GRU (LSTM overrides): see the class docstring."""
        name = {"GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}[self.mode]
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            hx = self._zeros(input, int(batch_sizes[0]), self.hidden_size) if hx is None \
                else self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
            output, h_n = _FUNCTIONS[self.mode](input, batch_sizes, hx, self._flat_weights,
                                                self.bias, self.num_layers, self.dropout,
                                                self.training, self.bidirectional)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(h_n, unsorted_indices))
        if input.dim() not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""   # torch's wording differs per class
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{tensor} instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros(input, input.size(batch_dim), self.hidden_size)
        self.check_forward_args(input, hx, None)
        output, h_n = _FUNCTIONS[self.mode](input, hx, self._flat_weights, self.bias,
                                            self.num_layers, self.dropout, self.training,
                                            self.bidirectional, self.batch_first)
        if not batched:
            output, h_n = output.squeeze(batch_dim), h_n.squeeze(1)
        return output, h_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_t-1 W_hh^T + b_hh) (nonlinearity='relu':
    relu), per layer; the next layer reads this layer's h_t (after dropout in training).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """LSTM: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid(x_t W_ih^T + b_ih + h W_hh^T + b_hh),
    c_t = f c_t-1 + i g, h_t = o tanh(c_t) (proj_size > 0: h_t = (o tanh(c_t)) W_hr^T).

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0). hx = (h0, c0); returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        D = 2 if self.bidirectional else 1
        return (self.num_layers * D, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")
        self._check_hidden_dtype(input, hidden[0], "hidden[0]")

    @staticmethod
    def _cell_in_input_dtype(input, hx):
        # c0 only meets elementwise ops in torch's kernel, which promote it: computed in the
        # input's dtype exactly as if c0 had been converted first; a wider c0 (float64 c0,
        # float32 input) torch's CPU kernel refuses (RuntimeError), and so does this
        if hx[1].dtype == input.dtype:
            return hx
        if _promote_types(hx[1].dtype, input.dtype) != input.dtype:
            raise RuntimeError(f"LSTM: hidden[1] dtype ({hx[1].dtype}) is wider than the "
                               f"input dtype ({input.dtype}); convert it: "
                               f"c.to({input.dtype})")
        return hx[0], hx[1].to(input.dtype)

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(self, input, hx=None):
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            B = int(batch_sizes[0])
            hx = (self._zeros(input, B, real_hidden), self._zeros(input, B, self.hidden_size)) \
                if hx is None else self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
            hx = self._cell_in_input_dtype(input, hx)
            output, h_n, c_n = _F.lstm(input, batch_sizes, hx, self._flat_weights, self.bias,
                                       self.num_layers, self.dropout, self.training,
                                       self.bidirectional)
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden((h_n, c_n), unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            B = input.size(batch_dim)
            hx = (self._zeros(input, B, real_hidden), self._zeros(input, B, self.hidden_size))
        else:
            want = 3 if batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {'batched 3' if batched else 'unbatched 2'}-D input, "
                                   f"hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        hx = self._cell_in_input_dtype(input, hx)
        output, h_n, c_n = _F.lstm(input, hx, self._flat_weights, self.bias, self.num_layers,
                                   self.dropout, self.training, self.bidirectional,
                                   self.batch_first)
        if not batched:
            output, h_n, c_n = output.squeeze(batch_dim), h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """GRU: r, z = sigmoid(x_t W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x_t W_in^T + b_in + r (h W_hn^T + b_hn)), h_t = (1 - z) n + z h.

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Shared by the cells: weight_ih (G*H, in), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty(num_chunks * hidden_size, input_size,
                                                  dtype=dtype))
        self.weight_hh = Parameter(creation.empty(num_chunks * hidden_size, hidden_size,
                                                  dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name, input, hx, n_states):
        """torch's dimension checks; a 1-D (unbatched) input and its states get a batch dim,
        missing states are zeros. Returns (input, states, batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = [hx] if n_states == 1 and hx is not None else hx
        if states is not None:
            for k, s in enumerate(states):
                if s.dim() not in (1, 2):
                    what = "hidden" if n_states == 1 else f"hx[{k}]"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D "
                                     "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            states = [zeros] * n_states
        elif not batched:
            states = [s.unsqueeze(0) for s in states]
        return input, states, batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (nonlinearity='relu': relu).
    input (B, in) or (in,), hx (B, H) or (H,) (zeros if None); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare("RNNCell", input, hx, 1)
        if self.nonlinearity == "tanh":
            fn = _F.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            fn = _F.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = fn(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o as in LSTM). input (B, in) or (in,), hx = (h, c) each
    (B, H) or (H,) (zeros if None); returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, batched = self._prepare("LSTMCell", input, hx, 2)
        h, c = _F.lstm_cell(input, states, self.weight_ih, self.weight_hh, self.bias_ih,
                            self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n as in GRU). input (B, in) or (in,), hx (B, H) or (H,) (zeros
    if None); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare("GRUCell", input, hx, 1)
        h = _F.gru_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)
