"""The command line never shows a traceback: `run(main)` turns any error that escapes a
command into one line on stderr and a non-zero exit status. GLASSTORCH_DEBUG=1 lets the
exception (and its traceback) through, for bug reports.

Exit statuses: 0 success, 1 an error (a bad input, a file that cannot be read or written, ...),
2 bad usage (argparse), 130 interrupted (Ctrl-C).
"""
import errno
import os
import sys

__all__ = ["run", "console", "describe"]


def debug_enabled():
    return os.environ.get("GLASSTORCH_DEBUG", "") not in ("", "0")


def describe(e):
    """One line saying what went wrong, in words a user can act on."""
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        where = f" writing {e.filename}" if e.filename else ""
        return f"no space left on device{where}; free some space and run again"
    if isinstance(e, OSError) and e.filename and e.strerror:
        return f"{e.strerror}: {e.filename}"
    if isinstance(e, MemoryError):
        return "out of memory (try a smaller --batch-size or model)"
    text = " ".join(str(e).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def run(main, argv=None):
    """main(argv)'s exit status; an escaping exception becomes one line on stderr."""
    try:
        return main(argv)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        print("glasstorch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:          # `glasstorch models | head`: the reader went away
        sys.stderr.close()
        return 1
    except BaseException as e:       # noqa: BLE001 - the one place that turns errors into lines
        if debug_enabled():
            raise
        print(f"glasstorch: error: {describe(e)} (GLASSTORCH_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1


def console():
    """The `glasstorch` console script."""
    from .cli import main
    sys.exit(run(main))
