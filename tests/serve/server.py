"""A real `stockade serve` on a loopback port, for the service's tests
and the Python client's (bindings/python/tests): started on 127.0.0.1:0,
its port read from its log, stopped by pid."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from support import SETPRIV  # noqa: E402

START_TIMEOUT = 20


def install_copy(stockade):
    """A world-readable temporary copy of the stockade binary and of
    stockade-serve beside it (the caller removes it): the service runs
    as nobody in the unprivileged mode, and CI's clone may not be
    readable by others."""
    d = Path(tempfile.mkdtemp(prefix="stockade-serve-bin-"))
    os.chmod(d, 0o755)
    for b in (stockade, stockade.parent / "stockade-serve"):
        shutil.copy2(b, d / b.name)
        os.chmod(d / b.name, 0o755)
    return d


def installed_for_tests(stockade, who="the service's tests"):
    """install_copy for a test session, once what it needs is there: the
    two binaries (built) and root; a pytest failure naming what is
    missing otherwise."""
    import pytest

    for b in (stockade, stockade.parent / "stockade-serve"):
        if not b.is_file():
            pytest.fail(f"{b} is missing: run `make` first", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail(f"{who} run as root", pytrace=False)
    return install_copy(stockade)


class Server:
    """One `stockade serve`, started on 127.0.0.1:0 (the kernel's port)."""

    def __init__(self, install_dir, mode="root", config=None, tokens=None, args=()):
        self.mode = mode
        # inside the session's directory: a test's snapshot of /tmp,
        # taken before the server starts, does not see it
        self.dir = Path(tempfile.mkdtemp(prefix="server-", dir=install_dir))
        os.chmod(self.dir, 0o755)
        argv = [str(install_dir / "stockade"), "serve", "--listen", "127.0.0.1:0"]
        if config is not None:
            path = self.dir / "serve.conf"
            path.write_text(config)
            os.chmod(path, 0o644)
            argv += ["--config", str(path)]
        if tokens is not None:
            path = self.dir / "tokens"
            path.write_text(tokens)
            os.chmod(path, 0o644)
            argv += ["--tokens", str(path)]
        argv += list(args)
        if mode == "unprivileged":
            argv = SETPRIV + argv
        self.log_path = self.dir / "serve.log"
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd="/")
        self.port = None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log_path.read_text())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.kill()
            raise RuntimeError(f"stockade serve did not start: {self.text()}")

    def text(self):
        return self.log_path.read_text()

    def conn(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, timeout=60):
        """(status, headers dict (lower-case names), body bytes)."""
        c = self.conn(timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def json(self, method, path, body=None, **kw):
        status, headers, data = self.request(method, path, body, **kw)
        return status, json.loads(data) if data else None

    def run(self, body, **kw):
        status, j = self.json("POST", "/v1/runs", body, **kw)
        assert status == 200, (status, j)
        return j

    def metric(self, name, **kw):
        status, _, data = self.request("GET", "/metrics", **kw)
        assert status == 200
        for line in data.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                key, value = line.rsplit(" ", 1)
                if key == name:
                    return float(value)
        return None

    def metrics(self, **kw):
        status, _, data = self.request("GET", "/metrics", **kw)
        assert status == 200
        out = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                out[key] = float(value)
        return out

    def pids(self):
        """The runner and the front."""
        out = [self.proc.pid]
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return out

    def terminate(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        self.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
