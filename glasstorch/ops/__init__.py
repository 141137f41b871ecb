"""Stateless ops, one module per family; each op's forward and backward side by side.

    unary.py    elementwise functions of one tensor (exp, tanh, relu, clamp, erf, ...)
    binary.py   elementwise arithmetic, comparisons, logical ops, with PyTorch's promotion
    reduce.py   sum, mean, var, max/min, logsumexp, cumsum, norm, all/any
    softmax.py  softmax / log_softmax (fused, numerically stable)
    shape.py    views and shape ops (view, reshape, permute, expand, cat, split, ...)
    index.py    indexing, gather/scatter, masked ops, where, nonzero
    linalg.py   matmul and friends, einsum
    sort.py     sort, argsort, topk, unique
    convert.py  casts, clone, detach;  _inplace.py: in-place ops and CopySlices
Every op class registers itself in glasstorch._registry.OPS.
"""
