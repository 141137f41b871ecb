"""Run an extracted d2l chapter (d2l/<chapter>.py, made by extract.py) cell by cell as its own
`__main__` does, with two observations the tests need (the chapter's code is not touched):

    python run.py glasstorch|torch d2l/_notebook.py [--allow-errors] [--board] chapter...

Several chapters run one after the other in one process (each in a fresh namespace, under a
`=== chapter` line), which saves a framework start-up per chapter in CI.

--allow-errors  a cell that raises prints `<ErrorType>: <message>` and the next cells still
                run, as `jupyter nbconvert --execute --allow-errors` does (use-gpu on a
                CPU-only machine: torch itself raises on `X.cuda(1)` there).
--board         every point given to a d2l ProgressBoard (the training curves the book
                plots: train_loss, val_loss, val_acc against epochs) is also printed, as
                `board <label> x=<x> y=<y>`, so that the curves can be compared with torch's.
"""
import os
import runpy
import sys


def main(argv):
    allow_errors = "--allow-errors" in argv
    board = "--board" in argv
    if board:
        from d2l import torch as d2l
        draw = d2l.ProgressBoard.draw

        def printing_draw(self, x, y, label, every_n=1):
            print(f"board {label} x={float(x):.6f} y={float(y):.10f}")
            return draw(self, x, y, label, every_n)
        d2l.ProgressBoard.draw = printing_draw
    here = os.path.dirname(os.path.abspath(__file__))
    for chapter in [a for a in argv if not a.startswith("--")]:
        print(f"=== {chapter}")
        cells = runpy.run_path(os.path.join(here, chapter + ".py"), run_name="chapter")
        env = {"__name__": "__main__", "tab": cells["tab"]}
        for i, cell in enumerate(cells["CELLS"]):
            print(f"--- cell {i}")
            try:
                cells["_run"](cell, env)
            except Exception as e:
                if not allow_errors:
                    raise
                print(f"{type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
