"""glasstorch run / tune: many processes and many trials.

    run    start N processes of a script under mpirun (glasstorch.distributed's launcher,
           distributed/run.py): `glasstorch run -n 2 examples/ddp_mnist.py`
    tune   hyperparameter search of `glasstorch train` on Optuna (train/tune.py): every train
           option is a fixed value, a range (1e-4:0.1:log, 2:6) or choices (sgd,adam)
"""
import os

from ..distributed import run as _run
from ..train import Callback, tune as _tune
from .common import CLIError


def run(args):
    return _run.launch(args)


def tune(args):
    from .image import TRAIN_OPTIONS, TRAIN_TYPES      # (image.py imports this module)
    train_options = []
    for key in TRAIN_OPTIONS:
        value = getattr(args, "train_" + key, None)
        if value is True:
            train_options.append("--" + key.replace("_", "-"))
        elif value is not None:
            _check_numeric(key, value, TRAIN_TYPES.get(key))
            train_options += ["--" + key.replace("_", "-"), value]
    try:
        return _tune.tune(args, train_options)
    except _tune.TuneError as e:
        raise CLIError(str(e)) from None


def _check_numeric(key, text, kind):
    """A numeric train option given to tune (fixed, LOW:HIGH[:log] or A,B,...) must hold
    numbers of its type, checked before any trial starts (else every trial fails alike)."""
    if kind is None:
        return
    try:
        spec = _tune.parse_value(text)
    except _tune.TuneError as e:
        raise CLIError(f"--{key.replace('_', '-')}: {e}") from None
    if isinstance(spec, dict):
        values = spec.get("choices", [spec.get("low"), spec.get("high")])
    else:
        values = [spec]
    ok = (int,) if kind is int else (int, float)
    if not values or not all(isinstance(v, ok) and not isinstance(v, bool) for v in values):
        raise CLIError(f"--{key.replace('_', '-')} {text!r}: expected {kind.__name__} "
                       "values: a number, a range LOW:HIGH[:log] or choices A,B,...")


def add_parser(subparsers):
    p = subparsers.add_parser("run", help="run a script on N processes (mpirun)",
                              description=_run.__doc__.split("\n\n")[0])
    _run.add_arguments(p)
    p.set_defaults(run=run)
    p = subparsers.add_parser("tune", help="hyperparameter search of train on Optuna",
                              description=_tune.__doc__.split("\n\n")[0])
    _tune.add_arguments(p)
    from .image import TRAIN_OPTIONS
    for key, (default, text) in TRAIN_OPTIONS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            p.add_argument(flag, dest="train_" + key, action="store_const", const=True,
                           default=None, help=text)
        else:
            p.add_argument(flag, dest="train_" + key, default=None, metavar="VALUE|RANGE",
                           help=text)
    p.set_defaults(run=tune)


# ---- train --nproc N: data-parallel `glasstorch train` -----------------------------------------
def _launched():
    return "OMPI_COMM_WORLD_SIZE" in os.environ


def relaunch_train(args, options, run_dir):
    """`glasstorch train --nproc N ...` outside mpirun: start N ranks of the same command,
    all writing to one run folder (fixed here, so that the ranks agree on it)."""
    if args.resume:
        raise CLIError("--nproc cannot be combined with --resume")
    flags = []
    for key in options:
        value = getattr(args, key, None)
        if value is True:
            flags.append("--" + key.replace("_", "-"))
        elif value not in (None, False):
            flags += ["--" + key.replace("_", "-"), str(value)]
    try:
        cmd, env = _run.mpirun_command(args.nproc, module="glasstorch",
                                       args=["train", *flags, "--out", run_dir,
                                             "--nproc", str(args.nproc)])
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(str(e)) from None
    return _run.run(cmd, env)


class _SetEpoch(Callback):
    """DistributedSampler.set_epoch at each epoch start: a new shuffle, the same on all ranks."""

    def __init__(self, sampler):
        self.sampler = sampler

    def on_epoch_start(self, trainer, epoch):
        self.sampler.set_epoch(epoch)


def data_parallel(model, train_set, batch_size, seed):
    """Inside a rank: (DDP model, this rank's loader, rank, callbacks); the global batch stays
    `batch_size` (each rank takes batch_size / N of it)."""
    import glasstorch.distributed as dist
    from glasstorch.nn.parallel import DistributedDataParallel
    from glasstorch.utils.data import DataLoader, DistributedSampler
    if not dist.is_initialized():
        dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise CLIError(f"--batch-size {batch_size} must split evenly over --nproc {world}")
    sampler = DistributedSampler(train_set, shuffle=True, seed=seed)
    loader = DataLoader(train_set, batch_size=batch_size // world, sampler=sampler)
    return DistributedDataParallel(model), loader, rank, [_SetEpoch(sampler)]
