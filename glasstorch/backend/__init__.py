"""The array backend: the one place that imports NumPy for array math.

Everything above this package gets its array module as `xp` from here (ops read it through
`Function.xp`). A CuPy backend will plug in here, keyed by device, without touching the ops.
Device-specific kernels (im2col, scatter-add) live in this package where the APIs differ.
"""
import numpy

xp = numpy                 # the array module for "cpu"
ndarray = numpy.ndarray
asarray = numpy.asarray
array = numpy.array

__all__ = ["xp", "ndarray", "asarray", "array", "numpy"]
