"""The torch.* forms of nn functions (glasstorch/_torch_level.py: int reductions, ATen's
argument order) and the start-up switches of _runtime.py, against torch."""
import warnings

import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


@pytest.mark.parametrize("reduction", [0, 1, 2])
@pytest.mark.parametrize("call", [
    lambda m, r, x, y: m.kl_div(x.log_softmax(1), y.softmax(1), r),
    lambda m, r, x, y: m.kl_div(x.log_softmax(1), y.log_softmax(1), r, log_target=True),
    lambda m, r, x, y: m.binary_cross_entropy_with_logits(x, y.sigmoid(), None, None, r),
    lambda m, r, x, y: m.binary_cross_entropy_with_logits(x, y.sigmoid(), y.detach().abs(),
                                                          y[0].detach().abs(),
                                                          reduction=r),
    lambda m, r, x, y: m.cosine_embedding_loss(x, y, x[:, 0].sign(), 0.1, r),
    lambda m, r, x, y: m.hinge_embedding_loss(x, y.sign(), 0.5, r),
    lambda m, r, x, y: m.margin_ranking_loss(x, y, (x - y).sign().detach(), 0.2, r),
    lambda m, r, x, y: m.poisson_nll_loss(x, y.abs(), True, False, 1e-8, r),
    lambda m, r, x, y: m.poisson_nll_loss(x.abs() + 0.5, y.abs(), False, True, 1e-8, r),
    lambda m, r, x, y: m.triplet_margin_loss(x, y, x.flip(0), 1.0, 2, 1e-6, True, r),
])
def test_losses_with_int_reduction(call, reduction):
    check_op(lambda m, x, y: call(m, reduction, x, y), [(4, 5), (4, 5)], lib=True)


@pytest.mark.parametrize("call", [
    lambda m, w, x: m.embedding(w, (x[:, 0] * 4).abs().long().clamp(0, 5)),
    lambda m, w, x: m.embedding(w, (x[:, 0] * 4).abs().long().clamp(0, 5), 1),
    lambda m, w, x: m.bilinear(x, x, w[:2, :4].reshape(2, 1, 4).expand(2, 4, 4) * 1, w[0, :2]),
    lambda m, w, x: m.batch_norm(x, w[0, :4], w[1, :4], None, None, True, 0.1, 1e-5, False),
    lambda m, w, x: m.batch_norm(x, None, None, w[2, :4].detach(), w[3, :4].detach().abs(),
                                 False, 0.1, 1e-5, False),
    lambda m, w, x: m.instance_norm(x.reshape(1, 4, 5), w[0, :4], w[1, :4], None, None, True,
                                    0.1, 1e-5, False),
    lambda m, w, x: m.detach(x) * w.sum(),
])
def test_aten_argument_order(call):
    check_op(call, [(6, 5), (5, 4)], lib=True)


def test_reduction_must_be_an_int():
    check_raises(lambda m, x: m.kl_div(x, x, "sum"), [(3,)], lib=True)
    # any int but 1 (mean) and 2 (sum) leaves the loss unreduced, as ATen does
    check_op(lambda m, x: m.hinge_embedding_loss(x, x.sign(), 1.0, 5), [(3,)], lib=True)


def test_kl_div_does_not_warn_at_the_aten_level():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gt.kl_div(gt.zeros(3), gt.ones(3) / 3, 1)
        torch.kl_div(torch.zeros(3), torch.ones(3) / 3, 1)


def test_switches_report_back_as_torch():
    for lib in (gt, torch):
        assert lib.are_deterministic_algorithms_enabled() is False
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert (lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
                lib.get_deterministic_debug_mode()) == (True, True, 1)
        lib.set_deterministic_debug_mode("error")
        assert lib.get_deterministic_debug_mode() == 2
        lib.set_deterministic_debug_mode(0)
        assert lib.are_deterministic_algorithms_enabled() is False
        assert lib.get_float32_matmul_precision() == "highest"
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")
        assert str(lib.get_default_device()) == "cpu"
        lib.set_default_device("cpu")
        lib.set_default_device(None)
        assert lib.is_warn_always_enabled() is False
        lib.set_warn_always(True)
        assert lib.is_warn_always_enabled() is True
        lib.set_warn_always(False)
        assert lib.is_anomaly_enabled() is False
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)
        lib.init_num_threads()
    for lib in (gt, torch):
        with pytest.raises(RuntimeError):
            lib.set_deterministic_debug_mode("loud")
        with pytest.warns(UserWarning, match="is not one of 'highest'"):
            lib.set_float32_matmul_precision("low")
        assert lib.get_float32_matmul_precision() == "highest"


def test_typename_and_is_storage():
    for lib in (gt, torch):
        x = lib.zeros(2)
        assert lib.typename(x) == "torch.FloatTensor"
        assert lib.typename(x.long()) == "torch.LongTensor"
        assert lib.typename(3) == "int" and lib.typename("a") == "str"
        assert lib.typename(lib.nn.Linear(1, 1)).endswith("nn.modules.linear.Linear")
        assert lib.is_storage(x.untyped_storage()) and not lib.is_storage(x)
