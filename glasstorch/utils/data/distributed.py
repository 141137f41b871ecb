"""Samplers for data-parallel training: each rank reads its own part of the dataset.

DistributedSampler gives rank r the indices r, r+N, r+2N, ... of one shuffled order that
every rank computes alike from `seed + epoch`; the order is torch's exactly (torch.randperm on
a generator seeded with seed + epoch: MT19937 and its Fisher-Yates shuffle, re-done below), so
a run splits the data the same way under torch and glasstorch.

ProportionalBatchSampler is for ranks of unequal speed: each global batch is cut into pieces
proportional to the ranks' measured throughput, and `grad_scale` weights a rank's mean loss so
that the averaged gradient equals the gradient of the whole global batch.
"""
import math

from ...backend import xp as _xp
from .sampler import Sampler

__all__ = ["DistributedSampler", "ProportionalBatchSampler", "measure_shares", "torch_randperm"]


def torch_randperm(n, seed):
    """torch.randperm(n, generator=torch.Generator().manual_seed(seed)) as a list.

    torch's CPU generator is MT19937 seeded like the reference init_genrand (NumPy's legacy
    seeding), and randperm swaps r[i] with r[i + u % (n - i)] for 32-bit draws u."""
    bits = _xp.random.MT19937()
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    draws = bits.random_raw(max(n - 1, 0)).tolist()
    r = list(range(n))
    for i, u in enumerate(draws):
        j = i + u % (n - i)
        r[i], r[j] = r[j], r[i]
    return r


def _world(num_replicas, rank):
    if num_replicas is None or rank is None:
        from ... import distributed as dist
        if not dist.is_initialized():
            raise RuntimeError("Requires distributed package to be available")
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
    if rank >= num_replicas or rank < 0:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                         f"[0, {num_replicas - 1}]")
    return num_replicas, rank


class DistributedSampler(Sampler):
    """This rank's share of the dataset; call `set_epoch(e)` each epoch to reshuffle.

    Without drop_last the order is padded by repeating its start so that every rank gets
    ceil(len / N) indices; with drop_last the tail is cut instead (torch's rule)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.dataset, self.shuffle, self.seed, self.drop_last = dataset, shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def _order(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return indices

    def __iter__(self):
        return iter(self._order()[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = epoch


def _split(total, shares):
    """Cut `total` into integer parts proportional to `shares` (largest remainders first)."""
    s = sum(shares)
    exact = [total * w / s for w in shares]
    parts = [int(math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[:total - sum(parts)]:
        parts[i] += 1
    # no empty piece while there are enough indices (an empty batch cannot be collated); the
    # weights stay exact because grad_scale uses the actual sizes
    for i in range(len(parts)):
        if parts[i] == 0 and total >= len(parts):
            parts[parts.index(max(parts))] -= 1
            parts[i] = 1
    return parts


class ProportionalBatchSampler(Sampler):
    """Batches for ranks of unequal speed: global batch b (of `batch_size` indices, in
    DistributedSampler's shuffled order) is cut into consecutive pieces, rank r's piece
    proportional to shares[r] (e.g. each rank's measured samples/second; see
    `measure_shares`). Yields this rank's lists of indices.

    Averaging the ranks' gradients of their mean losses (what DDP does) would weight a small
    piece like a big one; multiply the loss by `grad_scale(len(batch))` = N * n_r / n, and the
    average becomes sum_r n_r/n * grad_r = the gradient of the mean loss over the global batch.
    """

    def __init__(self, dataset, batch_size, shares, num_replicas=None, rank=None, shuffle=True,
                 seed=0, drop_last=False):
        self.num_replicas, self.rank = _world(num_replicas, rank)
        if len(shares) != self.num_replicas or min(shares) <= 0:
            raise ValueError(f"ProportionalBatchSampler: need {self.num_replicas} positive "
                             f"shares, got {list(shares)}")
        self.dataset, self.batch_size, self.shares = dataset, batch_size, list(shares)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        self._current = batch_size

    def __iter__(self):
        n = len(self.dataset)
        order = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        for start in range(0, n, self.batch_size):
            batch = order[start:start + self.batch_size]
            if self.drop_last and len(batch) < self.batch_size:
                return
            parts = _split(len(batch), self.shares)
            lo = sum(parts[:self.rank])
            self._current = len(batch)
            yield batch[lo:lo + parts[self.rank]]

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def grad_scale(self, local_size):
        """N * n_r / n for the batch just yielded (its global size n)."""
        return self.num_replicas * local_size / self._current

    def set_epoch(self, epoch):
        self.epoch = epoch


def measure_shares(samples_per_second, group=None):
    """Every rank's measured throughput, gathered on all ranks: pass it as `shares`."""
    from ... import distributed as dist
    out = [None] * dist.get_world_size(group)
    dist.all_gather_object(out, float(samples_per_second), group=group)
    return out
