"""Run a chapter script, then print the data of the figures it drew:

    python run.py glasstorch|torch d2l/plotted.py d2l/<chapter>.py

Much of what the d2l chapters show is a plot: `d2l.plot` curves and the training curves of
d2l's ProgressBoard (which a notebook shows and a script prints as "<Figure ...>" only). Under
the Agg backend the figures stay open, so after the chapter ends each figure's axes (labels,
legend) and the x/y data of their lines are printed, for test_d2l_*.py to compare with torch's.
The chapter runs unchanged; this only looks at its figures afterwards.
"""
import os
import runpy
import sys

import numpy as np


def _numbers(values):
    # 9 significant digits, exponents without "+" so that d2l_harness.FLOAT reads them whole
    return " ".join(f"{v:.9e}".replace("e+", "e")
                    for v in np.asarray(values, dtype=np.float64).ravel())


def print_axes(ax, name):
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()] if legend else []
    print(f"{name}: xlabel={ax.get_xlabel()!r} ylabel={ax.get_ylabel()!r} legend={labels}")
    for j, line in enumerate(ax.lines):
        print(f"line {j} ({line.get_label()}): {len(line.get_ydata())} points")
        print(f"  x: {_numbers(line.get_xdata())}")
        print(f"  y: {_numbers(line.get_ydata())}")


def print_before_clear():
    from matplotlib.axes import Axes
    clear = Axes.clear            # Axes.cla calls it too

    def printing_clear(self):
        if getattr(self, "lines", None):
            print_axes(self, "=== cleared axes")
        return clear(self)
    Axes.clear = printing_clear


def print_figures():
    import matplotlib.pyplot as plt
    for num in plt.get_fignums():
        fig = plt.figure(num)
        print(f"=== figure {num}: {len(fig.axes)} axes")
        for k, ax in enumerate(fig.axes):
            print_axes(ax, f"axes {k}")


if __name__ == "__main__":
    chapter = os.path.abspath(sys.argv[1])
    sys.argv = [chapter, *sys.argv[2:]]
    print_before_clear()
    runpy.run_path(chapter, run_name="__main__")
    print_figures()
