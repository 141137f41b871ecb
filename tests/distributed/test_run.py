"""`python -m glasstorch.distributed.run` (= `glasstorch run`) starts N ranks under mpirun."""
import os
import signal
import subprocess
import sys
import time

import pytest

from _mpi_launch import HERE, mpirun   # noqa: F401  (mpirun: skip if Open MPI is missing)

pytest.importorskip("mpi4py")
pytestmark = pytest.mark.skipif(not __import__("shutil").which("mpirun"),
                                reason="mpirun not installed")
LAUNCH = [sys.executable, "-m", "glasstorch.distributed.run"]


def test_run_starts_n_ranks_with_their_args_and_threads():
    p = subprocess.run(LAUNCH + ["-n", "2", "--threads", "1",
                                 os.path.join(HERE, "_echo_worker.py"), "a", "--b=1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    for r in (0, 1):
        assert f"rank {r} of 2 RANK={r} threads=1 args=['a', '--b=1']" in p.stdout


def test_the_glasstorch_run_command():
    p = subprocess.run([sys.executable, "-m", "glasstorch", "run", "-n", "2",
                        os.path.join(HERE, "_echo_worker.py"), "--x", "1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "rank 1 of 2 RANK=1" in p.stdout and "args=['--x', '1']" in p.stdout


def test_run_reports_a_failing_rank():
    p = subprocess.run(LAUNCH + ["-n", "2", os.path.join(HERE, "_fault_worker.py"), "raise"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "rank 1 raised ValueError" in p.stderr and "glasstorch run: the job failed" in p.stderr


def test_run_forwards_sigterm():
    p = subprocess.Popen(LAUNCH + ["-n", "2", os.path.join(HERE, "_echo_worker.py"), "wait"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while p.stdout.readline().strip() != "waiting" and time.time() < deadline:
        pass
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)              # the ranks sleep 60 s: only the signal ends them early
    finally:
        p.kill()
    assert p.returncode != 0


def test_run_without_a_script_is_a_clear_error():
    p = subprocess.run(LAUNCH + ["-n", "2"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "give a script" in p.stderr and "Traceback" not in p.stderr


def test_train_nproc_2_writes_one_run_folder_that_eval_reads(tmp_path):
    out = str(tmp_path / "run")
    p = subprocess.run([sys.executable, "-m", "glasstorch", "train", "--nproc", "2", "--limit",
                        "128", "--epochs", "1", "--batch-size", "32", "--out", out],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("training lenet") == 1            # rank 0 alone reports
    assert os.path.exists(os.path.join(out, "results.json"))
    p = subprocess.run([sys.executable, "-m", "glasstorch", "eval", out, "--limit", "50"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr        # plain (not "module.") weight keys


def test_train_nproc_needs_a_batch_that_splits_evenly(tmp_path):
    p = subprocess.run([sys.executable, "-m", "glasstorch", "train", "--nproc", "2", "--limit",
                        "64", "--epochs", "1", "--batch-size", "33", "--out",
                        str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "must split evenly over --nproc 2" in p.stderr
