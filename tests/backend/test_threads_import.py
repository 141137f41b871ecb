"""Importing glasstorch while another thread is inside a threaded OpenBLAS call: the spin
limit restarts OpenBLAS's threads (blas_thread_shutdown_, meant for a fork, where no other
thread runs), and a GEMM in flight then waited forever for its worker (seen 3 in 3 runs)."""
import os
import subprocess
import sys

import pytest

from glasstorch.backend import blas_lib, threads

_CODE = """
import threading
import numpy as np
a = np.arange(600 * 600, dtype=np.float32).reshape(600, 600) % 5
want = a.astype(np.float64) @ a.astype(np.float64)
started, imported, bad, count = threading.Event(), threading.Event(), [], [0]

def gemms():                      # threaded GEMMs until 20 more have run after the import
    after = 0
    while after < 20:
        started.set()
        if not np.array_equal(a @ a, want):
            bad.append(1)
        count[0] += 1
        after += imported.is_set()

t = threading.Thread(target=gemms)
t.start()
started.wait()
from glasstorch.backend import threads
imported.set()
t.join()
print(threads._blas_spin_limited, not bad, count[0] > 20)
"""


def _spin_limit_supported():
    """NumPy's OpenBLAS is its pthreads build and exports what the spin limit needs (and the
    getter these tests read it back with)."""
    lib = threads._blas_lib
    return blas_lib.spin_limit_supported(lib) and hasattr(lib, "openblas_thread_timeout")


@pytest.mark.skipif(not _spin_limit_supported(),
                    reason="OpenBLAS pthreads build with openblas_read_env needed")
def test_import_beside_a_thread_running_gemms():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    out = subprocess.run([sys.executable, "-c", _CODE], env=env, capture_output=True,
                         text=True, timeout=60).stdout.split()
    # another thread may be in BLAS: OpenBLAS's threads are left as they are (its default
    # spin), and every GEMM is right
    assert out == ["False", "True", "True"]
