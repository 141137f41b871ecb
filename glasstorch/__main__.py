"""`python -m glasstorch`: the command line of glasstorch/cli/ (runs the `demo` job by default)."""
import sys

from .cli import main

sys.exit(main())
