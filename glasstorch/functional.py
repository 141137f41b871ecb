"""torch.functional: the functions torch writes in Python in torch/functional.py, which some
programs import from there (`import torch.functional as F`, `torch.functional.norm`). They
are glasstorch's own functions of the same names (no second implementation). stft/istft and
align_tensors (named tensors) are not in glasstorch.
"""
from . import (atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_shapes,  # noqa: F401
               broadcast_tensors, cartesian_prod, cdist, chain_matmul, einsum, lu, meshgrid,
               norm, pca_lowrank, split, svd_lowrank, tensordot, unique, unique_consecutive,
               unravel_index)

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
           "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "lu", "norm",
           "meshgrid", "pca_lowrank", "split", "svd_lowrank", "tensordot", "unique",
           "unique_consecutive", "unravel_index"]
