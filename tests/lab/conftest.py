"""Shared fixtures: every Lab experiment run once in --quick mode per framework (session scope),
so the schema, cross-framework and browser tests reuse the same records."""
import pytest

from glasstorch.lab import catalog
from glasstorch.lab.runner import run_experiment


def _run_all(out, framework):
    records, errors = {}, {}
    for exp in catalog.select(all=True):
        try:
            records[exp.id] = run_experiment(exp, framework, quick=True, out=str(out))
        except Exception as e:          # reported per experiment by the tests
            errors[exp.id] = f"{type(e).__name__}: {e}"
    return {"out": str(out), "records": records, "errors": errors}


@pytest.fixture(scope="session")
def quick_glasstorch(tmp_path_factory):
    return _run_all(tmp_path_factory.mktemp("lab-glasstorch"), "glasstorch")


@pytest.fixture(scope="session")
def quick_torch(tmp_path_factory):
    pytest.importorskip("torch")
    return _run_all(tmp_path_factory.mktemp("lab-torch"), "torch")
