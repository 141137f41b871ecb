"""Dropout (Srivastava et al. 2014) and its variants, as nn.functional forms.

    dropout           each element kept with probability 1 - p and scaled by 1/(1 - p)
                      ("inverted" dropout: the expectation is unchanged, eval is the identity)
    dropout1d/2d/3d   whole channels (N, C, *) kept or dropped together
    alpha_dropout     for SELU networks (Klambauer et al. 2017): dropped units are set to SELU's
                      negative saturation and an affine map keeps mean 0 and variance 1
    feature_alpha_dropout   the same per channel

Masks come from glasstorch's global generator (`manual_seed` makes them reproducible) and are
saved as arrays: the gradient is gy * mask * scale. As torch: p = 0, training=False or an
empty input return the input itself; p = 1 gives zeros. nn/modules/dropout.py holds the layers.
"""
import math
import warnings

from .. import random as _random
from ..autograd.node import Op
from ..backend import kernels as _kernels, xp as _xp
from . import _inplace, layout as _layout

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_SELU_SAT = 1.7580993408473766  # -SELU(-inf) = scale * alpha: where alpha dropout sends units


class Dropout(Op, name="dropout"):
    """y = x * m (+ c), m the kept mask times its scale and c alpha dropout's shift (fixed
    arrays, broadcast over x);  dy/dx = m."""

    @staticmethod
    def forward(ctx, x, m, c):
        if ctx.needs_input_grad[0]:
            ctx.save(m=m)
        y = x * m
        if c is not None:
            y += c
        return y

    @staticmethod
    def backward(ctx, gy):
        return Dropout.apply(gy, ctx.m, None), None, None


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def compiled_mask(shape, p, dtype):
    """`multiply(u >= p, 1 / (1 - p))` for u = the global generator's float32 uniforms, from
    backend/numba_random.py (one compiled pass, the same numbers, bit for bit) when
    numba_for_exact(); None when it does not apply (then the caller draws u itself)."""
    if not _kernels.numba_for_exact():
        return None
    from ..backend import numba_random
    return numba_random.dropout_mask(_random.default_generator.rng, shape, p, dtype)


def _dropout(input, p, training, inplace, feature=False, alpha=False):
    """torch's _dropout_impl: the mask, its scale and (alpha) shift, then y = x * m + c."""
    x = input._data
    if p == 0 or not training or x.size == 0:
        return input
    if feature and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    if x.dtype.kind != "f":  # torch: the mask has the input's dtype and cannot hold 1/(1-p)
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_inplace._type_word(x.dtype)}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    # Bernoulli(1 - p): u ~ U[0, 1) is >= p with probability 1 - p
    channels_last = not feature and _layout.channels_last_like(x)
    keep = None if alpha or channels_last else compiled_mask(shape, p, x.dtype)
    if keep is None and channels_last:   # the mask (so y) channels-last too
        u = _xp.moveaxis(_random.default_generator.rng.random(
            (shape[0],) + shape[2:] + shape[1:2], dtype=_xp.float32), -1, 1)
    elif keep is None:
        u = _random.default_generator.rng.random(shape, dtype=_xp.float32)
    if not alpha:   # kept: 1 / (1 - p) divided in x's dtype, as torch; one pass for the mask
        if keep is None:
            scale = _xp.divide(_xp.ones((), x.dtype), 1 - p)
            keep = _xp.multiply(u >= p, scale, dtype=x.dtype)
        if inplace:
            return _inplace.inplace(input, Dropout.apply, keep, None)
        return Dropout.apply(input, keep, None)
    keep = (u >= p).astype(x.dtype)
    if alpha:
        a = 1 / math.sqrt((_SELU_SAT * _SELU_SAT * p + 1) * (1 - p))
        c = (keep - 1) * (_SELU_SAT * a) + _SELU_SAT * a * p  # torch's order of operations
        keep *= a
    else:
        c = None
        keep /= 1 - p  # divided, not multiplied by 1/(1-p): bit-equal to torch's kept values
    if inplace:
        return _inplace.inplace(input, Dropout.apply, keep, c)
    return Dropout.apply(input, keep, c)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1 - p)."""
    _check_p(p)
    return _dropout(input, p, training, inplace)


def _unbatched(input, inplace, p, training, batched):
    # dropout1d/3d accept one sample without the batch dim: add it, drop channels, remove it
    if batched:
        return _dropout(input, p, training, inplace, feature=True)
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    y = _dropout(x, p, training, inplace, feature=True)
    return y.squeeze_(0) if inplace else y.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p; scale the rest."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _unbatched(input, inplace, p, training, ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) with probability p; scale the rest. As torch, a
    3-D input is read as (N, C, L) (with a warning), not as an unbatched (C, H, W)."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _unbatched(input, inplace, p, training, ndim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value, then
    y = a (x m - sat (1 - m)) + sat a p keeps zero mean and unit variance (m the kept mask,
    a = ((sat^2 p + 1)(1 - p))^-1/2)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one mask entry per channel of (N, C, *)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=True, alpha=True)
