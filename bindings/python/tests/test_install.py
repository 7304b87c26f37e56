"""The README's way in: `pip install --no-build-isolation ./bindings/python`
from a fresh copy of the tree into a new venv, then `import stockade`."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, root_only

IGNORE = shutil.ignore_patterns(".git", "build", "build-*", "__pycache__", "*.egg-info",
                                ".pytest_cache", "node_modules")


@root_only
def test_pip_install_into_a_venv():
    d = Path(tempfile.mkdtemp(prefix="stockade-pip-"))
    try:
        tree = d / "stockade"
        shutil.copytree(ROOT, tree, ignore=IGNORE, symlinks=True)
        # nothing of the build tree's stockade may be seen
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        venv = d / "venv"
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                       check=True, timeout=120)
        p = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation",
                            "--no-index", str(tree / "bindings" / "python")],
                           capture_output=True, text=True, timeout=600, cwd=d, env=env)
        assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
        code = ("import stockade, sys; r = stockade.run('print(6 * 7)'); "
                "print(stockade.__file__, r.verdict, r.stdout)")
        p = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True,
                           text=True, timeout=120, cwd="/", env=env)
        assert p.returncode == 0, p.stderr
        path, verdict, out = p.stdout.split()
        assert path.startswith(str(venv)) and (verdict, out) == ("ok", "b'42\\n'")
        # the installed module links the library statically
        ext = next((venv / "lib").glob("python3*/site-packages/stockade/_core*.so"))
        assert "libstockade" not in subprocess.run(["ldd", str(ext)], capture_output=True,
                                                   text=True).stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


@root_only
def test_sdist_metadata_names_the_module():
    text = (ROOT / "bindings" / "python" / "pyproject.toml").read_text()
    assert 'name = "stockade"' in text and "setuptools.build_meta" in text
    if sys.version_info >= (3, 11):
        import tomllib

        meta = tomllib.loads(text)
        assert meta["project"]["version"] == __import__("stockade").__version__
