"""One random stream for two frameworks, so that a program run on glasstorch and on PyTorch
draws the same numbers and the runs can be compared number for number.

glasstorch draws from NumPy's PCG64 and torch from its own mt19937, so the same seed gives
different initial weights, batches and dropout masks. `install(framework, seed)` replaces the
random sources of one framework by `BridgeRNG`, a NumPy RandomState both runs share by seed:
- glasstorch: the default Generator's `.rng` (every draw without an explicit generator);
- torch: torch.rand/randn/randint/randperm/bernoulli, Tensor.uniform_/normal_/bernoulli_,
  torch.multinomial (one `choice` per row, as glasstorch), torch.normal (mean + std * z in
  float64, then the result dtype, as glasstorch), F.dropout (the same mask rule as glasstorch's ops/dropout.py: keep where u >= p, u drawn in
  float32) and Tensor.random_ (used only to seed DataLoader workers/samplers: returns 0
  without drawing);
- torch: nn.RNN/GRU/LSTM with dropout between layers, in training, run layer by layer with
  the bridged F.dropout on each inner layer's time-major output (torch draws that mask
  inside its C++ kernel, as glasstorch's ops/rnn.py draws it between its layers);
- both: a DataLoader with workers seeds them with base seed 0 and draws nothing for it
  (glasstorch would draw it from the shared stream; torch's random_ above draws nothing);
- both: RandomSampler.__iter__ becomes one permutation per pass (torch draws an extra empty
  permutation at the end of each epoch, which would shift the stream).
The programs themselves are not changed; only the oracle's random numbers are made common.
"""
import numpy as np


