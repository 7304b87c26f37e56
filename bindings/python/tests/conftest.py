"""Fixtures of the Python binding's tests.

    make python-tests          (PYTHONPATH=build/python, as root)

As root the whole directory runs, then test_modes.py runs it again as
nobody (the unprivileged mode) from a world-readable copy.  Every test
checks that it left no process of its own and no open descriptor.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "build" / "python"))

import stockade  # noqa: E402

ROOT_MODE = os.geteuid() == 0
MODE = "root" if ROOT_MODE else "unprivileged"
root_only = pytest.mark.skipif(not ROOT_MODE, reason="needs root (the root pass runs it)")


def children(pid="self"):
    """The pids whose parent is process pid (any of its threads)."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return sorted(out)


def fds():
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def nothing_left():
    """Each test leaves no child process and no descriptor open (the
    servers of wider fixtures are there before and after)."""
    before_children, before_fds = children(), fds()
    yield
    assert children() == before_children
    assert fds() == before_fds
