"""Process groups on MPI: init_process_group, ranks, new_group, ReduceOp.

torch.distributed runs one process per device and talks through a backend (NCCL, Gloo, MPI).
glasstorch uses MPI through mpi4py: `glasstorch run -n 2 script.py` starts the processes with
`mpirun`, and `init_process_group()` finds them. A ProcessGroup is an MPI communicator plus the
list of global ranks in it. collectives.py holds the operations; read it next.
"""
import os
import sys
import datetime
import traceback

__all__ = ["Backend", "ReduceOp", "ProcessGroup", "GroupMember", "group", "init_process_group",
           "destroy_process_group", "is_initialized", "is_available", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "is_torchelastic_launched", "get_rank",
           "get_world_size", "get_backend", "new_group", "get_global_rank", "get_group_rank",
           "get_process_group_ranks", "default_pg_timeout"]

default_pg_timeout = datetime.timedelta(minutes=30)


class Backend(str):
    """The backend's name; glasstorch has one: "mpi"."""
    UNDEFINED, GLOO, NCCL, UCC, MPI = "undefined", "gloo", "nccl", "ucc", "mpi"

    def __new__(cls, name):
        return str.__new__(cls, str(name).lower())


class ReduceOp:
    """How all_reduce / reduce / reduce_scatter combine the ranks' tensors."""
    SUM, AVG, PRODUCT, MIN, MAX = "SUM", "AVG", "PRODUCT", "MIN", "MAX"
    BAND, BOR, BXOR, PREMUL_SUM, UNUSED = "BAND", "BOR", "BXOR", "PREMUL_SUM", "UNUSED"
    RedOpType = str


def _mpi():
    """mpi4py's MPI module, imported on first use (the `distributed` extra installs it)."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError("glasstorch.distributed needs mpi4py and an MPI library: "
                           "pip install 'glasstorch[distributed]' and apt-get install "
                           f"openmpi-bin libopenmpi-dev ({e})") from None
    return MPI


class ProcessGroup:
    """An MPI communicator and the global ranks it contains (rank i of the group is
    global rank ranks[i])."""

    def __init__(self, comm, ranks):
        self.comm, self.ranks = comm, list(ranks)

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def name(self):
        return "mpi"

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', ranks={self.ranks})"


class GroupMember:
    WORLD = None          # the default group, set by init_process_group
    NON_GROUP_MEMBER = -100


group = GroupMember       # torch: dist.group.WORLD


def is_available():
    return True


def is_mpi_available():
    try:
        _mpi()
    except RuntimeError:
        return False
    return True


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return False


def _launched_by_mpirun():
    return any(k in os.environ for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default group: every process started by `mpirun` (or `glasstorch run`) calls it.

    backend: "mpi" (the default, and the only one). world_size/rank may be given only to
    confirm what MPI says. A process started without mpirun is a world of size 1.
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and Backend(backend) != Backend.MPI:
        raise ValueError(f"init_process_group: backend {backend!r} is not available in "
                         "glasstorch; use backend='mpi' (launch with `glasstorch run -n N`)")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError(f"init_process_group: world_size={world_size} but mpirun started "
                         f"{comm.Get_size()} processes")
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError(f"init_process_group: rank={rank} but MPI says this is rank "
                         f"{comm.Get_rank()}")
    GroupMember.WORLD = ProcessGroup(comm, range(comm.Get_size()))
    # torch's launcher variables, for scripts that read them
    local = os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", "0")
    os.environ.update(RANK=str(comm.Get_rank()), WORLD_SIZE=str(comm.Get_size()),
                      LOCAL_RANK=local,
                      LOCAL_WORLD_SIZE=os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE", "1"))
    if comm.Get_size() > 1:
        _install_abort_on_error(comm)


def _install_abort_on_error(comm):
    """A rank that raises must not leave the others blocked in a collective forever: print the
    error with the rank's number, then MPI_Abort, which makes mpirun stop every rank."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        if kind is KeyboardInterrupt:
            return previous(kind, value, tb)
        r = comm.Get_rank()
        sys.stderr.write(f"glasstorch.distributed: rank {r} raised "
                         f"{kind.__name__}: {value}\n")
        if os.environ.get("GLASSTORCH_DEBUG"):
            traceback.print_exception(kind, value, tb)
        sys.stderr.write(f"glasstorch.distributed: rank {r} failed; stopping all "
                         f"{comm.Get_size()} ranks\n")
        sys.stderr.flush()
        comm.Abort(1)

    sys.excepthook = hook
    _install_abort_on_error.previous = previous


def destroy_process_group(group=None):
    if group is None or group is GroupMember.WORLD:
        if GroupMember.WORLD is not None and hasattr(_install_abort_on_error, "previous"):
            sys.excepthook = _install_abort_on_error.previous
        GroupMember.WORLD = None
    elif group.comm is not None:
        group.comm.Free()
        group.comm = None


def is_initialized():
    return GroupMember.WORLD is not None


def _world():
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return GroupMember.WORLD


def _pg(group):
    return _world() if group is None else group


def get_rank(group=None):
    """This process's rank in `group` (-1 if it is not a member)."""
    pg = _pg(group)
    return -1 if pg.comm is None else pg.comm.Get_rank()


def get_world_size(group=None):
    pg = _pg(group)
    return -1 if pg.comm is None else pg.comm.Get_size()


def get_backend(group=None):
    _pg(group)
    return Backend(Backend.MPI)


def get_process_group_ranks(group):
    return list(_pg(group).ranks)


def get_global_rank(group, group_rank):
    return _pg(group).ranks[group_rank]


def get_group_rank(group, global_rank):
    ranks = _pg(group).ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {ranks}")
    return ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some ranks; every rank of the world must call it (as in torch). Ranks
    outside the group get a group object on which they may not communicate."""
    world = _world()
    n = world.size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if not 0 <= r < n]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks {ranks} must be distinct and in [0, {n})")
    MPI = _mpi()
    comm = world.comm.Create(world.comm.Get_group().Incl(ranks))  # collective over the world
    return ProcessGroup(None if comm == MPI.COMM_NULL else comm, ranks)
