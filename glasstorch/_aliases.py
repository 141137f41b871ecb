"""NumPy-style keyword aliases, as torch's argument parser accepts them.

torch's C++ argument parser (python_arg_parser.cpp) accepts `axis=` wherever a parameter is
named `dim` and `keepdims=` wherever it is named `keepdim`, on every function and Tensor method:
`x.sum(axis=0, keepdims=True)`, `torch.cat(ts, axis=1)`, `x.argmax(axis=1)`.

Rather than add two parameters to ~100 signatures by hand, `install()` runs once at import and
wraps every function of the `torch` namespace and every Tensor method whose signature has a
`dim` or `keepdim` parameter: the wrapper renames the alias and calls the original. The wrapper
keeps the original's name, docstring and `__wrapped__` (so `inspect.signature(Tensor.sum)`, help()
and the source shown by a debugger are the original's; grep finds the method in tensor.py
or tensor_methods/).

The same wrapper checks `keepdim` as torch's parser does: a Python bool only (`keepdim=1`,
`keepdim=None` or a NumPy bool are a TypeError naming the function), at the cost of one `len`
on the common call. `wrap_keepdim` gives that check alone to functions outside the `torch`
namespace (linalg.vector_norm, special.logsumexp, F.pairwise_distance: torch's native ones).
"""
import functools
import inspect

__all__ = ["ALIASES", "install", "wrap_keepdim", "check_keepdim"]

# torch parameter name -> the alias its parser also accepts (`from` of random_/uniform_, a
# Python keyword, is parsed by _random_args.py: torch refuses `from_=` there)
ALIASES = {"dim": "axis", "keepdim": "keepdims"}

# Not wrapped: shape accessors called in every layer's forward (x.size(0)), where the wrapper
# would cost ~0.3 us a call (measured, +35%); nobody writes x.size(axis=0).
_HOT = {"size", "stride", "dim"}


def _type_name(value):
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check_keepdim(name, keepdim, position=None):
    """torch's parser takes only a Python bool for keepdim (not 1, None or numpy.bool_)."""
    if keepdim.__class__ is not bool:
        where = "" if position is None else f" (position {position})"
        raise TypeError(f"{name}(): argument 'keepdim'{where} must be bool, not "
                        f"{_type_name(keepdim)}")


def _keepdim_index(fn):
    """The index in *args of fn's keepdim parameter (None when it has none / keyword-only)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, p in enumerate(params):
        if p.name == "keepdim":
            return i if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else len(params) + 99
    return None


def _wrap(fn, aliases, method=False, name=None):
    """`fn` accepting each alias in `aliases` ({alias: name}) as a keyword for `name`, and
    checking that keepdim (if fn has one) is a bool. method: fn is a Tensor method (torch
    counts argument positions after self)."""
    kpos = _keepdim_index(fn)
    if kpos is None:
        kpos = 1 << 30          # len(args) never exceeds it: no positional check
        keys = frozenset(aliases)
    else:
        keys = frozenset(aliases) | {"keepdim"}
    name = name or fn.__name__

    def rename(kwargs):
        for alias, param in aliases.items():
            if alias in kwargs:
                if param in kwargs:
                    raise TypeError(f"{name}() got both {param!r} and its alias {alias!r}")
                kwargs[param] = kwargs.pop(alias)
        if "keepdim" in keys and "keepdim" in kwargs:
            check_keepdim(name, kwargs["keepdim"])

    @functools.wraps(fn)
    def with_aliases(*args, **kwargs):
        if len(args) > kpos:
            check_keepdim(name, args[kpos], kpos + (not method))
        if kwargs and not keys.isdisjoint(kwargs):   # the common call pays one set test
            rename(kwargs)
        return fn(*args, **kwargs)
    with_aliases._aliases = aliases
    return with_aliases


def wrap_keepdim(namespace, names, prefix=""):
    """Gives the functions `names` of `namespace` (a module dict) torch's keepdim check; its
    message names `prefix + name` (torch's native name: linalg_vector_norm)."""
    for name in names:
        namespace[name] = _wrap(namespace[name], {}, name=prefix + name)


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


def _class_attrs(cls):
    """{name: attribute} as `cls.name` finds it, from cls and its bases but `object`: Tensor's
    methods live in its base classes (tensor_methods/), the wrappers go on Tensor itself."""
    attrs = {}
    for klass in cls.__mro__[:-1]:
        for name, value in vars(klass).items():
            attrs.setdefault(name, value)
    return attrs


def install(namespace, tensor_cls):
    """Wrap the dim-taking functions of `namespace` (a module dict) and methods of Tensor."""
    for name, fn in _class_attrs(tensor_cls).items():
        if name.startswith("__") or name in _HOT or not inspect.isfunction(fn):
            continue
        aliases = _aliases_for(fn)
        if aliases:
            setattr(tensor_cls, name, _wrap(fn, aliases, method=True))
    for name, fn in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        aliases = _aliases_for(fn)
        if aliases:
            namespace[name] = _wrap(fn, aliases)
