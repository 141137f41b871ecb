"""glasstorch.vision.ops: box ops (vs hand-computed cases and torch twins of torchvision's
formulas, values and gradients), nms, anchors (d2l's worked examples), bilinear_kernel."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.nn import functional as F
from glasstorch.vision import ops
from helpers import check_op


def boxes(n, seed):
    """n valid 'xyxy' boxes (x1 < x2, y1 < y2) in [0, 10]."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 6, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(0.5, 4, (n, 2))], axis=1)


def t(rows, dtype=gt.float32):
    return gt.tensor(rows, dtype=dtype)


# ---- torch twins of torchvision's formulas (torchvision is not a test dependency) -------------

def torch_box_iou(b1, b2):
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = torch.max(b1[:, None, :2], b2[:, :2])
    rb = torch.min(b1[:, None, 2:], b2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2 - inter)


@pytest.mark.parametrize("rows, want", [
    ([[0, 0, 2, 3]], [6.0]),
    ([[1, 1, 1, 5], [-1, -2, 3, 2]], [0.0, 16.0]),            # empty box, negative coords
    (np.zeros((0, 4)), []),
])
def test_box_area(rows, want):
    got = ops.box_area(t(rows))
    assert got.dtype == gt.float32 and got.shape == (len(want),)
    np.testing.assert_allclose(got.numpy(), want)


@pytest.mark.parametrize("a, b, want", [
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),          # identical
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),        # overlap 1, union 4 + 4 - 1
    ([0, 0, 2, 2], [2, 0, 4, 2], 0.0),          # touching edges
    ([0, 0, 2, 2], [5, 5, 6, 6], 0.0),          # disjoint: intersection clamped to 0
    ([0, 0, 4, 4], [1, 1, 2, 3], 2 / 16),       # contained: inner area / outer area
])
def test_box_iou_hand_cases(a, b, want):
    np.testing.assert_allclose(ops.box_iou(t([a]), t([b])).numpy(), [[want]], rtol=1e-6)
    np.testing.assert_allclose(ops.box_iou(t([b]), t([a])).numpy(), [[want]], rtol=1e-6)


@pytest.mark.parametrize("n, m", [(3, 4), (1, 5), (0, 2), (4, 0)])
def test_box_iou_vs_torch_with_grads(n, m):
    check_op(ops.box_iou, [boxes(n, 0), boxes(m, 1)], torch_fn=torch_box_iou)


def test_box_iou_float32():
    assert ops.box_iou(t(boxes(2, 0)), t(boxes(3, 1))).dtype == gt.float32


@pytest.mark.parametrize("fmt, row", [
    ("xyxy", [1, 2, 5, 4]), ("xywh", [1, 2, 4, 2]), ("cxcywh", [3, 3, 4, 2]),
])
def test_box_convert_hand_cases(fmt, row):
    # the same box in the three formats: each converts to each other
    forms = {"xyxy": [1, 2, 5, 4], "xywh": [1, 2, 4, 2], "cxcywh": [3, 3, 4, 2]}
    for out_fmt, want in forms.items():
        np.testing.assert_allclose(ops.box_convert(t([row]), fmt, out_fmt).numpy(), [want])


@pytest.mark.parametrize("in_fmt, out_fmt", [("xyxy", "cxcywh"), ("cxcywh", "xywh"),
                                             ("xywh", "xyxy"), ("xyxy", "xyxy")])
def test_box_convert_round_trip_and_grads(in_fmt, out_fmt):
    b = gt.tensor(boxes(5, 2))
    back = ops.box_convert(ops.box_convert(b, in_fmt, out_fmt), out_fmt, in_fmt)
    np.testing.assert_allclose(back.numpy(), b.numpy(), atol=1e-12)
    # a linear map: the same formulas in torch give the same values and gradients
    check_op(lambda x: ops.box_convert(x, in_fmt, out_fmt), [boxes(4, 3)],
             torch_fn=lambda x: _torch_convert(x, in_fmt, out_fmt))


def _torch_convert(x, in_fmt, out_fmt):
    a, b, c, d = x.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return torch.stack((a, b, c, d), -1)


def test_box_convert_bad_format():
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(t([[0, 0, 1, 1]]), "xyxy", "yxyx")


# ---- nms -------------------------------------------------------------------------------------

NMS_BOXES = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]]
NMS_SCORES = [0.9, 0.8, 0.7, 0.95]   # IoU(box 0, box 1) = 81 / 119 = 0.68; 0 and 3 identical


