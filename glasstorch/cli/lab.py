"""`glasstorch lab list | run | report`: registers the Lab's command (its logic lives in
glasstorch/lab/cli.py, next to the experiments it runs)."""
from ..lab import cli as _lab_cli


def add_parser(subparsers):
    p = _lab_cli.add_parser(subparsers)
    p.set_defaults(run=_lab_cli.run_command)
