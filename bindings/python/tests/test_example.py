"""examples/playground_wsgi.py over HTTP: the page, a run, its verdict."""
import http.client
import os
import re
import signal
import subprocess
import sys
import urllib.parse

import pytest

import stockade
from conftest import ROOT, root_only

APP = ROOT / "examples" / "playground_wsgi.py"


@pytest.fixture
def app():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(stockade.__file__)))
    p = subprocess.Popen([sys.executable, str(APP), "--listen", "127.0.0.1:0"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/")
    line = p.stdout.readline().decode()
    m = re.match(r"listening on http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        p.wait()
        pytest.fail(f"the example did not start: {line!r}")
    yield int(m.group(1))
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) == 0
    p.stdout.close()


def request(port, method, path, form=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {}
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, data


def field(page, name):
    return re.search(rf'id="{name}"[^>]*>(.*?)</', page, re.S).group(1)


@root_only
def test_the_page_runs_code(app):
    status, page = request(app, "GET", "/")
    assert status == 200 and "<textarea name=\"code\"" in page and "Run</button>" in page
    status, page = request(app, "POST", "/run", {"profile": "python", "stdin": "sandbox",
                                                 "code": "print('hello,', input())\nprint('<b>')"})
    assert status == 200
    assert field(page, "verdict") == "ok" and field(page, "exit-code") == "0"
    assert field(page, "stdout") == "hello, sandbox\n&lt;b&gt;\n"
    assert field(page, "memory").endswith("MiB")


@root_only
def test_limits_and_denials_show(app):
    _, page = request(app, "POST", "/run", {"profile": "python",
                                            "code": "import os\nwhile True: os.fork()"})
    assert field(page, "verdict") == "tasks-limit"
    _, page = request(app, "POST", "/run", {"profile": "sh", "code": "unshare -r true; echo $?"})
    assert field(page, "verdict") == "ok" and "unshare" in field(page, "denied")


@root_only
def test_bad_requests(app):
    assert request(app, "GET", "/nowhere")[0] == 404
    assert request(app, "PUT", "/run", body="x")[0] == 405
    assert request(app, "POST", "/run", {"profile": "fortran", "code": "x"})[0] == 400
    assert request(app, "POST", "/run", body="x" * (300 * 1024))[0] == 413
