"""`python -m glasstorch`: the command line of glasstorch/cli/ (runs the `demo` job by default);
no error ends in a traceback (_cli_guard.py; GLASSTORCH_DEBUG=1 shows it)."""
from ._cli_guard import console

console()
