"""`glasstorch tune`: hyperparameter search for `glasstorch train` on Optuna.

    glasstorch tune --model lenet --trials 30 --storage sqlite:///runs/tune.db --study lenet
    glasstorch tune --lr 1e-4:0.1:log --batch-size 32,64 --epochs 3 --workers 2

Each trial is one `glasstorch train` run (a subprocess writing its own run folder). Every train
option may be given as a fixed value (`--epochs 3`), a range (`--lr 1e-4:0.1:log`,
`--dropout 0:0.5`, `--epochs 2:6` for integers) or a list of choices (`--optimizer sgd,adam`);
a YAML or JSON file (`--space`) gives the same per option. Options given nowhere use the default
space (lr, weight decay, batch size, optimizer, epochs). After each epoch the trial reports the
validation metric from the run's metrics.jsonl and the pruner may stop it (the subprocess is
ended). The study lives in any SQLAlchemy URL (SQLite by default, PostgreSQL for many
machines): running the command again resumes it up to --trials, and `--workers N` runs N worker
processes on the one study. At the end: the best configuration (best_config.json), a run folder
trained with it, and Optuna's plots as PNG when matplotlib is installed.
"""
import argparse
import json
import os
import subprocess
import sys
import time

__all__ = ["DEFAULT_SPACE", "parse_value", "load_space", "main"]

# option -> spec: {"type": float|int|categorical, low/high/log or choices}; a plain value = fixed
DEFAULT_SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 0.1, "log": True},
    "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
    "batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    "optimizer": {"type": "categorical", "choices": ["sgd", "adam", "adamw"]},
    "epochs": {"type": "int", "low": 2, "high": 6},
}


class TuneError(Exception):
    """A usage error: printed without a traceback."""


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_value(text):
    """'3' -> 3;  '1e-4:0.1:log' / '0:0.5' / '2:6' -> a range;  'sgd,adam' -> choices."""
    if "," in text:
        return {"type": "categorical",
                "choices": [_maybe_number(c) for c in text.split(",") if c]}
    parts = text.split(":")
    if len(parts) in (2, 3) and all(_is_number(p) for p in parts[:2]):
        if len(parts) == 3 and parts[2] != "log":
            raise TuneError(f"range {text!r}: the third field may only be 'log'")
        low, high = _number(parts[0]), _number(parts[1])
        kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
        return {"type": kind, "low": low, "high": high, "log": len(parts) == 3}
    return _maybe_number(text)


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _maybe_number(text):
    return _number(text) if _is_number(text) else text


def load_space(path):
    """A search space file: YAML (.yaml/.yml, needs PyYAML) or JSON, {option: spec or value};
    a spec string like '1e-4:0.1:log' is parsed as on the command line."""
    with open(path) as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise TuneError("a YAML search space needs PyYAML (pip install pyyaml); "
                            "or write it as JSON") from None
        space = yaml.safe_load(text)
    else:
        space = json.loads(text)
    if not isinstance(space, dict):
        raise TuneError(f"{path}: expected a mapping of option -> range or value")
    return {k.replace("-", "_"): parse_value(v) if isinstance(v, str) else v
            for k, v in space.items()}


def _suggest(trial, name, spec):
    if not isinstance(spec, dict):
        return spec
    kind = spec.get("type")
    if kind == "categorical":
        return trial.suggest_categorical(name, spec["choices"])
    if kind == "int":
        return trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
    if kind == "float":
        return trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
    raise TuneError(f"option {name}: unknown range type {kind!r} (float, int or categorical)")


def _train_flags(config):
    flags = []
    for key, value in config.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value not in (None, False):
            flags += [flag, str(value)]
    return flags


def _metric(logs, name):
    if name in logs:
        return logs[name]
    return logs.get("metrics", {}).get(name)


