"""Real-time priority of the pool's threads (backend/threads.py): only under SCHED_FIFO/RR, as
the benchmarks' real-time runs use; under other schedulers nothing changes."""
import os

__all__ = ["realtime", "set_priority"]


# Under SCHED_FIFO/RR (the benchmarks' real-time runs) equal priorities never preempt: a woken
# pool thread queued behind the caller or OpenBLAS's spinning idle worker (LeNet at 2 threads:
# it ran none of the conv slices). So pool threads run one step above their starter, and a
# splitting caller is raised to it for the region: the pool thread takes the spinner's core
# (LeNet step 11.1 -> 8.7 ms). Other schedulers: nothing changes.
def realtime():
    """(policy, priority) of this thread under SCHED_FIFO/RR below the maximum, else None."""
    try:
        policy = os.sched_getscheduler(0)
        if policy in (os.SCHED_FIFO, os.SCHED_RR):
            priority = os.sched_getparam(0).sched_priority
            if priority < os.sched_get_priority_max(policy):
                return policy, priority
    except (AttributeError, OSError):
        pass
    return None


def set_priority(policy, priority):
    """Set this thread's policy and priority; False if not allowed (RLIMIT_RTPRIO)."""
    try:
        os.sched_setscheduler(0, policy, os.sched_param(priority))
        return True
    except OSError:          # not allowed (RLIMIT_RTPRIO): stay as we are
        return False
