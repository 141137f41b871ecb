"""Run chapter scripts, each followed by what its figures show, so plots can be compared:

    python with_figures.py chapter.py [more.py ...]

Many d2l cells print nothing: their result is a plot (`d2l.plot`, `d2l.show_heatmaps`) or the
training curves of d2l's ProgressBoard, which `display()` shows as "<Figure ...>" only. Under
the Agg backend the figures stay open; after the chapter ends this prints, figure by figure,
each axes' labels, title and legend, the x/y data of its lines and the pixels of its images
(the heatmaps' matrices) as numbers. Not part of the book: a window onto its output.
"""
import os
import runpy
import sys

import numpy as np


def _numbers(values):
    # 9 significant digits, the exponent without "+" (1.5e00) so d2l_harness reads every number
    return " ".join(f"{float(v):.9e}".replace("e+", "e")
                    for v in np.asarray(values, dtype=np.float64).ravel())


def dump_figures():
    import matplotlib.pyplot as plt
    for num in plt.get_fignums():
        fig = plt.figure(num)
        print(f"=== figure {num}: {len(fig.axes)} axes")
        for k, ax in enumerate(fig.axes):
            legend = ax.get_legend()
            labels = [t.get_text() for t in legend.get_texts()] if legend else []
            print(f"axes {k}: xlabel={ax.get_xlabel()!r} ylabel={ax.get_ylabel()!r} "
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


if __name__ == "__main__":
    # several chapters in one process save an interpreter start and the imports of torch and
    # d2l per chapter; each runs in its own namespace and its figures are closed after it
    import matplotlib.pyplot as plt
    for chapter in map(os.path.abspath, sys.argv[1:]):
        print(f"##### {os.path.basename(chapter)}")
        sys.argv = [chapter]
        runpy.run_path(chapter, run_name="__main__")
        dump_figures()
        plt.close("all")
