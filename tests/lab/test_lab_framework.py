"""The Lab's machinery: verdict rules, the runner's record, and the `lab` command."""
import json
import os

import pytest

from glasstorch.lab import catalog, verdict
from glasstorch.lab.cli import main
from glasstorch.lab.runner import SCHEMA_KEYS, Lab, run_experiment


def test_compare_uses_twice_the_seed_spread():
    c = verdict.compare("a", [0.90, 0.92], "b", [0.80, 0.81])
    assert c.winner == "a"                       # diff 0.105 > 2 * 0.02
    c = verdict.compare("a", [0.90, 0.92], "b", [0.88, 0.90])
    assert c.winner is None and "no measurable difference" in str(c)
    c = verdict.compare("a", [1.0, 1.1], "b", [3.0, 3.05], higher_is_better=False)
    assert c.winner == "a"


def test_compare_needs_two_seeds():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        verdict.compare("a", [1.0], "b", [2.0, 2.1])


def test_across_gives_depends_with_condition():
    v = verdict.across({"lr 0.1": True, "lr 1.0": False}, "X beats Y")
    assert v.outcome == "depends" and v.condition == "lr 0.1"
    assert verdict.across({"a": True, "b": True}, "c").outcome == "confirmed"
    assert verdict.across({"a": False}, "c").outcome == "refuted"
    with pytest.raises(ValueError, match="condition"):
        verdict.Verdict("depends", "text")


def test_all_of_lists_failed_checks():
    v = verdict.all_of({"one holds": True, "two fails": False}, because="CONCLUSION",
                       note="NUMBERS")
    assert v.outcome == "refuted" and "two fails" in v.text and v.checks["one holds"]
    # a conclusion is only stated when the checks support it; measured notes always
    assert "CONCLUSION" not in v.text and "NUMBERS" in v.text
    v = verdict.all_of({"holds": True}, because="CONCLUSION", note="NUMBERS")
    assert v.outcome == "confirmed" and "CONCLUSION" in v.text and "NUMBERS" in v.text


def test_lab_record_converts_tensors_and_nan():
    import glasstorch as torch
    lab = Lab(torch)
    lab.record(t=torch.tensor([1.0, 2.0]), x=float("nan"), nested={"k": (1, 2)})
    assert lab.numbers == {"t": [1.0, 2.0], "x": "nan", "nested": {"k": [1, 2]}}


def test_run_writes_record_png_and_text(tmp_path):
    exp = catalog.get("view-vs-reshape")
    rec = run_experiment(exp, quick=True, out=str(tmp_path))
    assert set(SCHEMA_KEYS) <= set(rec)
    with open(tmp_path / "view-vs-reshape.json") as f:
        on_disk = json.load(f)
    assert on_disk["verdict"]["outcome"] == rec["verdict"]["outcome"]
    assert (tmp_path / "view-vs-reshape.png").stat().st_size > 1000
    assert (tmp_path / "view-vs-reshape.txt").read_text().startswith(
        rec["verdict"]["outcome"].upper())
    assert rec["numbers"]["table"] and rec["seeds"] == [0, 1]


def test_run_refuses_one_seed(tmp_path):
    with pytest.raises(ValueError, match="at least 2 seeds"):
        run_experiment(catalog.get("view-vs-reshape"), seeds=[0], out=str(tmp_path))


def test_cli_list_run_report(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["run", "view-vs-reshape", "--quick", "--out", out]) == 0
    assert main(["list", "--topic", "1", "--out", out]) == 0
    listed = capsys.readouterr().out
    assert "view-vs-reshape" in listed and "refuted" in listed
    assert main(["report", "--out", out]) == 0
    assert os.path.exists(os.path.join(out, "index.html"))


