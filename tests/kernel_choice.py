"""The `kernels` fixture: runs a test once on the NumPy kernels and once on the optional numba
kernels (backend/kernels.py; skipped where numba is not installed), so both paths meet the
same torch comparisons. Use: `from kernel_choice import kernels` and name it as an argument
(or `@pytest.mark.usefixtures("kernels")`)."""
import pytest

from glasstorch.backend import kernels as _kernels


@pytest.fixture(params=["numpy", "numba"])
def kernels(request):
    if request.param == "numba":
        pytest.importorskip("numba")
    # restore the whole state, "no choice made" included: set_kernels(before) would leave a
    # choice behind, and every later test in the process would skip the bit-identical numba
    # kernels that run by default (numba_for_exact)
    before = _kernels._active, _kernels._chosen
    _kernels.set_kernels(request.param)
    yield request.param
    _kernels._active, _kernels._chosen = before
