"""DataLoader: batches from a dataset, in the main process or in worker processes.

    for x, y in DataLoader(ds, batch_size=64, shuffle=True): ...

Per epoch: the sampler yields indices (shuffled when shuffle=True), BatchSampler groups them
(the last partial batch is kept unless drop_last=True), each batch's samples are fetched with
`dataset[i]` and merged by `collate_fn` (default_collate stacks them). With num_workers > 0,
worker processes build batches ahead (prefetch_factor per worker) and the main process hands
them out in order; an exception in a worker is re-raised here with its original traceback.
"""
import itertools
import multiprocessing
import queue
import time

from ... import random as _random
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from ._collate import default_collate, default_convert
from ._worker import ExceptionWrapper, _IterableDone, make_fetcher, worker_loop

__all__ = ["DataLoader"]

# seconds between liveness checks of workers while waiting for a batch: a dead worker is
# noticed within this time (torch gets a SIGCHLD; polling is simpler and as prompt)
_POLL = 0.05


class DataLoader:
    """Iterable over batches of `dataset`; see the module docstring."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers = dataset, num_workers
        self.prefetch_factor, self.pin_memory = prefetch_factor, pin_memory  # pin: CPU no-op
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator, self.persistent_workers = generator, persistent_workers
        self._is_iterable = isinstance(dataset, IterableDataset)

        if self._is_iterable:
            if shuffle not in (None, False):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._is_iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._is_iterable and
                                                  self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self):
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else \
                    (n + self.batch_size - 1) // self.batch_size
            return n
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)

    def _base_seed(self):
        rng = (self.generator or _random.default_generator).rng
        return int(rng.integers(0, 2 ** 62))


class _SingleProcessIter:
    def __init__(self, loader):
        self.loader = loader
        self._sampler_iter = iter(loader._index_sampler) if not loader._is_iterable else \
            itertools.repeat(None)
        self._fetcher = make_fetcher(loader.dataset, loader._is_iterable, loader.collate_fn,
                                     loader._auto_collation, loader.batch_size,
                                     loader.drop_last)

    def __iter__(self):
        return self

    def __next__(self):
        indices = next(self._sampler_iter)
        return self._fetcher.fetch(indices)

    def __len__(self):
        return len(self.loader)


class _MultiProcessIter:
    """Workers with an index queue each and one shared result queue; results are handed
    out in the order of the batches, whatever order the workers finish in."""

    def __init__(self, loader):
        self.loader = loader
        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._done = ctx.Event()
        self._results = ctx.Queue()
        self._index_queues, self._workers = [], []
        seed = loader._base_seed()
        for wid in range(loader.num_workers):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=worker_loop, daemon=True, args=(
                loader.dataset, loader._is_iterable, iq, self._results, self._done,
                loader.collate_fn, loader._auto_collation, loader.batch_size,
                loader.drop_last, seed + wid, loader.worker_init_fn, wid, loader.num_workers))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._shutdown = False
        self._reset()

    def _reset(self):
        loader = self.loader
        self._sampler_iter = iter(loader._index_sampler) if not loader._is_iterable else \
            itertools.repeat(None)
        self._send_idx = self._rcvd_idx = 0
        self._task_worker = {}
        self._reorder = {}
        self._active = [True] * loader.num_workers
        self._next_worker = itertools.cycle(range(loader.num_workers))
        self._exhausted = False
        for _ in range(loader.prefetch_factor * loader.num_workers):
            self._try_put()

    def _try_put(self):
        if self._exhausted or not any(self._active):
            return
        try:
            indices = next(self._sampler_iter)
        except StopIteration:
            self._exhausted = True
            return
        for _ in range(len(self._active)):
            wid = next(self._next_worker)
            if self._active[wid]:
                break
        self._index_queues[wid].put((self._send_idx, indices))
        self._task_worker[self._send_idx] = wid
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        return len(self.loader)

    def __next__(self):
        while True:
            if self._rcvd_idx >= self._send_idx:
                if not self.loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._reorder:
                data = self._reorder.pop(self._rcvd_idx)
            else:
                idx, data = self._get()
                if idx != self._rcvd_idx:
                    self._reorder[idx] = data
                    continue
            self._task_worker.pop(self._rcvd_idx, None)
            self._rcvd_idx += 1
            if isinstance(data, _IterableDone):
                self._active[data.worker_id] = False
                self._try_put()
                continue
            self._try_put()
            if isinstance(data, ExceptionWrapper):
                self._shutdown_workers()
                data.reraise()
            return data

    def _get(self):
        """Next (idx, batch) from any worker; detects timeouts and dead workers."""
        timeout = self.loader.timeout
        start = time.monotonic()
        while True:
            wait = _POLL if not timeout else min(_POLL, max(0.0, timeout -
                                                            (time.monotonic() - start)))
            try:
                return self._results.get(timeout=wait)
            except queue.Empty:
                pass
            if timeout and time.monotonic() - start >= timeout:
                self._shutdown_workers(kill=True)    # they may be stuck: don't wait for them
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                self._shutdown_workers(kill=True)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _shutdown_workers(self, kill=False):
        """Stop the workers: ask them to exit and wait (up to 5 s each), or with kill=True
        (after a timeout or a dead worker) terminate them at once."""
        if self._shutdown:
            return
        self._shutdown = True
        self._done.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=0 if kill else 5)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1)
        for q in self._index_queues + [self._results]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
