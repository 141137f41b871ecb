"""torch.fft's real-valued helpers vs torch."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close, check_op


@pytest.mark.parametrize("n,d", [(1, 1.0), (4, 1.0), (5, 0.1), (8, 2.0)])
def test_freqs(n, d):
    assert_close(gt.fft.fftfreq(n, d), torch.fft.fftfreq(n, d))
    assert_close(gt.fft.rfftfreq(n, d), torch.fft.rfftfreq(n, d))
    assert_close(gt.fft.fftfreq(n, dtype=gt.float64), torch.fft.fftfreq(n, dtype=torch.float64))


@pytest.mark.parametrize("fn,shape", [
    (lambda m, x: m.fft.fftshift(x), (5,)), (lambda m, x: m.fft.ifftshift(x), (5,)),
    (lambda m, x: m.fft.fftshift(x), (4, 5)), (lambda m, x: m.fft.ifftshift(x), (3, 4, 2)),
    (lambda m, x: m.fft.fftshift(x, dim=1), (4, 5)),
    (lambda m, x: m.fft.ifftshift(x, dim=(0,)), (3, 5)),
])
def test_shift(fn, shape):
    check_op(fn, [shape], lib=True)
