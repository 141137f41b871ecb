"""Run a chapter script (the argument) and then print every point d2l's ProgressBoard was
asked to draw: `curve <label> <x> <y>`, one line each, in drawing order. The d2l chapters
show their training curves as figures only; these lines let test_d2l_*.py compare the
losses of glasstorch and torch step by step. The chapter itself runs unchanged."""
import runpy
import sys

from d2l import torch as d2l

points = []
_draw = d2l.ProgressBoard.draw


def _recording_draw(self, x, y, label, every_n=1):
    points.append((label, float(x), float(y)))
    return _draw(self, x, y, label, every_n)


d2l.ProgressBoard.draw = _recording_draw
script, sys.argv = sys.argv[1], sys.argv[1:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    for label, x, y in points:
        print(f"curve {label} {x:.9e} {y:.9e}")
