"""glasstorch.save / load: round trips, shared storage, integrity errors, safety, atomic writes."""
import collections
import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.tensor import _make
from glasstorch import serialization


def _roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    gt.save(obj, buf)
    buf.seek(0)
    return gt.load(buf, **load_kw)


def _same(a, b):
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


def _header(data):
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("header.json"))


def _rezip(data, edit):
    """A copy of the archive `data` with `edit(name, bytes) -> bytes` applied to each member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, edit(name, src.read(name)))
    return out.getvalue()


def _saved_bytes(obj):
    buf = io.BytesIO()
    gt.save(obj, buf)
    return buf.getvalue()


# ---- round trips -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8", "int16",
                                   "int32", "int64", "bool"])
def test_roundtrip_dtypes(dtype):
    arr = (np.random.default_rng(0).standard_normal((3, 4)) * 50).astype(dtype)
    _same(_roundtrip(gt.from_numpy(arr)), gt.from_numpy(arr))


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 3, 4)])
def test_roundtrip_shapes(shape):
    x = gt.randn(*shape)
    _same(_roundtrip(x), x)


def test_special_floats_and_extremes():
    x = gt.tensor([math.nan, math.inf, -math.inf, -0.0, 1e-45, 3.4e38])
    y = _roundtrip(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert np.signbit(y.numpy()[3])


@pytest.mark.parametrize("make, stride", [
    (lambda: gt.randn(3, 4).T, (1, 4)),                                   # permuted: kept
    (lambda: gt.ones(3).view(1, 3).expand(4, 3), (0, 1)),                 # stride 0: kept
    (lambda: gt.from_numpy(np.arange(20.0)[::5]), (1,)),                  # strided slice: compacted
    (lambda: gt.from_numpy(np.arange(12.0).reshape(3, 4)[:, 1]), (1,)),   # column: compacted
    # negative stride: from_numpy refuses it (as torch), but an op's array may still be one
    (lambda: _make(np.arange(6.0)[::-1]), (1,)),
])
def test_non_contiguous(make, stride):
    x = make()
    y = _roundtrip(x)
    _same(y, x)
    assert y.stride() == stride


def test_strided_slice_is_saved_compactly():
    big = np.zeros((1000, 100), np.float32)
    data = _saved_bytes(gt.from_numpy(big[:, 0]))
    assert _header(data)["storages"][0]["nbytes"] == 4000


def test_same_tensor_twice_is_one_object():
    t = gt.randn(3)
    d = _roundtrip({"a": t, "b": [t, t]})
    assert d["a"] is d["b"][0] is d["b"][1]


def test_views_share_storage_after_load():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = gt.from_numpy(base)
    d = _roundtrip({"t": t, "tail": gt.from_numpy(base[1:]), "T": t.T, "flat": t.view(-1),
                    "col": gt.from_numpy(base[:, 2]), "rev": _make(base[::-1])})   # (an op's view)
    assert len(_header(_saved_bytes(d))["storages"]) == 1
    assert d["T"].stride() == (1, 4) and d["col"].stride() == (4,)
    d["t"].add_(100.0)            # a write through one is seen by all: one buffer
    np.testing.assert_array_equal(d["tail"].numpy(), base[1:] + 100)
    np.testing.assert_array_equal(d["T"].numpy(), base.T + 100)
    np.testing.assert_array_equal(d["flat"].numpy(), base.reshape(-1) + 100)
    np.testing.assert_array_equal(d["col"].numpy(), base[:, 2] + 100)
    np.testing.assert_array_equal(d["rev"].numpy(), base[::-1] + 100)


def test_same_memory_other_dtype():
    base = np.arange(4, dtype=np.float32)
    d = _roundtrip([gt.from_numpy(base), gt.from_numpy(base.view(np.int32))])
    d[0].numpy()[0] = 1.0
    assert d[1].dtype == gt.int32 and d[1].numpy()[0] == np.float32(1).view(np.int32)


def test_nested_containers_and_plain_values():
    od = collections.OrderedDict([("w", gt.ones(2)), ("b", gt.zeros(1))])
    od._metadata = {"": {"version": 1}}
    obj = {"list": [1, 2.5, "s", None, True, b"\x00\xff"], "tuple": (1, (2, [3])),
           "set": {1, 2}, "frozen": frozenset({"a"}), 3: "int key", (1, 2): "tuple key",
           "floats": [math.inf, -math.inf, 0.1], "complex": 1 + 2j, "od": od,
           "meta": [gt.float64, gt.device("cpu"), gt.Size([2, 3])], "empty": [{}, [], ()]}
    out = _roundtrip(obj)
    assert type(out["od"]) is collections.OrderedDict and out["od"]._metadata == od._metadata
    _same(out["od"]["w"], od["w"])
    del out["od"], obj["od"]
    assert out == obj and type(out["tuple"][1]) is tuple and type(out["frozen"]) is set
    assert isinstance(out["meta"][2], gt.Size) and out["meta"][0] is gt.float64
    assert math.isnan(_roundtrip(math.nan))


def test_requires_grad_and_leaves():
    w = gt.randn(3, requires_grad=True)
    (w * 2).sum().backward()
    d = _roundtrip({"w": w, "nonleaf": w * 2, "plain": gt.ones(2)})
    assert d["w"].requires_grad and d["w"].is_leaf and d["w"].grad is None  # torch: no .grad
    assert d["nonleaf"].requires_grad and d["nonleaf"].is_leaf              # torch: as a leaf
    assert not d["plain"].requires_grad


def test_parameter_and_state_dicts():
    lin = gt.nn.Linear(3, 2)
    p = _roundtrip(lin.weight)
    assert type(p) is gt.nn.Parameter and p.requires_grad
    sd = _roundtrip(lin.state_dict())
    assert list(sd) == ["weight", "bias"]
    _same(sd["weight"], lin.weight.detach())
    # the shape of torch.optim.Adam(...).state_dict()
    opt = {"state": {0: {"step": gt.tensor(3.0), "exp_avg": gt.zeros(2, 3)}, 1: {}},
           "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "foreach": None,
                             "maximize": False, "params": [0, 1]}]}
    out = _roundtrip(opt)
    assert out["param_groups"] == opt["param_groups"] and list(out["state"]) == [0, 1]
    _same(out["state"][0]["exp_avg"], opt["state"][0]["exp_avg"])


# ---- files, streams, map_location ------------------------------------------------------------
def test_path_and_pathlib(tmp_path):
    x = gt.randn(5)
    gt.save(x, str(tmp_path / "a.pt"))
    gt.save({"x": x}, tmp_path / "b.pt")
    _same(gt.load(tmp_path / "a.pt"), x)
    _same(gt.load(str(tmp_path / "b.pt"))["x"], x)
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b.pt"]      # no temp files left behind


def test_file_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        gt.save(1, tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.pt").st_mode & 0o777 == 0o644


def test_non_seekable_stream():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self.inner.readinto(b)

    x = gt.randn(3)
    _same(gt.load(io.BufferedReader(Stream(_saved_bytes(x)))), x)


@pytest.mark.parametrize("loc", [None, "cpu", gt.device("cpu"), {"cuda:0": "cpu"},
                                 lambda storage, location: storage,
                                 lambda storage, location: None])
def test_map_location(loc):
    x = gt.randn(2, 3)
    _same(_roundtrip(x, map_location=loc), x)


def test_map_location_callable_sees_storages():
    seen = []
    _roundtrip([gt.ones(2), gt.zeros(3)], map_location=lambda s, loc: seen.append((s.numel(), loc)))
    assert seen == [(8, "cpu"), (12, "cpu")]


def test_map_location_unavailable_device():
    with pytest.raises(RuntimeError, match="not available"):
        _roundtrip(gt.ones(2), map_location="cuda")


# ---- integrity -------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9, 0.99])
def test_truncated(tmp_path, cut):
    data = _saved_bytes({"a": gt.randn(100), "b": gt.randn(50)})
    path = tmp_path / "t.pt"
    path.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(RuntimeError, match=f"{path} is corrupt"):
        gt.load(path)


def test_flipped_byte_in_storage(tmp_path):
    data = bytearray(_saved_bytes([gt.zeros(4), gt.ones(1000)]))
    pos = data.index(np.ones(1000, np.float32).tobytes())
    data[pos + 100] ^= 0xFF
    path = tmp_path / "c.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=f"{path} is corrupt: checksum mismatch for storage 1"):
        gt.load(path)


def test_sha256_mismatch_with_valid_zip_crc():
    data = _saved_bytes([gt.zeros(4), gt.ones(3), gt.ones(2)])
    bad = _rezip(data, lambda n, b: b"\x01" + b[1:] if n == "storages/2.bin" else b)
    with pytest.raises(RuntimeError, match="is corrupt: checksum mismatch for storage 2"):
        gt.load(io.BytesIO(bad))


@pytest.mark.parametrize("edit, message", [
    (lambda h: h["tensors"][0].update(shape=[1000]), "tensor 0 does not fit"),
    (lambda h: h["tensors"][0].update(storage=5), "malformed entry for tensor 0"),
    (lambda h: h["tensors"][0].update(dtype="object"), "malformed entry for tensor 0"),
    (lambda h: h.update(root={"tensor": 7}), "tensor 7 has no valid storage"),
    (lambda h: h.update(storages=5), "'storages' or 'tensors' that is not a list"),
    (lambda h: h["storages"][0].update(nbytes="8"), "malformed entry for storage 0"),
    (lambda h: h["tensors"][0].update(shape=[2.0]), "malformed entry for tensor 0"),
    (lambda h: h["tensors"][0].update(shape=[10**6, 10**6], strides=[0, 0]),
     r"tensor 0 of shape \[1000000, 1000000\] \(4000000000000 bytes\) viewing a storage of 8"),
    (lambda h: h.update(root={"eval": "1"}), "unreadable entry"),
    (lambda h: h.update(root=[1]), "unreadable entry"),
    (lambda h: h["storages"][0].update(nbytes=3), "storage 0 has 8 bytes"),
    (lambda h: h.update(version=99), "newer glasstorch"),
    (lambda h: h.pop("storages"), "no 'storages'"),
])
def test_bad_header(edit, message):
    def fix(name, b):
        if name != "header.json":
            return b
        h = json.loads(b)
        edit(h)
        return json.dumps(h).encode()
    with pytest.raises(RuntimeError, match=message):
        gt.load(io.BytesIO(_rezip(_saved_bytes(gt.ones(2)), fix)))


def test_random_damage_never_loads_wrong_values():
    obj = {"a": gt.randn(10), "b": [1, 2.5, "x"], "c": gt.arange(5)}
    data = _saved_bytes(obj)
    rng = np.random.default_rng(0)
    for _ in range(300):
        damaged = bytearray(data)
        for pos in rng.integers(0, len(data), size=rng.integers(1, 4)):
            damaged[pos] = rng.integers(0, 256)
        try:
            out = gt.load(io.BytesIO(bytes(damaged)))
        except RuntimeError:
            continue        # the damage was detected
        # or it hit bytes that carry no content (zip timestamps, attributes)
        assert out["b"] == obj["b"]
        _same(out["a"], obj["a"])
        _same(out["c"], obj["c"])


def _zip(name, text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, text)
    return buf.getvalue()


@pytest.mark.parametrize("data, detail", [
    (b"", "not a zip archive"),
    (b"hello world\n" * 10, "not a zip archive"),
    (pickle.dumps({"w": 1}), "looks like a pickle"),
    (_zip("hello.txt", "hi"), "no header.json"),
    (_zip("header.json", '{"format": "other"}'), "another format"),
    # torch.save files load: tests/test_torch_format.py
])
def test_foreign_files(tmp_path, data, detail):
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match=f"{path} is not a glasstorch checkpoint.*{detail}"):
        gt.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        gt.load(tmp_path / "nope.pt")


# ---- safety ----------------------------------------------------------------------------------
class Custom:
    def __init__(self, v):
        self.v = v


def test_weights_only_refuses_pickles():
    data = _saved_bytes({"obj": Custom(3), "x": gt.ones(1)})
    assert _header(data)["pickles"] == [{"type": f"{__name__}.Custom"}]
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed.*Custom"):
        gt.load(io.BytesIO(data))
    assert gt.load(io.BytesIO(data), weights_only=False)["obj"].v == 3
    with pytest.raises(RuntimeError, match="pickle_module"):
        gt.load(io.BytesIO(data), pickle_module=pickle)


def test_weights_only_never_unpickles(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("unpickled")
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    _same(_roundtrip({"x": gt.ones(2)})["x"], gt.ones(2))


def test_counter_and_bytearray_load_weights_only():
    # torch's weights_only loader allows both; MultiStepLR.state_dict()["milestones"] is a Counter
    sched = torch.optim.lr_scheduler.MultiStepLR(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), milestones=[3, 3, 7])
    state = {"milestones": sched.state_dict()["milestones"], "raw": bytearray(b"\x00\x01")}
    assert type(state["milestones"]) is collections.Counter
    data = _saved_bytes(state)
    assert _header(data)["pickles"] == []
    out = gt.load(io.BytesIO(data), weights_only=True)
    assert type(out["milestones"]) is collections.Counter and out == state
    assert type(out["raw"]) is bytearray
    g_sched = gt.optim.lr_scheduler.MultiStepLR(
        gt.optim.SGD([gt.zeros(1, requires_grad=True)], lr=0.1), milestones=[3, 3, 7])
    assert _roundtrip(g_sched.state_dict()) == g_sched.state_dict()


def test_reference_cycle():
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        gt.save(a, io.BytesIO())


# ---- atomic writes ---------------------------------------------------------------------------
def test_interrupted_save_keeps_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    gt.save({"step": 1, "w": gt.ones(3)}, path)
    real = serialization._write_member

    def fail_mid_write(zf, name, data):
        if not name.startswith("storages/"):
            return real(zf, name, data)
        real(zf, name, data[: len(data) // 2])     # half of the bytes hit the disk, then...
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_member", fail_mid_write)
    with pytest.raises(KeyboardInterrupt):
        gt.save({"step": 2, "w": gt.zeros(1000)}, path)
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    old = gt.load(path)
    assert old["step"] == 1
    _same(old["w"], gt.ones(3))


def test_same_object_same_bytes():
    obj = {"w": gt.arange(6.0).view(2, 3), "step": 3}
    assert _saved_bytes(obj) == _saved_bytes(obj)


def test_save_through_symlink(tmp_path):
    (tmp_path / "target.pt").write_bytes(b"old")
    os.symlink("target.pt", tmp_path / "link.pt")
    gt.save(7, tmp_path / "link.pt")
    assert os.path.islink(tmp_path / "link.pt") and gt.load(tmp_path / "target.pt") == 7
