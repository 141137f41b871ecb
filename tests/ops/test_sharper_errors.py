"""Errors the differential fuzzer counted as vague (torch's type and words, but naming neither
the op nor an input's shape): each now starts with torch's message and names the op and the
shape (or the bad value). Against torch: same exception type, torch's text as the prefix."""
import pytest
import torch

import glasstorch as gt

F = "nn.functional."
CASES = [
    ("max_pool2d", lambda m: m.nn.functional.max_pool2d(m.zeros(5), 2), "[5]"),
    # (was a silent accept: the unbatched rule took a 2-D input as (C, W))
    ("max_unpool2d", lambda m: m.nn.functional.max_unpool2d(m.zeros(2, 2), m.zeros(2, 2,
                                                             dtype=m.long), 2), "[2, 2]"),
    ("max_unpool1d", lambda m: m.nn.functional.max_unpool1d(m.zeros(2), m.zeros(2,
                                                            dtype=m.long), 2), "[2]"),
    ("avg_pool1d", lambda m: m.nn.functional.avg_pool1d(m.zeros(4), 2), "[4]"),
    ("avg_pool2d", lambda m: m.nn.functional.avg_pool2d(m.zeros(4, 4), 2), "[4, 4]"),
    ("adaptive_avg_pool2d", lambda m: m.nn.functional.adaptive_avg_pool2d(m.zeros(3, 3),
                                                                          (2, 2)), "[3, 3]"),
    ("adaptive_max_pool3d", lambda m: m.nn.functional.adaptive_max_pool3d(m.zeros(3, 3),
                                                                          (2, 2, 2)), "[3, 3]"),
    ("interpolate", lambda m: m.nn.functional.interpolate(m.zeros(4), scale_factor=2), "[4]"),
    ("upsample_nearest", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 0), size=3),
     "[1, 1, 0]"),
    ("topk", lambda m: m.topk(m.zeros(3), 5), "[3]"),
    ("split", lambda m: m.split(m.tensor(1.0), 1), "0-d"),
    ("binary_cross_entropy", lambda m: m.nn.functional.binary_cross_entropy(
        m.full((2,), 0.5), m.tensor([0.5, 2.0])), "max 2"),
    ("multi_margin_loss", lambda m: m.nn.functional.multi_margin_loss(
        m.zeros(2, 3), m.tensor([0, 5])), "target 5"),
    ("multilabel_margin_loss", lambda m: m.nn.functional.multilabel_margin_loss(
        m.zeros(2, 3), m.tensor([[0, 7, -1], [1, -1, 0]])), "target 7"),
    ("cross_map_lrn2d", lambda m: m.nn.CrossMapLRN2d(3)(m.zeros(1, 2, 3)), "[1, 2, 3]"),
    ("reflect pad", lambda m: m.nn.functional.pad(m.zeros(3), (1, 1), mode="reflect"), "[3]"),
    ("reflect pad", lambda m: m.nn.functional.pad(m.zeros(3), (1, 1, 1, 1), mode="reflect"),
     "[1, 1, 1, 1]"),
    ("pooling", lambda m: m.nn.functional.avg_pool2d(m.zeros(1, 2, 4, 4), 2, 0), "size 4"),
    ("3-D pooling", lambda m: m.nn.functional.max_pool3d(m.zeros(1, 1, 2, 2, 2), 2, 0),
     "[1, 1, 2, 2, 2]"),
    ("floor_divide", lambda m: m.tensor([1, 2]) // m.tensor([0, 1]), "[2]"),
    ("remainder", lambda m: m.remainder(m.tensor([3]), 0), "int64"),
    ("local_response_norm", lambda m: m.nn.functional.local_response_norm(m.zeros(3), 2),
     "[3]"),
    ("view", lambda m: m.zeros(4, 3).view(13), "size 12"),
    ("view", lambda m: m.zeros(0, 4).view(-1, -1), "[-1, -1]"),
    ("reshape", lambda m: m.zeros(4, 3).reshape(5, -1), "[5, -1]"),
    ("unbind", lambda m: m.zeros(()).unbind(), "0-d"),
    ("roll", lambda m: m.zeros(()).roll(1, 0), "0-d"),
    ("glu", lambda m: m.nn.functional.glu(m.zeros(3)), "[3]"),
    ("narrow", lambda m: m.zeros(2, 3).narrow(1, 2, 2), "[2, 3]"),
    ("unfold", lambda m: m.zeros(1, 4).unfold(0, 2, 1), "[1, 4]"),
    ("one_hot", lambda m: m.nn.functional.one_hot(m.tensor([-1, 2])), "found -1"),
    ("one_hot", lambda m: m.nn.functional.one_hot(m.tensor([1, 2]), 2), "found 2"),
    ("cosine_similarity", lambda m: m.nn.functional.cosine_similarity(m.zeros(3), m.zeros(3)),
     "1-D"),
    ("indexing", lambda m: m.zeros(0)[0], "[0]"),
    ("indexing", lambda m: m.zeros(3, 2)[5], "[3, 2]"),
    ("bmm", lambda m: m.bmm(m.zeros(0, 0, 0), m.zeros(0, 1, 0)), "[0, 1, 0]"),
    ("baddbmm", lambda m: m.baddbmm(m.zeros(0, 0, 0), m.zeros(0, 0, 0), m.zeros(0, 1, 0)),
     "[0, 1, 0]"),
]


@pytest.mark.parametrize("name, call, detail", CASES, ids=[c[0] for c in CASES])
def test_message_starts_with_torchs_and_names_op_and_shape(name, call, detail):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(Exception) as got:
        call(gt)
    assert got.type.__mro__[1:] == want.type.__mro__[1:] or got.type is want.type
    torch_words = str(want.value).split("\n")[0].rstrip(".")
    mine = str(got.value)
    assert mine.startswith(torch_words[:40]), (mine, torch_words)
    assert name.split()[0] in mine and detail in mine, mine
