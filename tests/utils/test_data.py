"""utils.data against torch: batching rules, samplers, collation, workers and their errors."""
import os
import time
from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import glasstorch as gt
import glasstorch.utils.data as gdata


def _np(x):
    if isinstance(x, (gt.Tensor, torch.Tensor)):
        return x.numpy()
    return x


def _same_batches(gb, tb):
    assert len(gb) == len(tb)
    for g, t in zip(gb, tb):
        if isinstance(t, (list, tuple)):
            _same_batches(g, t)
        elif isinstance(t, dict):
            assert list(g) == list(t)
            _same_batches(list(g.values()), list(t.values()))
        elif isinstance(t, torch.Tensor):
            assert str(g.dtype) == str(t.dtype), (g.dtype, t.dtype)
            np.testing.assert_array_equal(_np(g), _np(t))
        else:
            assert g == t


class _Squares:  # map-style, defined for both frameworks
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": i * i, "name": f"s{i}", "w": float(i)}


@pytest.mark.parametrize("n,bs,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                            (2, 5, False), (2, 5, True), (7, 1, False)])
def test_sequential_batches_and_len(n, bs, drop_last):
    g = gdata.DataLoader(_Squares(n), batch_size=bs, drop_last=drop_last)
    t = tdata.DataLoader(_Squares(n), batch_size=bs, drop_last=drop_last)
    assert len(g) == len(t)
    _same_batches(list(g), list(t))


def test_tensor_dataset_and_default_collate_types():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    g = list(gdata.DataLoader(gdata.TensorDataset(gt.tensor(x), gt.tensor(y)), batch_size=4))
    t = list(tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)),
                              batch_size=4))
    _same_batches(g, t)
    Pt = namedtuple("Pt", "a b")
    batch = [Pt(1, 2.0), Pt(3, 4.0)]
    _same_batches(gdata.default_collate(batch), tdata.default_collate(batch))
    batch = [(np.ones(2, np.float64), True), (np.zeros(2, np.float64), False)]
    _same_batches(gdata.default_collate(batch), tdata.default_collate(batch))
    with pytest.raises(RuntimeError, match="equal size"):
        gdata.default_collate([[1, 2], [3]])


def test_batch_size_none_converts_without_batching():
    g = list(gdata.DataLoader(_Squares(3), batch_size=None))
    assert isinstance(g[0]["x"], gt.Tensor) and g[0]["y"] == 0 and len(g) == 3


def test_shuffle_is_a_permutation_and_seeded():
    gt.manual_seed(0)
    a = [b.tolist() for b in gdata.DataLoader(list(range(20)), batch_size=5, shuffle=True)]
    gt.manual_seed(0)
    b = [b.tolist() for b in gdata.DataLoader(list(range(20)), batch_size=5, shuffle=True)]
    assert a == b
    flat = sorted(sum(a, []))
    assert flat == list(range(20)) and sum(a, []) != list(range(20))
    g = gt.Generator().manual_seed(3)
    c = [b.tolist() for b in gdata.DataLoader(list(range(20)), batch_size=5, shuffle=True,
                                               generator=g)]
    assert sorted(sum(c, [])) == list(range(20))


def test_samplers():
    gt.manual_seed(1)
    s = list(gdata.RandomSampler(range(10), replacement=True, num_samples=50))
    assert len(s) == 50 and set(s) <= set(range(10))
    assert sorted(gdata.SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    w = [0.0] * 9 + [1.0]
    assert set(gdata.WeightedRandomSampler(w, 20)) == {9}
    # class-balancing: weights 1/count give each class about half the draws
    labels = np.array([0] * 90 + [1] * 10)
    weights = 1.0 / np.bincount(labels)[labels]
    draws = labels[list(gdata.WeightedRandomSampler(weights.tolist(), 4000))]
    assert 0.45 < draws.mean() < 0.55
    bs = gdata.BatchSampler(gdata.SequentialSampler(range(10)), 4, False)
    tbs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 4, False)
    assert list(bs) == list(tbs) and len(bs) == len(tbs)
    with pytest.raises(ValueError):
        gdata.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError):
        gdata.RandomSampler(range(3), num_samples=0)


