"""The benchmarks' core-pair bookkeeping (benchmarks/core_pair.py, harness.py, training_step's
report): parsing the probe's output, near/far, per-process labels and per-state medians.
No timing here: the probe itself is only built and run by the benchmarks."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import core_pair  # noqa: E402
import harness  # noqa: E402
from core_pair import Reading, Unavailable  # noqa: E402


def near(ns=60.0):
    return Reading(ns, ns - 5, ns + 5, (0, 1))


def far(ns=320.0):
    return Reading(ns, ns - 20, ns + 20, (0, 1))


def test_parse_and_classify():
    r = core_pair.parse("ok 61.4 54.6 71.0 41\n", (0, 1))
    assert (r.ns, r.min_ns, r.max_ns, r.cpus, r.state) == (61.4, 54.6, 71.0, (0, 1), "near")
    assert str(r) == "near 61 ns"
    assert core_pair.parse("ok 306.2 285.1 563.2 41", (2, 3)).state == "far"
    assert core_pair.classify(149.9) == "near" and core_pair.classify(150.0) == "far"
    with pytest.raises(Unavailable, match="timeout"):
        core_pair.parse("error timeout: no answer within 500 ms\n")
    with pytest.raises(Unavailable, match="unexpected"):
        core_pair.parse("")


def test_pick_cpus():
    assert core_pair.pick_cpus({0, 1}) == (0, 1)
    assert core_pair.pick_cpus({7, 2, 5}) == (2, 5)
    with pytest.raises(Unavailable, match="1 CPU"):
        core_pair.pick_cpus({3})


def test_no_compiler_is_a_note_not_an_error(monkeypatch, capsys):
    monkeypatch.setattr(core_pair, "compiler", lambda: None)
    with pytest.raises(Unavailable, match="no C compiler"):
        core_pair.build()
    monkeypatch.setattr(harness, "_pair_note_printed", False)
    assert harness.core_pair_reading() is None
    assert harness.core_pair_reading() is None
    assert capsys.readouterr().out.count("core pair not measured: no C compiler") == 1


def test_pair_state_and_label():
    assert harness.pair_state(near(), near(70)) == "near"
    assert harness.pair_state(far(), None) == "far"
    assert harness.pair_state(near(), far()) == "mixed"
    assert harness.pair_state(None, None) is None
    assert harness.pair_label(near(61), near(64)) == "near 61/64 ns"
    assert harness.pair_label(None, far(318)) == "far 318 ns"
    assert harness.pair_label(near(61), far(320)) == "mixed 61/320 ns"
    assert harness.pair_label(None, None) == ""


def test_per_state_medians():
    times = {"glasstorch": [(1.3e-3, 0), (1.8e-3, 0), (1.4e-3, 0), (2.0e-3, 0)],
             "torch": [(1.5e-3, 0), (2.4e-3, 0), (1.6e-3, 0), (9.9e-3, 0)]}
    states = {"glasstorch": ["near", "far", "near", "mixed"],
              "torch": ["near", "far", "near", None]}
    med = harness.per_state_medians(times, states)
    assert med["near"]["glasstorch"] == (pytest.approx(1.35e-3), 2)
    assert med["near"]["torch"] == (pytest.approx(1.55e-3), 2)
    assert med["far"]["glasstorch"] == (pytest.approx(1.8e-3), 1)
    assert med["far"]["torch"] == (pytest.approx(2.4e-3), 1)
    # one state only (or none): nothing per state, the run's medians already are that state's
    assert harness.per_state_medians(times, {"glasstorch": ["near"] * 4,
                                             "torch": ["near", None, "mixed", "near"]}) == {}


def test_report_keeps_the_summary_line(capsys):
    import training_step
    times = {"glasstorch": [(1.3e-3, 1.5e-3), (1.8e-3, 2e-3), (1.4e-3, 1.6e-3)],
             "torch": [(1.5e-3, 2e-3), (2.4e-3, 3e-3), (1.6e-3, 2e-3)],
             "core_pair": {"glasstorch": [(near(), near()), (far(), far()), (near(), None)],
                           "torch": [(near(), near()), (far(), far()), (near(), far())]}}
    ratio = training_step.report_fresh("MLP, 2 threads", times, 1.0, 128)
    out = capsys.readouterr().out.splitlines()
    assert ratio == pytest.approx(1.6e-3 / 1.4e-3)
    assert out[-1] == ("MLP, 2 threads: throughput glasstorch/torch = 1.14x (target >= 1.0x) "
                       "PASS  [CPU-time ratio 1.25x]")
    assert "98462 (near 60/60 ns), 71111 (far 320/320 ns), 91429 (near 60 ns)" in out[2]
    assert "85333 (near 60/60 ns), 53333 (far 320/320 ns), 80000 (mixed 60/320 ns)" in out[3]
    assert "processes near 3, far 2, mixed 1" in out[4]
    assert out[5].strip() == ("near: median step glasstorch 1.35 ms (n=2), torch 1.50 ms (n=1): "
                              "throughput 1.11x")
    assert out[6].strip() == ("far: median step glasstorch 1.80 ms (n=1), torch 2.40 ms (n=1): "
                              "throughput 1.33x")


def test_child_line_round_trip(monkeypatch, capsys):
    readings = iter([near(61.25), None])
    monkeypatch.setattr(core_pair, "probe", lambda: next(readings))
    monkeypatch.delenv("GLASSTORCH_BENCH_CORE_PAIR", raising=False)
    assert harness.core_pair_start() is None          # not asked for: no probe, no line
    harness.core_pair_end(None)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("GLASSTORCH_BENCH_CORE_PAIR", "child")
    harness.core_pair_end(harness.core_pair_start())
    line = capsys.readouterr().out
    assert line == "core_pair 0,1 61.2 -\n"
    before, after = harness.parse_core_pair(f"kernels numpy 0.3\n{line}0.0014 0.0028\n")
    assert (before.ns, before.cpus, before.state, after) == (61.2, (0, 1), "near", None)
    assert harness.parse_core_pair("0.0014 0.0028\n") == (None, None)
