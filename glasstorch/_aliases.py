"""NumPy-style keyword aliases, as torch's argument parser accepts them.

torch's C++ argument parser (python_arg_parser.cpp) accepts `axis=` wherever a parameter is
named `dim` and `keepdims=` wherever it is named `keepdim`, on every function and Tensor method:
`x.sum(axis=0, keepdims=True)`, `torch.cat(ts, axis=1)`, `x.argmax(axis=1)`.

Rather than add two parameters to ~100 signatures by hand, `install()` runs once at import and
wraps every function of the `torch` namespace and every Tensor method whose signature has a
`dim` or `keepdim` parameter: the wrapper renames the alias and calls the original. The wrapper
keeps the original's name, docstring and `__wrapped__` (so `inspect.signature(Tensor.sum)`, help()
and the source shown by a debugger are the original's; grep finds the method in tensor.py).
"""
import functools
import inspect

__all__ = ["ALIASES", "install"]

# torch parameter name -> the alias its parser also accepts (`from` of random_/uniform_, a
# Python keyword, is parsed by _random_args.py: torch refuses `from_=` there)
ALIASES = {"dim": "axis", "keepdim": "keepdims"}

# Not wrapped: shape accessors called in every layer's forward (x.size(0)), where the wrapper
# would cost ~0.3 us a call (measured, +35%); nobody writes x.size(axis=0).
_HOT = {"size", "stride", "dim"}


def _wrap(fn, aliases):
    """`fn` accepting each alias in `aliases` ({alias: name}) as a keyword for `name`."""
    keys = frozenset(aliases)

    def rename(kwargs):
        for alias, name in aliases.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {name!r} and its alias "
                                    f"{alias!r}")
                kwargs[name] = kwargs.pop(alias)

    @functools.wraps(fn)
    def with_aliases(*args, **kwargs):
        if kwargs and not keys.isdisjoint(kwargs):   # the common call pays one set test
            rename(kwargs)
        return fn(*args, **kwargs)
    with_aliases._aliases = aliases
    return with_aliases


def _aliases_for(fn):
    if getattr(fn, "_aliases", None) is not None or not callable(fn):
        return None
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    found = {alias: name for name, alias in ALIASES.items()
             if name in params and alias not in params
             and params[name].kind is not inspect.Parameter.VAR_POSITIONAL}
    return found or None


def install(namespace, tensor_cls):
    """Wrap the dim-taking functions of `namespace` (a module dict) and methods of Tensor."""
    for name, fn in list(vars(tensor_cls).items()):
        if name.startswith("__") or name in _HOT or not inspect.isfunction(fn):
            continue
        aliases = _aliases_for(fn)
        if aliases:
            setattr(tensor_cls, name, _wrap(fn, aliases))
    for name, fn in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        aliases = _aliases_for(fn)
        if aliases:
            namespace[name] = _wrap(fn, aliases)