@pytest.mark.parametrize("kwargs", [dict(sampler=[0, 1], shuffle=True),
                                    dict(batch_sampler=[[0]], batch_size=2),
                                    dict(num_workers=-1),
                                    dict(prefetch_factor=2),
                                    dict(persistent_workers=True)])
def test_argument_errors_match_torch(kwargs):
    with pytest.raises(ValueError) as ge:
        gdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(ValueError) as te:
        tdata.DataLoader(list(range(4)), **kwargs)
    assert str(ge.value) == str(te.value)


def test_splits_and_combinators():
    ds = list(range(10))
    parts = gdata.random_split(ds, [0.7, 0.3], generator=gt.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(list(parts[0]) + list(parts[1])) == ds
    tparts = tdata.random_split(ds, [0.5, 0.25, 0.25])
    gparts = gdata.random_split(ds, [0.5, 0.25, 0.25])
    assert [len(p) for p in gparts] == [len(p) for p in tparts]
    with pytest.raises(ValueError):
        gdata.random_split(ds, [3, 3])
    cat = gdata.ConcatDataset([[1, 2], [3]])
    assert [cat[i] for i in range(-3, 3)] == [1, 2, 3, 1, 2, 3] and len(cat) == 3
    assert list(gdata.Subset(ds, [9, 0])) == [9, 0]


class _Stream(gdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = gdata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def test_iterable_dataset_single_and_workers():
    assert [b.tolist() for b in gdata.DataLoader(_Stream(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    got = sorted(sum((b.tolist() for b in gdata.DataLoader(_Stream(9), batch_size=2,
                                                            num_workers=2)), []))
    assert got == list(range(9))
    with pytest.raises(ValueError, match="shuffle"):
        gdata.DataLoader(_Stream(3), shuffle=True)


class _WorkerIds(gdata.Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = gdata.get_worker_info()
        return np.array([i, info.id, gt.randint(0, 10 ** 6, (1,)).item()])


def test_workers_keep_order_and_seed_per_worker():
    gt.manual_seed(0)
    batches = list(gdata.DataLoader(_WorkerIds(), batch_size=3, num_workers=2))
    rows = np.concatenate([b.numpy() for b in batches])
    assert rows[:, 0].tolist() == list(range(12))      # order preserved
    assert set(rows[:, 1]) == {0, 1}                   # both workers used
    gt.manual_seed(0)
    again = np.concatenate([b.numpy() for b in gdata.DataLoader(_WorkerIds(), batch_size=3,
                                                                num_workers=2)])
    np.testing.assert_array_equal(rows, again)         # reproducible under manual_seed
    assert gdata.get_worker_info() is None


class _Fails(gdata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError("sample 5 is broken")
        return i


def test_worker_exception_surfaces_with_traceback_and_no_orphans():
    import multiprocessing
    before = set(p.pid for p in multiprocessing.active_children())
    with pytest.raises(KeyError) as e:
        list(gdata.DataLoader(_Fails(), batch_size=2, num_workers=2))
    msg = str(e.value)
    assert "DataLoader worker process" in msg and "sample 5 is broken" in msg
    assert "Traceback" in msg and "__getitem__" in msg
    deadline = time.time() + 5
    while time.time() < deadline and set(p.pid for p in multiprocessing.active_children()) \
            - before:
        time.sleep(0.05)
    assert not set(p.pid for p in multiprocessing.active_children()) - before


class _Slow(gdata.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(3)
        return i


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        list(gdata.DataLoader(_Slow(), num_workers=1, timeout=0.5))


class _Dies(gdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_dead_worker_detected():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(gdata.DataLoader(_Dies(), num_workers=1))


def test_persistent_workers_and_worker_init_fn():
    loader = gdata.DataLoader(list(range(6)), batch_size=2, num_workers=2,
                              persistent_workers=True,
                              worker_init_fn=lambda wid: None)
    first = [b.tolist() for b in loader]
    second = [b.tolist() for b in loader]
    assert first == second == [[0, 1], [2, 3], [4, 5]]
    loader._iterator._shutdown_workers()
