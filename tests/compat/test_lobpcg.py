"""torch.lobpcg against torch: the converged eigenpairs (eigenvectors up to sign), both
methods, largest/smallest, batches, a B matrix, a preconditioner and a start X, the tracker,
the gradient with respect to A (through sign-invariant functions of X), and torch's errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _spd(m, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((m, m))
    return M @ M.T + np.diag(np.arange(m, dtype=float)) + shift * np.eye(m)


def _both(fn, *arrays, **kw):
    outs = []
    for lib in (gt, torch):
        args = [None if a is None else lib.tensor(a) for a in arrays]
        E, X = fn(lib, *args, **kw)
        outs.append((E.numpy(), X.numpy(), str(E.dtype).split(".")[-1]))
    return outs


def _same_eigenpairs(g, t, rtol=1e-6, B=None):
    (gE, gX, gd), (tE, tX, td) = g, t
    assert gd == td and gE.shape == tE.shape and gX.shape == tX.shape
    np.testing.assert_allclose(gE, tE, rtol=rtol)
    # eigenvectors agree up to sign: |x_i^T B y_i| = 1 (B-normalized; B = I without one)
    dots = np.abs(np.einsum("...mk,...mk->...k", gX, tX if B is None else B @ tX))
    np.testing.assert_allclose(dots, 1.0, atol=1e-5)


@pytest.mark.parametrize("method, largest, k", [
    ("ortho", True, 1), ("ortho", True, 3), ("ortho", False, 1), ("ortho", False, 3),
    ("basic", True, 1), ("basic", True, 3), ("basic", False, 1),
    # ("basic", False, 3): torch's own Cholesky of the basis fails on this matrix
])
def test_eigenpairs(method, largest, k):
    g, t = _both(lambda lib, A: lib.lobpcg(A, k=k, largest=largest, method=method),
                 _spd(12, 0))
    _same_eigenpairs(g, t)


def test_batch_generalized_preconditioned_start():
    A = np.stack([_spd(10, 1), _spd(10, 2)])
    B = np.stack([_spd(10, 3, 5.0), _spd(10, 4, 5.0)])
    X0 = np.random.default_rng(5).standard_normal((2, 10, 2))
    _same_eigenpairs(*_both(lambda lib, A, B: lib.lobpcg(A, 2, B), A, B), B=B)
    _same_eigenpairs(*_both(lambda lib, A, X: lib.lobpcg(A, X=X), A, X0))
    iK = np.linalg.inv(_spd(10, 1) + np.eye(10))
    _same_eigenpairs(*_both(lambda lib, A, iK: lib.lobpcg(A, k=2, n=3, iK=iK,
                                                          largest=False), _spd(10, 1), iK))
    g, t = _both(lambda lib, A: lib.lobpcg(A.float(), k=2), _spd(12, 6))
    assert g[2] == t[2] == "float32"
    _same_eigenpairs(g, t, rtol=1e-4)


def test_tracker_sees_the_iteration_and_can_stop_it():
    steps = []

    def tracker(worker):
        steps.append((worker.ivars["istep"], worker.E.shape, worker.X.shape))
        if worker.ivars["istep"] == 2:
            worker.bvars["force_stop"] = True
    gt.lobpcg(gt.tensor(_spd(12, 0)), k=2, tracker=tracker, tol=1e-300)
    assert [s[0] for s in steps] == [0, 1, 2] and steps[0][1:] == ((2,), (12, 2))


@pytest.mark.parametrize("k", [1, 2])
def test_gradient_matches_torch(k):
    A = _spd(9, 7)
    rng = np.random.default_rng(8)
    C = rng.standard_normal((9, 9))
    w = rng.standard_normal(k)
    grads = []
    for lib in (gt, torch):
        a = lib.tensor(A, requires_grad=True)
        E, X = lib.lobpcg(a, k=k, tol=1e-12)
        # sign-invariant in X: the projector X X^T
        (E * lib.tensor(w)).sum().add((X @ X.mT * lib.tensor(C)).sum()).backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)


def test_errors():
    for lib in (gt, torch):
        with pytest.raises(ValueError, match="3 x the number"):
            lib.lobpcg(lib.tensor(_spd(5, 0)), k=2)
        with pytest.raises(AssertionError):
            lib.lobpcg(lib.ones(6, 7, dtype=lib.float64))
        with pytest.raises(ValueError, match="B != I"):
            A = lib.tensor(_spd(9, 0), requires_grad=True)
            E, X = lib.lobpcg(A, 1, lib.tensor(_spd(9, 1)))
            E.sum().backward()