@pytest.mark.parametrize("threshold, want", [
    (0.5, [3, 2]),          # 3 suppresses 0 (IoU 1) and 1 (0.68)
    (0.7, [3, 1, 2]),       # 0.68 <= 0.7: 1 survives
    (1.0, [3, 0, 1, 2]),    # nothing has IoU > 1: all kept, by decreasing score
    (0.0, [3, 2]),          # disjoint boxes (IoU 0) are never suppressed
])
def test_nms_hand_cases(threshold, want):
    keep = ops.nms(t(NMS_BOXES), t(NMS_SCORES), threshold)
    assert keep.dtype == gt.int64 and keep.tolist() == want


def test_nms_ties_and_empty():
    assert ops.nms(t([[0, 0, 1, 1], [5, 5, 6, 6]]), t([0.5, 0.5]), 0.5).tolist() == [0, 1]
    assert ops.nms(t(np.zeros((0, 4))), t([]), 0.5).tolist() == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_invariants_on_random_boxes(seed):
    b = boxes(40, seed)
    scores = np.random.default_rng(seed).permutation(40) / 40.0
    keep = ops.nms(t(b, gt.float64), t(scores, gt.float64), 0.4).tolist()
    iou = torch_box_iou(torch.tensor(b), torch.tensor(b)).numpy()
    assert scores[keep].tolist() == sorted(scores[keep], reverse=True)
    for i, k in enumerate(keep):                     # kept boxes overlap by <= threshold
        assert all(iou[k, j] <= 0.4 for j in keep[:i])
    for d in set(range(40)) - set(keep):             # each dropped box by a better kept one
        assert any(iou[d, k] > 0.4 and scores[k] > scores[d] for k in keep)


def test_batched_nms_is_per_category():
    b = t([[0, 0, 10, 10], [0, 0, 10, 10], [1, 0, 10, 10], [50, 50, 60, 60]])
    scores = t([0.9, 0.8, 0.7, 0.6])
    assert ops.batched_nms(b, scores, gt.tensor([0, 1, 0, 1]), 0.5).tolist() == [0, 1, 3]
    assert ops.batched_nms(b, scores, gt.tensor([0, 0, 0, 0]), 0.5).tolist() == [0, 3]
    assert ops.batched_nms(t(np.zeros((0, 4))), t([]), gt.tensor([], dtype=gt.int64),
                           0.5).tolist() == []


# ---- anchors: d2l.ai §14.4's worked examples ------------------------------------------------

def test_multibox_prior_hand_case():
    # a 2x2 map, size 0.5, ratios 1 and 4: per pixel a 0.5x0.5 square, then w = 0.5 * 2,
    # h = 0.5 / 2 around the pixel centre
    anchors = ops.multibox_prior(gt.zeros(1, 3, 2, 2), sizes=[0.5], ratios=[1, 4])
    assert anchors.shape == (1, 8, 4) and anchors.dtype == gt.float32
    want = []
    for cy in (0.25, 0.75):
        for cx in (0.25, 0.75):
            want += [[cx - 0.25, cy - 0.25, cx + 0.25, cy + 0.25],
                     [cx - 0.5, cy - 0.125, cx + 0.5, cy + 0.125]]
    np.testing.assert_allclose(anchors[0].numpy(), want, atol=1e-7)


def test_multibox_prior_d2l_example():
    h, w = 561, 728                       # d2l's catdog.jpg
    anchors = ops.multibox_prior(gt.zeros(1, 3, h, w), sizes=[0.75, 0.5, 0.25],
                                 ratios=[1, 2, 0.5])
    assert anchors.shape == (1, h * w * 5, 4)
    first = anchors.reshape(h, w, 5, 4)[250, 250, 0]
    cx, cy, half_w = 250.5 / w, 250.5 / h, 0.75 * h / w / 2   # size 0.75, ratio 1
    np.testing.assert_allclose(first.numpy(), [cx - half_w, cy - 0.375, cx + half_w,
                                               cy + 0.375], rtol=1e-5)


