"""Box and anchor operations for object detection (torchvision.ops names; the anchor functions
follow Dive into Deep Learning §14.3-14.4, used by its SSD), and bilinear_kernel, which
initializes a ConvTranspose2d as bilinear upsampling (d2l §14.11, fully convolutional nets).

Boxes are (N, 4) tensors in one of three formats: 'xyxy' (x1, y1, x2, y2: corners),
'xywh' (x1, y1, width, height), 'cxcywh' (center x, center y, width, height).
box_area, box_iou, box_convert, offset_boxes and offset_inverse are compositions of tensor ops,
so gradients flow through them; nms, batched_nms and the anchor labelling return indices or
targets (no gradient) and work on the arrays directly.
"""

from ..backend import xp as _xp
from ..ops.join import cat, stack
from ..ops.piecewise import clamp
from ..ops.unary import exp, log
from ..tensor import _make

__all__ = ["box_area", "box_iou", "box_convert", "nms", "batched_nms", "multibox_prior",
           "assign_anchor_to_bbox", "offset_boxes", "offset_inverse", "multibox_target",
           "multibox_detection", "bilinear_kernel"]

_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_area(boxes):
    """Area (x2 - x1) * (y2 - y1) of each 'xyxy' box: (N, 4) -> (N,)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """Intersection over union (Jaccard index) of every pair of 'xyxy' boxes:
    (N, 4), (M, 4) -> (N, M), |A n B| / (|A| + |B| - |A n B|).

    >>> import glasstorch as torch
    >>> box_iou(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[1., 1., 3., 3.]]))
    tensor([[0.1429]])
    """
    area1, area2 = box_area(boxes1), box_area(boxes2)
    top_left = boxes1[:, None, :2].maximum(boxes2[:, :2])          # (N, M, 2)
    bottom_right = boxes1[:, None, 2:].minimum(boxes2[:, 2:])
    wh = clamp(bottom_right - top_left, min=0)                      # 0 when disjoint
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2 - inter)


def box_convert(boxes, in_fmt, out_fmt):
    """Convert (N, 4) boxes between 'xyxy', 'xywh' and 'cxcywh'.

    >>> import glasstorch as torch
    >>> box_convert(torch.tensor([[1., 2., 5., 4.]]), "xyxy", "cxcywh")
    tensor([[3., 3., 4., 2.]])
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt!r} "
                         f"and out_fmt {out_fmt!r}: use one of {_FORMATS}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    # now (a, b, c, d) = (x1, y1, x2, y2)
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return stack((a, b, c, d), dim=-1)


