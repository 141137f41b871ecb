"""The command line: `python -m glasstorch [command] [options]`, also installed as `glasstorch`.

    demo (default)  fit y = Xw + b + noise by hand-written minibatch SGD with autograd, then
                    save a checkpoint and a loss plot into runs/<name>/ (see `demo --help`)
    train           train a zoo model on an image dataset (default: LeNet on the bundled MNIST
                    subset) into a run folder: config.json, metrics.jsonl, best.pt, last.pt,
                    curves.png, confusion_matrix.png, results.json; `--model lstm-lm` trains
                    the character language model of The Time Machine instead
    eval            accuracy and loss of a run (or checkpoint) on its dataset's test split
    predict         class probabilities of image files (PNG/JPEG via Pillow, or .npy), from a
                    checkpoint or from an .onnx file (onnxruntime)
    export          a trained run as an .onnx file for deployment (onnxruntime, C++, mobile)
    models          the model zoo with parameter counts
    summary         a model's layers with output shapes and parameter counts
    exec            run a PyTorch script unchanged: `import torch` gives glasstorch
    lab             learners' questions answered by measured experiments (list, run, report)
    run             run a script on N processes under mpirun (glasstorch.distributed)
    tune            hyperparameter search of `train` on Optuna (any option fixed or a range)

One module per command family:
    common.py       CLIError (a user error) and the progress bars every command shares
    demo.py         demo
    image.py        train, and the parsers of eval, predict (image_eval.py: eval and predict;
                    image_data.py: datasets, models, run folders)
    lm.py           train --model lstm-lm (image.py's `train` dispatches to it)
    export.py       export (glasstorch.onnx.deploy does the work)
    zoo.py          models, summary
    exec.py         exec (the import alias of glasstorch/alias.py)
    lab.py          lab (the commands live in glasstorch/lab/cli.py)
    parallel.py     run, tune (logic in distributed/run.py and train/tune.py)

Adding a command family: write glasstorch/cli/<family>.py with
    - one function per command, taking the parsed `args` and returning the exit code (0 when
      all went well); a user error raises CLIError(message), which main prints as one line
      `glasstorch <command>: error: <message>` (exit code 1), never as a traceback;
    - `add_parser(subparsers)`, which adds the family's commands with
      `p = subparsers.add_parser(name, help=...)`, their options with `p.add_argument(...)`,
      and binds each to its function with `p.set_defaults(run=function)`;
then add the module to COMMAND_MODULES below: that one line registers it.

This is the top layer: it only uses the public API (glasstorch.vision.models, .datasets,
.transforms, glasstorch.train, glasstorch.text). The demo's loop, without the command-line
plumbing, is examples/linear_regression.py; `train` is glasstorch.train.Trainer plus callbacks.
"""
import argparse
import sys

from . import demo, exec as exec_, export, image, lab, parallel, zoo
from .common import CLIError

__all__ = ["main", "CLIError", "COMMAND_MODULES"]

# the command families, in `--help` order; each module has add_parser(subparsers)
COMMAND_MODULES = [demo, image, export, zoo, exec_, lab, parallel]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `glasstorch train: error: argument --epochs: invalid
    int value: 'x' (see glasstorch train --help)` on stderr, exit status 2; --help stays full.
    Subparsers are made of the same class (argparse's default parser_class)."""

    def error(self, message):
        message = " ".join(str(message).split())
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _parser():
    """The argument parser and its subparsers (whose .choices are the command names)."""
    parser = _Parser(prog="glasstorch", description=__doc__.split("\n")[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_parser(subparsers)
    return parser, subparsers


def main(argv=None):
    """Parse `argv` (default sys.argv[1:]) and run the command; `demo` when none is named.
    A user error prints one line on stderr and returns 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, subparsers = _parser()
    if argv and not argv[0].startswith("-") and argv[0] not in subparsers.choices:
        parser.error(f"unknown command {argv[0]!r} (choose from "
                     f"{', '.join(subparsers.choices)})")
    if not argv or argv[0] not in (*subparsers.choices, "-h", "--help"):
        argv = ["demo", *argv]
    args, extra = parser.parse_known_args(argv)
    if extra:   # named after the command, not after the top-level parser
        subparsers.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.run(args)
    except CLIError as e:
        message = " ".join(str(e).split())      # one line, whatever the cause's message
        print(f"glasstorch {args.command}: error: {message}", file=sys.stderr)
        return 1
