"""Variable-length sequences for RNNs (torch.nn.utils.rnn): padding and packing.

    pad_sequence([(L_i, *)])          -> (max L, B, *) padded batch (batch_first: (B, max L, *))
    pack_padded_sequence(x, lengths)  -> PackedSequence: the time steps one after another, step t
                                         holding the batch_sizes[t] sequences still running
    pad_packed_sequence(packed)       -> (padded, lengths), the inverse
    pack_sequence / unpack_sequence / unpad_sequence: the same from and to lists

Packing sorts the sequences by decreasing length (or requires it: enforce_sorted), so the rows
active at step t are always the first batch_sizes[t]; nn.RNN/LSTM/GRU (ops/rnn.py) run on that
layout directly. Every conversion is one gather (index_select), so gradients flow through.
"""
from collections import namedtuple

from ... import _dtype
from ...backend import xp as _xp
from ...creation import as_tensor, full
from ...ops.join import cat
from ...ops.sort import sort
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]

_SORT_MSG = ("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
             "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
             "to sidestep this requirement if you do not need ONNX exportability.")


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices",
                                                    "unsorted_indices"])):
    """A packed batch: data (sum of lengths, *) holds time step after time step, step t the
    first batch_sizes[t] sequences (sorted by decreasing length); sorted_indices[i] is the
    original index of sorted sequence i, unsorted_indices its inverse (None: already sorted).
    Make one with pack_padded_sequence / pack_sequence, not by hand."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch: PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data converted as Tensor.to; batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = [None if t is None else t.to(data.device)
                for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *move)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse permutation (None for None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = _xp.empty_like(p)
    inv[p] = _xp.arange(p.shape[0], dtype=p.dtype)
    return as_tensor(inv)


def _rows(flat, index, shape):
    """flat[index] reshaped to `shape`: one gather, differentiable."""
    idx = as_tensor(_xp.ascontiguousarray(index).reshape(-1))
    return flat.index_select(0, idx).reshape(shape)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch input (T, B, *) (batch_first: (B, T, *)) of sequences with the given
    lengths (list or 1-D tensor). enforce_sorted=True requires decreasing lengths; otherwise
    the batch is sorted and the permutation kept in the result."""
    lengths = as_tensor(lengths._data if isinstance(lengths, Tensor) else lengths,
                        dtype=_dtype.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = sort(lengths, descending=True, stable=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    L = lengths._data
    B = input.shape[0 if batch_first else 1]
    if L.shape[0] != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{L.shape[0]} (batch_size={B})")
    if enforce_sorted and _xp.any(L[1:] > L[:-1]):
        raise RuntimeError(_SORT_MSG)
    if B and L[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    T = int(L[0]) if B else 0
    if T > input.shape[1 if batch_first else 0]:
        raise RuntimeError(f"Expected the longest length ({T}) to be at most the sequence "
                           f"dimension ({input.shape[1 if batch_first else 0]})")
    # (t, b) of every element, time-major: exactly the packed order
    t, b = _xp.nonzero(_xp.arange(T)[:, None] < L[None, :])
    rest = tuple(input.shape[2:])
    flat = input.reshape((-1,) + rest)
    index = b * input.shape[1] + t if batch_first else t * B + b
    data = _rows(flat, index, (index.shape[0],) + rest)
    batch_sizes = as_tensor((L[None, :] > _xp.arange(T)[:, None]).sum(1).astype(_xp.int64))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to (padded (T, B, *) or (B, T, *), lengths (B,) int64), in the original batch
    order. total_length pads to that many steps (at least the longest sequence)."""
    data, bsz = sequence.data, sequence.batch_sizes._data
    T = bsz.shape[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    B, n = int(bsz[0]), data.shape[0]
    active = _xp.zeros((T, B), dtype=bool)
    active[:bsz.shape[0]] = _xp.arange(B)[None, :] < bsz[:, None]
    index = _xp.full((T, B), n, dtype=_xp.int64)      # row n: the padding row
    index[active] = _xp.arange(n)
    pad = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    if batch_first:
        index = index.T
    padded = _rows(cat([data, pad]), index, index.shape + tuple(data.shape[1:]))
    lengths = as_tensor(active.sum(0).astype(_xp.int64))
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) into (max L, B, *) (batch_first: (B, max L, *)), padded with
    padding_value after each sequence (padding_side="left": before)."""
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}") from None
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    rest = tuple(sequences[0].shape[1:])
    for s in sequences:
        for k, (a, b) in enumerate(zip(rest, s.shape[1:])):
            if a != b:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor "
                                   f"b ({b}) at non-singleton dimension {k + 1}")
    dt = sequences[0].dtype
    L = _xp.array([s.shape[0] for s in sequences], dtype=_xp.int64)
    T, n = int(L.max()), int(L.sum())
    steps = _xp.arange(T)[None, :]
    active = steps < L[:, None] if padding_side == "right" else steps >= T - L[:, None]
    index = _xp.full((len(sequences), T), n, dtype=_xp.int64)   # row n: the padding row
    index[active] = _xp.arange(n)          # row-major: sequence after sequence, as cat below
    if not batch_first:
        index = index.T
    pad = full((1,) + rest, padding_value, dtype=dt)
    flat = cat([s.to(dt) for s in sequences] + [pad])
    return _rows(flat, index, index.shape + rest)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (lengths[i], *) in a padded batch (the inverse of pad_sequence).
    Unlike torch, the input is not transposed in place when batch_first=False."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (decreasing lengths unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
