"""Fixtures of the playground's browser test: a real `stockade serve`
serving the built page (`--web`), and the node script that drives a
headless Chromium against it (playground.mjs).

    make web-tests          (builds the page and the binaries first)

As root, as the service's tests; the page is web/'s build (make web),
STOCKADE_WEB when set.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "serve"))

from server import Server, installed_for_tests  # noqa: E402

BINARY = Path(os.environ.get("STOCKADE") or ROOT / "build" / "stockade")
WEB = Path(os.environ.get("STOCKADE_WEB") or ROOT / "build" / "web")
NODE = "/usr/bin/node"
SCRIPT = Path(__file__).resolve().parent / "playground.mjs"
# The script's own waits give up after 30 s each; past this it hangs.
SCRIPT_TIMEOUT = 240
# Set in the environment of the script, and so of every Chromium
# process it starts: how the test finds what it must leave stopped.
MARKER_VARIABLE = "STOCKADE_WEB_TEST"


@pytest.fixture(scope="session")
def install_dir():
    """A world-readable copy of build/stockade and build/stockade-serve."""
    d = installed_for_tests(BINARY, "the browser tests, as the service's,")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def web_dir():
    """A world-readable copy of the built page: the service's front runs
    as nobody, and CI's clone may not be readable by others."""
    if not (WEB / "index.html").is_file():
        pytest.fail(f"{WEB}/index.html is missing: run `make web` first", pytrace=False)
    d = Path(tempfile.mkdtemp(prefix="stockade-web-"))
    shutil.copytree(WEB, d / "web")
    for path in [d, *d.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    yield d / "web"
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(install_dir, web_dir):
    try:
        s = Server(install_dir, args=("--web", str(web_dir)))
    except RuntimeError as e:
        pytest.fail(f"stockade serve --web {web_dir} did not start: {e}", pytrace=False)
    yield s
    try:
        s.terminate()  # SIGTERM: the service ends its sessions
    finally:
        s.close()


@pytest.fixture(scope="session")
def artifacts():
    d = Path(os.environ.get("STOCKADE_ARTIFACTS") or ROOT / "build" / "artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _proc_entries():
    """(pid, environment bytes, session id) of every process."""
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{name}/stat") as f:
                session = int(f.read().rsplit(")", 1)[1].split()[3])
        except (OSError, IndexError, ValueError):
            continue
        yield int(name), environ, session


class Started:
    """The processes one run of playground.mjs started: those whose
    environment holds its marker (node, Chromium, Chromium's crash
    handlers), and those of a session one of them leads (Chromium's
    helpers, whose environment Chromium clears).  Scanned while the
    script runs, so that the leaders are known once they are gone."""

    def __init__(self, marker):
        self.needle = f"{MARKER_VARIABLE}={marker}".encode()
        self.leaders = set()

    def scan(self):
        entries = list(_proc_entries())
        marked = {pid for pid, environ, _ in entries if self.needle in environ.split(b"\0")}
        self.leaders |= marked
        return marked | {pid for pid, _, session in entries if session in self.leaders}

    def stop_left(self):
        """Kills (by pid) what outlived the script; returns what it was."""
        left = self.scan()
        if left:
            time.sleep(1)  # Chromium's helpers exit on their own once it has
            left = self.scan()
        seen = {}
        for pid in left:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    seen[pid] = f.read().replace(b"\0", b" ")[:120].decode(errors="replace")
                os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        return seen


@pytest.fixture
def playground(server, artifacts, tmp_path):
    """playground(part) -> the JSON line of playground.mjs, run against the
    server's page; fails the test if it left a process behind."""
    runs = []

    def drive(part):
        marker = uuid.uuid4().hex
        started = Started(marker)
        runs.append(started)
        env = dict(os.environ, **{MARKER_VARIABLE: marker})
        argv = [NODE, str(SCRIPT), f"http://127.0.0.1:{server.port}/", str(artifacts), part]
        out_path, err_path = tmp_path / f"{part}.out", tmp_path / f"{part}.err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=env, cwd=ROOT)
        deadline = time.monotonic() + SCRIPT_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            started.scan()
            time.sleep(0.5)
        hung = proc.poll() is None
        if hung:
            # SIGTERM first: playwright closes its browser on it.
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out, err = out_path.read_text(), err_path.read_text()
        if hung:
            pytest.fail(f"playground.mjs hung past {SCRIPT_TIMEOUT} s\nstdout: {out}\n"
                        f"stderr: {err}\nserver log:\n{server.text()}", pytrace=False)
        lines = out.strip().splitlines()
        try:
            result = json.loads(lines[-1])
        except (IndexError, ValueError):
            pytest.fail(f"playground.mjs exited {proc.returncode} without its JSON line\n"
                        f"stdout: {out}\nstderr: {err}", pytrace=False)
        if proc.returncode != 0 or "error" in result:
            pytest.fail(f"playground.mjs ({part}): {result.get('error')}\n"
                        f"the page showed: {json.dumps(result.get('page'), indent=2)}\n"
                        f"stderr: {err}\nserver log:\n{server.text()}", pytrace=False)
        return result

    yield drive
    left = [seen for started in runs if (seen := started.stop_left())]
    assert not left, f"processes of playground.mjs outlived it (killed by pid): {left}"
