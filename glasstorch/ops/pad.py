"""Padding: F.pad in torch's pad-tuple order (last dim first: (left, right, top, bottom, ...)),
modes constant / reflect / replicate / circular; negative pads crop.

    ConstantPadNd   y = x inside a `value`-filled array;  gx = gy cropped (the same op with the
                    pads negated), so any order of derivative is this op again
    reflect, replicate, circular   a gather along each padded axis: a Resample (ops/resample.py)
                    whose adjoint adds each copied border back onto its source

Index formulas are ATen's (ReflectionPad.cpp, ReplicationPadding.cpp, PadNd.cpp), including
their handling of negative pads.
"""
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from .resample import Resample

__all__ = ["constant_pad_nd"]


class ConstantPadNd(Op, name="constant_pad_nd"):
    """y = x placed in a `value`-filled array (pads per dim, negative ones crop);
    gx = gy with the pads negated (a crop)."""

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pads))
        y = _xp.full(shape, value, dtype=x.dtype)
        src = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, pads))
        dst = tuple(slice(max(b, 0), m - max(a, 0)) for m, (b, a) in zip(shape, pads))
        y[dst] = x[src]
        return y

    @staticmethod
    def backward(ctx, gy):
        return ConstantPadNd.apply(gy, tuple((-b, -a) for b, a in ctx.pads), 0), None, None


class ReflectionPad1D(Resample, name="reflection_pad1d"):
    keeps_input = True


class ReflectionPad2D(Resample, name="reflection_pad2d"):
    keeps_input = True


class ReflectionPad3D(Resample, name="reflection_pad3d"):
    keeps_input = True


class ReplicationPad1D(Resample, name="replication_pad1d"):
    keeps_input = True


class ReplicationPad2D(Resample, name="replication_pad2d"):
    keeps_input = True


class ReplicationPad3D(Resample, name="replication_pad3d"):
    keeps_input = True


class CircularPad1D(Resample, name="circular_pad1d"):
    keeps_input = True


class CircularPad2D(Resample, name="circular_pad2d"):
    keeps_input = True


class CircularPad3D(Resample, name="circular_pad3d"):
    keeps_input = True


_OPS = {("reflect", 1): ReflectionPad1D, ("reflect", 2): ReflectionPad2D,
        ("reflect", 3): ReflectionPad3D, ("replicate", 1): ReplicationPad1D,
        ("replicate", 2): ReplicationPad2D, ("replicate", 3): ReplicationPad3D,
        ("circular", 1): CircularPad1D, ("circular", 2): CircularPad2D,
        ("circular", 3): CircularPad3D}


def _source_index(mode, L, b, a):
    """For each output position along one axis, the input position it copies."""
    j = _xp.arange(L + b + a)
    i0, o0 = max(-b, 0), max(b, 0)
    if mode == "circular":  # torch: crop the negative pads first, then wrap in what is left
        kept = L - i0 - max(-a, 0)
        return i0 + (j - o0) % kept
    if mode == "reflect":
        ip = _xp.where(j < b, 2 * b - j, _xp.where(j < L + b, j, 2 * (L + b - 1) - j))
    else:  # replicate
        ip = _xp.clip(j, b, L + b - 1)
    return ip - o0 + i0


def _check_mode(x, mode, pads, nd):
    """torch's checks for reflect/replicate/circular (pads: per padded axis, first to last)."""
    dims = x.shape[-nd:]
    lead = x.shape[:-nd]
    if any(n == 0 for n in dims + lead[-1:]) and mode != "circular":
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly "
                           f"0 batch size and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    for i, (L, (b, a)) in enumerate(zip(dims, pads)):
        if mode == "reflect" and (b >= L or a >= L):
            arg = 4 + 2 * (nd - 1 - i)
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({b}, {a}) at "
                               f"dimension {x.ndim - nd + i} of input {list(x.shape)}")
        # torch: an output size of 0 is fine unless all are (so never in 1-D); negative never
        sizes = [n + b2 + a2 for n, (b2, a2) in zip(dims, pads)]
        if mode != "circular" and i == nd - 1 and (min(sizes) < 0 or max(sizes) < 1):
            names = ("D", "H", "W")[-nd:]
            raise RuntimeError(
                f"input ({', '.join(f'{k}: {n}' for k, n in zip(names, dims))}) is too small. "
                "Calculated output " + " ".join(f"{k}: {v}" for k, v in zip(names, sizes)))
        if mode == "circular":
            if b > L or a > L:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            # torch: an output of size 0 is fine; a negative one, or wrapping an empty crop
            # into a non-empty output, is not
            if L + b + a < 0 or (L - max(-b, 0) - max(-a, 0) <= 0 and L + b + a > 0):
                raise RuntimeError("Negative padding value is resulting in an empty dimension.")


# torch 2.13's reflect/replicate kernels without a bool loop (reflection_pad3d has one;
# circular is composed of cat/narrow and takes any dtype)
_NO_BOOL_KERNEL = {("reflect", 1): "reflection_pad1d", ("reflect", 2): "reflection_pad2d",
                   ("replicate", 1): "replication_pad1d", ("replicate", 2): "replication_pad2d",
                   ("replicate", 3): "replication_pad3d"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims: pad = (left, right) for the last dim, then (top, bottom)
    for the one before, ...; negative values crop. Modes: 'constant' (with `value`, default
    0), 'reflect' (mirror without the edge), 'replicate' (repeat the edge), 'circular' (wrap).

    >>> import glasstorch as torch
    >>> torch.nn.functional.pad(torch.tensor([[1., 2., 3.]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    return _pad(input, pad, mode, value)


def _pad(input, pad, mode, value):
    pad = tuple(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, int):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(p).__name__} at pos {i}")
    x = input._data
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2 (pad: got {len(pad)} values "
                           f"{list(pad)}, two per padded dim, for an input of shape "
                           f"{list(x.shape)})")
    nd = len(pad) // 2
    if nd > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{x.ndim} (pad, mode {mode!r}: pad {list(pad)} for an input of "
                           f"shape {list(x.shape)})")
    # pad lists the last dim first; per axis (before, after), first padded axis first
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd))]
    if mode == "constant":
        full = [(0, 0)] * (x.ndim - nd) + pairs
        for d, (n, (b, a)) in enumerate(zip(x.shape, full)):
            if n + min(b, 0) + min(a, 0) < 0:   # torch crops first (a narrow), then pads
                raise RuntimeError(f"narrow(): length must be non-negative. (pad: the negative "
                                   f"padding ({b}, {a}) crops more than the size {n} of "
                                   f"dimension {d})")
        return ConstantPadNd.apply(input, tuple(full), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if nd not in (1, 2, 3) or x.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor "
            f"({mode} pad: input shape {list(x.shape)}).\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    _check_mode(x, mode, pairs, nd)
    if x.dtype.kind == "b" and (mode, nd) in _NO_BOOL_KERNEL:
        raise NotImplementedError(f'"{_NO_BOOL_KERNEL[mode, nd]}" not implemented for \'Bool\'')
    plans = [_k.AxisPlan(i - nd, L, [(_source_index(mode, L, b, a), None)])
             for i, (L, (b, a)) in enumerate(zip(x.shape[-nd:], pairs))]
    return _OPS[mode, nd].apply(input, plans[::-1])


def constant_pad_nd(input, pad, value=0):
    """torch.constant_pad_nd: F.pad with mode='constant'."""
    return _pad(input, pad, "constant", value)
