"""torch.nn.parallel on the CPU: DataParallel runs the wrapped module itself.

Real torch on a machine without GPUs does the same: `DataParallel(m)(x)` is `m(x)`, the
state_dict keys get the `module.` prefix, `device_ids` is []. DistributedDataParallel (multi-process
training on glasstorch.distributed) lives in distributed.py, imported on first use.
"""
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]  # + DistributedDataParallel, lazily (below)


class DataParallel(Module):
    """Wraps `module`; with no GPU its forward is the module's forward (torch's CPU behaviour)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if device_ids:
            raise RuntimeError(f"DataParallel: device_ids={device_ids} but glasstorch has no "
                               "GPUs (use device_ids=None on the CPU)")
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional form: on the CPU, `module(*inputs, **module_kwargs)`."""
    if device_ids:
        raise RuntimeError(f"data_parallel: device_ids={device_ids} but glasstorch has no GPUs")
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))


def __getattr__(name):
    # imported on first use: DDP needs glasstorch.distributed (mpi4py) only when constructed
    if name == "DistributedDataParallel":
        from .distributed import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
