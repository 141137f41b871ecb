"""glasstorch has no sparse tensors (docs/COMPATIBILITY.md, "Out of scope"): the divergences
from torch are explicit. Sparse-gradient options give torch's gradient values as a dense tensor
(Tensor.to_dense() returns it as is); a sparse layout given to a factory raises torch's error
type for that factory, layout and size (NotImplementedError where torch would build a sparse
tensor), naming the factory; scalar_tensor ignores it as torch does; layout=torch.strided is
accepted everywhere torch accepts it; a non-layout is torch's TypeError."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _dense(g):
    return g.to_dense().detach().numpy()


def test_gather_sparse_grad_is_torchs_gradient_dense():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    idx = rng.integers(0, 5, (4, 3))
    up = rng.standard_normal((4, 3))
    grads = []
    for mod in (gt, torch):
        xt = mod.tensor(x, requires_grad=True)
        mod.gather(xt, 1, mod.tensor(idx), sparse_grad=True).backward(mod.tensor(up))
        grads.append(xt.grad)
    assert grads[1].layout == torch.sparse_coo                  # torch: sparse COO
    assert grads[0].layout == gt.strided and not grads[0].is_sparse
    assert grads[0].to_dense() is grads[0]
    np.testing.assert_allclose(_dense(grads[0]), _dense(grads[1]), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda mod: mod.nn.Embedding(6, 3, sparse=True, padding_idx=2),
    lambda mod: mod.nn.EmbeddingBag(6, 3, sparse=True, mode="sum"),
    lambda mod: mod.nn.EmbeddingBag(6, 3, sparse=True, mode="mean")],
    ids=["Embedding", "EmbeddingBag-sum", "EmbeddingBag-mean"])
def test_embedding_sparse_true_gradient_values(make):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((6, 3))
    idx = np.array([[0, 2, 5, 2], [1, 1, 3, 0]])
    grads = []
    for mod in (gt, torch):
        m = make(mod).double()
        with mod.no_grad():
            m.weight.copy_(mod.tensor(w))
        out = m(mod.tensor(idx))
        out.backward(mod.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))))
        grads.append(m.weight.grad)
    assert grads[1].is_sparse and not grads[0].is_sparse
    np.testing.assert_allclose(_dense(grads[0]), _dense(grads[1]), rtol=1e-12)


def test_sgd_step_on_a_sparse_embedding_matches_torch():
    """The usual use of sparse=True (an optimizer step) gives torch's parameters."""
    params = []
    for mod in (gt, torch):
        mod.manual_seed(0)
        m = mod.nn.Embedding(5, 2, sparse=True).double()
        with mod.no_grad():
            m.weight.copy_(mod.tensor(np.arange(10.0).reshape(5, 2)))
        opt = mod.optim.SGD(m.parameters(), lr=0.1)
        m(mod.tensor([1, 3, 3])).pow(2).sum().backward()
        opt.step()
        params.append(m.weight.detach().numpy())
    np.testing.assert_allclose(params[0], params[1], rtol=1e-12)


FACTORIES = [
    ("zeros", lambda m, **k: m.zeros(2, **k)), ("ones", lambda m, **k: m.ones(2, **k)),
    ("empty", lambda m, **k: m.empty(2, **k)), ("full", lambda m, **k: m.full((2,), 1.0, **k)),
    ("arange", lambda m, **k: m.arange(3, **k)), ("eye", lambda m, **k: m.eye(2, **k)),
    ("linspace", lambda m, **k: m.linspace(0, 1, 3, **k)),
    ("logspace", lambda m, **k: m.logspace(0, 1, 3, **k)),
    ("scalar_tensor", lambda m, **k: m.scalar_tensor(1.0, **k)),
    ("rand", lambda m, **k: m.rand(2, **k)), ("randn", lambda m, **k: m.randn(2, **k)),
    ("randint", lambda m, **k: m.randint(3, (2,), **k)),
    ("randperm", lambda m, **k: m.randperm(3, **k)),
    ("normal", lambda m, **k: m.normal(0.0, 1.0, (2,), **k)),
    ("empty_strided", lambda m, **k: m.empty_strided((2,), (1,), **k)),
    ("empty_permuted", lambda m, **k: m.empty_permuted((2,), (0,), **k)),
    ("zeros_like", lambda m, **k: m.zeros_like(m.ones(2), **k)),
    ("rand_like", lambda m, **k: m.rand_like(m.ones(2), **k)),
    ("randn_like", lambda m, **k: m.randn_like(m.ones(2), **k)),
    ("randint_like", lambda m, **k: m.randint_like(m.ones(2), 3, **k)),
    ("new_zeros", lambda m, **k: m.ones(2).new_zeros(2, **k)),
    ("new_ones", lambda m, **k: m.ones(2).new_ones(2, **k)),
    ("new_full", lambda m, **k: m.ones(2).new_full((2,), 1.0, **k)),
    ("new_empty", lambda m, **k: m.ones(2).new_empty(2, **k)),
    ("hann_window", lambda m, **k: m.hann_window(4, **k)),
    ("kaiser_window", lambda m, **k: m.kaiser_window(4, **k)),
]


