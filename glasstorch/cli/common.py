"""What every command shares: `CLIError` (a user error: `main` prints it as one line, no
traceback, and exits with 1) and the progress bars (tqdm's when installed, else a plain text
bar on stderr).
"""
import sys


class _TextBar:
    """A tiny stand-in for tqdm (an optional extra): `[#####.....] 50/100 loss 0.0123`,
    redrawn in place on a terminal, one line per tenth of the run in a log file."""

    def __init__(self, total, width=30):
        self.total, self.width, self.n = total, width, 0
        self.tty = sys.stderr.isatty()
        self.every = max(1, total // (100 if self.tty else 10))

    def update(self, loss):
        self.n += 1
        if self.n % self.every and self.n != self.total:
            return
        filled = self.width * self.n // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {self.n}/{self.total} loss {loss:.4g}"
        sys.stderr.write("\r" + line if self.tty else line + "\n")
        sys.stderr.flush()

    def close(self):
        if self.tty:
            sys.stderr.write("\n")


class _TqdmBar:
    """tqdm's bar, with the current loss shown after it."""

    def __init__(self, total):
        from tqdm import tqdm
        self.bar = tqdm(total=total, unit="step")

    def update(self, loss):
        self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


def _progress_bar(total):
    try:
        return _TqdmBar(total)
    except ImportError:
        return _TextBar(total)


def close_bar(callback):
    """Close an interrupted epoch's bar (a ProgressBar callback's) at once, so that it is not
    redrawn when garbage collected, after the last line the user should read."""
    bar = getattr(callback, "bar", None)
    if bar is not None:
        bar.close()
        callback.bar = None


# ==== shared by train / eval / predict ==========================================================

class CLIError(Exception):
    """A user error: main prints `glasstorch <command>: error: <message>` and exits with 1."""
