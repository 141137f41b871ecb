"""`glasstorch train`, `eval`, `predict` for image classifiers of the zoo.

    train    a zoo model on an image dataset (default: LeNet on the bundled MNIST subset) into
             a run folder: config.json, metrics.jsonl, best.pt, last.pt, curves.png,
             confusion_matrix.png, results.json; `--model lstm-lm` / `--dataset timemachine`
             is the character language model instead (lm.py)
    eval     accuracy and loss of a run (or checkpoint) on its dataset's test split
    predict  class probabilities of image files (PNG/JPEG via Pillow, or .npy)

`train` is glasstorch.train.Trainer plus callbacks; `eval` and `predict` live in
image_eval.py; datasets and run folders: image_data.py.
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np

import glasstorch as torch
from glasstorch.optim import lr_scheduler
from glasstorch.train import (Accuracy, Callback, JSONLinesLogger, ModelCheckpoint, ProgressBar,
                              Trainer, format_logs, plot_confusion_matrix, plot_history)
from glasstorch.utils.data import DataLoader, Subset

from . import checks
from .common import CLIError, _TextBar, close_bar
from .image_data import (DATASETS, _build_model, _dataset_spec, _input_size, _load_split,
                         _model_info, _test, _transform)
from .image_eval import evaluate, predict
from .lm import is_lm_run, train_lm   # the text side: --model lstm-lm
from . import parallel                # train --nproc N


# ==== train ======================================================================================

# (default, help); None defaults are resolved in _train_config (they depend on other options)
TRAIN_OPTIONS = {
    "model": ("lenet", "a model of `glasstorch models` (default lenet)"),
    "dataset": ("mnist", f"one of {', '.join(DATASETS)} (default mnist: the bundled subset)"),
    "data_root": (None, "dataset folder (default: bundled MNIST, else ./data)"),
    "download": (False, "download the dataset if it is missing"),
    "epochs": (None, "epochs (default 12)"),
    "batch_size": (32, "batch size (default 32)"),
    "optimizer": ("adam", "sgd (momentum 0.9), adam or adamw (default adam)"),
    "lr": (None, "learning rate (default 0.05 for sgd, 0.003 for adam/adamw)"),
    "scheduler": ("onecycle", "none, step, cosine or onecycle (default onecycle)"),
    "weight_decay": (None, "weight decay (default 0; 0.01 for adamw)"),
    "dropout": (None, "dropout probability, for models with dropout (default: the model's)"),
    "augment": (False, "random affine (digits) or crop + flip (photos) augmentation"),
    "val_fraction": (0.1, "fraction of the training split held out for validation"),
    "limit": (None, "train on N of the training images (quick runs)"),
    "seed": (0, "random seed (default 0)"),
    "cv_fold": (None, "I/K: validate on fold I of K (StratifiedKFold), train on the others; "
                "what `glasstorch tune --cv K` runs"),
}
# the numeric train options (argparse types; `tune` checks its fixed values and ranges too)
TRAIN_TYPES = {"epochs": int, "batch_size": int, "lr": float, "weight_decay": float,
               "dropout": float, "val_fraction": float, "limit": int, "seed": int}


def _train_config(args):
    """The run's settings: the defaults, overridden by a resumed run's config.json, then by
    the options given on the command line."""
    given = {k: getattr(args, k) for k in TRAIN_OPTIONS if getattr(args, k) is not None}
    cfg = {k: default for k, (default, _) in TRAIN_OPTIONS.items()}
    if args.resume:
        run_dir, saved = checks.resumed_config(args.resume, CLIError)
        cfg.update({k: v for k, v in saved.items() if k in TRAIN_OPTIONS})
        changed = [k for k, v in given.items() if k not in ("epochs", "download", "data_root")
                   and v != cfg[k]]
        if changed:
            raise CLIError(f"--resume continues the run's own settings; it cannot change "
                           f"{', '.join('--' + k.replace('_', '-') for k in changed)}")
        if cfg["scheduler"] == "onecycle" and given.get("epochs", cfg["epochs"]) != \
                cfg["epochs"]:
            raise CLIError("a onecycle schedule is planned for the run's epochs: resume it "
                           "without changing --epochs")
        cfg["run_dir"] = run_dir
    cfg.update({k: v for k, v in given.items()
                if not args.resume or k in ("epochs", "download", "data_root")})
    if cfg["epochs"] is None:
        cfg["epochs"] = 12
    if cfg["lr"] is None:
        cfg["lr"] = 0.05 if cfg["optimizer"] == "sgd" else 0.003
    if cfg["weight_decay"] is None:
        cfg["weight_decay"] = 0.01 if cfg["optimizer"] == "adamw" else 0.0
    for key, low in (("epochs", 1), ("batch_size", 1), ("limit", 1)):
        if cfg[key] is not None and cfg[key] < low:
            raise CLIError(f"--{key.replace('_', '-')} must be >= {low}, got {cfg[key]}")
    if not 0 <= cfg["val_fraction"] < 1:
        raise CLIError(f"--val-fraction must be in [0, 1), got {cfg['val_fraction']}")
    checks.finite("lr", cfg["lr"], low=0, low_open=True)
    checks.finite("weight_decay", cfg["weight_decay"], low=0)
    checks.finite("dropout", cfg["dropout"], low=0, high=1)
    checks.seed(cfg["seed"])
    checks.at_least("nproc", getattr(args, "nproc", None))   # (0 or -1 trained one process)
    choices = {"optimizer": ("sgd", "adam", "adamw"),
               "scheduler": ("none", "step", "cosine", "onecycle")}
    for key, valid in choices.items():
        if cfg[key] not in valid:
            raise CLIError(f"unknown {key} {cfg[key]!r}; choose from: {', '.join(valid)}")
    return cfg


def _splits(cfg, spec, size):
    """(train, validation or None, test) datasets: the validation images are a seeded random
    part of the training split (without augmentation); --limit keeps N training images."""
    plain = _transform(spec, size)
    train_full = _load_split(spec, cfg["data_root"], True,
                             _transform(spec, size, cfg["augment"]), cfg["download"])
    test = _load_split(spec, cfg["data_root"], False, plain, cfg["download"])
    n = len(train_full)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg["seed"])).tolist()
    n_val = int(round(n * cfg["val_fraction"]))
    train_idx, val_idx = order[n_val:], order[:n_val]
    if cfg.get("cv_fold"):
        train_idx, val_idx = _fold(cfg["cv_fold"], train_full, cfg["seed"])
    train_idx = train_idx[:cfg["limit"]] if cfg["limit"] else train_idx
    val = None
    if len(val_idx):
        val = Subset(_load_split(spec, cfg["data_root"], True, plain, cfg["download"]),
                     val_idx)
    return Subset(train_full, train_idx), val, test


def _fold(text, dataset, seed):
    """--cv-fold I/K -> (training indices, validation indices) of fold I (stratified)."""
    from glasstorch.train.selection import StratifiedKFold
    try:
        i, k = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise CLIError(f"--cv-fold wants I/K (e.g. 0/5), got {text!r}") from None
    if not (k >= 2 and 0 <= i < k):
        raise CLIError(f"--cv-fold {text}: need K >= 2 and 0 <= I < K")
    if hasattr(dataset, "targets"):
        t = dataset.targets
        targets = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    else:
        targets = np.asarray([int(dataset[j][1]) for j in range(len(dataset))])
    folds = list(StratifiedKFold(k, shuffle=True, seed=seed).split(np.zeros(len(targets)),
                                                                   targets))
    train_idx, val_idx = folds[i]
    return [int(j) for j in train_idx], [int(j) for j in val_idx]


def _optimizer(cfg, params):
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=0.9,
                               weight_decay=cfg["weight_decay"])
    cls = torch.optim.Adam if cfg["optimizer"] == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])


def _scheduler(cfg, optimizer, steps_per_epoch):
    """(scheduler or None, 'epoch' or 'batch')."""
    kind, epochs = cfg["scheduler"], cfg["epochs"]
    if kind == "step":        # lr / 10 after each third of the run
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if kind == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs), "epoch"
    if kind == "onecycle":    # warm up to lr over 30% of the steps, then anneal (Smith 2018)
        return lr_scheduler.OneCycleLR(optimizer, max_lr=cfg["lr"], epochs=epochs,
                            steps_per_epoch=steps_per_epoch), "batch"
    return None, "epoch"


class _RunTrainer(Trainer):
    """A Trainer whose checkpoints also carry the run dict eval/predict rebuild from."""

    def __init__(self, run, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def state_dict(self):
        state = {**super().state_dict(), "run": self.run}
        # under --nproc the model is DistributedDataParallel: store the plain model's keys
        state["model"] = getattr(self.model, "module", self.model).state_dict()
        return state


class _EpochPrinter(Callback):
    """One line of metrics per epoch on stdout (the bar, if any, is on stderr)."""

    def on_epoch_end(self, trainer, epoch, logs):
        print(format_logs(logs, trainer.epochs), flush=True)


class _TextProgress(Callback):
    """The demo's text bar, per epoch: the progress bar when tqdm is not installed."""

    def on_epoch_start(self, trainer, epoch):
        self.bar = _TextBar(len(trainer.train_loader))

    def on_batch_end(self, trainer, batch_idx, logs):
        self.bar.update(logs["loss"])

    def on_epoch_end(self, trainer, epoch, logs):
        self.bar.close()


