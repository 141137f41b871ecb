"""`python -m glasstorch`: the command line in cli.py (runs the `demo` job by default)."""
import sys

from .cli import main

sys.exit(main())
