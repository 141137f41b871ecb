import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fuzz"))


def pytest_addoption(parser):
    parser.addoption("--fuzz-long", action="store_true",
                     help="run the differential fuzzer (tests/fuzz) with 20x more examples")


@pytest.fixture
def fuzz_examples(request):
    return 400 if request.config.getoption("--fuzz-long") else 20


@pytest.fixture(autouse=True)
def _kernel_choice_restored():
    """Every test starts from the process's kernel choice (GLASSTORCH_KERNELS or none) and
    leaves it so: a test calling set_kernels() must not switch the later tests from the
    bit-identical numba kernels that run by default (backend.kernels.numba_for_exact) to the
    NumPy path, or the other way round."""
    from glasstorch.backend import kernels
    before = kernels._active, kernels._chosen
    yield
    kernels._active, kernels._chosen = before


def _covered(what="COVERED"):
    # test files import the helper as `helpers` or as `tests.helpers`: two module objects
    covered = set()
    for name in ("helpers", "tests.helpers"):
        mod = sys.modules.get(name)
        if mod is not None:
            covered |= getattr(mod, what)
    return covered


def _never_compared():
    from glasstorch._registry import OPS
    covered = _covered()
    return sorted(name for name, info in OPS.items() if info.cls not in covered)


def _full_run(session):
    """Whether this run is the whole suite (the default run or more): only then does every
    registered op have to be compared with torch."""
    config = session.config
    root = os.path.dirname(os.path.abspath(__file__))
    args = [os.path.abspath(a.split("::")[0]) for a in config.args]
    whole = all(a == root or a == os.path.dirname(root) for a in args)
    # the default marker selection (pyproject's addopts) or one that adds the slow tests
    wide = " ".join(config.option.markexpr.split()) in ("", "not slow or ci", "slow or not slow",
                                                        "not slow or slow")
    return (whole and wide and not config.option.keyword and not config.option.collectonly
            and not config.option.deselect and not session.shouldstop)


_MISSING_HOWTO = (
    "every registered op needs a test that compares it with torch: in tests/ops/ (or the test "
    "file of its family), call tests/helpers.py's check_op on an expression that runs the op, "
    "e.g. check_op(lambda x: x.my_op(2), [(3, 4)]); check_op records each op it ran")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """A full run fails when a registered op was never compared with torch by check_op."""
    if exitstatus == 0 and _full_run(session) and _never_compared():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config._never_compared_failed = True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a run, print the fuzzer's tally (when it ran) and list the registered ops that no
    check_op call compared with torch (a full run fails on them, see pytest_sessionfinish)."""
    _fuzz_summary(terminalreporter)
    from glasstorch._registry import OPS
    covered = _covered()
    if len(covered) < len(OPS) // 2:
        return  # a partial run (a file or two): the list would be noise
    missing = _never_compared()
    terminalreporter.write_line(
        f"ops compared with torch by check_op: {len(OPS) - len(missing)} of {len(OPS)} registered")
    classes = {info.cls for info in OPS.values()}
    freed, twice = _covered("RELEASED") & classes, _covered("BACKWARD_TWICE") & classes
    terminalreporter.write_line(
        f"  ... whose nodes freed all they saved after backward: {len(freed)}; whose second "
        f"backward was compared with torch's: {len(twice)} (ops without a gradient record no "
        "node)")
    unchecked = sorted(name for name, info in OPS.items() if info.cls not in freed | twice)
    if unchecked and not missing:
        terminalreporter.write_line("  ... neither (no gradient, or compared only with double=True "
                                    "or grad=False): " + ", ".join(unchecked))
    if missing:
        failed = getattr(config, "_never_compared_failed", False)
        terminalreporter.write_line(
            ("FAILED: registered ops never compared with torch: " if failed else
             "not compared in this run: ") + ", ".join(missing), red=failed, bold=failed)
        if failed:
            terminalreporter.write_line(_MISSING_HOWTO, red=True)


def _fuzz_summary(terminalreporter):
    engine = sys.modules.get("fuzz_engine")
    if engine is None or not engine.TALLY:
        return
    from glasstorch._registry import OPS
    tally = engine.TALLY
    terminalreporter.write_line(
        f"differential fuzzer: {sum(tally.values())} cases over {len(engine.PER_OP)} drawers; "
        + ", ".join(f"{k} {v}" for k, v in sorted(tally.items(), key=lambda kv: -kv[1])))
    ran = sum(1 for info in OPS.values() if info.cls in engine.EXERCISED)
    terminalreporter.write_line(f"registered ops run by the fuzzer: {ran} of {len(OPS)}")
    for (op, outcome), detail in sorted(engine.FIRST.items()):
        terminalreporter.write_line(f"  {op} {outcome} x{engine.PER_OP[op][outcome]}: {detail}")
