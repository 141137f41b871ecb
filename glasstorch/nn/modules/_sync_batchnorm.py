"""SyncBatchNorm: batch normalization with statistics over the whole global batch.

With DistributedDataParallel each rank sees only its part of the batch, so plain BatchNorm
normalizes with per-rank statistics. SyncBatchNorm all-reduces each channel's sum, sum of
squares and count (one message), so every rank normalizes with the statistics of the global
batch: N ranks compute what one process would on the concatenated batch. The all-reduce is
differentiable (its backward all-reduces the gradients of those sums), so gradients flowing
through the statistics reach every rank, as in torch.
"""
from ...autograd.function import Function
from .normalization import _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = ["SyncBatchNorm"]


class _AllReduceSum(Function):
    """y = sum over ranks of x;  dL/dx = sum over ranks of dL/dy (every rank's loss uses y)."""

    @staticmethod
    def forward(ctx, x, group):
        from ... import distributed as dist
        ctx.group = group
        y = x.clone()
        dist.all_reduce(y, group=group)
        return y

    @staticmethod
    def backward(ctx, gy):
        from ... import distributed as dist
        gx = gy.clone()
        dist.all_reduce(gx, group=ctx.group)
        return gx, None


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, *) whose training statistics span all ranks of `process_group`."""
    _dims = (2, 3, 4, 5)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def forward(self, input):
        from ... import distributed as dist, cat, full
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if not (self.training and dist.is_initialized()):
            return super().forward(input)       # eval, or a single process: plain batch norm
        C = input.shape[1]
        dims = [0] + list(range(2, input.dim()))
        count = full((1,), input.numel() // C, dtype=input.dtype)
        stats = _AllReduceSum.apply(
            cat([input.sum(dims), (input * input).sum(dims), count]),
            self.process_group)
        n = stats[-1]
        mean, var = stats[:C] / n, stats[C:2 * C] / n - (stats[:C] / n) ** 2   # biased
        shape = [1, C] + [1] * (input.dim() - 2)
        y = (input - mean.reshape(shape)) / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        if self.track_running_stats:
            self._update_running(mean.detach(), var.detach(), n.item())
        return y

    def _update_running(self, mean, var, n):
        self.num_batches_tracked.add_(1)
        m = 1.0 / self.num_batches_tracked.item() if self.momentum is None else self.momentum
        unbiased = var * (n / max(n - 1, 1))           # torch: the running var is unbiased
        self.running_mean.mul_(1 - m).add_(mean.to(self.running_mean.dtype) * m)
        self.running_var.mul_(1 - m).add_(unbiased.to(self.running_var.dtype) * m)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm*d in `module` by a SyncBatchNorm with the same state."""
        if isinstance(module, (BatchNorm1d, BatchNorm2d, BatchNorm3d)):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats, process_group)
            sync.load_state_dict(module.state_dict())
            sync.train(module.training)
            return sync
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module
