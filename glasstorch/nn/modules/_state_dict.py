"""Module.state_dict and Module.load_state_dict (module.py delegates to these). state_dict walks
the module tree: own parameters and persistent buffers, then children under `name.`. Loading
checks the whole checkpoint before anything is copied (missing and unexpected keys, shapes,
types), so a bad checkpoint leaves the model unchanged, and the error lists every problem in
PyTorch's words.
"""
from collections import OrderedDict, namedtuple

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter, _Uninitialized

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result, printed as torch prints it."""
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def state_dict(self, args, destination, prefix, keep_vars, base):
    """Module.state_dict for module `self`; `base` is the Module class (a module whose class
    overrides its get_extra_state has an extra state)."""
    if args:  # torch's legacy positional form state_dict(destination, prefix, keep_vars)
        destination = args[0]
        if len(args) > 1:
            prefix = args[1]
        if len(args) > 2:
            keep_vars = args[2]
    if destination is None:
        destination = OrderedDict()
    for name, p in self._parameters.items():
        if p is not None:
            # torch: a lazy module's placeholders are saved as they are (not detached)
            keep = keep_vars or isinstance(p, _Uninitialized)
            destination[prefix + name] = p if keep else p.detach()
    for name, b in self._buffers.items():
        if b is not None and name not in self._non_persistent_buffers_set:
            keep = keep_vars or isinstance(b, _Uninitialized)
            destination[prefix + name] = b if keep else b.detach()
    extra = getattr(type(self), "get_extra_state", None)
    if extra is not None and extra is not base.get_extra_state:
        destination[prefix + "_extra_state"] = self.get_extra_state()
    for name, m in self._modules.items():
        if m is not None:
            m.state_dict(destination=destination, prefix=prefix + name + ".",
                         keep_vars=keep_vars)
    return destination


def load_state_dict(self, state_dict, strict, assign, base):
    """Module.load_state_dict(state_dict, strict, assign) for module `self`; `base` is the
    Module class (a module whose class overrides its set_extra_state has an extra state)."""
    if not hasattr(state_dict, "keys"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing, unexpected, errors, plan = [], [], [], []
    expected = set()
    for mod_prefix, module in self.named_modules(remove_duplicate=False):
        pre = mod_prefix + "." if mod_prefix else ""
        local = [(n, p) for n, p in module._parameters.items() if p is not None]
        local += [(n, b) for n, b in module._buffers.items()
                  if b is not None and n not in module._non_persistent_buffers_set]
        for name, target in local:
            key = pre + name
            expected.add(key)
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected '
                              f"torch.Tensor or Tensor-like object from checkpoint but "
                              f"received {type(value)}")
                continue
            if isinstance(target, _Uninitialized):
                # torch's LazyModuleMixin._lazy_load_hook: a lazy module's placeholder takes
                # the checkpoint's shape (its in_features stays 0 until the first forward)
                if not isinstance(value, _Uninitialized):
                    plan.append((module, name, target, value))
                continue
            if tuple(value.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{value.shape} from checkpoint, the shape in current model "
                              f"is {target.shape}.")
                continue
            plan.append((module, name, target, value))
        if getattr(type(module), "set_extra_state", None) is not base.set_extra_state:
            key = pre + "_extra_state"
            expected.add(key)
            if key in state_dict:
                plan.append((module, "_extra_state", None, state_dict[key]))
            elif strict:
                missing.append(key)
    unexpected = [k for k in state_dict.keys() if k not in expected]
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected)))
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing)))
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            self._get_name(), "\n\t".join(errors)))
    with no_grad():
        for module, name, target, value in plan:
            if name == "_extra_state":
                module.set_extra_state(value)
            elif assign:
                if name in module._parameters:
                    module._parameters[name] = Parameter(value, target.requires_grad)
                else:
                    module._buffers[name] = value
            else:
                if isinstance(target, _Uninitialized):
                    target.materialize(value.shape)
                target.copy_(value)
    return _IncompatibleKeys(missing, unexpected)
