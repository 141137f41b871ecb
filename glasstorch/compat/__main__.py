"""python -m glasstorch.compat [--check] [--out PATH]: write (or check) docs/COMPATIBILITY.md."""
import argparse
import os
import sys


def default_path():
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(here, "docs", "COMPATIBILITY.md")


def build():
    try:
        import torch
    except ImportError:
        sys.exit("glasstorch.compat needs torch installed (it is the spec the census reads): "
                 "pip install 'glasstorch[test]'")
    from .census import census, summary, NAMESPACES
    from .report import render
    data = census()
    return render(data, torch.__version__.split("+")[0]), {ns: summary(data[ns])
                                                           for ns in NAMESPACES}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m glasstorch.compat", description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    ap.add_argument("--out", default=default_path())
    args = ap.parse_args(argv)
    text, sums = build()
    for ns, (n, pres, comp, miss) in sums.items():
        print(f"{ns:22s} {pres:4d}/{n:<4d} present ({100.0 * pres / max(n, 1):5.1f}%), "
              f"{comp:4d} with torch's signature ({100.0 * comp / max(n, 1):5.1f}%)")
    if args.check:
        old = open(args.out).read() if os.path.exists(args.out) else ""
        if old != text:
            print(f"{args.out} is stale: run python -m glasstorch.compat", file=sys.stderr)
            return 1
        return 0
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:          # `python -m glasstorch.compat | head`: no traceback
        sys.stderr.close()
        sys.exit(0)
