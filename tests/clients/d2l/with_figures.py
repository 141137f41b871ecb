"""Run a chapter script, then print what its figures show, so plotted results can be compared:

    python with_figures.py [--cleared] chapter.py
    python with_figures.py --each chapter.py more.py ...

Many d2l cells print nothing: their result is a plot (`d2l.plot`, `d2l.show_heatmaps`) or the
training curves of d2l's ProgressBoard, which `display()` shows as "<Figure ...>" only. Under
the Agg backend the figures stay open; after the chapter ends this prints, figure by figure,
each axes' labels, title and legend, the x/y data of its lines and the pixels of its images
(the heatmaps' matrices) as numbers. With --cleared, axes that the chapter clears to draw
again (`d2l.plot` does, on the current figure: mlp's six activation plots share one) are
printed the same way just before they are cleared, where the cell runs. With --each, several
chapters run in one process (saving a start of torch and d2l per chapter), each in its own
namespace under a `##### chapter.py` line, its figures printed and closed after it.
Not part of the book: a window onto its output.
"""
import os
import runpy
import sys

import numpy as np


def _numbers(values):
    # 9 significant digits, the exponent without "+" (1.5e00) so d2l_harness reads every number
    return " ".join(f"{float(v):.9e}".replace("e+", "e")
                    for v in np.asarray(values, dtype=np.float64).ravel())


def print_axes(ax, name):
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()] if legend else []
    print(f"{name}: xlabel={ax.get_xlabel()!r} ylabel={ax.get_ylabel()!r} "
          f"title={ax.get_title()!r} legend={labels}")
    for j, line in enumerate(ax.lines):
        x, y = line.get_xdata(), line.get_ydata()
        print(f"line {j}: {len(y)} points")
        print(f"  x: {_numbers(x)}")
        print(f"  y: {_numbers(y)}")
    for j, image in enumerate(ax.images):
        a = np.asarray(image.get_array())
        print(f"image {j}: shape {a.shape}")
        print(f"  {_numbers(a)}")


def print_before_clear():
    from matplotlib.axes import Axes
    clear = Axes.clear                    # Axes.cla calls it too

    def printing_clear(self):
        if getattr(self, "lines", None) or getattr(self, "images", None):
            print_axes(self, "cleared axes")
        return clear(self)
    Axes.clear = printing_clear


def dump_figures():
    import matplotlib.pyplot as plt
    for num in plt.get_fignums():
        fig = plt.figure(num)
        print(f"=== figure {num}: {len(fig.axes)} axes")
        for k, ax in enumerate(fig.axes):
            print_axes(ax, f"axes {k}")


def main():
    if sys.argv[1] == "--cleared":
        print_before_clear()
        del sys.argv[1]
    if sys.argv[1] == "--each":
        import matplotlib.pyplot as plt
        for chapter in map(os.path.abspath, sys.argv[2:]):
            print(f"##### {os.path.basename(chapter)}")
            sys.argv = [chapter]
            runpy.run_path(chapter, run_name="__main__")
            dump_figures()
            plt.close("all")
        return
    chapter = os.path.abspath(sys.argv[1])
    sys.argv = [chapter, *sys.argv[2:]]
    runpy.run_path(chapter, run_name="__main__")
    dump_figures()


if __name__ == "__main__":
    main()
