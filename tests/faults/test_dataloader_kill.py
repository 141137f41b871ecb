"""Fault tests that kill a DataLoader's main process for real (SIGKILL, SIGTERM): its workers
must exit within seconds, not live on re-parented to init. Also how fast a timeout and a dead
worker are reported (torch: ~timeout and ~0.1 s)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import glasstorch.utils.data as gdata

_SCRIPT = textwrap.dedent("""
    import sys, time
    import glasstorch.utils.data as gdata

    class Slow(gdata.Dataset):
        def __len__(self):
            return 10_000
        def __getitem__(self, i):
            time.sleep(0.01)
            return i

    loader = gdata.DataLoader(Slow(), batch_size=4, num_workers=2)
    it = iter(loader)
    next(it)
    print(" ".join(str(w.pid) for w in it._workers), flush=True)
    for _ in it:
        time.sleep(0.05)   # the main process is busy "training"
""")


def _alive(pid):
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_main_process_is_killed(sig):
    p = subprocess.Popen([sys.executable, "-c", _SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(x) for x in p.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        time.sleep(0.3)
        p.send_signal(sig)
        p.wait(timeout=10)
        killed_at = time.monotonic()
        while any(_alive(pid) for pid in pids) and time.monotonic() - killed_at < 5:
            time.sleep(0.05)
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"workers {left} still running 5 s after the main process died"
    finally:
        p.kill()
        p.wait()
        for pid in pids if "pids" in dir() else []:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


class _Slow(gdata.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(30)
        return i


def test_timeout_is_prompt():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 1 seconds"):
        list(gdata.DataLoader(_Slow(), num_workers=2, timeout=1))
    assert time.monotonic() - start < 2.5   # was ~6 s: it waited for the stuck workers


class _Dies(gdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_dead_worker_is_noticed_promptly():
    loader = gdata.DataLoader(_Dies(), num_workers=1)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           "unexpectedly"):
        list(loader)
    assert time.monotonic() - start < 1.0   # was > 1 s (one poll per second)
