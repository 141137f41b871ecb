"""The command line never shows a traceback: `run(main)` turns any error that escapes a
command into one line on stderr and a non-zero exit status. GLASSTORCH_DEBUG=1 lets the
exception (and its traceback) through, for bug reports.

Exit statuses: 0 success, 1 an error (a bad input, a file that cannot be read or written, ...;
also a reader that closed the pipe early, `glasstorch models | head -1`, which exits quietly as
Python's docs recommend: see "Note on SIGPIPE" in the `signal` module), 2 bad usage (argparse),
130 interrupted (Ctrl-C).
"""
import errno
import os
import select
import sys

__all__ = ["run", "console", "describe", "pipe_closed", "quiet_closed_pipes",
           "quiet_interrupt_while_importing"]


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


def pipe_closed(stream):
    """True when `stream` is a pipe whose reader has gone (`| head -1` finished): poll()
    reports POLLERR on such a pipe without writing to it. False where poll() is missing."""
    try:
        poller = select.poll()
        poller.register(stream.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def quiet_closed_pipes():
    """Point stdout (and stderr) at /dev/null when their reader has gone, as Python's docs
    recommend: the flush at exit then finds a reader and no second BrokenPipeError
    ('Exception ignored in ...') is printed. True when one of them was closed."""
    closed = False
    for stream in (sys.stdout, sys.stderr):
        if pipe_closed(stream):
            closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
    return closed


def _flush_stdout():
    stream = sys.stdout
    if stream is not None and not stream.closed:
        stream.flush()


def run(main, argv=None):
    """main(argv)'s exit status; an escaping exception becomes one line on stderr."""
    try:
        try:
            return main(argv)
        finally:    # flush here, not at exit: a reader that left early raises inside the guard
            _flush_stdout()
    except SystemExit:
        raise
    except BrokenPipeError as e:     # `glasstorch models | head -1`: the reader went away
        if quiet_closed_pipes():
            return 1
        return _error_line(e)
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        print("glasstorch: interrupted", file=sys.stderr)
        return 130
    except BaseException as e:       # noqa: BLE001 - the one place that turns errors into lines
        return _error_line(e)


def _error_line(e):
    if debug_enabled():
        raise e
    print(f"glasstorch: error: {describe(e)} (GLASSTORCH_DEBUG=1 shows the traceback)",
          file=sys.stderr)
    return 1


def quiet_interrupt_while_importing():
    """Run by glasstorch/__init__.py first: when the command line is starting (`python -m
    glasstorch`, whose package import runs with sys.argv[0] == "-m", or the `glasstorch`
    script), Ctrl-C during the second or so of importing glasstorch ends as `run` ends it
    (one line, status 130) instead of a traceback from deep in an import. Returns the function
    that restores the previous handler (called at the end of __init__.py). Elsewhere (a
    program importing glasstorch) it changes nothing."""
    import signal
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    if (name not in ("-m", "glasstorch") or debug_enabled()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        return lambda: None

    def interrupted(signum, frame):
        print("glasstorch: interrupted", file=sys.stderr)
        raise SystemExit(130)
    try:
        signal.signal(signal.SIGINT, interrupted)
    except ValueError:                      # not the main thread: leave signals alone
        return lambda: None
    return lambda: signal.signal(signal.SIGINT, signal.default_int_handler)


def console():
    """The `glasstorch` console script (and `python -m glasstorch`)."""
    from .cli import main
    code = run(main)
    if code == 130:
        _forget_caught_interrupt()
    sys.exit(code)


def _forget_caught_interrupt():
    """A Ctrl-C that a command caught and reported must end with status 130, not by SIGINT.
    CPython ends the process by SIGINT (a parent sees -2) whenever a KeyboardInterrupt once left
    a nested PyRun_* call (its `_Py_UnhandledKeyboardInterrupt` flag, set in
    run_eval_code_obj and read after finalization), even when the exception was caught later:
    measured on `train --model lstm-lm` interrupted in its first half second, 1 run in 8, with
    the flag seen set at exit. Clear the flag where this CPython exports it (3.10, 3.11); on
    others the status may stay -2, the message being right either way."""
    import ctypes
    try:
        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ValueError, AttributeError, OSError):
        pass
