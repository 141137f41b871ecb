"""The compatibility census: docs/COMPATIBILITY.md must be what `python -m glasstorch.compat`
generates now (CI fails when a change adds or removes a name without regenerating it), and no
namespace may fall below the coverage it has reached (the issue's target is 95% everywhere;
FLOOR records what was measured, raise it as names land)."""
import os

from glasstorch.compat.__main__ import build, default_path

# present % per namespace, as measured when this floor was last raised
FLOOR = {"torch": 100.0, "Tensor": 100.0, "nn": 100.0, "nn.functional": 100.0, "nn.init": 100.0,
         "nn.utils": 100.0, "optim": 100.0, "optim.lr_scheduler": 100.0, "utils.data": 100.0,
         "autograd": 100.0, "autograd.functional": 100.0, "linalg": 100.0, "special": 100.0,
         "fft": 100.0, "distributions": 100.0, "testing": 100.0, "cuda": 100.0, "backends": 100.0}

# "with torch's signature" % per namespace (every parameter name torch accepts is accepted);
# the target is 95% everywhere
SIGNATURE_FLOOR = {"torch": 100.0, "Tensor": 100.0, "nn": 100.0, "nn.functional": 100.0,
                   "nn.init": 100.0, "nn.utils": 100.0, "optim": 100.0,
                   "optim.lr_scheduler": 100.0, "utils.data": 100.0, "autograd": 100.0,
                   "autograd.functional": 100.0, "linalg": 100.0, "special": 100.0,
                   "fft": 100.0, "distributions": 100.0, "testing": 100.0, "cuda": 100.0,
                   "backends": 100.0}


def test_compatibility_doc_is_fresh_and_coverage_holds():
    text, sums = build()
    path = default_path()
    assert os.path.exists(path), "docs/COMPATIBILITY.md missing: run python -m glasstorch.compat"
    with open(path) as f:
        assert f.read() == text, "docs/COMPATIBILITY.md is stale: run python -m glasstorch.compat"
    for ns, (n, present, compatible, missing) in sums.items():
        assert n > 0, f"{ns}: torch lists no in-scope names (census broken?)"
        assert 100.0 * present / n >= FLOOR[ns], \
            f"{ns}: {present}/{n} present, below the floor {FLOOR[ns]}%"
        assert 100.0 * compatible / n >= SIGNATURE_FLOOR[ns], \
            f"{ns}: {compatible}/{n} with torch's signature, below the floor " \
            f"{SIGNATURE_FLOOR[ns]}%"


def test_factories_are_checked_against_their_schema(monkeypatch):
    """torch's factories have no override lambda: their keywords come from the native schema,
    so a factory lacking layout= is 'present', not 'compatible'."""
    import glasstorch as gt
    from glasstorch.compat.census import classify

    def zeros(*size, dtype=None, device=None, requires_grad=False):
        return gt.zeros(*size, dtype=dtype)
    monkeypatch.setattr(gt, "zeros", zeros)
    rows = {name: (status, note) for name, status, note in classify("torch")}
    assert rows["zeros"] == ("present", "no parameter layout, pin_memory")


def test_census_classifies_by_signature():
    from glasstorch.compat.census import classify
    rows = {name: (status, note) for name, status, note in classify("torch")}
    assert rows["sum"][0] == "compatible"                  # dim/keepdim (axis via aliases)
    assert rows["sparse_coo_tensor"][0] == "out of scope"
    assert rows["zeros"][0] == "compatible"                # a factory (torch's ignored list)
    tensor_rows = {name: status for name, status, _ in classify("Tensor")}
    assert tensor_rows["to_sparse"] == "out of scope"
    assert tensor_rows["to_dense"] == "compatible"         # every glasstorch tensor is dense
    assert tensor_rows["sum"] == "compatible"


def test_census_takes_parameter_names_torch_accepts():
    """torch's override lambdas misname parameters torch itself rejects; the census reads the
    native schemas instead (a method gets only its method overloads)."""
    import pytest
    import torch
    from glasstorch.compat.census import _torch_params
    ov = torch.overrides.get_testing_overrides()
    where = _torch_params(torch, torch.where, ov[torch.where], "torch")
    assert "other" in where and "y" not in where
    c = torch.ones(2) > 0
    with pytest.raises(TypeError):            # the lambda's names: torch rejects them
        torch.where(c, x=torch.ones(2), y=torch.zeros(2))
    torch.where(c, input=torch.ones(2), other=torch.zeros(2))
    assert "out_dtype" in _torch_params(torch, torch.mm, ov[torch.mm], "torch")
    assert "out_dtype" not in _torch_params(torch, torch.Tensor.mm, ov[torch.Tensor.mm], "Tensor")
    with pytest.raises(TypeError):            # mm.dtype is a function-only overload
        torch.ones(2, 2).mm(torch.ones(2, 2), out_dtype=torch.float32)
    # a Tensor method's list parameter is a keyword in torch: x.view(size=...)
    assert _torch_params(torch, torch.Tensor.view, ov[torch.Tensor.view], "Tensor")[:1] == \
        ["size"]
    assert torch.ones(2, 3).view(size=(3, 2)).shape == (3, 2)
    # a Python function's own signature
    assert "grad_variables" in _torch_params(torch, torch.autograd.backward, None, "autograd")
