"""`glasstorch models` (the model zoo with parameter counts) and `glasstorch summary NAME`
(a model's layers with output shapes and parameter counts).
"""
from glasstorch.vision import models

from . import checks
from .common import CLIError
from .image_data import DATASETS, _build_model, _model_info


# ==== models and summary =========================================================================

def list_zoo(args):
    """The zoo: name, parameters at the default configuration, input, description."""
    print(f"{'model':<20}{'parameters':>13}  {'default input':<16}{'classes':>8}  "
          f"{'min size':>8}  description")
    for name in models.list_models():
        info = models.get_model_info(name)
        shape = "x".join(str(s) for s in info.input_shape)
        print(f"{name:<20}{info.num_params:>13,}  {shape:<16}{info.num_classes:>8}  "
              f"{info.min_input_size:>8}  {info.description}")
    print("train one: glasstorch train --model NAME --dataset "
          f"{{{','.join(DATASETS)}}}; layers: glasstorch summary NAME")
    return 0


def summary(args):
    """Layer-by-layer output shapes and parameter counts of a zoo model."""
    info = _model_info(args.model)
    shape = tuple(args.input_size) if args.input_size else info.input_shape
    if min(shape) < 1:
        raise CLIError("--input-size must be 3 sizes >= 1 (C H W), got "
                       + " ".join(map(str, shape)))
    checks.at_least("num_classes", args.num_classes)
    checks.at_least("batch_size", args.batch_size)
    checks.at_least("depth", args.depth, low=0)
    kwargs = {"in_channels": shape[0], "input_size": (shape[1], shape[2]),
              "num_classes": args.num_classes or info.num_classes}
    model = _build_model(args.model, kwargs)
    print(models.summary(model, (args.batch_size, *shape), depth=args.depth))
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser("models", help="list the model zoo with parameter counts")
    p.set_defaults(run=list_zoo)

    p = subparsers.add_parser("summary", help="a model's layers, output shapes and parameters")
    p.add_argument("model")
    p.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"),
                   help="input shape without the batch (default: the model's default input)")
    p.add_argument("--num-classes", type=int, help="outputs (default: the model's default)")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--depth", type=int, default=3, help="nesting depth shown (default 3)")
    p.set_defaults(run=summary)
