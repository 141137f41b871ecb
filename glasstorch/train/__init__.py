"""glasstorch.train: the training toolkit above nn/optim/utils.data. metrics.py (streaming
metrics), selection.py (splits, cross-validation, ensembles), plots.py (matplotlib figures)."""
from .metrics import *  # noqa: F401,F403
from .selection import *  # noqa: F401,F403
from .plots import *  # noqa: F401,F403
from .trainer import *  # noqa: F401,F403
from .callbacks import *  # noqa: F401,F403
from .progress import *  # noqa: F401,F403
