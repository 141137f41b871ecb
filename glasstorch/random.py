"""Random numbers: a seeded global `Generator` and the random creation functions.

`manual_seed(s)` makes every random op (initialization, dropout, shuffling) reproducible.
The streams are NumPy's PCG64, so values differ from PyTorch's mt19937 for the same seed:
tests compare distributions, not draws.
"""
import builtins

from . import _dtype, _random_args
from ._device import check_device
from ._layout import check_options
from .backend import xp as _xp
from .tensor import Tensor, _make

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "rand", "randn", "randint", "randperm", "normal", "bernoulli",
           "multinomial", "poisson", "rand_like", "randn_like", "randint_like"]


class Generator:
    """A random-number generator with PyTorch's interface (`manual_seed`, `get_state`...)."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = "cpu"
        self.manual_seed(67280421310721)  # torch's default seed

    def manual_seed(self, seed):
        seed = builtins.int(seed)
        self._seed = seed
        self.rng = _xp.random.Generator(_xp.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self):
        s = builtins.int.from_bytes(__import__("os").urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (round-trips through set_state)."""
        import json
        raw = json.dumps(self.rng.bit_generator.state).encode()
        return _make(_xp.frombuffer(raw, dtype=_xp.uint8).copy())

    def set_state(self, state):
        import json
        self.rng.bit_generator.state = json.loads(bytes(state._data.tobytes()).decode())
        return self


default_generator = Generator()


def _rng(generator):
    return (generator or default_generator).rng


def manual_seed(seed):
    """Seed the global generator (and return it), as torch.manual_seed does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _size(shape, size=None):
    from .creation import _size as s
    return s(shape, size)


def _float(dtype, kernel="check_uniform_bounds"):
    """A floating dtype for rand/randn; torch's NotImplementedError names its kernel."""
    dtype = dtype or _dtype.get_default_dtype()
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtype.cpp_name}'")
    return dtype


def _finish(arr, requires_grad):
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False, out=None):
    """Uniform on [0, 1)."""
    check_device(device)
    check_options("rand", layout, pin_memory, shape if size is None else size)
    if out is not None:
        from .creation import _to_out
        return _to_out("rand", out, dtype, lambda dt: rand(*shape, size=size,
                                                           generator=generator, dtype=dt))
    dtype = _float(dtype)
    arr = _rng(generator).random(_size(shape, size), dtype=_xp.float64).astype(dtype.np)
    return _finish(arr, requires_grad)


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False, out=None):
    """Standard normal."""
    check_device(device)
    check_options("randn", layout, pin_memory, shape if size is None else size)
    if out is not None:
        from .creation import _to_out
        return _to_out("randn", out, dtype, lambda dt: randn(*shape, size=size,
                                                            generator=generator, dtype=dt))
    dtype = _float(dtype, "normal_kernel_cpu")
    arr = _rng(generator).standard_normal(_size(shape, size)).astype(dtype.np)
    return _finish(arr, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, layout=None, pin_memory=False):
    """Integers uniform on [low, high); `randint(high, size)` or `randint(low, high, size)`."""
    check_device(device)
    check_options("randint", layout, pin_memory,
                  high if size is None and not isinstance(high, int) else size)
    if size is None:              # randint(10, (3,)): the first argument is `high`
        low, high, size = 0, low, high
    elif high is None:            # randint(10, size=(3,))
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if isinstance(size, builtins.int):
        raise TypeError("randint(): argument 'size' must be tuple of ints, not int")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dtype = dtype or _dtype.int64
    arr = _rng(generator).integers(low, high, _size((tuple(size),))).astype(dtype.np)
    return _finish(arr, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    check_device(device)
    check_options("randperm", layout, pin_memory)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = dtype or _dtype.int64
    return _finish(_rng(generator).permutation(n).astype(dtype.np), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """normal(mean, std) with tensor or float mean/std (broadcast), or with `size`."""
    check_device(device)
    check_options("normal", layout, pin_memory, size)
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if isinstance(s, _xp.ndarray) and (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = _xp.broadcast_shapes(_xp.shape(m), _xp.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        arr = (m + s * rng.standard_normal(shape)).astype(ref._data.dtype)
        return _finish(arr, requires_grad)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() with float mean and std needs a size")
    dtype = _float(dtype, "normal_kernel_cpu")
    arr = (mean + std * rng.standard_normal(_size((tuple(size),)))).astype(dtype.np)
    return _finish(arr, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability `input` (or `p`) elementwise, else 0; same dtype as input."""
    probs = input._data if p is None else _xp.full(input._data.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = _rng(generator).random(input._data.shape) < probs
    return _make(draws.astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the rows of `input` (unnormalized, non-negative weights)."""
    w = input._data.astype(_xp.float64)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (w < 0).any() or not _xp.isfinite(w).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rng = _rng(generator)
    out = []
    for r in rows:
        total = r.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and (r > 0).sum() < num_samples:
            raise RuntimeError("invalid multinomial distribution (with replacement=False, not "
                               "enough non-negative category to sample)")
        out.append(rng.choice(len(r), size=num_samples, replace=replacement, p=r / total))
    arr = _xp.array(out, dtype=_xp.int64).reshape(w.shape[:-1] + (num_samples,))
    return _make(arr)


def poisson(input, generator=None):
    return _make(_rng(generator).poisson(input._data).astype(input._data.dtype))


def rand_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False, memory_format=None, generator=None):
    from .creation import _laid_out, _like_options
    _like_options("rand_like", device, layout, pin_memory)
    return _laid_out(rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                          generator=generator), input, memory_format)


def randn_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,
               requires_grad=False, memory_format=None, generator=None):
    from .creation import _laid_out, _like_options
    _like_options("randn_like", device, layout, pin_memory)
    return _laid_out(randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                           generator=generator), input, memory_format)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 pin_memory=False, requires_grad=False, memory_format=None, generator=None):
    from .creation import _laid_out, _like_options
    _like_options("randint_like", device, layout, pin_memory)
    if high is None:
        low, high = 0, low
    return _laid_out(randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                             generator=generator, requires_grad=requires_grad),
                     input, memory_format)


