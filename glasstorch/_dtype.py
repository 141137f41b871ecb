"""dtypes and PyTorch's type-promotion rules.

A `dtype` wraps a NumPy dtype. Promotion follows PyTorch, not NumPy: NumPy promotes
int64 + float16 to float64 and int + Python float to float64; PyTorch gives float16 and the
default dtype (float32). `result_type` implements c10's three-tier rule (dimensioned tensors,
zero-dim tensors, Python scalars) so `int_tensor + 1.5` is float32 and `f16 + f64_scalar` f16.
"""
import numpy as _np  # dtype objects only; array math lives in backend/

__all__ = ["dtype", "float16", "half", "float32", "float", "float64", "double", "uint8",
           "int8", "int16", "short", "int32", "int", "int64", "long", "bool",
           "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast"]

_BOOL, _INT, _FLOAT = 0, 1, 2  # type categories, ordered as PyTorch orders them


class dtype:
    """A tensor element type, e.g. `glasstorch.float32`; `.np` is the NumPy dtype behind it."""
    __slots__ = ("name", "np", "category", "itemsize", "is_floating_point", "is_signed",
                 "cpp_name", "tensor_type", "c_type")

    def __init__(self, name, np_dtype, category, cpp_name, c_type):
        self.name = name
        # torch's words for it in messages: "Float" (c10 ScalarType), "torch.FloatTensor" (x.type()),
        # "float" / "long int" (the C++ element type, in kernels' dtype-mismatch errors)
        self.cpp_name = cpp_name
        self.tensor_type = f"torch.{cpp_name}Tensor"
        self.c_type = c_type
        self.np = _np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_signed = category == _FLOAT or (category == _INT and self.np.kind == "i")

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return "torch." + self.name  # torch: printouts match PyTorch tutorials

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", _np.float16, _FLOAT, "Half", "c10::Half")
float32 = float = dtype("float32", _np.float32, _FLOAT, "Float", "float")
float64 = double = dtype("float64", _np.float64, _FLOAT, "Double", "double")
uint8 = dtype("uint8", _np.uint8, _INT, "Byte", "unsigned char")
int8 = dtype("int8", _np.int8, _INT, "Char", "signed char")
int16 = short = dtype("int16", _np.int16, _INT, "Short", "short int")
int32 = int = dtype("int32", _np.int32, _INT, "Int", "int")
int64 = long = dtype("int64", _np.int64, _INT, "Long", "long int")
bool = dtype("bool", _np.bool_, _BOOL, "Bool", "bool")

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def type_word(np_dtype):
    """torch's word for an element type in error messages ("Float", "Long"); NumPy's name for
    a type torch has no equivalent of."""
    d = _FROM_NP.get(np_dtype)
    return d.cpp_name if d is not None else str(np_dtype)


def c_type_name(np_dtype):
    """torch's C++ name of an element type in kernel errors ("float", "long int"); NumPy's name
    for a type torch has no equivalent of."""
    d = _FROM_NP.get(np_dtype)
    return d.c_type if d is not None else str(np_dtype)


def from_numpy_dtype(np_dtype):
    """NumPy dtype -> glasstorch dtype; TypeError for dtypes PyTorch has no equivalent of."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[_np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def promote_types(type1, type2):
    """The smallest dtype both `type1` and `type2` convert to, by PyTorch's table."""
    a, b = type1, type2
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        return hi  # any float beats any int (torch: int64 + float16 -> float16)
    if a.category == _FLOAT:
        return a if a.itemsize > b.itemsize else b
    # integers: uint8 with a signed type needs a signed type wider than 8 bits
    if (a is uint8 and b is int8) or (a is int8 and b is uint8):
        return int16
    if a is uint8:
        return b
    if b is uint8:
        return a
    return a if a.itemsize > b.itemsize else b


def _combine(higher, lower):
    # c10's combine_categories: a lower-priority operand only matters when its category is higher
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype PyTorch gives a Python number standing alone (a 'wrapped number'). NumPy
    scalars read as Python numbers: integers as int, np.bool_ (like torch) as a float."""
    if isinstance(value, _pybool):
        return bool
    if isinstance(value, (_pyint, _np.integer)):
        return int64
    return _default[0]


_pybool, _pyint = type(True), type(1)


def result_type(*operands):
    """Result dtype of an elementwise op over tensors and Python scalars (torch.result_type)."""
    dim_r = zero_r = wrapped_r = None
    for x in operands:
        dt = getattr(x, "dtype", None)
        if isinstance(dt, dtype):
            if x.ndim > 0:
                dim_r = dt if dim_r is None else promote_types(dim_r, dt)
            else:
                zero_r = dt if zero_r is None else promote_types(zero_r, dt)
        else:
            d = scalar_dtype(x)
            wrapped_r = d if wrapped_r is None else promote_types(wrapped_r, d)
    return _combine(dim_r, _combine(zero_r, wrapped_r))


def can_cast(from_, to):
    """torch.can_cast: casting may not lower the category (float -> int, int -> bool)."""
    return from_.category <= to.category
