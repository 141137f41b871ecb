"""Devices. Only "cpu" exists today; "cuda" parses (as in PyTorch) but using it raises a
clear error until the CuPy backend lands behind backend/."""

__all__ = ["device"]


class device:
    """`device("cpu")`, `device("cuda:0")`, `device("cuda", 0)`; compares equal to its string."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or device, got {type!r}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"device string {type!r} already has an index")
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: "
                f"{type}")
        self.type = type
        self.index = index

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(dev):
    """Return the canonical device for `dev` (str, device or None); raise for unavailable ones."""
    if dev is None or dev is CPU or dev == "cpu":
        return CPU
    d = device(dev)
    if d.type == "cpu":
        return CPU
    raise RuntimeError(
        f"glasstorch: device '{d}' is not available. Only 'cpu' is supported in this version; "
        "GPU support will come through CuPy (glasstorch.backend) - install nothing, it is not "
        "built yet.")
