"""torch's signatures and bounds checks of `Tensor.random_` and `Tensor.uniform_` (random.py
fills the tensor once these have passed).

torch names their first parameter `from`, a Python keyword: it is passed by position
(`x.uniform_(-1, 1)`) or as `x.uniform_(**{"from": -1, "to": 1})`, and `from_=` is refused, as
torch's argument parser refuses it. A `def` cannot name a parameter `from`, so these two parse
`*args, **kwargs` the way torch's parser does, with its error messages:

    uniform_(float from=0, float to=1, *, Generator generator=None)
    random_(*, Generator generator=None)                      [0, 2^mantissa] or [0, max]
    random_(int from, int? to, *, Generator generator=None)   [from, to), to=None: [from, max]
    random_(int to, *, Generator generator=None)               [0, to)
"""
import numbers
import warnings

from .tensor import Tensor

__all__ = ["uniform_args", "random_args", "random_range", "uniform_bounds"]

# random_'s overloads: (torch's line, the parameters taken by position or keyword)
_RANDOM_OVERLOADS = ((" * (*, torch.Generator generator = None)", ()),
                     (" * (int from, int to, *, torch.Generator generator = None)",
                      ("from", "to")),
                     (" * (int to, *, torch.Generator generator = None)", ("to",)))


def _type_name(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _check_generator(name, generator):
    from .random import Generator
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{name}(): argument 'generator' must be torch.Generator, not "
                        f"{_type_name(generator)}")


def _as_float(v):
    """A Python number (bools included, as torch's parser takes them) or a one-element tensor;
    None otherwise."""
    if isinstance(v, Tensor):
        return float(v.item()) if v.numel() == 1 else None
    if isinstance(v, numbers.Real):
        return float(v)
    return None


def _as_int(v):
    """An integer (not a bool) or a one-element integer tensor; None otherwise."""
    if isinstance(v, Tensor):
        ok = v.numel() == 1 and not v.dtype.is_floating_point and v.dtype.name != "bool"
        return int(v.item()) if ok else None
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return int(v)
    return None


def uniform_args(args, kwargs, generator):
    """(from, to) of uniform_(*args, **kwargs), or torch's TypeError."""
    if len(args) > 2:
        raise TypeError(f"uniform_() takes from 0 to 2 positional arguments but {len(args)} "
                        "were given")
    values = dict(zip(("from", "to"), args))
    for key, v in kwargs.items():
        if key not in ("from", "to"):
            raise TypeError(f"uniform_() got an unexpected keyword argument {key!r}")
        if key in values:
            raise TypeError(f"uniform_() got multiple values for argument {key!r}")
        values[key] = v
    out = []
    for i, (key, default) in enumerate((("from", 0.0), ("to", 1.0))):
        v = values.get(key, default)
        number = _as_float(v)
        if number is None:
            where = f" (position {i + 1})" if i < len(args) else ""
            raise TypeError(f"uniform_(): argument {key!r}{where} must be float, not "
                            f"{_type_name(v)}")
        out.append(number)
    _check_generator("uniform_", generator)
    return out


def random_args(args, kwargs, generator):
    """(from, to, to_given) of random_(*args, **kwargs): to_given False for random_(), or
    torch's TypeError naming the three overloads."""
    if len(args) > 2:
        raise TypeError(f"random_() takes 2 positional arguments but {len(args)} were given")
    keys = set(kwargs)
    if not args and not keys:
        _check_generator("random_", generator)
        return 0, None, False
    if len(args) == 1 and not keys or not args and keys == {"to"}:
        to = _as_int(args[0] if args else kwargs["to"])
        if to is not None:
            _check_generator("random_", generator)
            return 0, to, True
    elif (len(args) == 2 and not keys or len(args) == 1 and keys == {"to"}
          or not args and keys == {"from", "to"}):
        values = {**dict(zip(("from", "to"), args)), **kwargs}
        low, to = _as_int(values["from"]), values["to"]
        to = to if to is None else _as_int(to)
        if low is not None and (to is not None or values["to"] is None):
            _check_generator("random_", generator)
            return low, to, True
    # (torch's parser lists the keywords last first)
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}"
                                           for k, v in reversed(kwargs.items())]
    got = ", ".join(got) if args else "".join(g + ", " for g in got)
    lines = []
    for line, params in _RANDOM_OVERLOADS:
        lines.append(line)
        why = _mismatch(params, args, kwargs)
        if why:
            lines.append(f"      didn't match because {why}")
    raise TypeError(f"random_() received an invalid combination of arguments - got ({got}), "
                    "but expected one of:\n" + "\n".join(lines) + "\n")


