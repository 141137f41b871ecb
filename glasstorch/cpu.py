"""torch.cpu: the CPU device module (what torch.get_device_module('cpu') returns).

    >>> import glasstorch as torch
    >>> torch.cpu.is_available(), torch.cpu.device_count()
    (True, 1)
"""
__all__ = ["is_available", "device_count", "current_device", "synchronize", "set_device"]


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Only the CPU exists: any device index is the CPU (torch.cpu.set_device does nothing)."""


def synchronize(device=None):
    """CPU ops finish before they return: nothing to wait for."""
