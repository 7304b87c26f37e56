"""The playground of `stockade serve --web`, in a headless Chromium: a
program typed into the editor and run, a fork bomb stopped by the task
limit, and python's prompt on the Shell tab's terminal.

    /usr/bin/python3 -m pytest -q tests/web            (make web-tests)
    /usr/bin/python3 -m pytest -q tests/web -k run     the Run tab only
    /usr/bin/python3 -m pytest -q tests/web -k shell   the Shell tab only

Screenshots: $STOCKADE_ARTIFACTS, else build/artifacts/; with
STOCKADE_UPDATE_SCREENSHOT=1 the Run tab's is also copied to
docs/playground.png.
"""
import os
import re
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run(playground, artifacts):
    page = playground("run")
    assert page["console"] == [], page["console"]
    assert page["pageErrors"] == [], page["pageErrors"]
    assert "python" in page["profiles"] and page["profile"] == "python", page["profiles"]
    assert page["code"] == "print(6*7)", page["code"]

    r = page["run"]
    assert r["verdict"] == "ok", r
    assert r["stdout"] == "42\n", r
    assert r["stderr"] == "", r
    assert "wall time" in r["figures"] and "peak memory" in r["figures"], r

    bomb = page["forkBomb"]
    assert bomb["verdict"] == "tasks-limit", bomb

    shot = artifacts / "playground-run.png"
    assert shot.stat().st_size > 0
    if os.environ.get("STOCKADE_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "playground.png")


def test_shell(playground, artifacts, server):
    page = playground("shell")
    assert page["console"] == [], page["console"]
    assert page["pageErrors"] == [], page["pageErrors"]
    lines = [line.strip() for line in page["shell"]["terminal"].split("\n")]
    assert ">>> x = 6*7" in lines and ">>> x" in lines, lines
    assert "42" in lines, lines
    # The session's id and state are on show.
    m = re.match(r"session ([0-9a-f]+) ", page["shell"]["sessionInfo"])
    assert m, page["shell"]
    assert (artifacts / "playground-shell.png").stat().st_size > 0

    # The page left: its DELETE (keepalive, on pagehide) ended the session.
    deadline = time.monotonic() + 10
    while True:
        status, j = server.json("GET", f"/v1/sessions/{m.group(1)}")
        if status == 404 or (status == 200 and j["state"] == "ended"):
            break
        assert time.monotonic() < deadline, ("the session outlived the page", status, j)
        time.sleep(0.2)
