"""The unprivileged mode: this directory's tests again, as nobody, from a
world-readable copy of the package and the tests (CI's clone may not be
readable by other users)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import stockade
from conftest import ROOT, root_only

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from support import SETPRIV  # noqa: E402

HERE = Path(__file__).resolve().parent


@root_only
def test_the_suite_as_nobody():
    d = Path(tempfile.mkdtemp(prefix="stockade-py-"))
    try:
        package = Path(stockade.__file__).resolve().parent
        shutil.copytree(package, d / "python" / "stockade",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(HERE, d / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        for root, dirs, files in os.walk(d):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(d / "python"),
               "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(d), "LANG": "C.UTF-8"}
        # under make SAN=1: the sanitizers' runtimes, loaded first
        for name in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        p = subprocess.run(
            SETPRIV + [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(d / "tests"),
             "--ignore", str(d / "tests" / "test_modes.py")],
            cwd="/", env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
        # most of the suite runs unprivileged: the library's tests all do
        passed = re.search(r"(\d+) passed", p.stdout)
        assert passed and int(passed.group(1)) >= 60, p.stdout[-2000:]
        assert " failed" not in p.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)