@pytest.mark.parametrize("name, make", FACTORIES, ids=[n for n, _ in FACTORIES])
def test_factory_layouts(name, make):
    for mod in (gt, torch):
        assert make(mod, layout=mod.strided).layout == mod.strided
        assert make(mod, pin_memory=False).layout == mod.strided
        with pytest.raises(TypeError) as info:      # (torch words it per overload set)
            make(mod, layout="strided")
        assert mod is torch or "argument 'layout' must be torch.layout, not str" in str(info.value)
        with pytest.raises(RuntimeError, match="pin_memory"):
            make(mod, pin_memory=True)


# the same factories making 2-D results (compressed layouts need 2 dims)
FACTORIES_2D = [
    ("zeros", lambda m, **k: m.zeros(2, 3, **k)), ("ones", lambda m, **k: m.ones((2, 3), **k)),
    ("empty", lambda m, **k: m.empty(size=(2, 3), **k)),
    ("full", lambda m, **k: m.full((2, 3), 1.0, **k)), ("eye", lambda m, **k: m.eye(3, **k)),
    ("rand", lambda m, **k: m.rand(2, 3, **k)), ("randn", lambda m, **k: m.randn(2, 3, **k)),
    ("randint", lambda m, **k: m.randint(0, 3, (2, 3), **k)),
    ("randint_high", lambda m, **k: m.randint(3, (2, 3), **k)),
    ("normal", lambda m, **k: m.normal(0.0, 1.0, (2, 3), **k)),
    ("empty_permuted", lambda m, **k: m.empty_permuted((2, 3), (1, 0), **k)),
    ("zeros_like", lambda m, **k: m.zeros_like(m.ones(2, 3), **k)),
    ("ones_like", lambda m, **k: m.ones_like(m.ones(2, 3), **k)),
    ("empty_like", lambda m, **k: m.empty_like(m.ones(2, 3), **k)),
    ("full_like", lambda m, **k: m.full_like(m.ones(2, 3), 2.0, **k)),
    ("new_zeros", lambda m, **k: m.ones(2).new_zeros((2, 3), **k)),
    ("new_ones", lambda m, **k: m.ones(2).new_ones(2, 3, **k)),
    ("new_full", lambda m, **k: m.ones(2).new_full((2, 3), 1.0, **k)),
    ("new_empty", lambda m, **k: m.ones(2).new_empty((2, 3), **k)),
    ("range", lambda m, **k: m.range(0, 3, **k)),
    ("bartlett_window", lambda m, **k: m.bartlett_window(4, **k)),
]
SPARSE = ["sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"]


@pytest.mark.filterwarnings("ignore")      # torch.range is deprecated; sparse is beta in torch
@pytest.mark.parametrize("layout", SPARSE)
@pytest.mark.parametrize("name, make", FACTORIES + FACTORIES_2D,
                         ids=[n for n, _ in FACTORIES] + [n + "_2d" for n, _ in FACTORIES_2D])
def test_sparse_layout_error_type_is_torchs(name, make, layout):
    """torch's error type per factory and layout; where torch builds a sparse tensor,
    NotImplementedError (out of scope); where torch ignores the layout, a dense result."""
    try:
        result = make(torch, layout=getattr(torch, layout))
        want = NotImplementedError if result.layout != torch.strided else None
    except (RuntimeError, NotImplementedError) as e:
        want = type(e)
    if want is None:
        assert make(gt, layout=getattr(gt, layout)).layout == gt.strided
        return
    with pytest.raises(Exception) as info:
        make(gt, layout=getattr(gt, layout))
    assert info.type is want, (info.type, want)
    factory = name.split("_high")[0]
    assert f"{factory}(): layout=torch.{layout} is not supported: glasstorch tensors are " \
           "dense" in str(info.value)


def test_sparse_constructors_are_absent():
    """torch.sparse_coo_tensor & co are out of scope: absent, so hasattr() tells."""
    assert not hasattr(gt, "sparse_coo_tensor") and not hasattr(gt.ones(1), "to_sparse")
