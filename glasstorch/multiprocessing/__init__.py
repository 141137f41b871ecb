"""torch.multiprocessing: Python's multiprocessing plus tensors in shared memory, and spawn.

Everything of the standard `multiprocessing` module is here (Process, Queue, Pool,
get_context, set_start_method...). What torch adds:
- `Tensor.share_memory_()` / `Module.share_memory()` put data in shared memory
  (see shared.py): a forked child writes into the parent's parameters (Hogwild! training),
  and a tensor sent through a Queue or to a spawned process keeps pointing at the same bytes;
- `spawn(fn, args, nprocs)` runs `fn(i, *args)` in `nprocs` fresh processes and re-raises, in
  the parent, the first child's exception with its traceback;
- `get_sharing_strategy()` / `set_sharing_strategy()`: one strategy, "file_descriptor".
"""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import Process, Queue, get_context  # noqa: F401

from .shared import is_shared_array  # noqa: F401

__all__ = list(_mp.__all__) + ["spawn", "start_processes", "ProcessContext", "ProcessException",
                               "ProcessRaisedException", "ProcessExitedException",
                               "get_sharing_strategy", "set_sharing_strategy",
                               "get_all_sharing_strategies"]


def get_all_sharing_strategies():
    return {"file_descriptor"}


def get_sharing_strategy():
    return "file_descriptor"


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"sharing strategy {new_strategy!r} is not supported: glasstorch "
                         f"shares memory through {sorted(get_all_sharing_strategies())}")


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised: the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process ended with a non-zero exit code or a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        import traceback
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The processes started by `spawn(..., join=False)`; `join()` until all have ended."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """True when all processes ended well; raises on the first one that failed."""
        for i, p in enumerate(self.processes):
            p.join(timeout)
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for q in self.processes:
                    if q.is_alive():
                        q.terminate()
                if not self.error_queues[i].empty():
                    tb = self.error_queues[i].get()
                    raise ProcessRaisedException(
                        f"\n\n-- Process {i} terminated with the following error:\n{tb}",
                        i, p.pid)
                if p.exitcode < 0:
                    import signal
                    name = signal.Signals(-p.exitcode).name
                    raise ProcessExitedException(f"process {i} terminated with signal {name}",
                                                 i, p.pid, p.exitcode, name)
                raise ProcessExitedException(f"process {i} terminated with exit code "
                                             f"{p.exitcode}", i, p.pid, p.exitcode)
        return True


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run `fn(i, *args)` for i in range(nprocs), each in a new process (torch's signature).

    Returns None after all ended (join=True) or a ProcessContext (join=False). A child's
    exception reaches the parent as ProcessRaisedException with the child's traceback.
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
