"""Linear layers: y = x W^T + b (Linear), y = x1^T A x2 + b (Bilinear), and Identity."""
import math

from ... import creation
from ...backend import memory as _memory
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear", "Bilinear"]


def _aligned(t):
    """t (fresh from creation.empty) over 64-byte-aligned memory of its own: batch-1 products
    with the weight run up to 20% faster (backend/memory.py `own_aligned`)."""
    t._data = _memory.own_aligned(t._data.shape, t._data.dtype)
    return t


class Linear(Module):
    """y = x @ weight.T + bias, weight: (out_features, in_features).

    Init as PyTorch: weight ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), and
    bias ~ U(-1/sqrt(in), 1/sqrt(in))."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_aligned(creation.empty(out_features, in_features,
                                                        dtype=dtype)))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # the registry read directly: `self.weight` finds it only after a failed attribute
        # lookup and Module.__getattr__ (~0.5 us each, a tenth of a batch-1 layer); a weight
        # that parametrize, weight_norm or pruning replaced is not in it and goes that way
        p = self._parameters
        w = p.get("weight")
        return F.linear(input, self.weight if w is None else w,
                        p["bias"] if "bias" in p else self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T A_k x2 + b_k, weight: (out, in1, in2); init U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features,
                                               dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")



# torch defines Identity in torch/nn/modules/linear.py: the same path works here
from .container import Identity  # noqa: E402,F401


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for MultiheadAttention.out_proj (torch defines it here, in
    nn/modules/linear.py; the name keeps torch's quantization from swapping it, here it only
    shows in the repr)."""


def __getattr__(name):
    """torch keeps the Lazy variants beside their layers (torch.nn.modules.linear.Lazy...); they
    live in lazy.py here, which imports this module, so they are looked up on first use."""
    if name.startswith("Lazy"):
        from . import lazy
        if hasattr(lazy, name):
            return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
