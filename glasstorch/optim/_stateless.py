"""torch.optim.swap_in_optimizer_params_and_state: run optimizer code on other parameters and
state for the length of a `with` block (e.g. step a copy of the model from a saved state),
then put the live ones back. The state comes in `optimizer.state_dict()`'s shape: per-parameter
state keyed by packed ids, and param groups whose "params" list those ids in order."""
import contextlib
from collections import defaultdict

__all__ = ["swap_in_optimizer_params_and_state"]

_NAME = "swap_in_optimizer_params_and_state"


def _groups(optimizer, swapin_parameters, swapin_optim_state):
    """[(live group, swap-in group dict, swap-in parameters)] after torch's checks."""
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state, groups = swapin_optim_state.get("state"), swapin_optim_state.get("param_groups")
    if not isinstance(state, dict) or not isinstance(groups, (list, tuple)) or \
            len(groups) != len(optimizer.param_groups):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state to hold 'state' and one "
                           "'param_groups' entry per optimizer param group.")
    flat, offset, seen, out = list(swapin_parameters.values()), 0, set(), []
    for live, group in zip(optimizer.param_groups, groups):
        ids = list(group.get("params", ()))
        if len(ids) != len(live["params"]):
            raise RuntimeError(f"{_NAME} requires each param group to list as many params as "
                               "the live optimizer group.")
        seen.update(ids)
        if offset + len(ids) > len(flat):
            raise RuntimeError(f"{_NAME} requires the explicit parameter state to match "
                               "optimizer.param_groups ordering.")
        out.append((live, group, flat[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by "
                           f"packed parameter ids from param_groups[*]['params']; got extra "
                           f"keys {extra!r}.")
    return state, out


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Inside the block, optimizer.param_groups hold `swapin_parameters` (in param-group
    order) with the swap-in groups' hyperparameters, and optimizer.state is the swap-in state
    (per-parameter dicts copied shallowly: in-place tensor updates reach the caller's state)."""
    state, groups = _groups(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    snapshots = [dict(g) for g in optimizer.param_groups]
    try:
        swapped = defaultdict(dict)
        for live, group, params in groups:
            live["params"] = params
            live.update({k: v for k, v in group.items() if k != "params"})
            for p, pid in zip(params, group["params"]):
                swapped[p] = dict(state.get(pid, {}))
        optimizer.state = swapped
        yield
    finally:
        for live, snap in zip(optimizer.param_groups, snapshots):
            live.clear()
            live.update(snap)
        optimizer.state = original_state
