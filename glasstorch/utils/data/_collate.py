"""default_collate: a list of samples -> one batch, recursively by sample structure.

    [(x0, y0), (x1, y1)]  ->  (stack([x0, x1]), tensor([y0, y1]))
    [{"a": t0}, {"a": t1}] -> {"a": stack([t0, t1])}
Tensors and NumPy arrays are stacked, Python floats become float64 and ints int64 tensors
(as in torch), strings stay a list.
"""
import collections.abc
import re

from ...backend import xp as _xp
from ...tensor import Tensor, _make

__all__ = ["default_collate", "default_convert"]

_np_str = re.compile(r"[SaUO]")


def _stack(batch):
    from ...ops.join import stack
    return stack(batch, 0)


def default_collate(batch):
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, _xp.ndarray):
        if _np_str.search(elem.dtype.str):
            raise TypeError("default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found {elem.dtype}")
        return _make(_xp.stack(batch))
    if isinstance(elem, _xp.generic):
        return _make(_xp.asarray(batch))
    if isinstance(elem, bool):
        return _make(_xp.asarray(batch, dtype=_xp.bool_))
    if isinstance(elem, float):
        return _make(_xp.asarray(batch, dtype=_xp.float64))
    if isinstance(elem, int):
        return _make(_xp.asarray(batch, dtype=_xp.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem})
        except TypeError:
            return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem)}")


def default_convert(data):
    """batch_size=None: convert one sample (arrays -> tensors), without batching."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, _xp.ndarray) and not _np_str.search(data.dtype.str):
        return _make(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data
