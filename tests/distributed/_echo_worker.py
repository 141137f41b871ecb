"""Prints what each rank sees; with argv 'wait' rank 0 sleeps (to be interrupted)."""
import os
import sys
import time

import glasstorch.distributed as dist

dist.init_process_group()
print(f"rank {dist.get_rank()} of {dist.get_world_size()} RANK={os.environ['RANK']} "
      f"threads={os.environ['OMP_NUM_THREADS']} args={sys.argv[1:]}", flush=True)
if sys.argv[1:] == ["wait"]:
    print("waiting", flush=True)
    time.sleep(60)
