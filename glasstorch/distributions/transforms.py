"""Transforms (torch.distributions.transforms): invertible maps y = t(x) with
log |dy/dx|, so that TransformedDistribution can push a base density through them:

    log p_Y(y) = log p_X(t.inv(y)) - log |det dt/dx|

Each transform names its `domain` and `codomain` constraints; `event_dim` says how many
rightmost dims one Jacobian spans (0: elementwise, 1: vector maps like StickBreaking). Written
in tensor ops, so gradients flow through forward, inverse and log_abs_det_jacobian.
All transforms are importable from here; they live in transforms_base.py (the base, inversion,
composition, Independent and Reshape), transforms_elementwise.py (exp, power, sigmoid,
softplus, tanh, abs, affine, CDF) and transforms_vector.py (maps over vectors and matrices:
softmax, stick-breaking, Cholesky factors, cat/stack).
"""
from .transforms_base import (ComposeTransform, IndependentTransform,  # noqa: F401
                              ReshapeTransform, Transform, identity_transform,
                              _InverseTransform, _broadcast_shapes, _sum_rightmost)
from .transforms_elementwise import (ExpTransform, PowerTransform,  # noqa: F401
                                     SigmoidTransform, SoftplusTransform, TanhTransform,
                                     AbsTransform, AffineTransform,
                                     CumulativeDistributionTransform)
from .transforms_vector import (CorrCholeskyTransform, SoftmaxTransform,  # noqa: F401
                                StickBreakingTransform, LowerCholeskyTransform,
                                PositiveDefiniteTransform, CatTransform, StackTransform)

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
           "Transform", "identity_transform"]
