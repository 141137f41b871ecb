"""glasstorch.optim: optimizers (one per file, on optimizer.Optimizer) and lr_scheduler.

    opt = glasstorch.optim.Adam(model.parameters(), lr=1e-3)
    sched = glasstorch.optim.lr_scheduler.StepLR(opt, step_size=10)
    for x, y in data:
        opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    sched.step()

Read optimizer.py (the shared bookkeeping), then sgd.py and adam.py.
"""
from . import lr_scheduler  # noqa: F401
from . import swa_utils  # noqa: F401,E402
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from ._stateless import swap_in_optimizer_params_and_state

__all__ = ["Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "ASGD", "LBFGS", "lr_scheduler",
           "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "swa_utils",
           "swap_in_optimizer_params_and_state"]
