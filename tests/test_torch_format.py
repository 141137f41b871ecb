"""Checkpoints both ways with PyTorch (glasstorch/_torch_format.py): glasstorch.load reads
torch.save files; glasstorch.save(..., format="torch") writes files torch.load(weights_only=True)
reads; hostile pickles are refused before anything runs."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.tensor import _make   # an op's negative-stride view (from_numpy refuses one)

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _torch_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _gt_load(data, **kw):
    return gt.load(io.BytesIO(data), **kw)


def _same(g, t):
    assert isinstance(g, gt.Tensor) and isinstance(t, torch.Tensor)
    assert str(g.dtype) == str(t.dtype) and tuple(g.shape) == tuple(t.shape)
    np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_save_to_glasstorch_load_every_dtype(dtype):
    t = (torch.arange(-5, 7).reshape(3, 4) * 3).to(getattr(torch, dtype))
    _same(_gt_load(_torch_bytes(t)), t)


def test_torch_state_dict_loads_into_the_same_glasstorch_model():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 3))
    tm.train()(torch.randn(5, 1, 8, 8))                  # moves the running statistics
    tm.eval()
    sd = _gt_load(_torch_bytes(tm.state_dict()))
    assert list(sd) == list(tm.state_dict()) and isinstance(sd, collections.OrderedDict)
    gm = gt.nn.Sequential(gt.nn.Conv2d(1, 4, 3), gt.nn.BatchNorm2d(4), gt.nn.ReLU(),
                          gt.nn.Flatten(), gt.nn.Linear(4 * 6 * 6, 3))
    gm.load_state_dict(sd)
    gm.eval()
    x = torch.randn(2, 1, 8, 8)
    np.testing.assert_allclose(gm(gt.tensor(x.numpy())).detach().numpy(),
                               tm(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_structure_views_parameters_and_primitives_survive():
    w = torch.arange(12.0).reshape(3, 4)
    obj = {"w": w, "row": w[1], "wt": w.t(), "p": torch.nn.Parameter(torch.ones(2)),
           "g": torch.ones(2, requires_grad=True), 1: [1.5, "s", None, True, (2, 3)],
           "size": torch.Size([2, 3]), "dtype": torch.float64, "dev": torch.device("cpu"),
           "bytes": b"\x00\xff", "set": {1, 2}, "c": complex(1, 2),
           "od": collections.OrderedDict(a=1)}
    g = _gt_load(_torch_bytes(obj))
    for k in ("w", "row", "wt"):
        _same(g[k], obj[k])
    g["row"][0] = -1.0                                   # views load as views of one storage
    assert g["w"][1, 0].item() == -1.0 and g["wt"][0, 1].item() == -1.0
    assert isinstance(g["p"], gt.nn.Parameter) and g["p"].requires_grad
    assert g["g"].requires_grad and not g["w"].requires_grad
    assert g[1] == [1.5, "s", None, True, (2, 3)] and g["bytes"] == b"\x00\xff"
    assert g["size"] == gt.Size([2, 3]) and isinstance(g["size"], gt.Size)
    assert g["dtype"] is gt.float64 and g["dev"] == gt.device("cpu")
    assert g["set"] == {1, 2} and g["c"] == complex(1, 2) and g["od"] == {"a": 1}


def test_glasstorch_save_torch_format_is_read_by_torch_weights_only(tmp_path):
    gt.manual_seed(0)
    m = gt.nn.Sequential(gt.nn.Linear(3, 4), gt.nn.BatchNorm1d(4))
    w = gt.arange(12.0).reshape(3, 4)
    obj = {"model": m.state_dict(), "w": w, "row": w[1], "col": w[:, 1], "wt": w.t(),
           "flip": _make(np.arange(4.0)[::-1].copy()[::-1]), "step": 7,
           "lrs": [0.1, 0.01], "dtype": gt.int32, "size": gt.Size([1, 2]),
           "p": gt.nn.Parameter(gt.ones(2)), "bytes": b"ab",
           **{d: (gt.arange(-3, 3) * 2).to(getattr(gt, d)) for d in DTYPES}}
    path = tmp_path / "ckpt.pt"
    gt.save(obj, path, format="torch")
    t = torch.load(path, weights_only=True)
    for k in ("w", "row", "col", "wt", "flip", *DTYPES):
        _same(obj[k], t[k])
    for k, v in m.state_dict().items():
        _same(v, t["model"][k])
    t["row"][0] = -1.0                                   # torch sees one shared storage
    assert t["w"][1, 0].item() == -1.0 and t["wt"][0, 1].item() == -1.0
    assert t["step"] == 7 and t["lrs"] == [0.1, 0.01] and t["dtype"] is torch.int32
    assert t["size"] == torch.Size([1, 2]) and isinstance(t["p"], torch.nn.Parameter)
    assert t["bytes"] == b"ab"
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    tm.load_state_dict(t["model"])                        # strict: every key and shape
    # and back: glasstorch reads its own torch-format file
    back = gt.load(path)
    np.testing.assert_array_equal(back["w"].numpy(), w.numpy())
    assert back["row"].numpy().base is back["w"].numpy().base and back["step"] == 7


def test_map_location_callable_and_bad_device():
    data = _torch_bytes({"w": torch.ones(2)})
    seen = []
    g = _gt_load(data, map_location=lambda s, loc: seen.append(loc))
    assert seen == ["cpu"] and g["w"].tolist() == [1.0, 1.0]
    assert _gt_load(data, map_location="cpu")["w"].tolist() == [1.0, 1.0]


# ---- hostile files ---------------------------------------------------------------------------
def _zip(pkl, records=(), prefix="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{prefix}/data.pkl", pkl)
        for name, data in records:
            zf.writestr(f"{prefix}/{name}", data)
        zf.writestr(f"{prefix}/version", b"3\n")
    return buf.getvalue()


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _refused_by_both(data):
    with pytest.raises(pickle.UnpicklingError) as e:
        torch.load(io.BytesIO(data), weights_only=True)
    with pytest.raises(pickle.UnpicklingError) as g:
        _gt_load(data)
    return str(g.value)


def test_os_system_via_reduce_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    data = _zip(pickle.dumps({"w": [1, _Evil(marker)]}, protocol=2))
    msg = _refused_by_both(data)
    assert "system" in msg and not marker.exists()
    # weights_only=False does not open the door either: the reader is always restricted
    with pytest.raises(pickle.UnpicklingError):
        _gt_load(data, weights_only=False)
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "getattr"),
                                         ("torch.nn", "Module"), ("subprocess", "Popen"),
                                         ("numpy", "load")])
def test_nested_globals_are_refused(module, name):
    # GLOBAL deep inside containers: dict -> list -> tuple -> the global
    pkl = (b"\x80\x02}q\x00X\x01\x00\x00\x00a]q\x01(K\x01c" + module.encode() + b"\n"
           + name.encode() + b"\nq\x02K\x02\x86q\x03es.")
    msg = _refused_by_both(_zip(pkl))
    assert f"{module}.{name}" in msg


def test_huge_declared_sizes_are_rejected_before_allocating():
    # a storage declaring 10**15 floats backed by 8 bytes
    t = torch.ones(2)
    good = _torch_bytes(t)
    zf = zipfile.ZipFile(io.BytesIO(good))
    prefix = zf.namelist()[0].split("/")[0]
    huge = b"\x8a\x07" + (10**15).to_bytes(7, "little")          # LONG1 10**15
    pkl = zf.read(f"{prefix}/data.pkl").replace(b"K\x02t", huge + b"t", 1)
    data = _zip(pkl, [("data/0", zf.read(f"{prefix}/data/0"))])
    with pytest.raises(RuntimeError, match="declares"):
        _gt_load(data)
    # a tensor whose size runs past its storage
    big = zf.read(f"{prefix}/data.pkl").replace(b"K\x02\x85", b"J\x00\xe1\xf5\x05\x85", 1)
    with pytest.raises(RuntimeError, match="does not fit"):
        _gt_load(_zip(big, [("data/0", zf.read(f"{prefix}/data/0"))]))


def test_damaged_and_unsupported_files_say_so():
    with pytest.raises(RuntimeError, match="glasstorch does not have"):
        _gt_load(_torch_bytes(torch.ones(2, dtype=torch.bfloat16)))
    t = _torch_bytes(torch.ones(2))
    zf = zipfile.ZipFile(io.BytesIO(t))
    prefix = zf.namelist()[0].split("/")[0]
    with pytest.raises(RuntimeError, match="missing"):
        _gt_load(_zip(zf.read(f"{prefix}/data.pkl")))          # no data/0 record
    truncated = _zip(zf.read(f"{prefix}/data.pkl")[:-5], [("data/0", b"\0" * 8)])
    with pytest.raises(IndexError):         # torch's message: "index out of range"
        torch.load(io.BytesIO(truncated), weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="truncated"):
        _gt_load(truncated)


# ---- safe_globals: trusted classes in weights_only loads (word_language_model does this) --------
class _Net(gt.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = gt.nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(x)


def test_safe_globals_allow_a_pickled_module_and_nothing_else(tmp_path):
    path = tmp_path / "model.pt"
    net = _Net()
    gt.save(net, path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        gt.load(path)
    with gt.serialization.safe_globals([_Net]):
        with pytest.raises(pickle.UnpicklingError, match="Linear"):   # Linear not trusted
            gt.load(path)
    assert gt.serialization.get_safe_globals() == []
    with gt.serialization.safe_globals([_Net, gt.nn.Linear]):
        back = gt.load(path)
    assert isinstance(back, _Net) and isinstance(back.fc.weight, gt.nn.Parameter)
    np.testing.assert_array_equal(back.fc.weight.detach().numpy(), net.fc.weight.detach().numpy())
    # a trusted list does not open the door to anything else
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    gt.save({"x": _Evil(marker)}, evil)
    with gt.serialization.safe_globals([_Net, gt.nn.Linear]):
        with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
            gt.load(evil)
    assert not marker.exists()