GROUND_TRUTH = [[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]]
ANCHORS = [[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
           [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]]


def test_assign_anchor_to_bbox_d2l_example():
    got = ops.assign_anchor_to_bbox(t(GROUND_TRUTH)[:, 1:], t(ANCHORS))
    # greedy: anchor 4 <-> cat (IoU 0.76), then anchor 1 <-> dog; anchor 2 overlaps the cat
    # by 0.54 >= 0.5
    assert got.dtype == gt.int64 and got.tolist() == [-1, 0, 1, -1, 1]
    assert ops.assign_anchor_to_bbox(t(GROUND_TRUTH)[:, 1:], t(ANCHORS),
                                     iou_threshold=0.6).tolist() == [-1, 0, -1, -1, 1]


def test_assign_greedy_pass_beats_threshold():
    # one anchor is the best for both boxes: the first box takes it, the second its next best
    gt_boxes = t([[0, 0, 1, 1], [0, 0, 1, 0.9]])
    anchors = t([[0, 0, 1, 0.95], [0, 0, 1, 0.5], [5, 5, 6, 6]])
    assert ops.assign_anchor_to_bbox(gt_boxes, anchors).tolist() == [0, 1, -1]
    assert ops.assign_anchor_to_bbox(t(np.zeros((0, 4))), anchors).tolist() == [-1, -1, -1]


def test_offset_boxes_hand_case_and_inverse():
    anchor, box = t([[0, 0, 2, 2]]), t([[1, 1, 3, 5]])   # centres (1, 1) -> (2, 3), 2x2 -> 2x4
    off = ops.offset_boxes(anchor, box)
    np.testing.assert_allclose(off.numpy(), [[5, 10, 5 * math.log(1 + 1e-6),
                                              5 * math.log(2 + 1e-6)]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.offset_inverse(anchor, off).numpy(), box.numpy(),
                               atol=1e-5)


def test_offset_round_trip_and_grads():
    a, b = boxes(6, 4), boxes(6, 5)
    back = ops.offset_inverse(t(a, gt.float64), ops.offset_boxes(t(a, gt.float64),
                                                                 t(b, gt.float64), eps=0))
    np.testing.assert_allclose(back.numpy(), b, rtol=1e-10)
    x = gt.tensor(b, requires_grad=True)
    ops.offset_boxes(gt.tensor(a), x).sum().backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))


def test_multibox_target_d2l_example():
    offsets, mask, classes = ops.multibox_target(t(ANCHORS).unsqueeze(0),
                                                 t(GROUND_TRUTH).unsqueeze(0))
    assert classes.tolist() == [[0, 1, 2, 0, 2]]
    assert mask.tolist() == [[0] * 4 + [1] * 8 + [0] * 4 + [1] * 4]
    np.testing.assert_allclose(offsets.numpy()[0], [
        0, 0, 0, 0, 1.4, 10, 2.594, 7.1754, -1.2, 0.26882, 1.6824, -1.5655, 0, 0, 0, 0,
        -0.57143, -1.0, 4.1723e-06, 0.62582], rtol=1e-3, atol=1e-5)
    # a padding row (class -1) is ignored
    padded = t(GROUND_TRUTH + [[-1, 0, 0, 0, 0]]).unsqueeze(0)
    assert ops.multibox_target(t(ANCHORS), padded)[2].tolist() == [[0, 1, 2, 0, 2]]


def test_multibox_detection_d2l_example():
    anchors = t([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                 [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
    cls_probs = t([[0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]])
    out = ops.multibox_detection(cls_probs.unsqueeze(0), gt.zeros(1, 16),
                                 anchors.unsqueeze(0), nms_threshold=0.5)
    np.testing.assert_allclose(out.numpy()[0], [
        [0, 0.9, 0.1, 0.08, 0.52, 0.92], [1, 0.9, 0.55, 0.2, 0.9, 0.88],
        [-1, 0.8, 0.08, 0.2, 0.56, 0.95], [-1, 0.7, 0.15, 0.3, 0.62, 0.91]], rtol=1e-6)


# ---- bilinear_kernel -------------------------------------------------------------------------

@pytest.mark.parametrize("k, row", [(4, [0.25, 0.75, 0.75, 0.25]), (3, [0.5, 1, 0.5]),
                                    (2, [0.5, 0.5]), (1, [1])])
def test_bilinear_kernel_values(k, row):
    w = ops.bilinear_kernel(2, 2, k)
    assert w.shape == (2, 2, k, k) and w.dtype == gt.float32
    np.testing.assert_allclose(w[1, 1].numpy(), np.outer(row, row))
    assert not w[0, 1].numpy().any() and not w[1, 0].numpy().any()   # channel c -> c only


def test_bilinear_kernel_upsamples_like_interpolate():
    x = gt.rand(2, 3, 5, 6)
    y = F.conv_transpose2d(x, ops.bilinear_kernel(3, 3, 4), stride=2, padding=1)
    z = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    # the zero padding of the transposed conv changes only the border pixels
    np.testing.assert_allclose(y.numpy()[..., 1:-1, 1:-1], z.numpy()[..., 1:-1, 1:-1],
                               atol=1e-6)


def test_bilinear_kernel_needs_equal_channels():
    with pytest.raises(ValueError, match="must equal"):
        ops.bilinear_kernel(3, 4, 4)
