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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a run, print the fuzzer's tally (when it ran) and list the registered ops that no
    check_op call compared with torch."""
    _fuzz_summary(terminalreporter)
    from glasstorch._registry import OPS
    # test files import the helper as `helpers` or as `tests.helpers`: two module objects
    covered = set()
    for name in ("helpers", "tests.helpers"):
        mod = sys.modules.get(name)
        if mod is not None:
            covered |= mod.COVERED
    if len(covered) < len(OPS) // 2:
        return  # a partial run (a file or two): the list would be noise
    missing = sorted(name for name, info in OPS.items() if info.cls not in covered)
    terminalreporter.write_line(
        f"ops compared with torch by check_op: {len(OPS) - len(missing)} of {len(OPS)} registered")
    if missing:
        terminalreporter.write_line("not compared in this run: " + ", ".join(missing))


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