def _run_trial(config, run_dir, metric, report):
    """Train one configuration in a subprocess; report(epoch, value) after each epoch may
    return True to stop it (pruned). Returns the metric values per epoch."""
    os.makedirs(os.path.dirname(run_dir), exist_ok=True)
    cmd = [sys.executable, "-m", "glasstorch", "train", *_train_flags(config), "--out", run_dir]
    log_path = run_dir + ".log"    # beside the run folder: train wants a new or empty folder
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    path, seen, values = os.path.join(run_dir, "metrics.jsonl"), 0, []
    try:
        while True:
            done = proc.poll() is not None
            lines = open(path).read().splitlines() if os.path.exists(path) else []
            for line in lines[seen:]:
                logs = json.loads(line)
                value = _metric(logs, metric)
                if value is None:
                    raise TuneError(f"metric {metric!r} not in the run's logs "
                                    f"({', '.join(logs)} and {', '.join(logs.get('metrics', {}))})")
                values.append(value)
                if report(logs.get("epoch", len(values)), value):
                    return values, True
            seen = len(lines)
            if done:
                break
            time.sleep(0.2)
        if proc.returncode != 0:
            tail = open(log_path).read().strip().splitlines()[-3:]
            raise RuntimeError(f"glasstorch train failed (exit {proc.returncode}): "
                               + " | ".join(tail))
        return values, False
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
        log.close()


# ---- the study -------------------------------------------------------------------------------
def _optuna():
    try:
        import optuna
    except ImportError:
        raise TuneError("glasstorch tune needs Optuna: pip install 'glasstorch[tune]'") from None
    import warnings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _pruner(optuna, name):
    pruners = {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2,
                                                             n_warmup_steps=1),
               "hyperband": optuna.pruners.HyperbandPruner,
               "none": optuna.pruners.NopPruner}
    if name not in pruners:
        raise TuneError(f"unknown pruner {name!r}; choose from: {', '.join(pruners)}")
    return pruners[name]()