def _iou_one_to_many(box, boxes, areas, area):
    """IoU of one 'xyxy' box array (4,) with boxes (K, 4), given their areas."""
    w = _xp.clip(_xp.minimum(box[2], boxes[:, 2]) - _xp.maximum(box[0], boxes[:, 0]), 0, None)
    h = _xp.clip(_xp.minimum(box[3], boxes[:, 3]) - _xp.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    return inter / (area + areas - inter)


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression: repeatedly keep the highest-scoring box left and drop
    every remaining box whose IoU with it is > iou_threshold.

    Args:
        boxes: (N, 4) 'xyxy'. scores: (N,). iou_threshold: float.
    Returns:
        int64 tensor of the kept indices, by decreasing score (ties: lower index first).
    """
    b, s = boxes.detach()._data, scores.detach()._data
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    order = _xp.argsort(-s, kind="stable")
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        order = rest[_iou_one_to_many(b[i], b[rest], areas[rest], areas[i]) <= iou_threshold]
    return _make(_xp.asarray(keep, dtype=_xp.int64))


def batched_nms(boxes, scores, idxs, iou_threshold):
    """nms within each category: boxes with different `idxs` (N,) never suppress each other.
    Each category's boxes are shifted by idx * (max coordinate + 1) so categories cannot
    overlap, then one nms runs (torchvision's coordinate trick).

    Returns the kept indices (int64) by decreasing score."""
    if boxes.numel() == 0:
        return _make(_xp.empty((0,), dtype=_xp.int64))
    b = boxes.detach()._data
    offsets = idxs.detach()._data.astype(b.dtype) * (b.max() + 1)
    return nms(_make(b + offsets[:, None]), scores, iou_threshold)


def multibox_prior(data, sizes, ratios):
    """Anchor boxes centred on every pixel of a feature map (d2l's multibox_prior).

    For sizes s_1..s_n (fractions of the image) and aspect ratios r_1..r_m, each pixel gets the
    n + m - 1 anchors (s_i, r_1) and (s_1, r_j), j > 1: width s * sqrt(r) * H / W and height
    s / sqrt(r), in coordinates normalized to [0, 1] (the H / W factor makes r the ratio in
    pixels on a non-square map).

    Args:
        data: a (..., H, W) tensor; only its size is used.
    Returns:
        (1, H * W * (n + m - 1), 4) float32 'xyxy' anchors, pixel by pixel (row-major), the
        anchors of one pixel consecutive.
    """
    h, w = data.shape[-2:]
    sizes = _xp.asarray(sizes, dtype=_xp.float32)
    ratios = _xp.asarray(ratios, dtype=_xp.float32)
    root = _xp.sqrt(ratios)
    widths = _xp.concatenate((sizes * root[0], sizes[0] * root[1:])) * h / w
    heights = _xp.concatenate((sizes / root[0], sizes[0] / root[1:]))
    center_y = (_xp.arange(h, dtype=_xp.float32) + 0.5) / h   # pixel centres
    center_x = (_xp.arange(w, dtype=_xp.float32) + 0.5) / w
    cy, cx = _xp.meshgrid(center_y, center_x, indexing="ij")
    centers = _xp.stack((cx, cy, cx, cy), axis=-1).reshape(-1, 1, 4)        # (H*W, 1, 4)
    half = _xp.stack((-widths, -heights, widths, heights), axis=-1) / 2     # (A, 4)
    return _make((centers + half).reshape(1, -1, 4).astype(_xp.float32))


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    """Match each anchor to a ground-truth box (d2l's assign_anchor_to_bbox).

    First every ground-truth box claims its best anchor, greedily: take the largest IoU left
    in the (anchors x boxes) matrix, assign that pair, drop its row and column, repeat. Every
    other anchor takes the box it overlaps most if that IoU is >= iou_threshold.

    Args:
        ground_truth: (G, 4) 'xyxy'. anchors: (A, 4) 'xyxy'.
    Returns:
        int64 (A,): the box index of each anchor, -1 for background.
    """
    iou = box_iou(anchors.detach(), ground_truth.detach())._data.copy()   # (A, G)
    num_anchors, num_gt = iou.shape
    assigned = _xp.full(num_anchors, -1, dtype=_xp.int64)
    if num_gt == 0:
        return _make(assigned)
    best = iou.argmax(axis=1)
    confident = iou[_xp.arange(num_anchors), best] >= iou_threshold
    assigned[confident] = best[confident]
    for _ in range(min(num_gt, num_anchors)):   # the greedy pass overrides the threshold pass
        anchor, box = divmod(int(iou.argmax()), num_gt)
        assigned[anchor] = box
        iou[:, box] = -1
        iou[anchor, :] = -1
    return _make(assigned)


def _corner_to_center(boxes):
    return box_convert(boxes, "xyxy", "cxcywh")


def offset_boxes(anchors, assigned_bb, eps=1e-6):
    """Encode boxes relative to their anchors (d2l's offset_boxes; Fast R-CNN's scheme with
    SSD's variances 0.1 and 0.2, i.e. the factors 10 and 5):
    (10 (x_b - x_a) / w_a, 10 (y_b - y_a) / h_a, 5 log(w_b / w_a), 5 log(h_b / h_a)).

    Args: anchors, assigned_bb: (A, 4) 'xyxy'. eps keeps the log finite for empty boxes.
    Returns: (A, 4) offsets.
    """
    a, b = _corner_to_center(anchors), _corner_to_center(assigned_bb)
    offset_xy = 10 * (b[:, :2] - a[:, :2]) / a[:, 2:]
    offset_wh = 5 * log(eps + b[:, 2:] / a[:, 2:])
    return cat((offset_xy, offset_wh), dim=1)


def offset_inverse(anchors, offset_preds):
    """Decode offsets back to 'xyxy' boxes (the inverse of offset_boxes, eps aside)."""
    a = _corner_to_center(anchors)
    xy = offset_preds[:, :2] * a[:, 2:] / 10 + a[:, :2]
    wh = exp(offset_preds[:, 2:] / 5) * a[:, 2:]
    return box_convert(cat((xy, wh), dim=1), "cxcywh", "xyxy")


def multibox_target(anchors, labels):
    """Training targets for anchors (d2l's multibox_target).

    Args:
        anchors: (1, A, 4) or (A, 4) 'xyxy'.
        labels: (B, G, 5) rows (class, x1, y1, x2, y2); rows with class < 0 are padding.
    Returns:
        (offsets (B, A*4), mask (B, A*4), class_labels (B, A) int64): offsets of each anchor to
        its assigned box (0 for background), a mask of 1s on assigned anchors (so background
        offsets do not count in the loss), and class + 1 per anchor (0 = background).
    """
    anchors = anchors.reshape(-1, 4)
    anchor_arr = anchors.detach()._data
    offsets, masks, classes = [], [], []
    for label in labels.detach()._data:
        label = label[label[:, 0] >= 0]
        assigned = assign_anchor_to_bbox(_make(label[:, 1:]), anchors)._data
        positive = assigned >= 0
        mask = _xp.repeat(positive[:, None], 4, axis=1).astype(anchor_arr.dtype)
        class_labels = _xp.zeros(len(assigned), dtype=_xp.int64)
        class_labels[positive] = label[assigned[positive], 0].astype(_xp.int64) + 1
        boxes = anchor_arr.copy()      # background anchors: offsets to themselves, masked out
        boxes[positive] = label[assigned[positive], 1:]
        offset = offset_boxes(anchors, _make(boxes))._data * mask
        offsets.append(offset.reshape(-1))
        masks.append(mask.reshape(-1))
        classes.append(class_labels)
    return (_make(_xp.stack(offsets)), _make(_xp.stack(masks)), _make(_xp.stack(classes)))


def multibox_detection(cls_probs, offset_preds, anchors, nms_threshold=0.5,
                       pos_threshold=0.009999999):
    """Predicted boxes from class probabilities and offsets (d2l's multibox_detection).

    Args:
        cls_probs: (B, 1 + C, A) probabilities, class 0 = background.
        offset_preds: (B, A * 4). anchors: (1, A, 4) or (A, 4).
    Returns:
        (B, A, 6) rows (class, confidence, x1, y1, x2, y2), the boxes nms kept first (by
        confidence) with their class, then the suppressed ones with class -1. A kept box
        whose confidence is below pos_threshold also gets class -1 (and confidence 1 - p).
    """
    anchors = anchors.reshape(-1, 4)
    out = []
    for probs, offsets in zip(cls_probs.detach()._data, offset_preds.detach()._data):
        conf, class_id = probs[1:].max(axis=0), probs[1:].argmax(axis=0).astype(probs.dtype)
        boxes = offset_inverse(anchors, _make(offsets.reshape(-1, 4)))._data
        keep = nms(_make(boxes), _make(conf), nms_threshold)._data
        suppressed = _xp.setdiff1d(_xp.arange(len(conf)), keep)
        order = _xp.concatenate((keep, suppressed))
        class_id[suppressed] = -1
        class_id, conf, boxes = class_id[order], conf[order], boxes[order]
        low = conf < pos_threshold
        class_id[low] = -1
        conf[low] = 1 - conf[low]
        out.append(_xp.concatenate((class_id[:, None], conf[:, None], boxes), axis=1))
    return _make(_xp.stack(out))


def bilinear_kernel(in_channels, out_channels, kernel_size):
    """Weights (in_channels, out_channels, k, k) that make ConvTranspose2d (with stride s,
    kernel_size 2s, padding s/2) upsample each channel bilinearly: channel c maps to channel c
    with the kernel (1 - |i - center| / f) (1 - |j - center| / f), f = ceil(k / 2).

        >>> import glasstorch as torch
        >>> up = torch.nn.ConvTranspose2d(3, 3, kernel_size=4, padding=1, stride=2, bias=False)
        >>> _ = up.weight.data.copy_(bilinear_kernel(3, 3, 4))
    """
    if in_channels != out_channels:
        raise ValueError(f"bilinear_kernel maps each channel to itself: in_channels "
                         f"({in_channels}) must equal out_channels ({out_channels})")
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = _xp.arange(kernel_size, dtype=_xp.float64)
    filt = 1 - _xp.abs(og - center) / factor
    weight = _xp.zeros((in_channels, out_channels, kernel_size, kernel_size), dtype=_xp.float32)
    weight[_xp.arange(in_channels), _xp.arange(out_channels)] = _xp.outer(filt, filt)
    return _make(weight)
