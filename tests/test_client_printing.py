"""What tutorial programs print (pytorch/tutorials' checkpoint recipes): load_state_dict's
result ("<All keys matched successfully>", "_IncompatibleKeys(...)"), print() of a Parameter
("Parameter containing:") and of its subclasses, and torch.load(mmap=True), against torch."""
import io

import pytest
import torch

import glasstorch as gt


def _keys_results(lib):
    lib.manual_seed(0)
    m, sd = lib.nn.Linear(2, 3), lib.nn.Linear(2, 3).state_dict()
    out = [m.load_state_dict(sd), m.load_state_dict(sd, assign=True),
           m.load_state_dict({"weight": sd["weight"]}, strict=False),
           m.load_state_dict({**sd, "x": lib.ones(1)}, strict=False)]
    return [(repr(r), str(r), f"{r}", tuple(r), type(r).__name__) for r in out]


def test_load_state_dict_result_prints_as_torchs():
    assert _keys_results(gt) == _keys_results(torch)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Parameter(lib.ones(2)),
    lambda lib: lib.nn.Parameter(lib.ones(2), requires_grad=False),
    lambda lib: lib.nn.Buffer(lib.ones(2)),
    lambda lib: lib.nn.parameter.UninitializedParameter(),
    lambda lib: lib.tensor([1.5, 2.0]),
], ids=["param", "param-frozen", "buffer", "uninitialized", "tensor"])
def test_print_shows_the_subclass_repr(make):
    lib_g, lib_t = gt, torch
    a, b = make(lib_g), make(lib_t)
    if isinstance(a, gt.nn.Parameter) and not isinstance(a, gt.nn.parameter.UninitializedParameter):
        a.data.fill_(0.5), b.data.fill_(0.5)
    assert str(a) == str(b) and repr(a) == repr(b)
    assert str(a).startswith("Parameter containing:") == str(b).startswith("Parameter")


def test_load_mmap(tmp_path):
    path = str(tmp_path / "c.pth")
    gt.save({"a": gt.arange(3)}, path)
    loaded = gt.load(path, mmap=True)
    assert loaded["a"].tolist() == [0, 1, 2]
    loaded["a"][0] = 7                       # copy-on-write in torch: the file keeps 0
    assert gt.load(path)["a"].tolist() == [0, 1, 2]
    for lib in (gt, torch):                  # as torch: mmap needs a file path
        path = str(tmp_path / f"{lib.__name__}.pth")
        lib.save({"a": lib.arange(3)}, path)
        with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
            lib.load(io.BytesIO(open(path, "rb").read()), mmap=True)
        with open(path, "rb") as fh:
            with pytest.raises(ValueError, match="file path"):
                lib.load(fh, mmap=True)
