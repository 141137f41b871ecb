"""`python -m glasstorch.lab list|run|report ...` (the same as `glasstorch lab ...`)."""
import sys

from .cli import main

sys.exit(main())