@pytest.mark.parametrize("argv, message", [
    (["run", "no-such-experiment"], "no experiment 'no-such-experiment'"),
    (["run"], "name experiment ids"),
    (["run", "view-vs-reshape", "--seeds", "1"], "--seeds must be at least 2"),
    (["run", "--topic", "99"], "no experiments in topic 99"),
])
def test_cli_errors_are_one_line(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_report_without_records_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 1
    assert "no lab records" in capsys.readouterr().err


def test_glasstorch_lab_command_is_registered(tmp_path, capsys):
    from glasstorch.cli import main as glasstorch_main
    out = str(tmp_path)
    assert glasstorch_main(["lab", "run", "view-vs-reshape", "--quick", "--out", out]) == 0
    assert glasstorch_main(["lab", "list", "--topic", "1", "--out", out]) == 0
    assert "view-vs-reshape" in capsys.readouterr().out
    assert glasstorch_main(["lab", "run", "nope", "--out", out]) == 1
    err = capsys.readouterr().err
    assert "glasstorch lab run: error: no experiment 'nope'" in err and "Traceback" not in err


# The Lab's catalogue, topic by topic: the ids of the section tables of the shared catalogue
# (QUESTIONS.md, "The Lab: the questions, and the experiments that answer them", sections 1-13;
# 87 rows, read 2026-12-05). Copied here because tests never read files outside the repository;
# a row added to the catalogue is added here with its experiment.
CATALOGUE = {
    1: ["view-vs-reshape", "tensor-vs-ndarray", "backprop-cost", "dynamic-vs-static-graph",
        "jacobians-and-vjp", "grad-on-demand", "module-call-path"],
    2: ["partial-last-batch", "streaming-loader", "input-normalization", "batch-throughput",
        "one-hot-vs-embedding"],
    3: ["l1-vs-l2-regression-loss", "mean-vs-sum-loss", "linear-vs-logistic-classifier",
        "multiclass-logistic-output", "linear-boundaries-xor", "mse-vs-ce-classification"],
    4: ["relu-vs-sigmoid-deep", "activation-zoo", "dead-relu", "depth-vs-width", "mlp-vs-svm"],
    5: ["double-softmax", "imbalance-metrics", "multi-loss-weighting", "perplexity-meaning"],
    6: ["sgd-bgd-minibatch", "adam-vs-sgd", "adagrad-vs-adam", "momentum-ravine", "lr-range-test",
        "lr-schedules", "batch-lr-grid", "newton-vs-gd", "regression-target-scale"],
    7: ["zero-init", "xavier-vs-he", "bn-vs-init-vs-layer-lr", "nan-inf-sources"],
    8: ["dropout-train-vs-eval", "dropout-conv-and-bn", "dropout-rate-width",
        "l1-vs-l2-vs-dropout", "weight-decay-strength", "weight-decay-smoothness",
        "early-stopping", "augmentation", "bn-train-vs-eval", "bn-in-mlp", "bn-vs-ln-batch",
        "bn-why-it-works", "bn-and-weight-decay"],
    9: ["kfold-final-model", "cv-estimators", "hparam-search", "imbalance-train-ratio",
        "ensemble-seeds", "selection-bias-val-test", "bias-variance"],
    10: ["cnn-inductive-bias", "what-cnn-learns", "stacked-3x3", "padding-stride-kernel",
         "one-by-one-conv", "pooling-vs-stride", "conv-position-info", "channels-double",
         "conv1d-timeseries", "residual-depth", "test-crop-vs-resize", "transposed-conv",
         "nms-per-class"],
    11: ["markov-tau", "vocab-frequency-order", "rnn-batch-sampling", "rnn-gradient-flow",
         "gradient-clipping", "gru-gates", "seq2seq-attention"],
    12: ["word2vec-negative-sampling", "positional-encoding", "mlm-vs-causal"],
    13: ["numpy-vs-framework", "onnx-export", "checkpoint-resume", "data-parallel"],
}


def _registered_by_topic():
    by_topic = {}
    for exp in catalog.load().values():
        by_topic.setdefault(exp.topic, set()).add(exp.id)
    return by_topic


def test_catalogue_copy_has_87_unique_ids():
    ids = [i for topic in CATALOGUE.values() for i in topic]
    assert len(ids) == len(set(ids)) == 87 and sorted(CATALOGUE) == list(range(1, 14))


def test_registry_holds_exactly_the_catalogue_topic_by_topic():
    registered = _registered_by_topic()
    assert set(registered) == set(CATALOGUE), "topics registered vs catalogued"
    for topic, ids in CATALOGUE.items():
        got = registered[topic]
        assert got == set(ids), (
            f"topic {topic}: missing {sorted(set(ids) - got)}, not in the catalogue "
            f"{sorted(got - set(ids))}")
    assert sum(len(ids) for ids in registered.values()) == 87

