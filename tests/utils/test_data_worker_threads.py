"""DataLoader worker processes run on one thread, as torch's do (its _worker_loop calls
torch.set_num_threads(1)): each worker otherwise started a pool thread and OpenBLAS threads of
its own, num_workers x the cores in all."""
import torch
import torch.utils.data as tdata

import glasstorch as gt
import glasstorch.utils.data as gdata
from glasstorch.backend import threads


class _Threads(gdata.Dataset):
    """Each item: (get_num_threads(), OpenBLAS's thread count) inside the worker."""
    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return self.lib.get_num_threads(), threads.blas_num_threads()


def test_workers_run_one_thread_like_torch():
    before = gt.get_num_threads()
    gt.set_num_threads(2)
    try:
        want = [int(n) for n, _ in tdata.DataLoader(_Threads(torch), batch_size=None,
                                                    num_workers=1)]
        got = list(gdata.DataLoader(_Threads(gt), batch_size=None, num_workers=1))
        assert want == [1, 1]
        assert [n for n, _ in got] == want
        assert all(b in (None, 1) for _, b in got)       # OpenBLAS too, when found
        assert gt.get_num_threads() == 2                  # the main process keeps its count
    finally:
        gt.set_num_threads(before)
