"""DistributedSampler gives torch's exact index sequences; ProportionalBatchSampler's pieces
cover each global batch and its gradient weights recover the full-batch gradient."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.utils.data.distributed import (DistributedSampler, ProportionalBatchSampler,
                                               torch_randperm)


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 5), (10, 0), (5000, 7), (70001, 2 ** 40 + 3)])
def test_randperm_is_torchs(n, seed):
    g = torch.Generator().manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed", [
    (10, 3, True, False, 0), (10, 3, True, True, 0), (10, 3, False, False, 0),
    (10, 3, False, True, 1), (5000, 2, True, False, 42), (7, 4, True, False, 3),
    (3, 8, True, False, 0), (3, 8, False, True, 0), (101, 4, True, True, 9)])
def test_distributed_sampler_matches_torch(n, replicas, shuffle, drop_last, seed):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=seed,
                                  drop_last=drop_last)
        ref = torch.utils.data.distributed.DistributedSampler(
            data, replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        for epoch in (0, 3):
            ours.set_epoch(epoch)
            ref.set_epoch(epoch)
            assert list(ours) == list(ref)
            assert len(ours) == len(ref)


def test_distributed_sampler_errors_like_torch():
    for Sampler in (DistributedSampler, torch.utils.data.distributed.DistributedSampler):
        with pytest.raises(ValueError, match="Invalid rank 2"):
            Sampler(list(range(4)), num_replicas=2, rank=2)


def test_distributed_sampler_in_a_dataloader():
    ds = gt.utils.data.TensorDataset(gt.arange(10))
    s = gt.utils.data.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    batches = [b[0].tolist() for b in gt.utils.data.DataLoader(ds, batch_size=2, sampler=s)]
    assert batches == [[1, 3], [5, 7], [9]]


def test_proportional_pieces_cover_the_batch_and_weight_the_gradient():
    n, shares = 50, [3.0, 1.0]
    samplers = [ProportionalBatchSampler(list(range(n)), 16, shares, 2, r, seed=4)
                for r in range(2)]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((n, 5)), rng.standard_normal(5)
    for b0, b1 in zip(*samplers):
        batch = b0 + b1
        assert len(b0) == (12 if len(batch) == 16 else 1) and not set(b0) & set(b1)
        # d/dw of mean((x w)^2) over a piece, scaled, then averaged across ranks (DDP's AVG)
        grads = [s.grad_scale(len(b)) * (2 * x[b] * (x[b] @ w)[:, None]).mean(0)
                 for s, b in ((samplers[0], b0), (samplers[1], b1))]
        full = (2 * x[batch] * (x[batch] @ w)[:, None]).mean(0)
        np.testing.assert_allclose(sum(grads) / 2, full, rtol=1e-12)
    assert sorted(sum((b0 + b1 for b0, b1 in zip(*samplers)), [])) == list(range(n))
    assert sum(1 for _ in samplers[0]) == len(samplers[0]) == 4
