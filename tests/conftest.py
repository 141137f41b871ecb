import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a run, list the registered ops that no check_op call compared with torch."""
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
