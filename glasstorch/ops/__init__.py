"""Stateless ops, one module per family; each op's forward and backward side by side.

    _util.py       helpers shared by the op modules (dims, casts, float inputs of elementwise ops)
    unary.py       elementwise functions of one tensor (neg, abs, sqrt, sigmoid, erf, ...)
    exp_log.py     exp, exp2, expm1, log, log2, log10, log1p
    trig.py        sin ... atanh, elementwise
    piecewise.py   functions whose gradient is a mask or zero (relu, clamp, rounding, isnan, ...)
    gamma.py       lgamma, digamma, polygamma, zeta (each derivative the next of the family)
    special_bessel.py  Bessel functions, Airy Ai, regularized incomplete gamma (torch.special)
    _operands.py   operands of two-tensor ops: numbers, arrays, PyTorch's type promotion
    arith.py       add, sub, mul, div, floor_divide, remainder, fmod
    binary_math.py pow, atan2, hypot, lerp, addcmul/addcdiv, xlogy, copysign
    compare.py     maximum/minimum, comparisons, isclose, logical and bitwise ops
    _reduction.py  what every reduction shares: dims, putting reduced dims back, checks
    reduce.py      sum, prod, norm, all/any, count_nonzero
    moments.py     mean, var/std, var_mean/std_mean
    extrema.py     max/min/median, amax/amin, argmax/argmin, logsumexp
    cumulative.py  cumsum, cumprod
    order_stats.py quantile, nanmedian, mode, cummax/cummin (compositions over gather and sort)
    softmax.py     softmax / log_softmax (fused, numerically stable)
    _strides.py    view bookkeeping: base tensor, version counter, PyTorch's strides
    view.py        view, reshape, permute/transpose, squeeze/unsqueeze, expand, contiguous
    layout.py      memory formats (channels_last): which layout an array has, copies between them
    slice.py       narrow, select, diagonal, unfold (views of a part)
    concat.py      cat/stack and split/chunk/unbind: each the other's gradient
    join.py        hstack/vstack/meshgrid & co, repeat/tile, flip, roll, tril/triu (copies)
    _index_parse.py  parsing x[index] into a view part and a pick part (PyTorch's rules)
    index.py       x[i], x[i] = v, index_put
    index_dim.py   index_select, index_add, index_fill, index_copy (along one dim)
    gather.py      gather, scatter, scatter_add, take_along_dim, take, one_hot
    mask.py        where, masked_fill/select/scatter, nonzero
    linalg.py      matmul and friends (mm, bmm, mv, dot, outer, addmm, baddbmm)
    einsum.py      einsum, tensordot, inner
    decomp.py      inv, det, slogdet, solve, cholesky, qr (LAPACK forward);
                   decomp_spectral.py: eigh, svd
    composite.py   torch functions composed of registered ops (nan-reductions, windows, ...)
    sort.py        sort, argsort, topk, unique
    convert.py     casts, clone, detach;  _inplace.py: in-place ops and CopySlices
    activation.py  nn.functional's piecewise-linear activations (threshold, hardtanh, relu6,
                   leaky_relu, prelu, shrinks, hardswish) and softmax forms; re-exports:
    activation_smooth.py  elu/selu/celu, gelu, silu, mish, softplus, logsigmoid, glu, ...
    norm.py        instance/layer/group/rms norm (one fused op), local_response_norm
    batchnorm.py   batch_norm: fused, statistics inside, input gradient a*gy + k*x + c0
    dropout.py     dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout
    _loss_args.py  what every loss shares: the reduction argument, reductions, checks
    loss.py        fused cross_entropy / nll_loss (class targets); re-exports loss_binary.py:
    loss_binary.py fused binary_cross_entropy (+ with logits)
    loss_composed.py  the other losses, compositions of existing ops
    distance.py    normalize, cosine_similarity, pairwise_distance, cdist
    rnn.py         lstm / gru / rnn_tanh / rnn_relu and their cells: torch's call forms
    rnn_lstm.py    the fused LSTM layer (input projection, time loop, bulk weight gradients)
    rnn_gru.py     the fused GRU layer, in the LSTM layer's layout
    rnn_layers.py  the fused RNN layer, the composite twins (second derivatives)
    attention.py   the fused attention op (_Attention), scaled_dot_product_attention
    mha.py         multi_head_attention_forward on that op, torch's mask/shape/projection helpers
    linear.py      linear (fused x W^T + b), bilinear
    embedding.py   embedding, embedding_bag (gather forward, scatter-add backward)
    conv.py        conv1d/2d, conv_transpose1d/2d (im2col + GEMM, backend kernels); fold.py unfold/fold;
                   conv_kernels.py: their array kernels (1x1, flipped-kernel, two-thread paths);
                   conv_kernels_t.py: the transposed forward (every input gradient)
    _pool_shapes.py  pooling arguments, checks, output sizes, adaptive windows
    pool.py        max and adaptive max pooling, max_unpool (argmax indices flat per plane);
                   re-exports pool_avg.py: avg and adaptive avg pooling
    pad.py         F.pad: constant, reflect, replicate, circular (negative pads crop)
    resample.py    the Resample op pair that upsample.py, pad.py and pool.py share
    upsample.py    interpolate (nearest, linear, bilinear, area), pixel_shuffle/unshuffle
Every op class registers itself in glasstorch._registry.OPS.
"""
