"""Learning-rate schedulers (torch.optim.lr_scheduler): each one only writes group['lr'] (and
the momentum or beta1 where torch does) of an optimizer's param groups.

Call them after the optimizer: `optimizer.step(); scheduler.step()` once per epoch (per batch
for CyclicLR and OneCycleLR). Most are *chainable*: `get_lr()` derives the next lr from the
group's current one (torch's recursive forms, kept here so the floats match torch's), so several
schedulers can drive one optimizer. The deprecated `step(epoch)` uses the closed forms.
ReduceLROnPlateau reacts to a metric instead: `scheduler.step(val_loss)`.

Files: base.py (LRScheduler), decay.py (factor schedules), cosine.py, cyclic.py (CyclicLR,
OneCycleLR), combine.py (SequentialLR, ChainedScheduler), plateau.py (ReduceLROnPlateau).
"""
from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler  # noqa: F401
from .combine import ChainedScheduler, SequentialLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR, OneCycleLR
from .decay import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR,
                    PolynomialLR, StepLR)
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]
