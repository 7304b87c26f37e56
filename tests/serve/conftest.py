"""Fixtures of the service's tests: a real `stockade serve` on a loopback
port, real HTTP (http.client), real sandboxes.

    make && /usr/bin/python3 -m pytest -q tests/serve

As root; the unprivileged mode runs the service as nobody (setpriv) from a
world-readable copy of build/.
"""
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from support import BINARY, NOBODY  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import Server, installed_for_tests  # noqa: E402



def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long test (the big load); -m 'not slow' leaves it out")


@pytest.fixture(scope="session")
def install_dir():
    """A world-readable copy of build/stockade and build/stockade-serve."""
    d = installed_for_tests(BINARY)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_server(install_dir):
    """make_server(mode=, config=, tokens=, args=) -> Server, stopped after
    the test."""
    made = []

    def make(**kw):
        s = Server(install_dir, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="module", params=("root", "unprivileged"))
def server(request, install_dir):
    """One server per mode for a module's tests that do not change it."""
    s = Server(install_dir, mode=request.param)
    yield s
    s.close()


@pytest.fixture(scope="module")
def root_server(install_dir):
    s = Server(install_dir)
    yield s
    s.close()


__all__ = ["Server", "NOBODY"]