def _check_storage(storage):
    """--storage parsed, its dialect and driver loaded and its arguments built, with no I/O:
    a malformed URL, an unknown scheme or a missing driver fail before anything is made.
    Returns the SQLite database file's folder ('' if none)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        url = make_url(storage)
        dialect = url.get_dialect()
        dialect.import_dbapi()
        dialect().create_connect_args(url)   # (SQLite: the URL form is checked here)
    except ArgumentError as e:          # (NoSuchModuleError is one: an unknown scheme)
        raise TuneError(f"cannot open --storage {storage}: {' '.join(str(e).split())[:300]}") \
            from None
    except ImportError as e:            # the storage's driver (psycopg for PostgreSQL)
        raise TuneError(f"storage {storage}: {e} (pip install 'glasstorch[tune]' or the "
                        "database's driver)") from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return os.path.dirname(url.database)
    return ""


def _study(a):
    optuna = _optuna()
    from sqlalchemy.exc import SQLAlchemyError     # (optuna's storage is built on SQLAlchemy)
    folder = _check_storage(a.storage)
    if folder:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            why = "a file is in the way" if isinstance(e, (FileExistsError, NotADirectoryError)) \
                else e.strerror.lower()
            raise TuneError(f"--storage {a.storage}: cannot make folder {folder}: {why}") \
                from None
    try:
        return optuna, optuna.create_study(
            study_name=a.study, storage=a.storage, load_if_exists=True,
            direction=a.direction, pruner=_pruner(optuna, a.pruner),
            sampler=optuna.samplers.TPESampler(seed=a.sampler_seed))
    except ValueError as e:           # e.g. a study of that name with another direction
        raise TuneError(f"study {a.study!r} in {a.storage}: {e}") from None
    except ImportError as e:          # the storage's driver (psycopg for PostgreSQL)
        raise TuneError(f"storage {a.storage}: {e} (pip install 'glasstorch[tune]')") from None
    except SQLAlchemyError as e:      # an unknown URL scheme, a server that does not answer
        reason = " ".join(str(e.orig if getattr(e, "orig", None) else e).split())
        raise TuneError(f"cannot open --storage {a.storage}: {reason[:300]}") from None


def _finished(study, optuna):
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
              optuna.trial.TrialState.FAIL, optuna.trial.TrialState.RUNNING)
    return len(study.get_trials(deepcopy=False, states=states))


def _say(trial, pruned, what, config):
    print(f"[worker {os.getpid()}] trial {trial.number}: {'pruned' if pruned else 'done'} "
          f"after {what}  {json.dumps(config)}", flush=True)


def work(a, space, opened=None):
    """One worker: run trials until the study holds --trials of them (`opened`: the
    (optuna, study) of _study(a) if already opened)."""
    optuna, study = opened or _study(a)
    maximize = a.direction == "maximize"

    def objective(trial):
        config = {k: _suggest(trial, k, spec) for k, spec in space.items()}
        trial.set_user_attr("worker_pid", os.getpid())
        trial.set_user_attr("config", config)
        run_dir = os.path.join(a.out, "trials", f"trial-{trial.number:04d}")

        def best(values):
            return max(values) if maximize else min(values)

        if a.cv:
            return _cross_validate(trial, config, run_dir, best)

        def report(epoch, value):
            trial.report(value, epoch)
            return trial.should_prune()

        values, pruned = _run_trial(config, run_dir, a.metric, report)
        _say(trial, pruned, f"{len(values)} epoch(s), {a.metric} {values[-1]:.4g}", config)
        if pruned:
            raise optuna.TrialPruned()
        return best(values)

    def _cross_validate(trial, config, run_dir, best):
        """Score = mean over K folds of the fold's best metric (the fold's held-out part is
        the validation set: train --cv-fold i/K, StratifiedKFold of train/selection.py);
        the running mean is reported after each fold, so the pruner can stop early."""
        scores = []
        for i in range(a.cv):
            values, _ = _run_trial({**config, "cv_fold": f"{i}/{a.cv}"},
                                   os.path.join(run_dir, f"fold-{i}"), a.metric,
                                   lambda epoch, value: False)
            scores.append(best(values))
            trial.report(sum(scores) / len(scores), i)
            if trial.should_prune():
                _say(trial, True, f"{i + 1} fold(s), mean {a.metric} "
                     f"{sum(scores) / len(scores):.4g}", config)
                raise optuna.TrialPruned()
        trial.set_user_attr("fold_scores", scores)
        _say(trial, False, f"{a.cv} folds, mean {a.metric} {sum(scores) / a.cv:.4g}", config)
        return sum(scores) / a.cv

    while _finished(study, optuna) < a.trials:
        study.optimize(objective, n_trials=1, catch=(RuntimeError,))
    return study


def _plots(optuna, study, out):
    """Optuna's optimization history and parameter importances as PNG (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from optuna.visualization import matplotlib as ovm
    except ImportError:
        return []
    written = []
    for name, fn in (("optimization_history.png", ovm.plot_optimization_history),
                     ("param_importances.png", ovm.plot_param_importances)):
        try:
            ax = fn(study)
            ax.figure.savefig(os.path.join(out, name), dpi=100, bbox_inches="tight")
            matplotlib.pyplot.close(ax.figure)
            written.append(name)
        except (ValueError, RuntimeError) as e:   # e.g. importances need 2+ finished trials
            print(f"note: no {name} ({e})")
    return written


def add_arguments(p):
    p.add_argument("--trials", type=int, default=30, help="trials in the study (default 30)")
    p.add_argument("--storage", default="sqlite:///runs/tune.db",
                   help="any SQLAlchemy URL (default sqlite:///runs/tune.db)")
    p.add_argument("--study", help="study name (default <model>-<dataset>)")
    p.add_argument("--space", help="search space file, YAML or JSON (overrides the default)")
    p.add_argument("--workers", type=int, default=1, help="worker processes on the study")
    p.add_argument("--metric", default="val_acc", help="a key of metrics.jsonl (val_acc)")
    p.add_argument("--direction", choices=("maximize", "minimize"), default=None,
                   help="default: minimize for *loss, else maximize")
    p.add_argument("--pruner", default="median", help="median, hyperband or none")
    p.add_argument("--out", help="folder for trials and results (default runs/tune-<study>)")
    p.add_argument("--no-final", action="store_true", help="skip training the best config")
    p.add_argument("--cv", type=int, help="score each configuration by K-fold cross-validation")
    p.add_argument("--sampler-seed", type=int, default=0, help="seed of Optuna's TPE sampler")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)


