"""glasstorch export: a trained run as an ONNX model, to deploy with onnxruntime (C++, C#, Java,
JavaScript, mobile: any ONNX runtime).

    export RUN_OR_PT model.onnx [--opset N]
        the run's model in eval mode, with a dynamic batch axis (input "input", output
        "logits"); the class names and the input normalization go into the file's metadata,
        so `glasstorch predict model.onnx IMAGE` and examples/deploy_onnx.py can serve it

The export itself is glasstorch.onnx (trace -> ONNX graph -> onnx.checker); the metadata is
glasstorch.onnx.deploy.export_run.
"""
import os

from . import checks
from .common import CLIError
from .image_data import _load_run

__all__ = ["export", "add_parser"]


def export(args):
    """Write the run's model to an .onnx file and say how to run it."""
    if not args.output.endswith(".onnx"):
        raise CLIError(f"the output file should end in .onnx, got {args.output}")
    checks.writable_dir(os.path.dirname(args.output) or ".", f"{args.output}: its folder")
    model, run, path = _load_run(args.run_path)
    try:
        from ..onnx import DEFAULT_OPSET
        from ..onnx.deploy import export_run
        meta = export_run(model, run, args.output, opset_version=args.opset)
    except ImportError as e:
        raise CLIError(str(e)) from None
    except (ValueError, RuntimeError, OSError) as e:   # UnsupportedOperatorError included
        raise CLIError(f"cannot export {path}: {e}") from None
    size = os.path.getsize(args.output) / 1e6
    print(f"exported {run['model']} ({path}) to {args.output}: {size:.1f} MB, opset "
          f"{args.opset or DEFAULT_OPSET}, input {['batch', *meta['input_shape']]}, "
          f"{len(meta['classes'])} classes")
    print(f"run it: glasstorch predict {args.output} IMAGE   (onnxruntime), or "
          f"python examples/deploy_onnx.py {args.output} IMAGE")
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser("export", help="export a trained run to ONNX for deployment")
    p.add_argument("run_path", metavar="RUN_OR_PT", help="a run folder or a .pt checkpoint")
    p.add_argument("output", metavar="MODEL.onnx", help="the file to write")
    p.add_argument("--opset", type=int, default=None,
                   help="ONNX opset version (default 17, ir_version 8)")
    p.set_defaults(run=export)
