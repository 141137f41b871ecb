"""Stochastic weight averaging and EMA of weights (torch.optim.swa_utils).

    swa_model = AveragedModel(model)                       # a copy holding the running average
    swa_sched = SWALR(optimizer, swa_lr=0.05)               # anneal to a constant lr
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model); swa_sched.step()
    update_bn(loader, swa_model)                           # BN statistics of the averaged weights

SWA (Izmailov et al. 2018) averages the weights visited late in training with equal weights;
the EMA functions (get_ema_avg_fn) weight recent ones more (Polyak averaging).
"""
import copy
import itertools
import math

from .. import creation, _dtype
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from .lr_scheduler.base import LRScheduler, _per_group, _warn_unless_in_step

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_avg_fn(decay=0.999):
    """avg_fn for an exponential moving average: decay * average + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """avg_fn for the equal-weight running mean of n + 1 values."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def get_ema_multi_avg_fn(decay=0.999):
    """The EMA over lists of tensors, updated in place."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for ema, cur in zip(ema_param_list, current_param_list):
                if ema.dtype.is_floating_point:
                    ema.lerp_(cur, 1 - decay)
                else:
                    ema.copy_(ema * decay + cur * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """The equal-weight running mean over lists of tensors, updated in place."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            for avg, cur in zip(averaged_param_list, current_param_list):
                if avg.dtype.is_floating_point:
                    avg.lerp_(cur, float(1 / (num_averaged + 1)))
                elif hasattr(num_averaged, "dtype"):   # as torch: integer tensors fail here
                    avg.addcdiv_(cur - avg, num_averaged + 1)
                else:
                    avg.add_(cur - avg, alpha=1.0 / (num_averaged + 1))
    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` whose parameters (and buffers, with use_buffers=True) hold a
    running average of the model's: update_parameters(model) after each step or epoch."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", creation.tensor(0, dtype=_dtype.int64))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        mine = itertools.chain(self.module.parameters(), self.module.buffers()) \
            if self.use_buffers else self.parameters()
        theirs = itertools.chain(model.parameters(), model.buffers()) \
            if self.use_buffers else model.parameters()
        pairs = [(a.detach(), b.detach()) for a, b in zip(mine, theirs)]
        n = int(self.n_averaged)
        with no_grad():
            if n == 0:                     # the first update copies the model
                for a, b in pairs:
                    a.copy_(b)
            elif self.multi_avg_fn is None:
                # torch on the CPU: the per-tensor form (its list form is for CUDA's foreach)
                fn = self.avg_fn or get_swa_avg_fn()
                for a, b in pairs:
                    a.copy_(fn(a, b, self.n_averaged))
            else:
                fn = self.multi_avg_fn
                by_dtype = {}
                for a, b in pairs:
                    by_dtype.setdefault(a.dtype, []).append((a, b))
                for group in by_dtype.values():
                    fn([a for a, _ in group], [b for _, b in group], self.n_averaged)
            if not self.use_buffers:       # buffers (BN statistics) follow the model
                for a, b in zip(self.module.buffers(), model.buffers()):
                    a.copy_(b.detach())
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of `model` with one pass over `loader` (the
    cumulative average over its batches: momentum None), as the averaged weights need."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its value to `swa_lr` over `anneal_epochs` steps (cosine
    or linear), then hold it: the constant lr SWA averages under."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        # the lr the schedule started from, recovered from the current one
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        _warn_unless_in_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                  for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, starts)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
