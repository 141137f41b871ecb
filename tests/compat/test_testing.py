"""torch.testing.assert_close / assert_allclose / make_tensor vs torch: the same inputs pass or
raise the same exception type."""
import pytest
import torch

import glasstorch as gt


def _same_outcome(call):
    results = []
    for m in (gt, torch):
        try:
            call(m)
            results.append(None)
        except Exception as e:  # noqa: BLE001 - compared below
            results.append(type(e))
    assert results[0] == results[1], f"glasstorch {results[0]}, torch {results[1]}"
    return results[0]


CASES = [
    lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0 + 1e-7])),
    lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.001])),
    lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.0], dtype=m.float64)),
    lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.0], dtype=m.float64),
                                     check_dtype=False),
    lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0])),
    lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1, 3])),
    lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1, 2])),
    lambda m: m.testing.assert_close(m.tensor([float("nan")]), m.tensor([float("nan")])),
    lambda m: m.testing.assert_close(m.tensor([float("nan")]), m.tensor([float("nan")]),
                                     equal_nan=True),
    lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.1]), rtol=0.2, atol=0.0),
    lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.1]), rtol=0.2),
    lambda m: m.testing.assert_close([m.tensor(1.0), m.tensor(2.0)],
                                     [m.tensor(1.0), m.tensor(2.5)]),
    lambda m: m.testing.assert_close({"a": m.tensor(1.0)}, {"a": m.tensor(1.0)}),
    lambda m: m.testing.assert_close(m.tensor(1.0), 1.0),
    lambda m: m.testing.assert_close(1.0, 1.0 + 1e-9),
    lambda m: m.testing.assert_close(1, 1.0),
    lambda m: m.testing.assert_close(m.tensor([1.0], dtype=m.float16),
                                     m.tensor([1.0005], dtype=m.float16)),
    lambda m: m.testing.assert_allclose(m.tensor([1.0]), [1.0]),
]


@pytest.mark.parametrize("call", CASES)
def test_assert_close_like_torch(call):
    _same_outcome(call)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
def test_make_tensor(dtype):
    g = gt.testing.make_tensor(3, 4, dtype=getattr(gt, dtype), low=0, high=5)
    t = torch.testing.make_tensor(3, 4, dtype=getattr(torch, dtype), device="cpu", low=0, high=5)
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype)
    if dtype != "bool":
        assert float(g.min()) >= 0 and float(g.max()) < 5 + (dtype != "bool")