# ---- in-place fills (Tensor.uniform_ & co; nn.init builds on these) ------------------------
def _fill_inplace(t, arr):
    from .ops._inplace import _check_leaf
    from .autograd.grad_mode import STATE
    if STATE.enabled:
        _check_leaf(t)
    t._data[...] = arr
    t._version_counter[0] += 1
    return t


def uniform_(t, *args, generator=None, **kwargs):
    """Tensor.uniform_(from=0, to=1, *, generator=None): `from` by position or **{"from": x}
    (_random_args.py parses torch's signature and checks its bounds)."""
    low, high = _random_args.uniform_args(args, kwargs, generator)
    low, high = _random_args.uniform_bounds(t.dtype, low, high)
    u = _rng(generator).uniform(low, high, t._data.shape).astype(t._data.dtype)
    if low < high:      # rounding to float16/float32 can reach `to`; torch's range is [from, to)
        np_type = t._data.dtype.type
        _xp.minimum(u, _xp.nextafter(np_type(high), np_type(low)), out=u)
    return _fill_inplace(t, u)


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    return _fill_inplace(t, mean + std * _rng(generator).standard_normal(t._data.shape))


def bernoulli_(t, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_inplace(t, _rng(generator).random(t._data.shape) < probs)


def exponential_(t, lambd=1.0, *, generator=None):
    return _fill_inplace(t, _rng(generator).exponential(1.0 / lambd, t._data.shape))


def random_(t, *args, generator=None, **kwargs):
    """Tensor.random_(): integers on [0, 2^mantissa] (floats) or [0, max]; random_(to): [0, to);
    random_(from, to): [from, to), to=None: [from, max] (_random_args.py: torch's signature)."""
    low, to, to_given = _random_args.random_args(args, kwargs, generator)
    low, high = _random_args.random_range(t.dtype, low, to, to_given)
    draws = _rng(generator).integers(low, high, t._data.shape, dtype=_xp.int64, endpoint=True)
    return _fill_inplace(t, draws)
