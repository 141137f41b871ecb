"""nn.LinearCrossEntropyOptions: torch's settings of its chunked linear_cross_entropy kernel.
glasstorch computes linear_cross_entropy by the reference path whatever the options (the value
is the same), so this dataclass only records and validates them as torch does."""
import dataclasses
from typing import Literal

__all__ = ["LinearCrossEntropyOptions"]

_ACC_DTYPES = ("float16", "bfloat16", "float32", "float64")


@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """Chunking settings: `batch_chunk_size` rows per chunk (None: one chunk),
    `chunking_method` "auto", "aspect_ratio", "aspect_ratio:N" or None, `acc_policy` one of
    "accurate", "balanced", "compact", "auto", and `acc_dtype` the accumulation dtype."""
    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None or (isinstance(self.batch_chunk_size, int)
                                                  and self.batch_chunk_size > 0)):
            raise ValueError("batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        if self.acc_dtype is not None and str(self.acc_dtype).rsplit(".", 1)[-1] not in _ACC_DTYPES:
            raise ValueError("acc_dtype must be one of {None, torch.float16, torch.bfloat16, "
                             f"torch.float32, torch.float64}}, got {self.acc_dtype!r}. Pass "
                             "acc_dtype=None to let the op pick automatically.")
