"""torch's layouts: `torch.strided` (dense, what every glasstorch tensor is) and the sparse
ones, which exist as values so that code naming them reads, but no glasstorch tensor has them
(sparse layouts are out of scope: see docs/COMPATIBILITY.md). `check_options` is how the
factories treat torch's layout= and pin_memory= on this CPU-only, dense-only framework."""

__all__ = ["layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
           "sparse_bsc"]


class layout:
    """A memory layout, printed as torch prints it (`torch.strided`)."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):                  # pickles as the module-level singleton
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")


def check_options(fn, layout=None, pin_memory=False):
    """layout: None or torch.strided (anything else: TypeError if not a layout, else
    NotImplementedError, glasstorch tensors being dense); pin_memory=True: torch's own
    RuntimeError on a machine without an accelerator, which is every glasstorch machine."""
    if layout is not None and layout is not strided:
        if not isinstance(layout, globals()["layout"]):
            raise TypeError(f"{fn}(): argument 'layout' must be torch.layout, not "
                            f"{type(layout).__name__}")
        raise NotImplementedError(f"{fn}(): layout={layout!r} is not supported: glasstorch "
                                  "tensors are dense (torch.strided); sparse layouts are out "
                                  "of scope")
    if pin_memory:
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.")
