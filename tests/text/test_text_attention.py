"""d2l's masked_softmax, AdditiveAttention and DotProductAttention (glasstorch/text/attention.py)
against d2l's own code (d2l.ai, sec. 11.3) run in torch: values, attention weights and the
gradients of the inputs and parameters."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.text import AdditiveAttention, DotProductAttention, masked_softmax
from helpers import assert_close, check_module, check_op, module_pair

P = pytest.param


def d2l_masked_softmax(X, valid_lens):
    """d2l's code (d2l.ai, sec. 11.3), run in torch as the reference."""
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X
    if valid_lens is None:
        return torch.nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return torch.nn.functional.softmax(X.reshape(shape), dim=-1)


class D2lAdditiveAttention(torch.nn.Module):
    def __init__(self, key_size, query_size, num_hiddens, dropout):
        super().__init__()
        self.W_k = torch.nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = torch.nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = torch.nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = d2l_masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class D2lDotProductAttention(torch.nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = d2l_masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


VALID_LENS = [
    P(None, id="none"),
    P(np.array([2, 4]), id="per-sequence"),
    P(np.array([[1, 3, 4], [2, 2, 1]]), id="per-query"),
    P(np.array([0, 3]), id="zero-length"),
    P(np.array([2.0, 3.0], dtype=np.float32), id="float-lengths"),
]


def _lens(lib, v):
    return None if v is None else lib.tensor(v)


@pytest.mark.parametrize("valid_lens", VALID_LENS)
def test_masked_softmax(valid_lens):
    def fn(lib, x):
        if lib is gt:
            return masked_softmax(x, _lens(gt, valid_lens))
        return d2l_masked_softmax(x.clone(), _lens(torch, valid_lens))  # d2l writes into X
    check_op(fn, [(2, 3, 4)], lib=True)


def test_masked_softmax_docstring_values():
    w = masked_softmax(gt.zeros(1, 2, 4), gt.tensor([3])).numpy()
    np.testing.assert_allclose(w, [[[1 / 3] * 3 + [0]] * 2], atol=1e-7)


@pytest.mark.parametrize("valid_lens", VALID_LENS)
def test_additive_attention(valid_lens):
    def make(lib):
        return (AdditiveAttention(5, 6, 7, 0.0) if lib is gt
                else D2lAdditiveAttention(5, 6, 7, 0.0))
    g, t = module_pair(make)
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 4, 5)),
              rng.standard_normal((2, 4, 3))]
    fn = lambda lib, m, q, k, v: m(q, k, v, _lens(lib, valid_lens))  # noqa: E731
    check_module(g, t, fn, arrays)
    assert_close(g.attention_weights, t.attention_weights)
    assert list(g.state_dict()) == ["W_k.weight", "W_q.weight", "w_v.weight"]


@pytest.mark.parametrize("valid_lens", VALID_LENS)
def test_dot_product_attention(valid_lens):
    g, t = DotProductAttention(0.5).eval(), D2lDotProductAttention(0.5).eval()
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 4, 6)),
              rng.standard_normal((2, 4, 5))]
    fn = lambda lib, m, q, k, v: m(q, k, v, _lens(lib, valid_lens))  # noqa: E731
    check_module(g, t, fn, arrays)
    assert_close(g.attention_weights, t.attention_weights)


def test_dot_product_attention_dropout():
    m = DotProductAttention(0.5)
    q, k, v = gt.randn(2, 3, 4), gt.randn(2, 5, 4), gt.ones(2, 5, 1)
    out = m(q, k, v, gt.tensor([2, 5])).numpy()
    # values are ones: each output is the sum of the kept weights, each scaled by 2
    w = m.attention_weights.numpy()
    assert not np.allclose(out[..., 0], w.sum(-1))
    m.eval()
    np.testing.assert_allclose(m(q, k, v, gt.tensor([2, 5])).numpy()[..., 0], 1, rtol=1e-6)


@pytest.mark.parametrize("shape,lens", [((3, 5), [1, 3, 5]), ((2, 4, 5), [2, 4]),
                                        ((2, 3, 4, 5), [1, 5]), ((3, 3, 4, 5), [1, 2, 3]),
                                        ((2, 4, 5), [[1, 2, 3, 4], [5, 5, 1, 2]])])
def test_masked_softmax_any_rank(shape, lens):
    # every key at position >= its length gets ~0 weight, whatever the rank of X
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = masked_softmax(gt.tensor(x), gt.tensor(lens)).numpy()
    L = np.array(lens)
    L = L.reshape((-1,) + (1,) * (len(shape) - 1)) if L.ndim == 1 else L[..., None]
    keep = np.arange(shape[-1]) < L
    ref = np.where(keep, np.exp(x - x.max(-1, keepdims=True)), 0)
    ref = ref / ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
