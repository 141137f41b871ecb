"""backend/numba_halves.py: a large product as two 1-thread halves on the caller and a
GIL-free helper thread, and SGD's update likewise; the same bits as the whole product on one
OpenBLAS thread and as the per-parameter update, whoever runs which half (no timings)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from glasstorch.backend import kernels, threads

numba_halves = pytest.importorskip("glasstorch.backend.numba_halves")
helper = numba_halves.available(threads._blas_lib) if kernels.numba_for_exact() else None
needs_helper = pytest.mark.skipif(helper is None, reason="no numba, or no ILP64 cblas found")


@pytest.fixture
def restore():
    before = threads.get_num_threads()
    yield
    threads.set_num_threads(before)


def _one_thread(a, b):
    threads._blas_set(1)
    try:
        return np.matmul(a, b)
    finally:
        threads._blas_set(threads._blas_threads)


def _halves(h, a, b):
    """numba_halves.matmul as threads.matmul calls it: OpenBLAS set to one thread."""
    threads._blas_set(1)
    try:
        return numba_halves.matmul(h, a, b)
    finally:
        threads._blas_set(threads._blas_threads)


def _layouts(m, k, n, dtype, rng):
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    for x in (a, np.asfortranarray(a)):
        for y in (b, np.asfortranarray(b)):
            yield x, y


@needs_helper
@pytest.mark.parametrize("shape", [(128, 784, 256), (128, 256, 256), (256, 128, 784),
                                   (256, 128, 256), (64, 465, 500), (512, 785, 40),
                                   (33, 1000, 300), (1000, 300, 33), (40, 1024, 1000),
                                   (200, 129, 330), (777, 101, 555)])
def test_halves_give_the_one_thread_bits(shape):
    """Each half is a 1-thread OpenBLAS call with the whole product's K: the same bits as the
    whole product on one thread (K above ~450 and not a multiple of 32 included, where
    OpenBLAS's own 2-thread split rounds differently), float32, C/F operands."""
    rng = np.random.default_rng(sum(shape))
    for a, b in _layouts(*shape, np.float32, rng):
        got = _halves(helper, a, b)
        assert got.flags.c_contiguous and got.dtype == np.float32
        np.testing.assert_array_equal(got, _one_thread(a, b))


@needs_helper
def test_one_compiled_specialization_for_every_layout_and_job():
    """Products of all four C/F layouts and a halved SGD update run through one machine-code
    specialization ('A' layout): each extra one cost ~0.4-1 MiB of resident memory on first
    use (bench_mlp --rss, docs/perf/mlp.md mlpmem6); an argument of another type is refused
    rather than compiled."""
    rng = np.random.default_rng(5)
    for a, b in _layouts(128, 256, 256, np.float32, rng):
        np.testing.assert_array_equal(_halves(helper, a, b), _one_thread(a, b))
    sigs = numba_halves._enter.signatures
    assert len(sigs) == 1 and all(t.layout == "A" for t in sigs[0][1:4])
    with pytest.raises(TypeError):
        numba_halves._enter(numba_halves._WAKE, *(np.zeros((0, 0)),) * 3, 0, *helper.args)


@needs_helper
def test_unsuitable_operands_are_left_to_numpy():
    z = np.zeros
    assert numba_halves.matmul(helper, z((64, 64), np.int64), z((64, 64), np.int64)) is None
    assert numba_halves.matmul(helper, z((64, 64)), z((64, 64), np.float32)) is None
    assert numba_halves.matmul(helper, z((64, 64)), z((64, 64))) is None   # float64: OpenBLAS
    assert numba_halves.matmul(helper, z((4, 64, 64)), z((64, 64))) is None
    assert numba_halves.matmul(helper, z((64, 128))[:, ::2], z((64, 64))) is None
    f32 = np.float32
    assert numba_halves.matmul(helper, z((16, 64), f32), z((64, 64), f32)) is None  # few rows
    assert numba_halves.matmul(helper, z((4480, 128), f32), z((128, 128), f32)) is None
    assert numba_halves.matmul(helper, z((128, 4480), f32), z((4480, 128), f32)) is None
    assert numba_halves.matmul(helper, z((160, 51), f32), z((51, 198), f32)) is None  # small


@needs_helper
def test_caller_runs_the_half_a_stopped_helper_never_claims():
    """A helper that is not running (stopped, asleep, its core busy) delays nothing: the
    caller claims the posted half after its own and runs it."""
    stopped = numba_halves._Helper(threads._blas_lib, "scipy_" if hasattr(
        threads._blas_lib, "scipy_cblas_sgemm64_") else "")
    stopped.stop()
    ran = stopped.ctl[numba_halves._RAN]
    rng = np.random.default_rng(1)
    a = rng.standard_normal((128, 300)).astype(np.float32)
    b = rng.standard_normal((300, 256)).astype(np.float32)
    np.testing.assert_array_equal(_halves(stopped, a, b), _one_thread(a, b))
    assert stopped.ctl[numba_halves._RAN] == ran


@needs_helper
def test_large_products_same_bits_at_1_and_2_threads(restore):
    """Through threads.matmul (linear, matmul and their backward): at 2 threads a 2-D
    product of at least GEMM_SERIAL_MNK runs in halves, so nn.Linear(784, 256) gives its
    1-thread bits (OpenBLAS's own 2-thread split of this shape does not)."""
    import glasstorch as gt
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    results = []
    for n in (1, 2):
        threads.set_num_threads(n)
        gt.manual_seed(0)
        lin = gt.nn.Linear(784, 256)
        xt = gt.tensor(x, requires_grad=True)
        y = lin(xt)
        (y * y).sum().backward()
        results.append([y.detach().numpy(), lin.weight.grad.numpy(), xt.grad.numpy()])
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


@needs_helper
def test_routing_only_at_two_threads_and_from_the_threshold(monkeypatch, restore):
    seen = []
    real = numba_halves.matmul
    monkeypatch.setattr(numba_halves, "matmul", lambda h, a, b: seen.append(a.shape) or
                        real(h, a, b))
    a = np.zeros((128, 256), np.float32)
    for n in (1, 2, 3):
        threads.set_num_threads(n)
        threads.matmul(a, np.zeros((256, 256), np.float32))   # 2^23 multiply-adds
        threads.matmul(a, np.zeros((256, 255), np.float32))   # just under: one BLAS thread
    assert seen == [(128, 256)]
    assert threads.blas_num_threads() == 3


def _sgd_run(n, steps=3, **options):
    import glasstorch as gt
    threads.set_num_threads(n)
    gt.manual_seed(0)
    big = gt.nn.Parameter(gt.randn(300, 257))            # halved: >= 32768 elements
    small = gt.nn.Parameter(gt.randn(100))
    w = gt.randn(257, 256)
    opt = gt.optim.SGD([big, small], lr=0.1, momentum=0.9, **options)
    for _ in range(steps):
        opt.zero_grad()
        ((big @ w).square().mean() + small.square().sum()).backward()   # a routed product:
        opt.step()                                                       # the helper is hot
    return big.detach().numpy().copy(), small.detach().numpy().copy()


@needs_helper
@pytest.mark.parametrize("options", [{}, {"nesterov": True}, {"weight_decay": 0.01},
                                     {"dampening": 0.5}])
def test_sgd_halves_same_bits_as_one_thread(options, restore):
    """At 2 threads the large parameter's update runs half on the helper: the same bits as
    the per-parameter update at 1 thread (and its products' 1-thread bits)."""
    for one, two in zip(_sgd_run(1, **options), _sgd_run(2, **options)):
        np.testing.assert_array_equal(one, two)


@needs_helper
def test_sgd_does_not_wake_a_sleeping_helper():
    rng = np.random.default_rng(3)
    x, g, b = (rng.standard_normal(40000).astype(np.float32) for _ in range(3))
    ref = [v.copy() for v in (x, g, b)]
    from glasstorch.backend import numba_optim
    numbers = numba_optim.sgd_numbers(x.dtype, 0.1, 0.0, 0.9, 0.0)
    numba_optim.sgd(ref[0], ref[1], ref[2], numbers, False, False)
    asleep = numba_halves._Helper.__new__(numba_halves._Helper)   # never started: not spinning
    asleep.ctl, asleep.job = np.zeros(8, np.int64), np.zeros(256, np.int64)
    numba_halves.sgd(asleep, [(x, g, b)], numbers, numba_halves.sgd_options(False, False))
    assert asleep.ctl[numba_halves._POSTED] == 0
    np.testing.assert_array_equal(x, ref[0])
    np.testing.assert_array_equal(b, ref[2])


@needs_helper
def test_helper_restarts_in_a_forked_child():
    code = ("import os, numpy as np\n"
            "from glasstorch.backend import threads\n"
            "threads.set_num_threads(2)\n"
            "a = np.ones((256, 256), np.float32)\n"
            "threads.matmul(a, a)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    ok = (threads.matmul(a, a) == 256).all()\n"
            "    os._exit(0 if ok else 3)\n"
            "_, status = os.waitpid(pid, 0)\n"
            "assert os.waitstatus_to_exitcode(status) == 0, status\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                   env=dict(os.environ, OPENBLAS_NUM_THREADS="2"))


@needs_helper
def test_no_helper_thread_without_a_suitable_product():
    """A model whose products never suit (LeNet's are under GEMM_SERIAL_MNK, the
    Transformer's have 4480 rows) never starts the helper; SGD does not start it either."""
    code = ("import numpy as np, glasstorch as gt\n"
            "from glasstorch.backend import numba_halves, threads\n"
            "threads.set_num_threads(2)\n"
            "w = gt.nn.Parameter(gt.randn(400, 120))\n"
            "opt = gt.optim.SGD([w], lr=0.1, momentum=0.9)\n"
            "for _ in range(2):\n"
            "    opt.zero_grad(); (gt.randn(128, 400) @ w).sum().backward(); opt.step()\n"
            "gt.randn(4480, 128) @ gt.randn(128, 128)\n"
            "assert numba_halves.helper() is None\n"
            "gt.randn(128, 256) @ gt.randn(256, 256)\n"
            "assert numba_halves.helper() is not None\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                   env=dict(os.environ, OPENBLAS_NUM_THREADS="2"))
