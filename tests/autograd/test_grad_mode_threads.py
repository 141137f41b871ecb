"""Grad mode and inference mode are per thread (torch's are thread-local); anomaly detection is
process-wide (torch's AnomalyMode is a static flag). Each case runs the same program on torch
and on glasstorch and compares what the other thread saw."""
import threading

import pytest
import torch

import glasstorch


def _seen_in_thread(lib):
    seen = {}

    def look():
        x = lib.ones(2, requires_grad=True)
        seen.update(grad=lib.is_grad_enabled(), inference=lib.is_inference_mode_enabled(),
                    anomaly=lib.is_anomaly_enabled(), records=(x * 2).requires_grad)
    t = threading.Thread(target=look)
    t.start()
    t.join()
    return seen


def _under(lib, how):
    if how == "no_grad":
        with lib.no_grad():
            return _seen_in_thread(lib), lib.is_grad_enabled()
    if how == "set_grad_enabled":
        lib.set_grad_enabled(False)
        try:
            return _seen_in_thread(lib), lib.is_grad_enabled()
        finally:
            lib.set_grad_enabled(True)
    if how == "inference_mode":
        with lib.inference_mode():
            return _seen_in_thread(lib), lib.is_grad_enabled()
    if how == "detect_anomaly":
        lib.autograd.set_detect_anomaly(True)
        try:
            return _seen_in_thread(lib), lib.is_grad_enabled()
        finally:
            lib.autograd.set_detect_anomaly(False)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["no_grad", "set_grad_enabled", "inference_mode",
                                 "detect_anomaly"])
def test_other_thread_sees_what_torch_shows(how):
    assert _under(glasstorch, how) == _under(torch, how)


def test_a_thread_switching_grad_off_leaves_the_caller_recording():
    for lib in (torch, glasstorch):
        t = threading.Thread(target=lib.set_grad_enabled, args=(False,))
        t.start()
        t.join()
        assert lib.is_grad_enabled()
        assert (lib.ones(1, requires_grad=True) * 2).requires_grad


def test_no_grad_in_many_threads_at_once_restores_every_thread():
    # the failure this guards against: one process-wide flag, saved and restored by threads
    # whose no_grad blocks overlap, ends up off for everyone
    barrier = threading.Barrier(4)
    after = []

    def work():
        with glasstorch.no_grad():
            barrier.wait()
            assert not glasstorch.is_grad_enabled()
        barrier.wait()
        after.append(glasstorch.is_grad_enabled())
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert after == [True] * 4
    assert glasstorch.is_grad_enabled()
