"""torch.serialization.add_safe_globals / safe_globals: let `load(weights_only=True)` rebuild
pickled objects whose classes and functions the user trusts by name.

`glasstorch.save(model, f)` pickles what JSON cannot describe (a whole nn.Module, a custom
class). With weights_only=True such a pickle is refused, unless every global it names is on
the allowlist: the objects given to `add_safe_globals([...])` (or the `safe_globals([...])`
context manager), plus the plumbing of glasstorch tensors themselves (glasstorch's tensor and
parameter rebuilders, its dtypes, NumPy arrays of numbers, OrderedDict, set...). Anything else
raises pickle.UnpicklingError naming the global, before it is imported or called.

    with torch.serialization.safe_globals([MyNet, torch.nn.Linear]):
        model = torch.load("model.pt")
"""
import collections
import contextlib
import importlib
import io
import pickle

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "restricted_loads"]

_USER = []     # what add_safe_globals was given: objects or (object, "module.name") pairs

# always allowed: what a pickled glasstorch tensor, parameter or container is made of
_PLUMBING = {("glasstorch.tensor", "_rebuild"), ("glasstorch.tensor", "Tensor"),
             ("glasstorch.nn.parameter", "Parameter"), ("glasstorch.nn.parameter", "Buffer"),
             ("glasstorch._dtype", "_by_name"), ("glasstorch._device", "device"),
             ("glasstorch.tensor", "Size"),
             ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
             ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
             ("numpy", "ndarray"), ("numpy", "dtype"),
             ("collections", "OrderedDict"), ("collections", "Counter"),
             ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
             ("builtins", "bytearray"), ("builtins", "slice"), ("_codecs", "encode"),
             ("copyreg", "_reconstructor"), ("builtins", "object")}


def add_safe_globals(safe_globals):
    """Trust these classes/functions (or `(obj, "module.name")` pairs) in weights_only loads."""
    _USER.extend(safe_globals)


def get_safe_globals():
    return list(_USER)


def clear_safe_globals():
    _USER.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """`with safe_globals([...]):` trusts them only inside the block."""
    n = len(_USER)
    _USER.extend(safe_globals)
    try:
        yield
    finally:
        del _USER[n:]


def _user_names():
    names = {}
    for entry in _USER:
        obj, name = entry if isinstance(entry, tuple) else (entry, None)
        if name is None:
            name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
        names[name] = obj
    return names


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        module = "builtins" if module == "__builtin__" else module
        user = _user_names()
        if f"{module}.{name}" in user:
            return user[f"{module}.{name}"]
        if (module, name) in _PLUMBING:
            if module == "copyreg" and name == "_reconstructor":
                return _reconstructor
            if module == "builtins" and name == "object":
                return object
            return getattr(importlib.import_module(module), name)
        raise pickle.UnpicklingError(
            f"Weights only load failed: the pickle names the global {module}.{name}, which is "
            f"not allowed. If you trust the file, allow it with "
            f"glasstorch.serialization.add_safe_globals([{name}]) or the safe_globals([...]) "
            f"context manager, or load with weights_only=False.")


def _reconstructor(cls, base, state):
    # copyreg._reconstructor, limited to classes that are themselves allowed (protocol < 2)
    import copyreg
    return copyreg._reconstructor(cls, base, state)


def restricted_loads(data):
    """Unpickle `data` allowing only the globals above."""
    return _Restricted(io.BytesIO(data)).load()
