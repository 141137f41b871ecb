"""torch.nn.utils.stateless.functional_call: run a module with other tensors in place of its
parameters and buffers (for per-sample gradients, meta-learning, ensembling), leaving the
module unchanged afterwards."""
__all__ = ["functional_call"]


def _owner(module, key):
    *path, name = key.split(".")
    for part in path:
        module = getattr(module, part)
    return module, name


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """module(*args, **kwargs) with each tensor named in the dict(s) (state_dict names, e.g.
    "0.weight") standing in for the module's own for the duration of the call."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged = {}
        for d in dicts:
            for k in d:
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")
            merged.update(d)
        dicts = merged
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
            {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(expected - set(dicts)), sorted(set(dicts) - expected)
        if missing or unexpected:
            msg = f"Error(s) in reparametrizing for {module._get_name()}:"
            if unexpected:
                msg += "\n\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + "."
            if missing:
                msg += "\n\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + "."
            raise RuntimeError(msg)
    saved = []
    try:
        for key, tensor in dicts.items():
            owner, name = _owner(module, key)
            for reg in (owner._parameters, owner._buffers):
                if name in reg:
                    saved.append((reg, name, reg[name]))
                    reg[name] = tensor        # the registry entry, so no type checks apply
                    break
            else:
                saved.append((owner.__dict__, name, owner.__dict__.get(name, _MISSING)))
                owner.__dict__[name] = tensor
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for reg, name, old in reversed(saved):
            if old is _MISSING:
                del reg[name]
            else:
                reg[name] = old


_MISSING = object()
