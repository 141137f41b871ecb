"""Module hooks: the handle `register_*_hook` returns, and Module.__call__'s slow path that runs
them (forward pre-hooks, forward hooks, and full backward hooks via nn/_backward_hook.py). With
no hook registered, Module.__call__ is just `self.forward(...)` and nothing here runs.
"""
import itertools

from .._backward_hook import BackwardHook


class _RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = next(_RemovableHandle._ids)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend, with_kwargs, kw_set):
    handle = _RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    if with_kwargs:
        kw_set.add(handle.id)
    return handle


def call_with_hooks(self, args, kwargs):
    """Module.__call__ when any hook is registered: forward pre-hooks, forward (its inputs and
    outputs wrapped for full backward hooks), forward hooks."""
    for hid, hook in list(self._forward_pre_hooks.items()):
        if hid in self._forward_pre_hooks_with_kwargs:
            r = hook(self, args, kwargs)
            if r is not None:
                args, kwargs = r
        else:
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
    bw = None
    if self._backward_hooks or self._backward_pre_hooks:
        bw = BackwardHook(self, list(self._backward_hooks.values()),
                          list(self._backward_pre_hooks.values()))
        args = bw.setup_input(args)
    result = self.forward(*args, **kwargs)
    for hid, hook in list(self._forward_hooks.items()):
        if hid in self._forward_hooks_with_kwargs:
            r = hook(self, args, kwargs, result)
        else:
            r = hook(self, args, result)
        if r is not None:
            result = r
    if bw is not None:
        result = bw.setup_output(result)
    return result
