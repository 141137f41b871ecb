"""Every Lab experiment in --quick mode: record schema, figure, verdict, budget, and the same
verdict on glasstorch and on real torch (a disagreement is a glasstorch bug or a fragile design)."""
import json
import os

import pytest

from glasstorch.lab import catalog
from glasstorch.lab.runner import SCHEMA_KEYS
from glasstorch.lab.verdict import OUTCOMES

IDS = list(catalog.load())
pytestmark = [pytest.mark.slow, pytest.mark.ci]
QUICK_BUDGET_S = 10.0


def _check_record(run, exp_id):
    assert exp_id not in run["errors"], run["errors"].get(exp_id)
    rec = run["records"][exp_id]
    for key in SCHEMA_KEYS:
        assert key in rec, f"{exp_id}: record lacks {key!r}"
    with open(os.path.join(run["out"], f"{exp_id}.json")) as f:
        assert json.load(f)["id"] == exp_id
    png = os.path.join(run["out"], rec["figure"])
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(png) > 2000, "figure looks empty"
    v = rec["verdict"]
    assert v["outcome"] in OUTCOMES and len(v["text"]) > 20
    assert v["outcome"] != "depends" or v["condition"]
    assert rec["numbers"], "an experiment must record its measured numbers"
    assert len(rec["seeds"]) >= 2 and rec["quick"] is True
    assert set(rec["timings"]) == {"wall_s", "process_s"}
    assert rec["versions"]["numpy"] and rec["machine"]["cpu_count"]
    return rec


@pytest.mark.parametrize("exp_id", IDS)
def test_quick_record(quick_glasstorch, exp_id):
    rec = _check_record(quick_glasstorch, exp_id)
    # budget on process time (wall time is noisy on a shared machine), with a margin for load
    assert rec["timings"]["process_s"] < 2 * QUICK_BUDGET_S, rec["timings"]


@pytest.mark.parametrize("exp_id", IDS)
def test_same_verdict_on_torch(quick_glasstorch, quick_torch, exp_id):
    ours = _check_record(quick_glasstorch, exp_id)["verdict"]
    theirs = _check_record(quick_torch, exp_id)["verdict"]
    assert ours["outcome"] == theirs["outcome"], (
        f"{exp_id}: glasstorch says {ours['outcome']} ({ours['text']}) but torch says "
        f"{theirs['outcome']} ({theirs['text']})")




def test_topics_1_to_7_hold_the_40_catalogue_experiments():
    ids = {e.id for e in catalog.EXPERIMENTS.values() if 1 <= e.topic <= 7}
    assert len(ids) == 40
    for exp in catalog.EXPERIMENTS.values():
        assert exp.question.endswith("?") and exp.claim and exp.test, exp.id
