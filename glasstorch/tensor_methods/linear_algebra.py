"""Tensor's linear-algebra methods: matmul, mm, bmm, mv, dot, outer, addmm, baddbmm, inner, vdot
(the @ operator is in operators.py). They delegate to ops/linalg.py and ops/einsum.py (inner);
det, inverse & co come from linalg.TORCH_LEVEL at import (_families.py).
"""

# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_einsum = _linalg = None


class LinearAlgebra:
    """Products of matrices and vectors (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def mm(self, mat2):
        return _linalg.mm(self, mat2)

    def bmm(self, mat2):
        return _linalg.bmm(self, mat2)

    def mv(self, vec):
        return _linalg.mv(self, vec)

    def dot(self, tensor):
        return _linalg.dot(self, tensor)

    def outer(self, vec2):
        return _linalg.outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def inner(self, other):
        return _einsum.inner(self, other)

    def vdot(self, other):
        return _linalg.vdot(self, other)


def _import_ops():
    global _einsum, _linalg
    from ..ops import einsum as _einsum, linalg as _linalg
