"""Fixtures of stockade's end-to-end tests.

Run from the top of the tree, as root (the suite switches to nobody itself
for the unprivileged mode):

    make && /usr/bin/python3 -m pytest -q tests/e2e

Every property test takes the `run` (or `inside`) fixture and so runs twice:
mode "root" (stockade started by root) and mode "unprivileged" (started as
nobody, 65534, through setpriv: user namespaces alone).
"""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import (BINARY, BUILD, MODES, Stockade, describe, python,  # noqa: E402
                     world_readable_copy)


@pytest.fixture(scope="session")
def stockade_bin():
    """build/stockade; a missing binary fails the suite, it never skips it."""
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is missing or not executable: run `make` in {BUILD.parent} first",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests run as root (they become nobody themselves"
                    " for the unprivileged mode)", pytrace=False)
    return BINARY


@pytest.fixture(scope="session")
def install_dir(stockade_bin):
    """A world-readable (0755) copy of build/stockade and of any shared
    library next to it, so that nobody can run it whatever the checkout's
    permissions."""
    d = world_readable_copy(stockade_bin)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def stockades(install_dir):
    """{"root": Stockade, "unprivileged": Stockade}."""
    return {mode: Stockade(mode, install_dir) for mode in MODES}


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def stockade(stockades, mode):
    return stockades[mode]


@pytest.fixture
def run(stockades, mode):
    """run(args, mode=...) -> (CompletedProcess, record dict or None).

    Runs `stockade run --record TMPFILE ARGS` in the test's mode unless mode=
    names another one; see Stockade.run for the keyword arguments.
    """
    def _run(args, mode=mode, **kwargs):
        return stockades[mode].run(args, **kwargs)
    return _run


@pytest.fixture
def inside(run):
    """inside(code, *options, args=(), status=0, **run_kwargs) -> (facts, record, cp).

    Runs the Python program `code` in the sandbox (after the options),
    checks the status, and returns the JSON object it printed last.
    """
    def _inside(code, *options, args=(), status=0, **kwargs):
        cp, rec = run([*options, "--", *python(code, *args)], **kwargs)
        assert cp.returncode == status, describe(cp, rec)
        lines = cp.stdout.strip().splitlines()
        assert lines, "the program printed nothing" + describe(cp, rec)
        return json.loads(lines[-1]), rec, cp
    return _inside


@pytest.fixture
def host_dir():
    """A fresh directory outside every bind (under /var/tmp), mode 0755 so
    that nobody can bind or copy from it."""
    d = Path(tempfile.mkdtemp(prefix="stockade-e2e-", dir="/var/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def shared_dir(host_dir):
    """A host directory the sandbox user can write into whatever host uid it
    maps to (mode 0777), for --rw binds."""
    d = host_dir / "shared"
    d.mkdir()
    os.chmod(d, 0o777)
    return d
