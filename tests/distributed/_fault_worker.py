"""Rank 1 fails (raises, or is killed) while rank 0 waits in a collective."""
import os
import signal
import sys

import glasstorch as torch
import glasstorch.distributed as dist

dist.init_process_group()
t = torch.ones(4)
dist.all_reduce(t)
if dist.get_rank() == 1:
    if sys.argv[1] == "raise":
        raise ValueError("bad batch in rank 1")
    os.kill(os.getpid(), signal.SIGKILL)
dist.all_reduce(t)     # rank 0 waits here for a partner that never comes
print("rank 0 was not stopped")
