"""glasstorch.distributed collectives on 2 MPI processes, against NumPy references."""
from _mpi_launch import mpirun


def test_collectives_match_numpy():
    p = mpirun("_collectives_worker.py", n=2, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0 ok" in p.stdout and "rank 1 ok" in p.stdout


def test_a_rank_that_raises_stops_the_others():
    p = mpirun("_fault_worker.py", "raise", timeout=60)
    assert p.returncode != 0
    assert "rank 1 raised ValueError: bad batch in rank 1" in p.stderr, p.stderr
    assert "rank 0 was not stopped" not in p.stdout


def test_a_killed_rank_does_not_hang_the_others():
    p = mpirun("_fault_worker.py", "kill", timeout=60)   # TimeoutExpired = a hang
    assert p.returncode != 0
    assert "rank 1" in p.stderr, p.stderr
    assert "rank 0 was not stopped" not in p.stdout
