"""DistributedDataParallel on 2 MPI processes equals one process on the same global batches."""
import pytest

from _mpi_launch import mpirun


@pytest.mark.parametrize("dtype,mode", [("float64", "plain"), ("float32", "plain"),
                                        ("float64", "no_sync"), ("float64", "unused"),
                                        ("float64", "bucket"), ("float64", "proportional")])
def test_ddp_two_ranks_equal_one_process(dtype, mode):
    p = mpirun("_ddp_worker.py", dtype, mode, n=2, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0 ok" in p.stdout and "rank 1 ok" in p.stdout, p.stdout + p.stderr


def test_sync_batchnorm_two_ranks_equal_one_batchnorm_on_the_whole_batch():
    p = mpirun("_syncbn_worker.py", n=2, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0 ok" in p.stdout and "rank 1 ok" in p.stdout, p.stdout + p.stderr
