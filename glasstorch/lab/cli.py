"""`glasstorch lab list | run | report`: the command-line face of the Lab.

add_parser(subparsers) registers `lab` on the glasstorch CLI; `python -m glasstorch.lab ...`
runs the same commands stand-alone. User errors print one line and return 1 (GLASSTORCH_DEBUG=1
re-raises them with the traceback).
"""
import argparse
import os
import sys
import time
import traceback

from . import catalog
from .runner import FRAMEWORKS, default_out, load_records, run_experiment

__all__ = ["add_parser", "run_command", "main"]


def add_parser(sub):
    """Add the `lab` command (with list/run/report) to an argparse subparsers object."""
    p = sub.add_parser("lab", help="learners' questions answered by measured experiments",
                       description="The Lab: seeded experiments whose numbers decide a verdict "
                       "on a claim from learners' notes.")
    _fill(p)
    return p


def _fill(p):
    lab = p.add_subparsers(dest="lab_command", required=True)
    q = lab.add_parser("list", help="experiments with their last verdict")
    q.add_argument("--topic", type=int, help="only this topic number")
    q.add_argument("--out", help="results folder read for the last verdicts (default runs/lab)")
    q = lab.add_parser("run", help="run experiments; writes <id>.json/.png/.txt")
    q.add_argument("ids", nargs="*", metavar="ID")
    q.add_argument("--topic", type=int, help="every experiment of this topic")
    q.add_argument("--all", action="store_true", help="every experiment")
    q.add_argument("--quick", action="store_true", help="small sizes (<= 10 s each)")
    q.add_argument("--seeds", type=int, help="number of seeds (>= 2; default 3, quick 2)")
    q.add_argument("--framework", choices=FRAMEWORKS, default="glasstorch",
                   help="run on glasstorch (default) or on real torch")
    q.add_argument("--out", help="results folder (default runs/lab, runs/lab-torch for torch)")
    q = lab.add_parser("report", help="one static HTML page of the records")
    q.add_argument("--out", help="results folder (default runs/lab); writes OUT/index.html")


class LabError(Exception):
    pass


def _list(args):
    exps = catalog.select(topic=args.topic) if args.topic is not None else catalog.select(all=True)
    records = load_records(args.out or default_out())
    for e in exps:
        rec = records.get(e.id)
        verdict = rec["verdict"]["outcome"] if rec else "-"
        print(f"{e.id:32s} {e.topic:2d}  {verdict:9s}  {e.question}")
    return 0


def _run(args):
    if not (args.ids or args.topic is not None or args.all):
        raise LabError("name experiment ids, --topic T or --all")
    try:
        exps = catalog.select(args.ids, args.topic, args.all)
    except KeyError as e:
        raise LabError(e.args[0]) from None
    seeds = None
    if args.seeds is not None:
        if args.seeds < 2:
            raise LabError(f"--seeds must be at least 2 (comparisons use the seed spread), "
                           f"got {args.seeds}")
        seeds = list(range(args.seeds))
    out = args.out or default_out(args.framework)
    failures = 0
    for e in exps:
        t0 = time.perf_counter()
        try:
            rec = run_experiment(e, args.framework, args.quick, seeds, out)
        except Exception as err:        # one experiment failing must not stop the others
            if os.environ.get("GLASSTORCH_DEBUG"):
                traceback.print_exc()
            print(f"{e.id:32s} ERROR {type(err).__name__}: {' '.join(str(err).split())}",
                  file=sys.stderr)
            failures += 1
            continue
        v = rec["verdict"]
        print(f"{e.id:32s} {v['outcome']:9s} {time.perf_counter() - t0:6.1f}s  "
              f"{' '.join(v['text'].split())[:160]}")
    print(f"records in {out}/")
    if failures:
        raise LabError(f"{failures} of {len(exps)} experiments failed")
    return 0


def _report(args):
    from .report import build_report
    try:
        path = build_report(args.out or default_out())
    except FileNotFoundError as e:
        raise LabError(str(e)) from None
    print(path)
    return 0


def run_command(args):
    """Run a parsed `lab` command; returns the exit status."""
    try:
        return {"list": _list, "run": _run, "report": _report}[args.lab_command](args)
    except (LabError, KeyError, ValueError) as e:
        if os.environ.get("GLASSTORCH_DEBUG"):
            raise
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"glasstorch lab {args.lab_command}: error: {' '.join(str(msg).split())}",
              file=sys.stderr)
        return 1


def main(argv=None):
    p = argparse.ArgumentParser(prog="glasstorch lab")
    _fill(p)
    return run_command(p.parse_args(argv))
