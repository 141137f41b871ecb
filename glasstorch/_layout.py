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


# How torch 2.13 meets a sparse layout, per factory, for (sparse_coo, sparse_csr/csc,
# sparse_bsr/bsc): "R" its RuntimeError (no such sparse kernel or layout check), "N" its
# NotImplementedError (no kernel for the Sparse backend) or a sparse tensor glasstorch cannot
# make (out of scope: NotImplementedError), "-" the layout is ignored (a dense result).
# Factories not listed: "NNN" (the *_like but zeros_like, empty_strided: torch's
# NotImplementedError). tests/ops/test_sparse_fallback.py compares every one with torch.
_SPARSE = {"NNR": ("zeros", "empty", "zeros_like", "new_zeros", "new_empty", "new_ones",
                   "new_full", "rand", "randn", "randint", "normal"),
           "RNR": ("ones", "full"),
           "NRR": ("eye", "arange", "range", "linspace", "logspace", "randperm",
                   "empty_permuted"),
           "RRR": ("bartlett_window", "hann_window", "hamming_window", "blackman_window",
                   "kaiser_window"),
           "---": ("scalar_tensor",)}
_SPARSE = {fn: rule for rule, fns in _SPARSE.items() for fn in fns}
_GROUP = {"sparse_coo": 0, "sparse_csr": 1, "sparse_csc": 1, "sparse_bsr": 2, "sparse_bsc": 2}


def _ndim(size):
    """The dims of a factory's size argument as given: (2, 3), ((2, 3),), 5 or None (2+)."""
    if size is None:
        return 2
    if isinstance(size, int):
        return 1
    size = tuple(size)
    return len(size[0]) if len(size) == 1 and hasattr(size[0], "__len__") else len(size)


def check_options(fn, layout=None, pin_memory=False, size=None):
    """layout: None or torch.strided (anything else: TypeError if not a layout; a sparse
    layout: torch's error type for this factory, above, with glasstorch's message, tensors
    being dense; a compressed layout (csr, csc) of under 2 dims (`size`, read only then) is
    torch's RuntimeError everywhere); pin_memory=True: torch's own RuntimeError on a machine
    without an accelerator, which is every glasstorch machine."""
    if layout is not None and layout is not strided:
        if not isinstance(layout, globals()["layout"]):
            raise TypeError(f"{fn}(): argument 'layout' must be torch.layout, not "
                            f"{type(layout).__name__}")
        rule = _SPARSE.get(fn, "NNN")[_GROUP[layout.name]]
        if rule == "N" and _GROUP[layout.name] == 1 and fn in _SPARSE and _ndim(size) < 2:
            rule = "R"
        if rule != "-":
            error = RuntimeError if rule == "R" else NotImplementedError
            raise error(f"{fn}(): layout={layout!r} is not supported: glasstorch tensors are "
                        "dense (torch.strided); sparse layouts are out of scope")
    if pin_memory:
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.")
