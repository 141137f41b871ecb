"""ops/native_forms.py vs torch: the native_* normalization forms with their statistics,
batch_norm_update_stats, the deterministic cases of native_dropout / feature_dropout,
torch.convolution / conv_tbc / spmm and torch.gradient (uniform, per-dim and coordinate
spacing, both edge orders) — values and gradients."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = {
    "native_layer_norm": (lambda m, x, w, b: tuple(m.native_layer_norm(x, (3,), w, b, 1e-5)),
                          [(2, 4, 3), (3,), (3,)]),
    "native_layer_norm_2d": (lambda m, x: tuple(m.native_layer_norm(x, [4, 3], None, None,
                                                                    1e-3)), [(2, 4, 3)]),
    "native_group_norm": (lambda m, x, w, b: tuple(m.native_group_norm(x, w, b, 2, 4, 3, 2,
                                                                       1e-5)),
                          [(2, 4, 3), (4,), (4,)]),
    "native_batch_norm_train": (lambda m, x, w, b: tuple(m.native_batch_norm(
        x, w, b, None, None, True, 0.1, 1e-5)), [(4, 3, 2), (3,), (3,)]),
    "native_batch_norm_eval": (lambda m, x, w: tuple(m.native_batch_norm(
        x, w, None, m.zeros(3, dtype=x.dtype), m.ones(3, dtype=x.dtype), False, 0.1, 1e-5)),
        [(4, 3), (3,)]),
    "native_dropout_eval": (lambda m, x: tuple(m.native_dropout(x, 0.5, False)), [(3, 4)]),
    "native_dropout_p0": (lambda m, x: tuple(m.native_dropout(x, 0.0, True)), [(3, 4)]),
    "native_dropout_p1": (lambda m, x: tuple(m.native_dropout(x, 1.0, True)), [(3, 4)]),
    "feature_dropout_eval": (lambda m, x: m.feature_dropout(x, 0.3, False), [(2, 3, 4)]),
    "feature_dropout_p1": (lambda m, x: m.feature_dropout(x, 1.0, True), [(2, 3, 4)]),
    "convolution": (lambda m, x, w, b: m.convolution(x, w, b, [1, 2], [1, 0], [1, 1], False,
                                                     [0, 0], 1), [(1, 2, 5, 5), (3, 2, 3, 3),
                                                                  (3,)]),
    "convolution_1d_groups": (lambda m, x, w: m.convolution(x, w, None, [1], [2], [2], False,
                                                            [0], 2), [(2, 4, 7), (2, 2, 3)]),
    "convolution_transposed": (lambda m, x, w, b: m.convolution(
        x, w, b, [2, 2], [1, 1], [1, 1], True, [1, 0], 1), [(1, 2, 3, 3), (2, 3, 3, 3),
                                                            (3,)]),
    "conv_tbc": (lambda m, x, w, b: m.conv_tbc(x, w, b, 1), [(5, 2, 3), (3, 3, 4), (4,)]),
    "spmm": (lambda m, a, b: m.spmm(a, b), [(3, 4), (4, 2)]),
    "gradient": (lambda m, x: m.gradient(x), [(5, 4)]),
    "gradient_spacing": (lambda m, x: m.gradient(x, spacing=[0.5, 2.0], edge_order=2),
                         [(5, 4)]),
    "gradient_dim": (lambda m, x: m.gradient(x, spacing=3.0, dim=1), [(2, 6)]),
    "gradient_coords": (lambda m, x: m.gradient(
        x, spacing=(m.tensor([0.0, 1.0, 1.5, 3.5, 4.0], dtype=x.dtype),), dim=0), [(5, 2)]),
    "gradient_coords_order2": (lambda m, x: m.gradient(
        x, spacing=(m.tensor([0.0, 0.5, 1.5, 2.0, 3.5], dtype=x.dtype),), edge_order=2),
        [(5,)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    fn, shapes = CASES[name]
    check_op(fn, shapes, lib=True)


def test_native_channel_shuffle_values_and_no_derivative():
    check_op(lambda m, x: m.native_channel_shuffle(x, 2), [(2, 4, 3)], lib=True, grad=False)
    for lib in (gt, torch):
        y = lib.native_channel_shuffle(lib.ones(1, 4, 2, requires_grad=True), 2)
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::native_channel_shuffle"):
            y.sum().backward()


def test_batch_norm_update_stats_moves_running_stats():
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    outs = []
    for lib in (gt, torch):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        mean, var = lib.batch_norm_update_stats(lib.tensor(x), rm, rv, 0.1)
        outs.append([t.numpy() for t in (mean, var, rm, rv)])
    for g, t in zip(*outs):
        np.testing.assert_allclose(g, t, rtol=1e-12)


def test_dropout_forms_are_random_but_consistent():
    gt.manual_seed(0)
    x = gt.ones(200, 50, dtype=gt.float64)
    y, keep = gt.native_dropout(x, 0.3, True)
    assert keep.dtype == gt.bool and 0.6 < keep.double().mean().item() < 0.8
    np.testing.assert_allclose(y.numpy(), keep.double().numpy() / 0.7)
    z = gt.feature_dropout(gt.ones(50, 40, 3), 0.5, True)
    per_channel = z.numpy()
    assert (per_channel == per_channel[..., :1]).all()          # whole channels
    assert set(np.unique(per_channel)) <= {0.0, 2.0}


ERRORS = {
    "conv_tbc_dims": lambda m, x: m.conv_tbc(x, x, x.sum(0)),
    "gradient_edge": lambda m, x: m.gradient(x, edge_order=3),
    "gradient_short": lambda m, x: m.gradient(x[:1]),
    "gradient_spacing_len": lambda m, x: m.gradient(x, spacing=[1.0, 2.0]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    check_raises(ERRORS[name], [(4, 3)] if name == "conv_tbc_dims" else [(4,)], lib=True)