def _batch_bar():
    """The toolkit's tqdm ProgressBar, or _TextProgress without tqdm."""
    if importlib.util.find_spec("tqdm") is None:
        return _TextProgress()
    return ProgressBar(use_tqdm=True, file=sys.stderr)


def train(args):
    """Train a zoo model on a dataset; everything lands in a run folder."""
    if is_lm_run(args):
        return train_lm(args)
    cfg = _train_config(args)
    spec, info = _dataset_spec(cfg["dataset"]), _model_info(cfg["model"])
    run_dir = cfg.pop("run_dir", None) or args.out or os.path.join(
        "runs", f"{cfg['model']}-{cfg['dataset']}-{time.strftime('%Y%m%d-%H%M%S')}")
    nproc = getattr(args, "nproc", None) or 1
    if nproc > 1 and not parallel._launched():
        if not args.resume:
            checks.fresh_run_dir(run_dir)   # one clear error before starting N processes
        return parallel.relaunch_train(args, TRAIN_OPTIONS, run_dir)
    resume = os.path.join(run_dir, "last.pt") if args.resume else None
    if resume is not None and not os.path.exists(resume):
        if not os.path.exists(os.path.join(run_dir, "config.json")):
            raise CLIError(f"cannot resume: no last.pt in {run_dir}")
        # stopped before its first checkpoint: nothing to continue, the run starts over
        print(f"note: {run_dir} has no checkpoint yet; starting the run again",
              file=sys.stderr)
        resume = None
    elif resume is None:
        checks.fresh_run_dir(run_dir)       # never overwrite another run
    size = _input_size(spec, info)
    if size != spec.shape[1]:
        print(f"note: {cfg['model']} needs inputs of at least {info.min_input_size}x"
              f"{info.min_input_size}: resizing {spec.name}'s {spec.shape[1]}x{spec.shape[2]} "
              f"images to {size}x{size}")
    train_set, val_set, test_set = _splits(cfg, spec, size)
    classes = list(getattr(test_set, "classes", None) or range(10))

    torch.manual_seed(cfg["seed"])    # the same seed gives the same initial weights
    model_kwargs = {"num_classes": len(classes), "in_channels": spec.shape[0],
                    "input_size": size}
    if cfg["dropout"] is not None:
        model_kwargs["dropout"] = cfg["dropout"]
    model = _build_model(cfg["model"], model_kwargs)
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True,
                              generator=torch.Generator().manual_seed(cfg["seed"]))
    net, rank, rank_callbacks = model, 0, []
    if nproc > 1:              # one rank of `train --nproc`: its share of each global batch
        net, train_loader, rank, rank_callbacks = parallel.data_parallel(
            model, train_set, cfg["batch_size"], cfg["seed"])
        if rank:
            val_set = None     # rank 0 validates, tests and writes the run folder
    val_loader = DataLoader(val_set, batch_size=256) if val_set is not None else None
    test_loader = DataLoader(test_set, batch_size=256)
    optimizer = _optimizer(cfg, model.parameters())
    scheduler, scheduler_step = _scheduler(cfg, optimizer, len(train_loader))

    if rank:                   # the other ranks of --nproc only train, in step with rank 0
        _RunTrainer({}, net, optimizer, torch.nn.CrossEntropyLoss(), scheduler=scheduler,
                    scheduler_step=scheduler_step, callbacks=rank_callbacks).fit(
            train_loader, None, epochs=cfg["epochs"])
        return 0
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    run = {"model": cfg["model"], "model_kwargs": model_kwargs, "dataset": cfg["dataset"],
           "data_root": cfg["data_root"], "classes": [str(c) for c in classes],
           "mean": list(spec.mean), "std": list(spec.std),
           "input_shape": [spec.shape[0], size, size]}
    monitor = "val_loss" if val_loader is not None else "train_loss"
    checkpoint = ModelCheckpoint(run_dir, monitor=monitor, mode="min")
    trainer = _RunTrainer(
        run, net, optimizer, torch.nn.CrossEntropyLoss(), scheduler=scheduler,
        scheduler_step=scheduler_step, metrics={"acc": Accuracy()},
        callbacks=[*rank_callbacks, bar := _batch_bar(), _EpochPrinter(),
                   JSONLinesLogger(os.path.join(run_dir, "metrics.jsonl")), checkpoint])
    print(f"training {cfg['model']} ({sum(p.numel() for p in model.parameters()):,} "
          f"parameters) on {cfg['dataset']}: {len(train_set)} training / "
          f"{len(val_set) if val_set is not None else 0} validation / {len(test_set)} test "
          f"images, {cfg['epochs']} epoch{'s' if cfg['epochs'] > 1 else ''}, "
          f"{cfg['optimizer']} lr {cfg['lr']:g}, {cfg['scheduler']} schedule", flush=True)
    start = time.perf_counter()
    try:
        history = trainer.fit(train_loader, val_loader, epochs=cfg["epochs"],
                              resume_from=resume)
    except KeyboardInterrupt:
        close_bar(bar)
        print(f"\ninterrupted; continue with: glasstorch train --resume {run_dir}",
              file=sys.stderr)
        return 130
    best = checkpoint.best_path or os.path.join(run_dir, "best.pt")
    model.load_state_dict(torch.load(best)["model"])
    result = _test(model, test_loader, len(classes))
    result.update(best_epoch=checkpoint.best_epoch, checkpoint=os.path.basename(best),
                  train_seconds=round(time.perf_counter() - start, 1))
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"test ({len(test_set)} images, {os.path.basename(best)} from epoch "
          f"{checkpoint.best_epoch}): accuracy {100 * result['acc']:.2f}%  loss "
          f"{result['loss']:.4f}")
    plots = _train_plots(history, result["confusion_matrix"], run["classes"], run_dir,
                         f"{cfg['model']} on {cfg['dataset']}")
    print(f"run folder: {run_dir}")
    print("  " + "  ".join(sorted(os.listdir(run_dir))))
    if not plots:
        print("  (no plots: pip install 'glasstorch[plot]' for curves.png and "
              "confusion_matrix.png)")
    return 0


