"""The character-level LSTM language model of The Time Machine (glasstorch/text/char_lm.py: the
recipe behind `glasstorch train --model lstm-lm --dataset timemachine`; examples/char_lm.py is
the same as a plain loop).

- slow: 2-layer LSTM, 256 units, dropout, gradient clipping, trained on the first 90% of the
  novel with early stopping, reaches a held-out perplexity <= 4.0 on the last 10% within
  5 minutes on two cores, and generates mostly real words;
- fast: a small model trains two epochs (perplexity falls, curves recorded, generation works);
  the CLI writes its run folder and resumes a run.
"""
import json
import os
import re
import types

import pytest

import glasstorch as torch
from glasstorch.cli import main
from glasstorch.text import char_lm
from glasstorch.text.char_lm import TimeBudget, fit_char_lm, load_lm
from glasstorch.text.models import load_time_machine_chars


def _words_known(text):
    """Fraction of the generated words (the prefix excluded) that occur in the novel."""
    corpus, vocab = load_time_machine_chars()
    known = set("".join(vocab.to_tokens(corpus)).split())
    words = text.split()[3:-1]             # drop the prefix and a possibly cut last word
    return sum(w in known for w in words) / max(len(words), 1)


@pytest.mark.slow
def test_char_lstm_reaches_perplexity_4_in_5_minutes():
    # one BLAS thread: each step multiplies a (32, 256) state by a (256, 1024) matrix, too
    # small for a second thread to pay off, and on a busy machine OpenBLAS threads spin
    # against each other (10-20x slower); the run then has the same speed loaded or not
    threadpoolctl = pytest.importorskip("threadpoolctl")
    # the lr is annealed on the clock (TimeBudget): its low-lr end comes last, so early
    # stopping waits 6 stalled epochs rather than 3 before it cuts the schedule short
    with threadpoolctl.threadpool_limits(1):
        trainer, result = fit_char_lm(scheduler="time", time_budget=285, patience=6)
    val = trainer.history.column("val_ppl")
    train = trainer.history.column("train_ppl")
    print("\nepoch  train ppl  val ppl")
    for epoch, (t, v) in enumerate(zip(train, val), start=1):
        print(f"{epoch:5d}  {t:9.3f}  {v:7.3f}")
    print(f"held-out perplexity {result['val_ppl']:.3f} at epoch {result['best_epoch']}, "
          f"{result['train_seconds']}s; sample: {result['sample']!r}")
    assert result["train_seconds"] <= 300
    assert result["val_ppl"] <= 4.0
    assert result["val_ppl"] == pytest.approx(min(val), rel=1e-4)      # the best weights kept
    assert train[-1] < train[0] / 3 and val[0] > 6
    assert _words_known(result["sample"]) >= 0.8


def test_char_lm_smoke():
    # wide batches: few time steps per epoch, so two epochs take seconds
    trainer, result = fit_char_lm(num_hiddens=32, epochs=2, batch_size=256, lr=0.01)
    history = trainer.history
    assert len(history) == 2 and result["epochs_run"] == 2
    assert history[1]["metrics"]["train_ppl"] < history[0]["metrics"]["train_ppl"] < 28
    assert history[1]["metrics"]["val_ppl"] < history[0]["metrics"]["val_ppl"] < 28
    # the Trainer's validation perplexity is evaluate_perplexity's, token for token
    assert result["val_ppl"] == pytest.approx(history[1]["metrics"]["val_ppl"], rel=1e-5)
    assert result["sample"].startswith("the time traveller ") and len(result["sample"]) == 119
    assert re.fullmatch("[a-z ]+", result["sample"])


def test_time_budget_stops_training():
    trainer, result = fit_char_lm(num_hiddens=16, epochs=50, batch_size=256, time_budget=1e-3)
    assert result["epochs_run"] == 1


def test_time_budget_anneals_the_lr(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(char_lm, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    trainer = types.SimpleNamespace(
        optimizer=torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2.0),
        stop_training=False)
    budget = TimeBudget(100, anneal_lr=True)
    budget.on_fit_start(trainer)
    # held for 60% of the budget, then linear down to 5% of the lr at the end
    for now, lr in [(30, 2.0), (60, 2.0), (80, 1.05), (100, 0.1), (150, 0.1)]:
        clock[0] = now
        budget.on_batch_end(trainer, 0, {})
        assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(lr)
    clock[0] = 70
    budget.on_epoch_end(trainer, 1, {"time": 25.0})
    assert not trainer.stop_training                 # 70 + 25 fits in 100
    budget.on_epoch_end(trainer, 2, {"time": 31.0})
    assert trainer.stop_training


def test_fit_char_lm_rejects_bad_settings():
    with pytest.raises(TypeError, match="hidden_size"):
        fit_char_lm(hidden_size=3)
    with pytest.raises(ValueError, match="time_budget"):
        fit_char_lm(scheduler="time")


def test_cli_trains_into_a_run_folder_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(char_lm.CHAR_LM_DEFAULTS, "num_hiddens", 24)     # a quick run
    run = tmp_path / "run"
    assert main(["train", "--model", "lstm-lm", "--epochs", "1", "--batch-size", "256",
                 "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "held-out perplexity" in out and "sample: the time traveller" in out
    files = set(os.listdir(run))
    assert {"config.json", "metrics.jsonl", "best.pt", "last.pt", "results.json"} <= files
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "lstm-lm" and config["batch_size"] == 256
    assert config["num_hiddens"] == 24
    # resume: the run's own settings, one more epoch
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in lines] == [1, 2]
    assert all(entry["metrics"]["val_ppl"] > 1 for entry in lines)
    results = json.loads((run / "results.json").read_text())
    assert results["epochs_run"] == 2 and results["val_ppl"] < 28
    lm, info = load_lm(str(run))
    _, vocab = load_time_machine_chars()
    assert info["model"] == "lstm-lm" and len(lm.generate("the ", 10, vocab)) == 14
    with torch.no_grad():
        assert lm(torch.zeros(1, 3, dtype=torch.long))[0].shape == (1, 3, 28)


@pytest.mark.parametrize("argv, message", [
    (["--model", "lstm-lm", "--dataset", "mnist"], "trains on --dataset timemachine"),
    (["--dataset", "timemachine", "--model", "lenet"], "trains --model lstm-lm"),
    (["--model", "lstm-lm", "--scheduler", "onecycle"], "scheduler none, cosine"),
    (["--model", "lstm-lm", "--augment"], "image datasets"),
])
def test_cli_errors(argv, message, tmp_path, capsys):
    assert main(["train", *argv, "--out", str(tmp_path / "r")]) == 1
    assert message in capsys.readouterr().err
