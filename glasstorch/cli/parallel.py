"""glasstorch run / tune: many processes and many trials.

    run    start N processes of a script under mpirun (glasstorch.distributed's launcher,
           distributed/run.py): `glasstorch run -n 2 examples/ddp_mnist.py`
    tune   hyperparameter search of `glasstorch train` on Optuna (train/tune.py): every train
           option is a fixed value, a range (1e-4:0.1:log, 2:6) or choices (sgd,adam)
"""
from ..distributed import run as _run
from ..train import tune as _tune
from .common import CLIError
from .image import TRAIN_OPTIONS


def run(args):
    return _run.launch(args)


def tune(args):
    train_options = []
    for key in TRAIN_OPTIONS:
        value = getattr(args, "train_" + key, None)
        if value is True:
            train_options.append("--" + key.replace("_", "-"))
        elif value is not None:
            train_options += ["--" + key.replace("_", "-"), value]
    try:
        return _tune.tune(args, train_options)
    except _tune.TuneError as e:
        raise CLIError(str(e)) from None


def add_parser(subparsers):
    p = subparsers.add_parser("run", help="run a script on N processes (mpirun)",
                              description=_run.__doc__.split("\n\n")[0])
    _run.add_arguments(p)
    p.set_defaults(run=run)
    p = subparsers.add_parser("tune", help="hyperparameter search of train on Optuna",
                              description=_tune.__doc__.split("\n\n")[0])
    _tune.add_arguments(p)
    for key, (default, text) in TRAIN_OPTIONS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            p.add_argument(flag, dest="train_" + key, action="store_const", const=True,
                           default=None, help=text)
        else:
            p.add_argument(flag, dest="train_" + key, default=None, metavar="VALUE|RANGE",
                           help=text)
    p.set_defaults(run=tune)