def _mismatch(params, args, kwargs):
    """Why random_(*args, **kwargs) does not fit the overload taking `params` (int from, int?
    to), in torch's words where it has them ('some of the keywords were incorrect: from_',
    'invalid types: (int, !float!)' with the wrong ones between !s), else ours."""
    if len(args) > len(params):
        return (f"it takes {len(params) or 'no'} positional argument"
                f"{'s' if len(params) != 1 else ''} ({len(args)} given)")
    wrong = [k for k in kwargs if k not in params]
    if wrong:
        return "some of the keywords were incorrect: " + ", ".join(wrong)
    taken = dict(zip(params, args))
    twice = [k for k in kwargs if k in taken]
    if twice:
        return f"argument {twice[0]!r} was given by position and by keyword"
    values = {**taken, **kwargs}
    missing = [k for k in params if k not in values]
    if missing:
        return "argument " + " and ".join(repr(k) for k in missing) + " is missing"
    marks, bad = [], False
    for k in params:
        v = values[k]
        ok = _as_int(v) is not None or (k == "to" and len(params) == 2 and v is None)
        bad |= not ok
        text = _type_name(v) if ok else f"!{_type_name(v)}!"
        marks.append(text if k in taken else f"{k}={text}")
    if bad:
        want = ("from and to: ints or one-element integer tensors; to may be None"
                if len(params) == 2 else "to: an int or a one-element integer tensor")
        return f"some of the arguments have invalid types: ({', '.join(marks)}) ({want})"
    return None


# ==== bounds (DistributionTemplates.h) ===========================================================

def _limits(dtype):
    """(lowest, max, mantissa digits or None) of a dtype, as numeric_limits gives them."""
    import numpy as np
    if dtype.is_floating_point:
        info = np.finfo(dtype.np)
        return float(info.min), float(info.max), info.nmant + 1
    if dtype.name == "bool":
        return 0, 1, None
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max), None


def _check_in_range(low, high_inc, dtype):
    """check_from_to_in_range: both ends representable (an error), and for floats within
    +-2^digits, where every integer is exact (a warning, as torch gives)."""
    lowest, highest, digits = _limits(dtype)
    for value, name in ((low, "from"), (high_inc, "to - 1")):
        if not lowest <= value <= highest:
            raise RuntimeError(f"{name} is out of bounds for {dtype.c_type}")
    if digits is not None:
        for value, name in ((low, "from"), (high_inc, "to - 1")):
            if not -(1 << digits) <= value <= 1 << digits:
                warnings.warn(f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to "
                              f"precision limitations {dtype.c_type} can support discrete "
                              "uniform distribution only within this range. This warning will "
                              "become an error in version 1.7 release, please fix the code in "
                              "advance", UserWarning, stacklevel=4)


def _update_from(low, dtype, lowest, highest, digits):
    """update_from: a `from` a float dtype cannot hold moves up to the next integer it holds
    (values beyond the dtype's range are left for the bounds check to refuse)."""
    if lowest <= low + 1 <= highest:
        cast = int(dtype.np.type(low + 1))
        if cast < low:
            low = cast + (1 << ((abs(low + 1).bit_length() - 1) - digits + 1))
    return low


def _update_to(to, dtype, lowest, highest, digits):
    """update_to: a `to` a float dtype cannot hold moves down, as update_from moves up."""
    if lowest <= to - 1 <= highest:
        cast = int(dtype.np.type(to - 1))
        if cast >= to:
            to = cast - (1 << ((abs(to - 1).bit_length() - 1) - digits + 1))
    return to


def random_range(dtype, low, to, to_given):
    """The inclusive integer range [low, high] random_ draws from, after torch's checks
    (random_from_to_impl in DistributionTemplates.h)."""
    lowest, highest, digits = _limits(dtype)
    if not to_given:                        # random_(): [0, 2^digits] or [0, max]
        return 0, (1 << digits) if digits is not None else highest
    if to is not None:                      # [from, to)
        if low >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={to}")
        if digits is not None:
            low = _update_from(low, dtype, lowest, highest, digits)
            to = _update_to(to, dtype, lowest, highest, digits)
            if low >= to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                                   f"casted to dtype, but got from={low} >= to={to}")
        _check_in_range(low, to - 1, dtype)
        return low, to - 1
    high = highest                          # random_(from, None): [from, max]
    if digits is not None:
        high = min(1 << digits, 2**63 - 1)
        if not lowest <= low <= highest:    # (torch's cast of such a `from` is undefined)
            raise RuntimeError(f"from is out of bounds for {dtype.c_type}")
        low = _update_from(low, dtype, lowest, highest, digits)
        if low >= high:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                               f"equal to 'to_inc' casted to dtype, but got from={low} > "
                               f"to_inc={high}")
    _check_in_range(low, high, dtype)
    return low, high


def uniform_bounds(dtype, low, high):
    """check_uniform_bounds: a floating dtype, both ends finite in it, low <= high and the
    width within its range."""
    import numpy as np
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for "
                                  f"'{dtype.cpp_name}'")
    lowest, highest, _ = _limits(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        low_c, high_c = dtype.np.type(low), dtype.np.type(high)   # torch casts first
    for value, name in ((low_c, "from"), (high_c, "to")):
        if not lowest <= float(value) <= highest:
            raise RuntimeError(f"{name} is out of bounds for {dtype.c_type}")
    if low_c > high_c:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(low_c)} > to={_g(high_c)}")
    if float(high_c) - float(low_c) > highest:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dtype.cpp_name}>"
                           f"::max(), but found to={_g(high_c)} and from={_g(low_c)} which "
                           "result in to-from to exceed the limit")
    return float(low_c), float(high_c)


def _g(v):
    """A number as C++'s ostream prints a float (6 significant digits: 3e+38, 2, 0.5)."""
    return f"{float(v):g}"
