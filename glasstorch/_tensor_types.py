"""torch's legacy tensor types: torch.FloatTensor, torch.LongTensor, ... (old tutorials and
programs build tensors with them: `torch.LongTensor([1, 2])`, `torch.FloatTensor(2, 3)`).

Each is a class whose instances are never made: calling it builds a plain Tensor of its dtype
with the legacy constructor's rules (a list or array: its data, converted; sizes: a tensor of
that shape; a tensor of its dtype: a view of it, as torch's alias), and `isinstance(x,
torch.LongTensor)` asks whether x is a tensor of that dtype. Not Tensor subclasses, as in torch.
"""
from . import _dtype
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor",
           "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, device=None):
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}(): expected a tensor of dtype {cls.dtype}, got "
                                f"{args[0].dtype} (convert it with .to({cls.dtype}))")
            return args[0].view(args[0].shape)     # (torch: an alias of it)
        return Tensor(*args, dtype=cls.dtype, device=device)

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _make_type(name, dtype):
    return _TensorType(name, (), {"__module__": "torch", "dtype": dtype, "is_cuda": False,
                                  "is_sparse": False, "__doc__": f"Legacy {dtype} tensor type."})


FloatTensor = _make_type("FloatTensor", _dtype.float32)
DoubleTensor = _make_type("DoubleTensor", _dtype.float64)
HalfTensor = _make_type("HalfTensor", _dtype.float16)
ByteTensor = _make_type("ByteTensor", _dtype.uint8)
CharTensor = _make_type("CharTensor", _dtype.int8)
ShortTensor = _make_type("ShortTensor", _dtype.int16)
IntTensor = _make_type("IntTensor", _dtype.int32)
LongTensor = _make_type("LongTensor", _dtype.int64)
BoolTensor = _make_type("BoolTensor", _dtype.bool)
