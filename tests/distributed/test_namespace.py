"""`import glasstorch as torch` exposes torch.distributed as an attribute, as real torch does
(scripts call torch.distributed.is_available() without importing the submodule)."""
import subprocess
import sys


def test_distributed_is_an_attribute_after_the_top_level_import():
    code = ("import glasstorch as torch, sys; d = torch.distributed; "
            "print(d.is_available(), d.is_initialized(), 'mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # available, not initialized, and MPI itself is not loaded by the import
    assert out.stdout.split() == ["True", "False", "False"]