def _train_plots(history, confusion, classes, run_dir, title):
    """curves.png and confusion_matrix.png (an empty list when matplotlib is missing)."""
    columns = {"loss": history.column("train_loss"), "acc": history.column("train_acc")}
    if history and history[0]["val_loss"] is not None:
        columns.update(val_loss=history.column("val_loss"), val_acc=history.column("val_acc"))
    try:
        return [plot_history(columns, os.path.join(run_dir, "curves.png"), title=title),
                plot_confusion_matrix(torch.tensor(confusion),
                                      os.path.join(run_dir, "confusion_matrix.png"),
                                      class_names=classes, title=f"{title}: test split")]
    except ImportError:
        return []


def add_parser(subparsers):
    p = subparsers.add_parser("train", help="train a zoo model on an image dataset",
                       description="Train a model of the zoo; writes a run folder (config.json,"
                       " metrics.jsonl, best.pt, last.pt, curves.png, confusion_matrix.png, "
                       "results.json). Defaults: LeNet on the bundled 5,000-image MNIST "
                       "subset, about a minute on two cores.")
    for key, (default, text) in TRAIN_OPTIONS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            # None = not given (so a resumed run keeps its own value)
            p.add_argument(flag, action="store_const", const=True, default=None, help=text)
        else:
            p.add_argument(flag, type=TRAIN_TYPES.get(key, str), default=None, help=text,
                           metavar=key.upper())
    p.add_argument("--out", help="run folder (default runs/<model>-<dataset>-<date>-<time>)")
    p.add_argument("--resume", metavar="RUN", help="continue a run (its folder or last.pt) "
                   "with its settings; --epochs may raise the total")
    p.add_argument("--nproc", type=int, help="train on N processes with "
                   "DistributedDataParallel (mpirun; the batch size stays the global batch)")
    p.set_defaults(run=train)

    p = subparsers.add_parser("eval", help="test-split metrics of a trained run")
    p.add_argument("checkpoint", metavar="RUN_DIR_OR_CHECKPOINT")
    p.add_argument("--data-root", help="dataset folder (default: the one the run used)")
    p.add_argument("--download", action="store_true", help="download the dataset if missing")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--limit", type=int, help="evaluate the first N test images only")
    p.set_defaults(run=evaluate)

    p = subparsers.add_parser("predict", help="classify image files with a trained model")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a .pt file, a run folder, or an .onnx file from `glasstorch export`")
    p.add_argument("images", nargs="+", metavar="IMAGE", help=".png/.jpg/... or .npy")
    p.add_argument("--top-k", type=int, default=3, help="classes shown per image (default 3)")
    p.set_defaults(run=predict)
