"""Parameter initialization (torch.nn.init), in place under no_grad.

Fan-in/fan-out follow PyTorch: for a weight of shape (out, in, *kernel), fan_in = in * prod(k)
and fan_out = out * prod(k). Gains (calculate_gain) keep activations' variance stable:
Glorot & Bengio 2010 (xavier), He et al. 2015 (kaiming).
"""
import math
import warnings

from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from .. import random as _random

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_", "uniform", "normal", "constant", "eye",
           "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "orthogonal", "sparse"]


def calculate_gain(nonlinearity, param=None):
    """Recommended gain for a nonlinearity (tanh: 5/3, relu: sqrt(2), selu: 3/4, ...)."""
    linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d"]
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _write(tensor, values):
    with no_grad():
        tensor._data[...] = values
        tensor._version_counter[0] += 1
    return tensor


def _rng(generator):
    return (generator or _random.default_generator).rng


def _draw_dtype(tensor):
    # draw float32 weights in float32 (8x faster than float64-then-cast for big layers)
    return _xp.float32 if tensor._data.dtype == _xp.float32 else _xp.float64


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    dt = _draw_dtype(tensor)
    u = _rng(generator).random(tensor._data.shape, dtype=dt)
    return _write(tensor, dt(a) + dt(b - a) * u)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    dt = _draw_dtype(tensor)
    z = _rng(generator).standard_normal(tensor._data.shape, dtype=dt)
    return _write(tensor, dt(mean) + dt(std) * z)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Normal(mean, std) truncated to [a, b], by rejection sampling as torch: when [a, b] holds
    more than 30% of the mass, redraw normals that fall outside; otherwise draw uniformly on
    [a, b] and accept x with probability exp(-(z^2 - z_mode^2) / 2), z = (x - mean) / std. Both
    are exact, also far in the tails (where an inverse CDF runs out of float precision)."""
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng, shape = _rng(generator), tensor._data.shape
    if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
        vals = rng.normal(mean, std, shape)
        bad = _xp.flatnonzero((vals < a) | (vals > b))
        while bad.size:   # only the rejected ones are redrawn
            vals.flat[bad] = rng.normal(mean, std, bad.size)
            bad = bad[(vals.flat[bad] < a) | (vals.flat[bad] > b)]
    else:
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
        vals = _xp.empty(shape)
        todo = _xp.arange(vals.size)
        while todo.size:
            x = rng.uniform(a, b, todo.size)
            ok = _xp.log(rng.random(todo.size)) <= -0.5 * ((x - mean) / std) ** 2 - log_peak
            vals.flat[todo[ok]] = x[ok]
            todo = todo[~ok]
    return _write(tensor, vals)


def constant_(tensor, val):
    return _write(tensor, val)


def ones_(tensor):
    return _write(tensor, 1)


def zeros_(tensor):
    return _write(tensor, 0)


def eye_(tensor):
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, _xp.eye(*tensor._data.shape))


def dirac_(tensor, groups=1):
    """Identity-preserving init of a conv weight (out, in, *k): a 1 at each kernel center."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    w = _xp.zeros(sizes)
    center = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            w[(g * out_per_group + d, d) + center] = 1
    return _write(tensor, w)


def _calculate_fan_in_and_fan_out(tensor):
    dims = tensor.ndim
    if dims < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in tensor._data.shape[2:]:
        receptive *= s
    return tensor._data.shape[1] * receptive, tensor._data.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain * sqrt(3 / fan)  (He et al. 2015). nn.Linear and nn.Conv use
    a=sqrt(5), which gives b = 1/sqrt(fan_in)."""
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al.
    2013), signs fixed so the distribution is uniform."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor._data.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = _xp.linalg.qr(flat)
    q = q * _xp.sign(_xp.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, gain * q.reshape(tensor._data.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Each column gets ceil(sparsity * rows) zeros, the rest N(0, std^2) (Martens 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor._data.shape
    num_zeros = int(math.ceil(sparsity * rows))
    rng = _rng(generator)
    w = rng.standard_normal((rows, cols)) * std
    # an independent random permutation of the rows per column (argsort of uniforms)
    zero_rows = _xp.argsort(rng.random((rows, cols)), axis=0)[:num_zeros]
    w[zero_rows, _xp.arange(cols)] = 0
    return _write(tensor, w)


def _deprecated(fn):
    """The old name without the trailing underscore, warning as torch does."""
    old = fn.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated: use {fn.__name__}."
    return deprecated_init


uniform, normal, constant = _deprecated(uniform_), _deprecated(normal_), _deprecated(constant_)
eye, dirac = _deprecated(eye_), _deprecated(dirac_)
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
orthogonal, sparse = _deprecated(orthogonal_), _deprecated(sparse_)
