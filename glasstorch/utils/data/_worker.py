"""Worker processes of a DataLoader: each takes (batch number, indices) from its index queue,
builds the batch, and puts (batch number, batch or the exception) on the shared result queue.

Each worker seeds glasstorch's and Python's RNGs with base_seed + worker_id, so random
augmentations differ between workers but are reproducible (torch's scheme)."""
import os
import queue
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


def get_worker_info():
    """None in the main process; a WorkerInfo inside a DataLoader worker."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried back as text and re-raised in the main
    process with the original type and traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        try:
            exc = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - exception types with unusual constructors
            exc = RuntimeError(msg)
        raise exc


class _IterableFetcher:
    def __init__(self, dataset, collate_fn, batch_size, drop_last):
        self.it = iter(dataset)
        self.collate_fn, self.batch_size, self.drop_last = collate_fn, batch_size, drop_last

    def fetch(self, _):
        if self.batch_size is None:
            return self.collate_fn(next(self.it))
        batch = []
        for _ in range(self.batch_size):
            try:
                batch.append(next(self.it))
            except StopIteration:
                break
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)


class _MapFetcher:
    def __init__(self, dataset, collate_fn, auto_collation):
        self.dataset, self.collate_fn, self.auto = dataset, collate_fn, auto_collation

    def fetch(self, indices):
        if not self.auto:
            return self.collate_fn(self.dataset[indices])
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(data)


def make_fetcher(dataset, is_iterable, collate_fn, auto_collation, batch_size, drop_last):
    if is_iterable:
        return _IterableFetcher(dataset, collate_fn, batch_size if auto_collation else None,
                                drop_last)
    return _MapFetcher(dataset, collate_fn, auto_collation)


class _IterableDone:
    """Sent by a worker whose iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def worker_loop(dataset, is_iterable, index_queue, result_queue, done_event, collate_fn,
                auto_collation, batch_size, drop_last, seed, init_fn, worker_id, num_workers):
    global _worker_info
    from ... import random as _random
    from ...backend import threads as _threads
    try:
        _threads.set_num_threads(1)   # as torch's workers: not num_workers x the cores in all
        _random.manual_seed(seed)
        random.seed(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset, is_iterable, collate_fn, auto_collation,
                                   batch_size, drop_last)
        except Exception:  # noqa: BLE001 - reported to the main process
            init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                          f"{worker_id}")
        exhausted = False
        parent = os.getppid()
        # the main process died (SIGKILL, SIGTERM...) when we were re-parented: then stop
        # instead of waiting forever for work that will never come (torch's watchdog)
        while not done_event.is_set() and os.getppid() == parent:
            try:
                task = index_queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if task is None:
                break
            idx, indices = task
            if init_error is not None:
                result_queue.put((idx, init_error))
                init_error = None
                continue
            if exhausted:
                result_queue.put((idx, _IterableDone(worker_id)))
                continue
            try:
                data = fetcher.fetch(indices)
            except StopIteration:
                exhausted = True
                data = _IterableDone(worker_id)
            except Exception:  # noqa: BLE001 - reported to the main process
                data = ExceptionWrapper(sys.exc_info(),
                                        f"in DataLoader worker process {worker_id}")
            result_queue.put((idx, data))
    except KeyboardInterrupt:
        pass
    result_queue.cancel_join_thread()
