"""glasstorch.distributed: torch.distributed's API on MPI (mpi4py).

    glasstorch run -n 2 train.py         # = mpirun -n 2 python train.py

    import glasstorch.distributed as dist
    dist.init_process_group()             # backend="mpi"
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

process_group.py: joining, ranks, groups; collectives.py: the operations;
nn/parallel/distributed.py: DistributedDataParallel built on them; launch.py: `glasstorch run`.
"""
from .process_group import *  # noqa: F401,F403
from .collectives import *  # noqa: F401,F403

