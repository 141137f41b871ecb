"""Module._apply and Module.to (module.py delegates to these): every parameter and buffer of
the module tree converted by one function, in place for parameters (the same Parameter objects,
now holding the new data, because optimizers hold references to them), replaced for buffers.
"""
from ... import _dtype
from ..._device import check_device
from ...autograd.grad_mode import no_grad
from ...ops import layout as _layout
from ...tensor import Tensor


def convert(module, fn):
    """fn(tensor) -> tensor on every parameter (and its grad) and buffer, children first."""
    for m in module.children():
        m._apply(fn)
    with no_grad():
        for p in module._parameters.values():
            if p is None:
                continue
            new = fn(p)
            if new._data is not p._data:
                p._data = new._data
                p._version_counter[0] += 1
            if p.grad is not None:
                g = fn(p.grad)
                if g._data is not p.grad._data:
                    p.grad = Tensor.detach(g)
        for key, b in module._buffers.items():
            if b is not None:
                module._buffers[key] = fn(b)
    return module


def to(module, args, kwargs):
    """module.to(dtype | tensor | device, dtype=, device=, memory_format=): a float dtype
    converts floating-point parameters and buffers, a memory format the 4-D and 5-D ones;
    devices other than 'cpu' raise (check_device)."""
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    fmt = kwargs.get("memory_format")
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        else:
            device = a
    check_device(device)
    if dtype is not None and not dtype.is_floating_point:
        raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                        f"got desired dtype={dtype}")
    if fmt is not None:   # torch: only 4-D and 5-D parameters change memory format
        _layout.check_format(fmt, "to")
        module._apply(lambda t: t.to(memory_format=fmt) if t.dim() in (4, 5) else t)
    if dtype is None:
        return module
    return module._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)