class BridgeRNG:
    """The subset of numpy.random.Generator's methods glasstorch calls, on a RandomState."""

    def __init__(self, seed):
        self.rs = np.random.RandomState(seed)

    def random(self, size=None, dtype=np.float64):
        return np.asarray(self.rs.random_sample(size)).astype(dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        return np.asarray(self.rs.standard_normal(size)).astype(dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self.rs.random_sample(size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * self.rs.standard_normal(size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        return self.rs.randint(low, high + (1 if endpoint else 0), size, dtype=np.int64)

    def permutation(self, n):
        return self.rs.permutation(n)

    def exponential(self, scale=1.0, size=None):
        return self.rs.exponential(scale, size)

    def poisson(self, lam=1.0, size=None):
        return self.rs.poisson(lam, size)

    def choice(self, a, size=None, replace=True, p=None):
        return self.rs.choice(a, size, replace, p)


def _sampler_iter(rng):
    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:
            yield from rng.integers(0, n, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        if self.num_samples % n:
            yield from rng.permutation(n)[:self.num_samples % n].tolist()
    return __iter__


def install(framework, seed):
    rng = BridgeRNG(seed)
    if framework == "glasstorch":
        import glasstorch
        from glasstorch import random as R
        from glasstorch.utils.data import sampler

        original = R.Generator.manual_seed

        def manual_seed(self, s):
            original(self, s)
            if self is R.default_generator:    # explicitly seeded generators keep their own
                self.rng = rng                 # stream (FakeData seeds one per image)
            return self
        R.Generator.manual_seed = manual_seed
        R.default_generator.rng = rng
        sampler.RandomSampler.__iter__ = _sampler_iter(rng)
        glasstorch.utils.data.RandomSampler.__iter__ = _sampler_iter(rng)
        # the workers' base seed is not drawn from the stream (torch's Tensor.random_ above
        # returns 0 without drawing), so loaders with num_workers > 0 (d2l's 4) stay in step
        from glasstorch.utils.data import dataloader
        dataloader.DataLoader._base_seed = lambda self: 0
        return rng
    import torch
    import torch.nn.functional as F
    from torch.utils.data import sampler

    def shape_of(size, kwargs):
        if "size" in kwargs:
            size = (kwargs.pop("size"),)
        if len(size) == 1 and not isinstance(size[0], int):
            size = tuple(size[0])
        return tuple(size)

    def finish(arr, kwargs, default):
        t = torch.from_numpy(np.asarray(arr)).to(kwargs.get("dtype") or default)
        return t.requires_grad_(kwargs.get("requires_grad", False))

    def rand(*size, **kw):
        return finish(rng.random(shape_of(size, kw)), kw, torch.get_default_dtype())

    def randn(*size, **kw):
        return finish(rng.standard_normal(shape_of(size, kw)), kw, torch.get_default_dtype())

    def randint(*args, **kw):
        size = kw.pop("size", None)
        if size is None:
            *args, size = args
        low, high = (0, args[0]) if len(args) == 1 else args
        return finish(rng.integers(low, high, tuple(size)), kw, torch.int64)

    def randperm(n, **kw):
        return finish(rng.permutation(n), kw, torch.int64)

    def draw_dtype(t):       # glasstorch's nn.init draws float32 weights in float32
        return np.float32 if t.dtype == torch.float32 else np.float64

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        dt = draw_dtype(self)
        u = rng.random(tuple(self.shape), dtype=dt)
        with torch.no_grad():
            return self.copy_(torch.from_numpy(np.asarray(dt(a) + dt(b - a) * u)))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        dt = draw_dtype(self)
        z = rng.standard_normal(tuple(self.shape), dtype=dt)
        with torch.no_grad():
            return self.copy_(torch.from_numpy(np.asarray(dt(mean) + dt(std) * z)))

    def bernoulli_(self, p=0.5, *, generator=None):
        p = p.detach().numpy() if isinstance(p, torch.Tensor) else p
        with torch.no_grad():
            return self.copy_(torch.from_numpy(rng.random(tuple(self.shape)) < p))

    def bernoulli(input, p=None, *, generator=None):
        probs = input.detach().numpy() if p is None else p
        return torch.from_numpy(rng.random(tuple(input.shape)) < probs).to(input.dtype)

    def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
        w = input.detach().numpy().astype(np.float64)
        rows = w.reshape(-1, w.shape[-1])
        draws = [rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum())
                 for r in rows]
        arr = np.array(draws, dtype=np.int64).reshape(w.shape[:-1] + (num_samples,))
        return torch.from_numpy(arr)

    def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False,
               **kw):
        tensors = [v for v in (mean, std) if isinstance(v, torch.Tensor)]
        if tensors:
            m, s = (v.detach().numpy() if isinstance(v, torch.Tensor) else v for v in (mean, std))
            z = rng.standard_normal(np.broadcast_shapes(np.shape(m), np.shape(s)))
            return finish(m + s * z, {}, tensors[0].dtype)
        z = rng.standard_normal(shape_of((size,), {}))
        return finish(mean + std * z, {"dtype": dtype, "requires_grad": requires_grad},
                      torch.get_default_dtype())

    def random_(self, *args, **kw):
        with torch.no_grad():
            return self.zero_()

    def dropout(input, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return input
        u = rng.random(tuple(input.shape), dtype=np.float32)
        keep = torch.from_numpy((u >= p).astype(np.float32)).to(input.dtype) / (1 - p)
        return input.mul_(keep) if inplace else input * keep

    def feature_dropout(batched_ndims):
        def drop(input, p=0.5, training=True, inplace=False):
            if not training or p == 0:
                return input
            shape = tuple(input.shape)
            if len(shape) not in batched_ndims:       # one sample without the batch dim
                shape = (1,) + shape
            mask_shape = shape[:2] + (1,) * (len(shape) - 2)
            u = rng.random(mask_shape, dtype=np.float32)
            keep = torch.from_numpy((u >= p).astype(np.float32)).to(input.dtype) / (1 - p)
            keep = keep.reshape(mask_shape[-input.dim():] if len(shape) != input.dim() else
                                mask_shape)
            return input.mul_(keep) if inplace else input * keep
        return drop

    def layered(original):
        from torch import _VF

        def forward(self, input, hx=None):
            if not (self.training and self.dropout > 0 and self.num_layers > 1) or \
                    self.proj_size or not isinstance(input, torch.Tensor) or input.dim() != 3:
                return original(self, input, hx)
            x = input.transpose(0, 1) if self.batch_first else input
            D = 2 if self.bidirectional else 1
            zeros = x.new_zeros(self.num_layers * D, x.shape[1], self.hidden_size)
            lstm = self.mode == "LSTM"
            states = (list(hx) if hx is not None else [zeros, zeros]) if lstm else \
                [hx if hx is not None else zeros]
            fn = {"LSTM": _VF.lstm, "GRU": _VF.gru, "RNN_TANH": _VF.rnn_tanh,
                  "RNN_RELU": _VF.rnn_relu}[self.mode]
            per = len(self._flat_weights) // (self.num_layers * D)
            finals = [[] for _ in states]
            for layer in range(self.num_layers):
                h = [s[layer * D:(layer + 1) * D] for s in states]
                w = self._flat_weights[layer * D * per:(layer + 1) * D * per]
                x, *out = fn(x, tuple(h) if lstm else h[0], w, self.bias, 1, 0.0, True,
                             self.bidirectional, False)
                for f, o in zip(finals, out):
                    f.append(o)
                if layer < self.num_layers - 1:
                    x = F.dropout(x, self.dropout, True)
            finals = [torch.cat(f, 0) for f in finals]
            x = x.transpose(0, 1) if self.batch_first else x
            return x, (tuple(finals) if lstm else finals[0])
        return forward

    for cls in (torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM):
        cls.forward = layered(cls.forward)
    F.dropout1d = feature_dropout((3,))
    F.dropout2d = feature_dropout((2, 3, 4))       # torch reads 2-D/3-D input as batched
    F.dropout3d = feature_dropout((5,))
    torch.rand, torch.randn, torch.randint, torch.randperm = rand, randn, randint, randperm
    torch.bernoulli, torch.multinomial, torch.normal = bernoulli, multinomial, normal
    torch.Tensor.uniform_, torch.Tensor.normal_ = uniform_, normal_
    torch.Tensor.bernoulli_, torch.Tensor.random_ = bernoulli_, random_
    F.dropout = dropout
    sampler.RandomSampler.__iter__ = _sampler_iter(rng)
    return rng
