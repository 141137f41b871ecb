"""F.grouped_mm: one matrix product per group, the groups of a jagged operand delimited by
`offs` (the end of each group along the sliced dimension), as in Mixture-of-Experts layers.
Composed from slicing, matmul and cat, so the gradients follow from those ops.

    a (M, K) 2-D, b (G, K, N) 3-D:  out[s_i:e_i] = a[s_i:e_i] @ b[i]          -> (M, N)
    a (G, M, K), b (K, N) 2-D:      out[:, s_i:e_i] = a[i] @ b[:, s_i:e_i]    -> (M, N)
    a (M, K), b (K, N), both 2-D:   out[i] = a[:, s_i:e_i] @ b[s_i:e_i]       -> (G, M, N)
    a (G, M, K), b (G, K, N):       out = a @ b (no offs)                      -> (G, M, N)

Rows (or columns) past offs[-1] belong to no group: torch leaves them unwritten, here 0.
"""
from .. import _dtype
from ..creation import zeros
from .concat import cat, stack

__all__ = ["grouped_mm"]


def grouped_mm(mat_a, mat_b, *, offs=None, bias=None, out_dtype=None):
    """Grouped matrix products of float32/bfloat16/float16 operands (see the module doc).

    >>> import glasstorch as torch
    >>> a, b = torch.ones(3, 2), torch.ones(2, 2, 1)
    >>> torch.nn.functional.grouped_mm(a, b, offs=torch.tensor([1, 3], dtype=torch.int32)).shape
    torch.Size([3, 1])
    """
    for name, m in (("mat_a", mat_a), ("mat_b", mat_b)):
        if m.dtype not in (_dtype.float32, _dtype.float16):  # (glasstorch has no bfloat16)
            raise RuntimeError(f"Expected {name} to be Float32, BFloat16 or Float16 matrix, "
                               f"got {m.dtype.cpp_name}")
        if m.dim() not in (2, 3):
            raise RuntimeError(f"{name} has to be 2 or 3d")
    if (offs is None) != (mat_a.dim() == 3 and mat_b.dim() == 3):
        raise RuntimeError("Have to provide offsets if there is a 2d matrix, or no offset if "
                           "both matrices are 3d")
    if out_dtype is not None and out_dtype != mat_a.dtype:  # torch's CPU kernel: no casting
        raise RuntimeError("Grouped gemm output dtype must match `mat_a` dtype")
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if offs is None:
        out = mat_a @ mat_b
    else:
        ends = [int(e) for e in offs.tolist()]
        starts = [0] + ends[:-1]
        groups = list(zip(starts, ends))
        if mat_a.dim() == 2 and mat_b.dim() == 3:
            parts = [mat_a[s:e] @ mat_b[i] for i, (s, e) in enumerate(groups)]
            rest = mat_a.shape[0] - ends[-1]
            out = cat(parts + [zeros(rest, mat_b.shape[2], dtype=mat_a.dtype)], 0)
        elif mat_a.dim() == 3:
            parts = [mat_a[i] @ mat_b[:, s:e] for i, (s, e) in enumerate(groups)]
            rest = mat_b.shape[1] - ends[-1]
            out = cat(parts + [zeros(mat_a.shape[1], rest, dtype=mat_a.dtype)], 1)
        else:
            out = stack([mat_a[:, s:e] @ mat_b[s:e] for s, e in groups])
    return out
