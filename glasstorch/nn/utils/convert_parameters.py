"""All parameters as one flat vector and back (torch.nn.utils.parameters_to_vector /
vector_to_parameters): for algorithms that see a model as one point in R^n."""
from ...ops.join import cat as _cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """One 1-D tensor: the parameters flattened and concatenated (differentiable)."""
    return _cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Make each parameter's data the next slice of `vec` (p.data = slice; the parameters then
    share `vec`'s memory, as in torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n


def _typename(obj):
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
