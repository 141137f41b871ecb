"""Run a worker script under mpirun (as `glasstorch run` does) with a hard timeout."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def mpirun(script, *args, n=2, timeout=120, env=None):
    """mpirun -n N python tests/distributed/<script> args; returns the CompletedProcess.
    The timeout is the test's guard against a hang (subprocess.TimeoutExpired fails it)."""
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)")
    pytest.importorskip("mpi4py")
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(n),
           "-x", "PYTHONPATH", "-x", "OMP_NUM_THREADS", sys.executable,
           os.path.join(HERE, script), *map(str, args)]
    e = dict(os.environ, OMP_NUM_THREADS="1", OMPI_MCA_btl_vader_single_copy_mechanism="none",
             **(env or {}))
    root = os.path.dirname(os.path.dirname(HERE))
    e["PYTHONPATH"] = os.pathsep.join(p for p in (root, e.get("PYTHONPATH")) if p)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
