"""glasstorch tune on Optuna: search space parsing, a study in SQLite (resumed), and two
workers sharing one study in a throwaway PostgreSQL server."""
import glob
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

from glasstorch.train.tune import parse_value, load_space, _parse_train_options

optuna = pytest.importorskip("optuna")
TINY = ["--limit", "48", "--epochs", "2", "--val-fraction", "0.05", "--batch-size", "16,32",
        "--no-final"]


def tune(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "glasstorch.train.tune", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_values_ranges_and_choices():
    assert parse_value("3") == 3 and parse_value("adam") == "adam"
    assert parse_value("1e-4:0.1:log") == {"type": "float", "low": 1e-4, "high": 0.1,
                                           "log": True}
    assert parse_value("2:6") == {"type": "int", "low": 2, "high": 6, "log": False}
    assert parse_value("sgd,adam") == {"type": "categorical", "choices": ["sgd", "adam"]}
    assert _parse_train_options(["--lr=0.1", "--augment", "--epochs", "3"]) == \
        {"lr": 0.1, "augment": True, "epochs": 3}


def test_space_file_json(tmp_path):
    path = tmp_path / "space.json"
    path.write_text(json.dumps({"lr": "1e-3:1e-1:log", "batch-size": {
        "type": "categorical", "choices": [8, 16]}, "epochs": 2}))
    assert load_space(str(path)) == {
        "lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True},
        "batch_size": {"type": "categorical", "choices": [8, 16]}, "epochs": 2}


def test_space_file_yaml_equals_json(tmp_path):
    yaml = pytest.importorskip("yaml")  # PyYAML comes with optuna (the tune extra)
    path = tmp_path / "space.yaml"
    path.write_text("lr: 1e-3:1e-1:log\nbatch-size:\n  type: categorical\n  choices: [8, 16]\n"
                    "epochs: 2\n")
    assert yaml is not None and load_space(str(path)) == {
        "lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True},
        "batch_size": {"type": "categorical", "choices": [8, 16]}, "epochs": 2}


def test_sqlite_study_resumes_and_writes_the_best_config(tmp_path):
    db, out = f"sqlite:///{tmp_path}/t.db", str(tmp_path / "out")
    p = tune("--trials", "2", "--storage", db, "--study", "s", "--out", out, *TINY)
    assert p.returncode == 0, p.stdout + p.stderr
    best = json.load(open(os.path.join(out, "best_config.json")))
    assert best["config"]["epochs"] == 2 and best["config"]["batch_size"] in (16, 32)
    assert 0 <= best["val_acc"] <= 1
    # resumed through the `glasstorch tune` command, the new trial scored by 2-fold CV
    p = subprocess.run([sys.executable, "-m", "glasstorch", "tune", "--trials", "3", "--cv",
                        "2", "--storage", db, "--study", "s", "--out", out, *TINY],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    study = optuna.load_study(study_name="s", storage=db)
    assert len(study.trials) == 3            # resumed: one more trial, not three
    assert len(study.trials[2].user_attrs["fold_scores"]) == 2
    assert os.path.exists(os.path.join(out, "optimization_history.png"))


def test_cv_fold_gives_stratified_disjoint_folds():
    from glasstorch.cli.image import _fold
    from glasstorch.vision.datasets import MNIST
    ds = MNIST(train=True)
    folds = [_fold(f"{i}/4", ds, 0) for i in range(4)]
    vals = [set(v) for _, v in folds]
    assert sorted(set().union(*vals)) == list(range(len(ds)))
    assert sum(len(v) for v in vals) == len(ds)
    for train, val in folds:
        assert not set(train) & set(val)
        counts = ds.targets.numpy()[val].tolist()
        assert {counts.count(c) for c in range(10)} == {len(ds) // 40}   # 1/4 of each class


def test_bad_option_is_a_clear_error(tmp_path):
    p = tune("--storage", f"sqlite:///{tmp_path}/t.db", "--lr", "1:2:cubic")
    assert p.returncode == 2 and "only be 'log'" in p.stderr and "Traceback" not in p.stderr


# ---- PostgreSQL: a throwaway server on 127.0.0.1 ----------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    """initdb + pg_ctl start in a temp dir (as `nobody` when root: postgres refuses root);
    yields the SQLAlchemy URL; stops the server and removes the data after the test."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg")
    bindir = os.path.dirname(bins[-1])
    root = pathlib.Path(tempfile.mkdtemp(prefix="glasstorch-pg-"))   # under /tmp: reachable
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    data, port = str(root / "data"), _free_port()

    def run(*cmd):
        p = subprocess.run(as_user + list(cmd), capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{cmd[0]}: {p.stdout} {p.stderr}"

    run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(f"{bindir}/pg_ctl", "-D", data, "-l", str(root / "log"), "-w", "-o",
        f"-p {port} -c listen_addresses=127.0.0.1 -k {root}", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_study_in_postgresql(postgres, tmp_path):
    out = str(tmp_path / "out")
    p = tune("--trials", "3", "--workers", "2", "--storage", postgres, "--study", "pg",
             "--out", out, "--pruner", "none", *TINY)
    assert p.returncode == 0, p.stdout + p.stderr
    study = optuna.load_study(study_name="pg", storage=postgres)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) >= 3
    assert len({t.user_attrs["worker_pid"] for t in done}) == 2    # both workers ran trials
