"""AdamW: Adam with weight decay decoupled from the gradient-based update."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019, Algorithm 2): the decay shrinks the weights directly
    instead of entering the moment estimates, so it is not rescaled by 1 / sqrt(v):

        p = p * (1 - lr * weight_decay)
        p = p - lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)    (m, v as in Adam)

    Same arguments as `Adam` (weight_decay defaults to 1e-2).

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.AdamW([w], lr=0.1, weight_decay=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.7816, -1.7614]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:  # torch: a loaded Adam state stays AdamW here
            group["decoupled_weight_decay"] = True