def tune(a, train_options):
    """Run the search described by parsed args `a` and train options ['--lr', '1e-3:1e-1', ...]."""
    if a.trials < 1 or a.workers < 1:
        raise TuneError("--trials and --workers must be >= 1")
    if a.cv is not None:
        if a.cv < 2:
            raise TuneError(f"--cv needs K >= 2 folds, got {a.cv}")
        helptext = subprocess.run([sys.executable, "-m", "glasstorch", "train", "--help"],
                                  capture_output=True, text=True).stdout
        if "--cv-fold" not in helptext:
            raise TuneError("--cv needs `glasstorch train --cv-fold`, which this glasstorch "
                            "does not have yet")
    space = dict(DEFAULT_SPACE)
    if a.space:
        space = load_space(a.space)
    space.update(_parse_train_options(train_options))
    a.direction = a.direction or ("minimize" if a.metric.endswith("loss") else "maximize")
    model = space.get("model", "lenet")
    a.study = a.study or f"{model}-{space.get('dataset', 'mnist')}"
    a.out = a.out or os.path.join("runs", f"tune-{a.study}")
    # the study first: a bad --storage (URL, driver, server) fails before any folder is made
    opened = _study(a)
    os.makedirs(a.out, exist_ok=True)
    if a.worker:
        work(a, space, opened)
        return 0
    helpers = [subprocess.Popen([sys.executable, "-m", "glasstorch.train.tune",
                                 *_worker_argv(a), *train_options])
               for _ in range(a.workers - 1)]
    study = work(a, space, opened)
    for h in helpers:
        h.wait()
    optuna = _optuna()
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise TuneError(f"no trial of study {a.study!r} finished (see {a.out}/trials/*.log)")
    best = study.best_trial
    config = best.user_attrs.get("config") or {k: v for k, v in best.params.items()}
    print(f"best trial {best.number}: {a.metric} {best.value:.4g}  {json.dumps(config)}")
    print(f"{len(study.trials)} trials: {len(done)} complete, "
          f"{sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)} pruned")
    with open(os.path.join(a.out, "best_config.json"), "w") as f:
        json.dump({"study": a.study, "storage": a.storage, "trial": best.number,
                   a.metric: best.value, "config": config}, f, indent=2)
    plots = _plots(optuna, study, a.out)
    if not a.no_final:
        run_dir = os.path.join(a.out, "best-run")
        if os.path.exists(run_dir):     # a resumed study: keep the earlier best run
            run_dir += time.strftime("-%Y%m%d-%H%M%S")
        print(f"training the best configuration into {run_dir}", flush=True)
        code = subprocess.call([sys.executable, "-m", "glasstorch", "train",
                                *_train_flags(config), "--out", run_dir])
        if code:
            raise TuneError(f"training the best configuration failed (exit {code})")
    print(f"results: {a.out}  (best_config.json{''.join(', ' + p for p in plots)})")
    return 0


def _worker_argv(a):
    """The options of a helper worker: this search's, resolved (study, out, direction)."""
    argv = ["--worker", "--trials", str(a.trials), "--storage", a.storage, "--study", a.study,
            "--out", a.out, "--metric", a.metric, "--direction", a.direction,
            "--pruner", a.pruner, "--sampler-seed", str(a.sampler_seed)]
    if a.space:
        argv += ["--space", a.space]
    if a.cv:
        argv += ["--cv", str(a.cv)]
    return argv


def _parse_train_options(items):
    """['--lr', '1e-3:0.1:log', '--augment', ...] -> {'lr': range, 'augment': True}."""
    out, i = {}, 0
    while i < len(items):
        flag = items[i]
        if not flag.startswith("--"):
            raise TuneError(f"unexpected argument {flag!r} (train options are --name value)")
        key, _, value = flag[2:].partition("=")
        key = key.replace("-", "_")
        if not value:
            if i + 1 < len(items) and not items[i + 1].startswith("--"):
                value, i = items[i + 1], i + 1
            else:
                out[key] = True
                i += 1
                continue
        out[key] = parse_value(value)
        i += 1
    return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="glasstorch tune", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    a, rest = p.parse_known_args(argv)
    try:
        return tune(a, rest)
    except TuneError as e:
        print(f"glasstorch tune: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
