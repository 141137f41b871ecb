"""`glasstorch train --model lstm-lm --dataset timemachine` (or `--resume` of such a run): the
character language model of glasstorch/text/char_lm.py trained into a run folder (config.json,
metrics.jsonl with train/val perplexity per epoch, best.pt, last.pt, curves.png, results.json
with the held-out perplexity and a generated sample). image.py's `train` dispatches here when
`is_lm_run(args)`; the options are `train`'s.
"""
import json
import os
import sys
import time

from glasstorch.text.char_lm import CHAR_LM_DEFAULTS, fit_char_lm
from glasstorch.train import (Callback, JSONLinesLogger, ModelCheckpoint, ProgressBar, Trainer,
                              format_logs, plot_history)

from . import checks
from .common import CLIError, close_bar


# the `train` options the language model reads (the rest of its settings: CHAR_LM_DEFAULTS) and
# the image-only ones it refuses
_CLI_OPTIONS = ("epochs", "batch_size", "optimizer", "lr", "scheduler", "weight_decay",
                "dropout", "val_fraction", "seed")
_VISION_ONLY = ("data_root", "download", "augment", "limit")


def _config(args, error):
    """The run's settings: CHAR_LM_DEFAULTS, then a resumed run's config.json, then the
    options given."""
    for key in _VISION_ONLY:
        if getattr(args, key, None):
            raise error(f"--{key.replace('_', '-')} is for image datasets; the language model "
                        "trains on the bundled novel")
    given = {k: getattr(args, k) for k in _CLI_OPTIONS if getattr(args, k, None) is not None}
    cfg = dict(CHAR_LM_DEFAULTS)
    run_dir = None
    if getattr(args, "resume", None):
        run_dir, saved = checks.resumed_config(args.resume, error)
        cfg.update({k: v for k, v in saved.items() if k in CHAR_LM_DEFAULTS})
        changed = sorted(k for k, v in given.items() if k != "epochs" and v != cfg[k])
        if changed:
            raise error("--resume continues the run's own settings; it cannot change "
                        + ", ".join("--" + k.replace("_", "-") for k in changed))
    cfg.update(given)
    if cfg["optimizer"] not in ("sgd", "adam", "adamw"):
        raise error(f"unknown optimizer {cfg['optimizer']!r}; choose from: sgd, adam, adamw")
    if cfg["scheduler"] == "onecycle":
        raise error("the language model supports --scheduler none, cosine, step or plateau")
    if cfg["scheduler"] not in ("none", "cosine", "step", "plateau"):
        raise error(f"unknown scheduler {cfg['scheduler']!r}; choose from: none, cosine, step, "
                    "plateau")
    for key, low in (("epochs", 1), ("batch_size", 1)):
        if cfg[key] < low:
            raise error(f"--{key.replace('_', '-')} must be >= {low}, got {cfg[key]}")
    if not 0 < cfg["val_fraction"] < 1:
        raise error(f"--val-fraction must be in (0, 1) for the language model, got "
                    f"{cfg['val_fraction']}")
    return cfg, run_dir


def is_lm_run(args):
    """Whether `glasstorch train` args ask for the language model: --model lstm-lm,
    --dataset timemachine, or --resume of a run folder whose config.json says so."""
    if getattr(args, "model", None) == "lstm-lm" or getattr(args, "dataset", None) == \
            "timemachine":
        return True
    resume = getattr(args, "resume", None)
    if not resume:
        return False
    try:
        return checks.resumed_config(resume)[1].get("model") == "lstm-lm"
    except CLIError:            # image.py's train reports it
        return False


def _run_trainer():
    class RunTrainer(Trainer):
        """Checkpoints carry the run dict (model settings and vocab) to rebuild the model."""

        def __init__(self, run, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.run = run

        def state_dict(self):
            return {**super().state_dict(), "run": self.run}
    return RunTrainer


class _EpochPrinter(Callback):
    def on_epoch_end(self, trainer, epoch, logs):
        print(format_logs(logs, trainer.epochs), flush=True)


def train_lm(args):
    """`glasstorch train --model lstm-lm --dataset timemachine`: the char LM into a run folder
    (config.json, metrics.jsonl with train/val perplexity per epoch, best.pt, last.pt,
    curves.png, results.json with the held-out perplexity and a generated sample)."""
    if getattr(args, "model", None) not in (None, "lstm-lm"):
        raise CLIError(f"the timemachine dataset trains --model lstm-lm, not {args.model!r}")
    if getattr(args, "dataset", None) not in (None, "timemachine"):
        raise CLIError(f"--model lstm-lm trains on --dataset timemachine, not {args.dataset!r}")
    cfg, resume_dir = _config(args, CLIError)
    run_dir = resume_dir or getattr(args, "out", None) or os.path.join(
        "runs", f"lstm-lm-timemachine-{time.strftime('%Y%m%d-%H%M%S')}")
    resume = os.path.join(run_dir, "last.pt") if resume_dir else None
    if resume is not None and not os.path.exists(resume):
        raise CLIError(f"cannot resume: no last.pt in {run_dir}")
    if resume is None:
        checks.fresh_run_dir(run_dir)       # never overwrite another run
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump({"model": "lstm-lm", "dataset": "timemachine", **cfg}, f, indent=2)
    run = {"model": "lstm-lm", "dataset": "timemachine",
           "model_kwargs": {k: cfg[k] for k in ("num_hiddens", "num_layers", "dropout")}}
    checkpoint = ModelCheckpoint(run_dir, monitor="val_ppl", mode="min")
    callbacks = [bar := ProgressBar(file=sys.stderr), _EpochPrinter(),
                 JSONLinesLogger(os.path.join(run_dir, "metrics.jsonl")), checkpoint]
    print(f"training lstm-lm ({cfg['num_layers']} x {cfg['num_hiddens']} LSTM, dropout "
          f"{cfg['dropout']}) on The Time Machine's characters: the first "
          f"{1 - cfg['val_fraction']:.0%} to train, the rest to validate; up to "
          f"{cfg['epochs']} epochs ({cfg['batch_size']} x {cfg['num_steps']} batches, "
          f"{cfg['optimizer']} lr {cfg['lr']:g}, clip {cfg['grad_clip']}, early stopping "
          f"after {cfg['patience']} epochs without a better validation perplexity)",
          flush=True)
    try:
        trainer, result = fit_char_lm(callbacks=callbacks, trainer_cls=_run_trainer(),
                                      trainer_args=(run,), resume_from=resume, **cfg)
    except KeyboardInterrupt:
        close_bar(bar)
        print(f"\ninterrupted; continue with: glasstorch train --resume {run_dir}",
              file=sys.stderr)
        return 130
    history = trainer.history
    result["checkpoint"] = "best.pt"
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"held-out perplexity {result['val_ppl']:.3f} (best epoch {result['best_epoch']} of "
          f"{result['epochs_run']}, {result['train_seconds']:.0f}s)")
    print(f"sample: {result['sample']}")
    try:
        plot_history({"ppl": history.column("train_ppl"), "val_ppl": history.column("val_ppl"),
                      "loss": history.column("train_loss"),
                      "val_loss": history.column("val_loss")},
                     os.path.join(run_dir, "curves.png"), title="lstm-lm on timemachine")
    except ImportError:
        print("  (no curves.png: pip install 'glasstorch[plot]')")
    print(f"run folder: {run_dir}")
    print("  " + "  ".join(sorted(os.listdir(run_dir))))
    return 0
