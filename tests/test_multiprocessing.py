"""glasstorch.multiprocessing (shared tensors, spawn), glasstorch.accelerator and nn.parallel,
against torch's answers on this CPU-only machine."""
import multiprocessing
import pickle

import pytest
import torch

import glasstorch as gt
import glasstorch.multiprocessing as gmp


def _add_one(t):
    t += 1


def test_share_memory_fork_writes_are_seen_by_the_parent():
    t = gt.zeros(2, 3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    view = t[1]                                   # views of a shared tensor are shared too
    p = multiprocessing.get_context("fork").Process(target=_add_one, args=(view,))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert t.tolist() == [[0, 0, 0], [1, 1, 1]]


def test_pickled_shared_tensor_maps_the_same_bytes():
    t = gt.arange(6.0).share_memory_()
    u = pickle.loads(pickle.dumps(t[2:]))          # what a Queue or spawn does to an argument
    u[0] = 100.0
    assert t[2].item() == 100.0 and u.is_shared()
    plain = pickle.loads(pickle.dumps(gt.ones(2)))  # unshared tensors are still copied
    assert not plain.is_shared()


def test_module_share_memory():
    m = gt.nn.BatchNorm1d(3)
    assert m.share_memory() is m
    assert all(p.is_shared() for p in m.parameters()) and m.running_mean.is_shared()
    assert isinstance(m.weight, gt.nn.Parameter)


def _fail(rank):
    raise ValueError(f"boom {rank}")


def _ok(rank, t):
    t[rank] = rank + 10


def test_spawn_runs_and_reports_child_errors():
    t = gt.zeros(2).share_memory_()
    gmp.spawn(_ok, args=(t,), nprocs=2, start_method="fork")
    assert t.tolist() == [10.0, 11.0]
    with pytest.raises(gmp.ProcessRaisedException, match="boom 0"):
        gmp.spawn(_fail, nprocs=1, start_method="fork")
    ctx = gmp.spawn(_ok, args=(t,), nprocs=1, join=False, start_method="fork")
    while not ctx.join():
        pass


def test_accelerator_answers_like_cpu_only_torch():
    for name in ("is_available", "device_count"):
        assert getattr(gt.accelerator, name)() == getattr(torch.accelerator, name)()
    assert gt.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert sorted(gt.accelerator.__all__) == sorted(
        n for n in torch.accelerator.__all__ if n != "Graph")
    for name in ("current_device_index", "synchronize", "memory_allocated", "empty_cache"):
        with pytest.raises(RuntimeError) as e1:
            getattr(torch.accelerator, name)()
        with pytest.raises(RuntimeError) as e2:
            getattr(gt.accelerator, name)()
        assert str(e1.value) == str(e2.value)
    with gt.accelerator.device_index(None):
        pass


def test_data_parallel_is_the_module_on_cpu():
    tm = torch.nn.Linear(3, 2)
    gm = gt.nn.Linear(3, 2)
    gm.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    td, gd = torch.nn.DataParallel(tm), gt.nn.DataParallel(gm)
    assert list(td.state_dict()) == list(gd.state_dict()) and gd.module is gm
    assert gd.device_ids == td.device_ids == []
    x = torch.randn(4, 3)
    assert torch.allclose(td(x), torch.tensor(gd(gt.tensor(x.numpy())).detach().numpy()))
    out = gt.nn.parallel.data_parallel(gm, gt.tensor(x.numpy()))
    assert out.shape == (4, 2)
    assert repr(td).replace("torch", "") == repr(gd)
