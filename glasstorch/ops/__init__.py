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
    activation.py  nn.functional activations (relu6, leaky_relu, elu, gelu, softplus, glu, ...)
    norm.py     instance/layer/group/rms norm (one fused op), local_response_norm
    batchnorm.py  batch_norm: fused, statistics inside, input gradient a*gy + k*x + c0
    dropout.py  dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout
    loss.py     losses: fused cross_entropy / nll / bce (+ with logits), the rest composed
    nn_misc.py  one_hot, normalize, cosine_similarity, pairwise_distance, cdist, attention
    rnn.py      lstm / gru / rnn_tanh / rnn_relu and their cells (fused per-layer time loops)
    attention.py  multi_head_attention_forward (one fused attention op), d2l's masked_softmax
    linear.py   linear (fused x W^T + b), bilinear
    embedding.py  embedding, embedding_bag (gather forward, scatter-add backward)
    conv.py     conv1d/2d, conv_transpose1d/2d, unfold/fold (im2col + GEMM, backend kernels);
                conv_kernels.py: their array kernels (1x1, flipped-kernel, two-thread paths)
    pool.py     max/avg/adaptive pooling, max_unpool (argmax indices flat per plane)
    pad.py      F.pad: constant, reflect, replicate, circular (negative pads crop)
    upsample.py interpolate (nearest, linear, bilinear, area), pixel_shuffle/unshuffle
Every op class registers itself in glasstorch._registry.OPS.
"""
