"""`glasstorch exec script.py [args...]`: run a PyTorch program unchanged on glasstorch.

The import alias (glasstorch/alias.py) makes `torch[.x]` and `torchvision[.x]` import
glasstorch and glasstorch.vision; the script then runs as `__main__` with
`sys.argv = [script, *args]`, as `python script.py args` would (its exit code is the command's).

An exception in the script is the script's own error, so it is shown as Python shows it: the
traceback of the script's frames only (none of glasstorch's launcher), then exit status 1.
A BrokenPipeError because the reader of its output went away (`glasstorch exec s.py | head -1`)
is not: the command exits quietly with status 1, as every glasstorch command does (_cli_guard).
"""
import argparse
import os
import sys
import traceback

from .._cli_guard import pipe_closed
from .common import CLIError

__all__ = ["add_parser", "exec_script"]


def add_parser(subparsers):
    p = subparsers.add_parser(
        "exec", help="run a PyTorch script with `import torch` resolving to glasstorch",
        description=__doc__.split("\n\n")[0])
    p.add_argument("script", help="the Python file to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    p.set_defaults(run=exec_script)


def exec_script(args):
    from .. import alias
    if not os.path.isfile(args.script):
        raise CLIError(f"no such script: {args.script}")
    try:
        return alias.run(args.script, args.args)
    except RuntimeError as e:
        if "already imported" in str(e):      # alias.install() refused: not the script's error
            raise CLIError(str(e)) from None
        return _script_error(args.script)
    except KeyboardInterrupt:
        raise
    except BrokenPipeError:
        if pipe_closed(sys.stdout) or pipe_closed(sys.stderr):
            raise                             # the guard exits quietly
        return _script_error(args.script)
    except Exception:
        return _script_error(args.script)


def _script_error(script):
    """Print the traceback from the script's first frame on (as `python script.py` would)."""
    etype, value, tb = sys.exc_info()
    target = os.path.abspath(script)
    start = tb
    while start is not None and os.path.abspath(start.tb_frame.f_code.co_filename) != target:
        start = start.tb_next
    traceback.print_exception(etype, value, start or tb)
    return 1
