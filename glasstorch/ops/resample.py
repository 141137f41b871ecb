"""The resampling op pair shared by interpolate (upsample.py), reflect/replicate/circular
padding (pad.py) and adaptive average pooling (pool.py).

A resampling is separable: along each axis the output is a weighted sum of one or two gathered
input slices, described by an AxisPlan (backend/cpu_kernels.py). `Resample` applies a list of
plans; `ResampleAdjoint` scatters back, and each is the other's backward, so second
derivatives come free. The ops of the three families subclass `Resample` only to carry
torch's grad_fn names (UpsampleBilinear2DBackward0, ReflectionPad2DBackward0, ...).
"""
from ..autograd.node import Op
from ..backend import cpu_kernels as _k

__all__ = []


class Resample(Op, name="resample"):
    """y = A_k ... A_1 x, each A a gather (and weighted sum) along one axis;
    gx = A_1^T ... A_k^T gy (ResampleAdjoint)."""

    @staticmethod
    def forward(ctx, x, plans):
        ctx.plans = plans
        for plan in plans:
            x = _k.take_axis(x, plan)
        return x

    @staticmethod
    def backward(ctx, gy):
        return ResampleAdjoint.apply(gy, ctx.plans), None


class ResampleAdjoint(Op, name="resample_backward"):
    """y = A_1^T ... A_k^T g (scatter-add of each gather);  gg = Resample(gy)."""

    @staticmethod
    def forward(ctx, g, plans):
        ctx.plans = plans
        for plan in reversed(plans):
            g = _k.scatter_axis(g, plan)
        return g

    @staticmethod
    def backward(ctx, gy):
        return Resample.apply(gy, ctx.plans), None
