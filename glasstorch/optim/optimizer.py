"""Optimizer: the base class of every optimizer in this package (torch.optim.Optimizer).

It owns the bookkeeping PyTorch code relies on: `param_groups` (dicts of options plus a
'params' list), `defaults`, per-parameter `state` keyed by the parameter tensor itself (Tensor
hashes by identity), `zero_grad`, `add_param_group`, and `state_dict`/`load_state_dict` in
torch's layout. Subclasses (sgd.py, adam.py, ...) only write `step`; read sgd.py next.

Updates run on the raw backend arrays in place (`p._data`, NumPy ufuncs with `out=`), never
through autograd, and bump each parameter's version counter as torch's in-place ops do.
"""
import copy
import warnings
from collections import defaultdict
from itertools import chain

from .. import _dtype
from ..autograd.grad_mode import enable_grad
from ..backend import xp as _xp
from ..backend.kernels import numba_for_exact as _numba_for_exact
from ..tensor import Tensor, _make

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option without default (a param group must then give it)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts (param groups,
            each with a 'params' entry and any per-group options overriding `defaults`).
        defaults (dict): the default value of every option.

    Example (a smaller lr for the first layer)::

        >>> import glasstorch as torch
        >>> w1, w2 = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
        >>> opt = torch.optim.SGD([{"params": [w1], "lr": 1e-3}, {"params": [w2]}], lr=1e-2)
        >>> [group["lr"] for group in opt.param_groups]
        [0.001, 0.01]
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        # state saved by an older version may miss newer options or keep `step` as a number
        for group in self.param_groups:
            for key, value in self.defaults.items():
                if value is not required:
                    group.setdefault(key, value)
        for s in self.state.values():
            for key in ("step", "mu_product"):
                if key in s and not isinstance(s[key], Tensor):
                    s[key] = _scalar_tensor(float(s[key]))

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group):
        """Append a param group (e.g. layers unfrozen while fine-tuning); options it does not
        give come from `defaults`. A parameter may belong to one group only."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__name__)
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's grad: to None (default, frees memory; a step then skips
        the parameter) or to zeros (a step then still applies momentum and weight decay)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure=None):
        """Update the parameters once; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{options..., 'params': [indices]}]}:
        parameters are replaced by their position across the groups, so the dict can be loaded
        into an optimizer built over a fresh copy of the model. The per-parameter state dicts
        are the live ones (as torch): copy or save them before stepping on."""
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(p, i)
            packed["params"] = [index[p] for p in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state = {(index[k] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    # per-parameter state keys, checked by load_state_dict (subclasses set them; both empty:
    # keys not checked): those a started state must have, and those it may also have
    _state_keys = ()
    _state_optional = ()
    _elementwise_state = True     # state tensors (other than 0-d ones) have the param's shape

    def load_state_dict(self, state_dict):
        """Load what `state_dict()` returned. Everything is checked before anything changes
        (torch's error types): group and parameter counts, each group's options, each
        parameter's state keys and shapes. State tensors are cast to their parameter's dtype,
        except `step`."""
        if not isinstance(state_dict, dict):
            raise AttributeError(f"{type(self).__name__}.load_state_dict expects a dict (from "
                                 f"state_dict()), got {type(state_dict).__name__}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        self._check_loaded(saved_groups, state_dict["state"], id_map)
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                state[id_map[key]] = _cast(id_map[key], value)
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})


    def _check_loaded(self, saved_groups, saved_state, id_map):
        """A state dict from another optimizer class, or for other parameters, fails here
        with a message instead of stepping silently or failing at step() with a NumPy error
        (torch fails at load or step, with these error types)."""
        name = type(self).__name__
        known = set(self._state_keys) | set(self._state_optional)
        for index, st in saved_state.items():
            p = id_map.get(index)
            if p is None:
                continue
            if not isinstance(st, dict):
                raise TypeError(f"loaded state of parameter {index} must be a dict, got "
                                f"{type(st).__name__}")
            missing = [k for k in self._state_keys if k not in st]
            if st and missing:
                raise KeyError(f"loaded state of parameter {index} has no {missing[0]!r} "
                               f"(it holds {sorted(map(str, st))}), which {name} needs: was "
                               "the state dict saved by another optimizer?")
            foreign = sorted(str(k) for k in st if k not in known)
            if known and foreign:
                raise KeyError(f"loaded state of parameter {index} holds {foreign[0]!r}, which "
                               f"{name} does not use: was the state dict saved by another "
                               "optimizer?")
            for key, value in st.items():
                if self._elementwise_state and isinstance(value, Tensor) and \
                        value.ndim > 0 and tuple(value.shape) != tuple(p.shape):
                    raise RuntimeError(f"loaded state {key!r} of parameter {index} has shape "
                                       f"{list(value.shape)}, but the parameter has shape "
                                       f"{list(p.shape)}")


def _cast(param, value, key=None):
    """A copy of loaded state `value` with its tensors in `param`'s dtype when that is a float
    type, except `step` (torch issue 74424). torch: same-dtype tensors alias the loaded dict;
    we copy so that two optimizers never share buffers."""
    if isinstance(value, Tensor):
        if key != "step" and param._data.dtype.kind == "f":
            return _make(value._data.astype(param._data.dtype))
        return _make(value._data.copy())
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


# ---- helpers the optimizers share --------------------------------------------------------------
def _eval_closure(closure):
    """The closure's loss, computed with grad mode on (step itself runs without a graph)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _scalar_tensor(value):
    """torch keeps `step` (and NAdam's `mu_product`) as a 0-d tensor: float32, or float64
    when that is the default dtype."""
    dt = _xp.float64 if _dtype.get_default_dtype() is _dtype.float64 else _xp.float32
    return _make(_xp.array(value, dtype=dt))


def _increment_step(state):
    """state['step'] += 1 in place; returns the new count as a Python float."""
    step = state["step"]._data
    _xp.add(step, 1, out=step)
    return float(step)


def _grad(p, group):
    """The gradient a step follows: negated when maximizing, plus L2 weight decay
    (`g + weight_decay * p`) unless the group decouples the decay. Never mutates p.grad."""
    g = p.grad._data
    if group.get("maximize", False):
        g = _xp.negative(g)
    wd = float(group["weight_decay"])
    if wd != 0 and not group.get("decoupled_weight_decay", False):
        g = g + wd * p._data
    return g


def _fused():
    """backend/numba_optim.py (one compiled loop per update, NumPy's exact bits) when numba may
    run such kernels (backend.kernels.numba_for_exact), else None: the NumPy formulas."""
    if not _numba_for_exact():
        return None
    if not _numba_optim:
        from ..backend import numba_optim
        _numba_optim.append(numba_optim)
    return _numba_optim[0]


_numba_optim = []   # backend/numba_optim.py once imported


def _decay_weights(p, group):
    """Decoupled weight decay (Loshchilov & Hutter 2019): p <- p * (1 - lr * weight_decay)."""
    wd = float(group["weight_decay"])
    if wd != 0 and group.get("decoupled_weight_decay", False):
        _xp.multiply(p._data, 1 - float(group["lr"]) * wd, out=p._data)


def _check_options(**values):
    """ValueError in torch's words for a negative lr, eps, weight_decay, momentum, ..."""
    for name, value in values.items():
        if isinstance(value, Tensor):
            if value.numel() != 1:
                raise ValueError(f"Tensor {name} must be 1-element")
            value = value.item()
        if not 0.0 <= value:
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, name + " value")
            raise ValueError(f"Invalid {label}: {value}")


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _check_unsupported(differentiable):
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: glasstorch optimizers "
                                  "update the raw arrays in place, outside autograd")
