"""torch.cuda / torch.backends on a CPU machine, finfo/iinfo, threads, print options, and the
keyword forms torch's parser accepts (axis=, keepdims=, size=, randint(10, (3,))), vs torch."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close, check_op, check_raises


def test_cuda_answers_as_a_cpu_build():
    assert gt.cuda.is_available() is torch.cuda.is_available() is False
    assert gt.cuda.device_count() == torch.cuda.device_count() == 0
    assert gt.cuda.is_initialized() is False
    assert gt.cuda.get_arch_list() == torch.cuda.get_arch_list()
    for fn in ("manual_seed", "manual_seed_all"):
        assert getattr(gt.cuda, fn)(0) is None and getattr(torch.cuda, fn)(0) is None
    a = gt.rand(3)
    gt.manual_seed(0), gt.cuda.manual_seed_all(5)      # no-op: the CPU stream is untouched
    b = gt.rand(3)
    gt.manual_seed(0)
    assert gt.equal(b, gt.rand(3)) and a.shape == b.shape
    assert gt.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
    assert dict(gt.cuda.memory_stats()) == dict(torch.cuda.memory_stats())
    assert set(torch.cuda.__all__) <= set(dir(gt.cuda))


@pytest.mark.parametrize("name", ["current_device", "synchronize", "get_device_name",
                                  "get_device_capability", "init", "get_rng_state"])
def test_cuda_device_functions_raise_like_torch(name):
    with pytest.raises(AssertionError) as t_err:
        getattr(torch.cuda, name)()
    with pytest.raises(type(t_err.value), match="not compiled with CUDA"):
        getattr(gt.cuda, name)()


def test_cuda_device_still_parses_but_raises_on_use():
    assert str(gt.device("cuda:0")) == "cuda:0"
    with pytest.raises(RuntimeError, match="not available"):
        gt.zeros(2, device="cuda")
    device = "cuda" if gt.cuda.is_available() else "cpu"
    assert gt.ones(2, device=device).device == gt.device("cpu")


def test_backends_flags_and_questions():
    import glasstorch.backends.cudnn as cudnn
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name)
    cudnn.benchmark = True
    assert gt.backends.cudnn.benchmark is True
    cudnn.benchmark = False
    assert gt.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert gt.backends.cudnn.version() is torch.backends.cudnn.version() is None
    assert gt.backends.mps.is_available() is torch.backends.mps.is_available()
    assert gt.backends.mps.is_built() is torch.backends.mps.is_built()
    assert gt.backends.cuda.is_built() is torch.backends.cuda.is_built()
    assert gt.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    with gt.backends.cudnn.flags(enabled=False):
        pass
    assert set(gt.backends.__all__) >= {n for n in dir(torch.backends)
                                        if not n.startswith("_") and n != "m"}


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    a, b = gt.finfo(getattr(gt, name)), torch.finfo(getattr(torch, name))
    for key in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(a, key) == getattr(b, key), key
    assert gt.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    a, b = gt.iinfo(getattr(gt, name)), torch.iinfo(getattr(torch, name))
    assert (a.bits, a.min, a.max, a.dtype) == (b.bits, b.min, b.max, b.dtype)


@pytest.mark.parametrize("call", [lambda m: m.iinfo(m.bool), lambda m: m.finfo(m.int64),
                                  lambda m: m.iinfo(m.float32)])
def test_info_wrong_kind_raises(call):
    check_raises(call, lib=True)


def test_threads():
    n = gt.get_num_threads()
    try:
        gt.set_num_threads(1)
        assert gt.get_num_threads() == 1
    finally:
        gt.set_num_threads(n)
    check_raises(lambda m: m.set_num_threads(0), lib=True)
    assert gt.get_num_interop_threads() >= 1


def test_set_printoptions_like_torch():
    cases = [dict(precision=2), dict(sci_mode=False), dict(sci_mode=True),
             dict(profile="short"), dict(precision=6)]
    values = [[1.23456, 2.0], [1e-8, 1.0], [123.25, -0.5]]
    try:
        for opts in cases:
            gt.set_printoptions(**opts)
            torch.set_printoptions(**opts)
            for v in values:
                assert repr(gt.tensor(v)) == repr(torch.tensor(v)), (opts, v)
        gt.set_printoptions(threshold=5, edgeitems=2)
        torch.set_printoptions(threshold=5, edgeitems=2)
        assert repr(gt.arange(10.)) == repr(torch.arange(10.))
    finally:
        gt.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    with pytest.raises(ValueError):
        gt.set_printoptions(profile="nope")


# ---- keyword forms of torch's argument parser -----------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: x.sum(axis=0), lambda x: x.sum(axis=1, keepdims=True),
    lambda x: x.mean(axis=(0, 1), keepdims=True), lambda x: x.amax(axis=0),
    lambda x: x.std(axis=1), lambda x: x.logsumexp(axis=1), lambda x: x.cumsum(axis=0),
    lambda x: x.softmax(axis=1), lambda x: x.max(axis=1, keepdims=True).values,
    lambda x: x.prod(axis=1), lambda x: x.var(axis=1, keepdims=True),
])
def test_axis_and_keepdims_on_methods(fn):
    check_op(fn, [(3, 4)])


@pytest.mark.parametrize("fn", [
    lambda m, x: m.sum(x, axis=0), lambda m, x: m.mean(x, axis=1, keepdims=True),
    lambda m, x: m.cat([x, x], axis=1), lambda m, x: m.stack([x, x], axis=0),
    lambda m, x: m.argmax(x, axis=1), lambda m, x: m.squeeze(x[:1], axis=0),
])
def test_axis_on_functions(fn):
    check_op(fn, [(3, 4)], lib=True)


def test_alias_and_name_together_raises():
    check_raises(lambda x: x.sum(dim=0, axis=0), [(2, 2)])


@pytest.mark.parametrize("call", [
    lambda m: m.rand(size=(2, 4)), lambda m: m.randn(size=()), lambda m: m.zeros(size=(2, 3)),
    lambda m: m.ones(size=[2]), lambda m: m.empty(size=(1, 2)), lambda m: m.randint(10, (3,)),
    lambda m: m.randint(high=10, size=(3,)), lambda m: m.randint(10, size=(3, 2)),
    lambda m: m.randint(2, 10, (4,)), lambda m: m.zeros(2, 3), lambda m: m.rand((2, 3)),
])
def test_factory_size_forms(call):
    g, t = call(gt), call(torch)
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype)


def test_randint_values_match_range():
    x = gt.randint(high=10, size=(1000,))
    assert 0 <= int(x.min()) and int(x.max()) < 10 and x.dtype == gt.int64
    assert_close(gt.zeros(size=(2, 3)), torch.zeros(size=(2, 3)))
