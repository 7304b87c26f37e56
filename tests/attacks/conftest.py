"""Fixtures of the attack suite: the stockade binary in a world-readable
copy, the host canaries (canaries.py), and the table printed at the end.

Run from the top of the tree, as root:  make attacks
"""
import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

from canaries import RUN_UID, Host  # noqa: E402
from support import BINARY, MODES, Stockade, world_readable_copy  # noqa: E402


@pytest.fixture(scope="session")
def install_dir():
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: run `make` first", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the attack suite runs as root (it becomes an unused uid itself for the"
                    " unprivileged mode)", pytrace=False)
    d = world_readable_copy(BINARY)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def stockades(install_dir):
    return {mode: Stockade(mode, install_dir, RUN_UID) for mode in MODES}


@pytest.fixture(scope="session")
def host(install_dir):
    h = Host(install_dir / "stockade")
    try:
        for mode in MODES:
            h.start_neighbour(mode, install_dir)
        yield h
    finally:
        h.close()


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


def pytest_terminal_summary(terminalreporter):
    from test_attacks import RESULTS
    if not RESULTS:
        return
    rows = [("attack", "mode", "policy", "expected", "observed", "")] + \
        [(a, m, p, e, o, "ok" if passed else "FAILED") for a, m, p, e, o, passed in RESULTS]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    write = terminalreporter.write_line
    write("")
    for row in rows:
        write("  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)))
    failed = sum(1 for r in RESULTS if not r[5])
    write(f"{len(RESULTS)} runs of {len({r[0] for r in RESULTS})} attacks, {failed} failed")
