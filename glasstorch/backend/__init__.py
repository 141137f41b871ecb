"""The array backend: the one place that imports NumPy for array math.

Everything above this package gets its array module as `xp` from here (ops read it as
`ctx.xp`, autograd.node.Node.xp). A CuPy backend will plug in here, keyed by device, without touching the ops.
Device-specific kernels (im2col, scatter-add) live in this package where the APIs differ.
"""
import warnings

import numpy

from .threads import get_num_threads, set_num_threads  # noqa: E402  (torch.set_num_threads)
from .kernels import get_kernels, set_kernels  # noqa: E402  (numpy or numba kernels)

# torch computes inf/nan silently (exp overflow, 0/0 in a gradient); NumPy warns. Silence
# NumPy's floating-point RuntimeWarnings only where they are raised from glasstorch's own code,
# so user code keeps NumPy's behaviour (autograd.detect_anomaly() is the tool to find NaNs).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"glasstorch(\..*)?$")

xp = numpy                 # the array module for "cpu"
ndarray = numpy.ndarray
asarray = numpy.asarray
array = numpy.array

__all__ = ["xp", "ndarray", "asarray", "array", "numpy", "set_num_threads", "get_num_threads",
           "set_kernels", "get_kernels"]
