"""The torch-level compositions of ops/compose_extra.py and the state / control-flow / alias
functions of _torch_misc.py vs torch: values, gradients, dtypes, errors, and the Tensor-method
and in-place forms the families table makes from them."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = {
    "frexp": (lambda m, x: tuple(m.frexp(x * 10)), [(3, 4)]),
    "frexp_method": (lambda m, x: tuple((x * 100).frexp()), [(5,)]),
    "ldexp": (lambda m, x, e: m.ldexp(x, e), [(3, 4), ("int", (3, 4), -3, 4)]),
    "ldexp_method": (lambda m, x, e: x.ldexp(e), [(4,), ("int", (4,), 0, 4)]),
    "ldexp_float": (lambda m, x, e: m.ldexp(x, e), [(3, 1), (4,)]),
    "ldexp_": (lambda m, x, e: (x * 1).ldexp_(e), [(3,), (3,)]),
    "ldexp_int": (lambda m, x, e: m.ldexp(x.long(), e), [(4,), ("int", (4,), 0, 4)]),
    "nextafter": (lambda m, x, y: m.nextafter(x, y), [(3, 4), (4,)]),
    "nextafter_mixed": (lambda m, x, y: m.nextafter(x, y.float()), [(3,), (3,)]),
    "nextafter_": (lambda m, x, y: (x * 1).nextafter_(y), [(3,), (3,)]),
    "logit": (lambda m, x: m.logit(x), [(3, 4)]),
    "logit_eps": (lambda m, x: x.logit(eps=0.2), [(3, 4)]),
    "logit_": (lambda m, x: (x * 1).logit_(), [(3, 4)]),
    "fill": (lambda m, x: m.fill(x, 2.5), [(3, 2)]),
    "fill_tensor": (lambda m, x, v: m.fill(x, v.sum()), [(3, 2), (2,)]),
    "renorm": (lambda m, x: m.renorm(x, 2, 0, 1.0), [(4, 3)]),
    "renorm_p1": (lambda m, x: x.renorm(1, 1, 2.0), [(2, 3, 2)]),
    "renorm_": (lambda m, x: (x * 1).renorm_(3, -1, 0.5), [(3, 4)]),
    "frobenius_norm": (lambda m, x: m.frobenius_norm(x, (0, 1)), [(3, 4)]),
    "frobenius_norm_keep": (lambda m, x: m.frobenius_norm(x, [1], True), [(2, 3, 4)]),
    "nuclear_norm": (lambda m, x: m.nuclear_norm(x), [(3, 4)]),
    "nuclear_norm_dim": (lambda m, x: m.nuclear_norm(x, (1, 2), True), [(2, 3, 3)]),
    "norm_except_dim": (lambda m, x: m.norm_except_dim(x, 2, 0), [(3, 4)]),
    "norm_except_dim_all": (lambda m, x: m.norm_except_dim(x, 3, -1), [(3, 4)]),
    "norm_except_dim_1": (lambda m, x: m.norm_except_dim(x, 2, 1), [(2, 3, 4)]),
    "cross_default": (lambda m, x, y: m.cross(x, y), [(2, 3), (2, 3)]),
    "cross_dim": (lambda m, x, y: x.cross(y, dim=0), [(3, 3), (3, 3)]),
    "combinations": (lambda m, x: m.combinations(x), [(4,)]),
    "combinations_r3": (lambda m, x: m.combinations(x, 3, with_replacement=True), [(3,)]),
    "combinations_r0": (lambda m, x: m.combinations(x, 0), [(3,)]),
    "vander_int": (lambda m, x: m.vander((x * 3).long(), 3), [(3,)]),
    "diagonal_scatter": (lambda m, x, s: m.diagonal_scatter(x, s, 1), [(3, 4), (3,)]),
    "diagonal_scatter_method": (lambda m, x, s: x.diagonal_scatter(s, 0, 1, 2),
                                [(2, 3, 3), (2, 3)]),
    "select_scatter": (lambda m, x, s: m.select_scatter(x, s, 1, 2), [(3, 4), (3,)]),
    "slice_scatter": (lambda m, x, s: m.slice_scatter(x, s, 1, 1, 4, 2), [(3, 5), (3, 2)]),
    "slice_scatter_default": (lambda m, x, s: x.slice_scatter(s), [(3, 2), (3, 2)]),
    "index_copy": (lambda m, x, s: m.index_copy(x, 1, m.tensor([2, 0]), s), [(3, 4), (3, 2)]),
    "index_copy_": (lambda m, x, s: (x * 1).index_copy_(0, m.tensor([1]), s), [(3, 2), (1, 2)]),
    "put": (lambda m, x, s: m.put(x, m.tensor([5, 0, -1]), s), [(3, 4), (3,)]),
    "put_acc": (lambda m, x, s: x.put(m.tensor([1, 1]), s, accumulate=True), [(2, 2), (2,)]),
    "put_": (lambda m, x, s: (x * 1).put_(m.tensor([[0, 3]]), s), [(2, 2), (2,)]),
    "mvlgamma_": (lambda m, x: (x + 3).mvlgamma_(2), [(4,)]),
    "polygamma_": (lambda m, x: (x + 3).polygamma_(1), [(4,)]),
    "unsafe_chunk": (lambda m, x: m.unsafe_chunk(x, 2, 1), [(2, 5)]),
    "unsafe_split": (lambda m, x: x.unsafe_split(2), [(5, 2)]),
    "split_with_sizes": (lambda m, x: m.split_with_sizes(x, [1, 3], 1), [(2, 4)]),
    "unsafe_split_with_sizes": (lambda m, x: x.unsafe_split_with_sizes([2, 1]), [(3, 2)]),
    "split_with_sizes_copy": (lambda m, x: m.split_with_sizes_copy(x, [2, 2]), [(4,)]),
    "alias_copy": (lambda m, x: m.alias_copy(x), [(2, 3)]),
    "slice_copy": (lambda m, x: m.slice_copy(x, 1, 1, None, 2), [(2, 5)]),
    "cond": (lambda m, x: m.cond(x.sum() > 0, lambda a: a.sin(), lambda a: a.cos(), (x,)),
             [(3,)]),
    "cond_false": (lambda m, x: m.cond(False, lambda a, b: a + b, lambda a, b: a * b, [x, x]),
                   [(3,)]),
    "vmap": (lambda m, x, y: m.vmap(lambda a, b: (a * b).sum())(x, y), [(4, 3), (4, 3)]),
    "vmap_dims": (lambda m, x, y: m.vmap(lambda a, b: (a @ b, a), in_dims=(1, None),
                                         out_dims=(0, 1))(x, y), [(3, 4), (3, 2)]),
    "fork_wait": (lambda m, x: m.jit.wait(m.jit.fork(lambda a: a * 2, x)) if hasattr(
        m.jit, "fork") else m.wait(m.fork(lambda a: a * 2, x)), [(3,)]),
    "torch_fork_wait": (lambda m, x: m.wait(m.fork(lambda a, k: a * k, x, k=3)), [(3,)]),
}


@pytest.mark.parametrize("args", [(None, False), (2, True), (0, False)])
def test_vander_values(args):
    # torch's own vander backward fails (its cumprod is in place): values only
    check_op(lambda m, x: m.vander(x, N=args[0], increasing=args[1]), [(4,)], lib=True,
             grad=False)


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    fn, shapes = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(fn, shapes, lib=True, low=0.05 if "logit" in name else -2,
                 high=0.95 if "logit" in name else 2)


def test_float32_values_and_dtypes():
    for fn in (lambda m, x: tuple(m.frexp(x)), lambda m, x: m.ldexp(x, m.tensor([1, 2, 3])),
               lambda m, x: m.renorm(x.reshape(3, 1), 2, 0, 0.5),
               lambda m, x: m.nextafter(x, x * 0)):
        check_op(fn, [(3,)], lib=True, dtype="float32")
    check_op(lambda m, x: m.vander(x), [(3,)], lib=True, dtype="float32", grad=False)


COUNTING = {
    "histogram": lambda m, x: tuple(m.histogram(x, 4)),
    "histogram_range_weight": lambda m, x: tuple(m.histogram(x, 3, range=(-1.0, 1.0),
                                                             weight=x.abs(), density=True)),
    "histogram_edges": lambda m, x: tuple(x.histogram(m.tensor([-2.0, 0.0, 0.5, 2.0],
                                                               dtype=x.dtype))),
    "histogramdd": lambda m, x: (lambda h: (h[0], *h[1]))(m.histogramdd(x.reshape(-1, 2),
                                                                         [3, 2])),
    "unique_consecutive": lambda m, x: m.unique_consecutive((x * 1.5).round(), True, True),
    "unique_consecutive_dim": lambda m, x: tuple(m.unique_consecutive(
        (x.reshape(4, 3) > 0).long().repeat_interleave(2, 0), return_inverse=True,
        return_counts=True, dim=0)),
    "unique_consecutive_method": lambda m, x: (x > 0).long().unique_consecutive(),
    "unravel_index": lambda m, x: m.unravel_index(m.tensor([0, 5, 11, -1]), (3, 4)),
    "unravel_index_int": lambda m, x: m.unravel_index(m.tensor(7), (2, 2, 2)),
    "unravel_index_wraps": lambda m, x: m.unravel_index(m.tensor([4, -5, 9]), (2, 2)),
    "kaiser_window": lambda m, x: m.kaiser_window(7),
    "kaiser_window_sym": lambda m, x: m.kaiser_window(6, False, 5.0, dtype=m.float64),
    "kaiser_window_1": lambda m, x: m.kaiser_window(1),
    "range": lambda m, x: m.range(1, 4),
    "range_step": lambda m, x: m.range(0, 1, 0.3, dtype=m.float64),
    "range_int": lambda m, x: m.range(5, 1, -2, dtype=m.int64),
    "frombuffer": lambda m, x: m.frombuffer(bytearray(np.arange(6, dtype=np.int16).tobytes()),
                                            dtype=m.int16, count=4, offset=2),
}


@pytest.mark.parametrize("name", list(COUNTING))
def test_counting_and_factories(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(COUNTING[name], [(12,)], lib=True, grad=False)


def test_from_file_and_frombuffer_sharing(tmp_path):
    path = tmp_path / "data.bin"
    np.arange(5, dtype=np.float32).tofile(path)
    for lib in (gt, torch):
        t = lib.from_file(str(path), size=5, dtype=lib.float32)
        np.testing.assert_array_equal(t.numpy(), np.arange(5, dtype=np.float32))
        buf = bytearray(8)
        v = lib.frombuffer(buf, dtype=lib.int32)
        v[1] = 7
        assert buf[4] == 7


ERRORS = {
    "frexp_int": lambda m, x: m.frexp(x.long()),
    "nextafter_int": lambda m, x: m.nextafter(x.long(), x.long()),
    "renorm_p": lambda m, x: m.renorm(x.reshape(2, 2), 0, 0, 1.0),
    "renorm_1d": lambda m, x: m.renorm(x, 2, 0, 1.0),
    "renorm_maxnorm": lambda m, x: m.renorm(x, 2, 0, -1.0),
    "combinations_2d": lambda m, x: m.combinations(x.reshape(2, 2)),
    "vander_2d": lambda m, x: m.vander(x.reshape(2, 2)),
    "select_scatter_shape": lambda m, x: m.select_scatter(x.reshape(2, 2), x, 0, 0),
    "split_with_sizes_sum": lambda m, x: m.split_with_sizes(x, [1, 2]),
    "put_sizes": lambda m, x: m.put(x, m.tensor([0]), x),
    "cond_pred": lambda m, x: m.cond(x, lambda a: a, lambda a: a, (x,)),
    "unravel_float": lambda m, x: m.unravel_index(x, (2, 2)),
    "kaiser_int": lambda m, x: m.kaiser_window(3, dtype=m.int64),
    "fill_dim": lambda m, x: m.fill(x, x),
    "vmap_sizes": lambda m, x: m.vmap(lambda a, b: a + b)(x, x[:2]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    check_raises(ERRORS[name], [(4,)], lib=True)


def test_autocast_state_round_trips_like_torch():
    for lib in (gt, torch):
        assert lib.is_autocast_enabled() is False and lib.is_autocast_enabled("cpu") is False
        lib.set_autocast_enabled("cpu", True)
        assert lib.is_autocast_cpu_enabled() and lib.is_autocast_enabled("cpu")
        lib.set_autocast_cpu_enabled(False)
        assert not lib.is_autocast_cpu_enabled()
        assert lib.get_autocast_gpu_dtype() == lib.float16
        lib.set_autocast_dtype("cuda", lib.float32)
        assert lib.get_autocast_dtype("cuda") == lib.float32
        lib.set_autocast_gpu_dtype(lib.float16)
        old = lib.get_autocast_cpu_dtype()
        lib.set_autocast_cpu_dtype(lib.float16)
        assert lib.get_autocast_dtype("cpu") == lib.float16
        lib.set_autocast_cpu_dtype(old)
        assert lib.is_autocast_cache_enabled()
        lib.set_autocast_cache_enabled(False)
        assert not lib.is_autocast_cache_enabled()
        lib.set_autocast_cache_enabled(True)
        lib.clear_autocast_cache()
        assert lib.autocast_increment_nesting() == 1 and lib.autocast_decrement_nesting() == 0


def test_process_and_environment_answers():
    x = gt.ones(2)
    assert gt.is_distributed(x) is False and x.is_distributed() is False
    assert gt.set_flush_denormal(False) is False
    assert gt.get_device_module("cpu").is_available() and gt.get_device_module() is gt.cpu
    assert gt.get_device_module("cuda") is gt.cuda
    assert torch.get_device_module("cpu").device_count() == gt.cpu.device_count()
    try:
        gt.set_default_tensor_type("torch.DoubleTensor")
        assert gt.get_default_dtype() == gt.float64 and gt.tensor([1.0]).dtype == gt.float64
    finally:
        gt.set_default_tensor_type(gt.FloatTensor)
    assert gt.get_default_dtype() == gt.float32
    with pytest.raises(TypeError):
        gt.set_default_tensor_type("torch.cuda.FloatTensor")
