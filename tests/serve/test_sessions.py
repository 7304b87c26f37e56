"""Sessions end to end (docs/api.md, "Sessions"): state kept across
cells, values and tracebacks, interrupts, streaming, files, limits across
cells, idle and lifetime ends, isolation, quotas, the terminal over a
WebSocket and every refusal, over real HTTP on loopback."""
import base64
import json
import os
import threading
import time

import pytest

from support import leftovers, snapshot
from test_api import SECRET_A, SECRET_B, token_line
from wsclient import HandshakeError, WebSocket


def start(server, body=None, **kw):
    status, j = server.json("POST", "/v1/sessions", body or {"profile": "python"}, **kw)
    assert status == 201, (status, j)
    assert j["state"] == "idle" and len(j["id"]) == 32
    return j


def exec_(server, sid, code, **kw):
    status, j = server.json("POST", f"/v1/sessions/{sid}/exec", {"code": code}, **kw)
    assert status == 200, (status, j)
    return j


def end(server, sid, **kw):
    status, j = server.json("DELETE", f"/v1/sessions/{sid}", **kw)
    assert status == 200, (status, j)
    return j


def wait_state(server, sid, state, timeout=30, **kw):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, j = server.json("GET", f"/v1/sessions/{sid}", **kw)
        assert status == 200, (status, j)
        if j["state"] == state:
            return j
        time.sleep(0.2)
    raise AssertionError(f"session {sid} never became {state}: {j}")


# ---- cells ------------------------------------------------------------------


def test_state_across_cells(server):
    s = start(server)
    assert s["python"].startswith("3.") and s["cells"] == 0
    assert abs(s["created"] - time.time()) < 60  # seconds since the epoch
    a = exec_(server, s["id"], "x = 6*7\nprint('hi')\nimport sys\nprint('err', file=sys.stderr)")
    assert (a["status"], a["stdout"], a["stderr"], a["value"]) == ("ok", "hi\n", "err\n", None)
    assert a["cell"] == 1 and a["error"] is None and a["session"] == {"state": "idle"}
    b = exec_(server, s["id"], "def f(n):\n    return n + x\nf(1)")
    assert (b["value"], b["cell"]) == ("43", 2)
    # a value is its repr; None is no value; _ is the last value
    assert exec_(server, s["id"], "'a' * 3")["value"] == "'aaa'"
    assert exec_(server, s["id"], "None")["value"] is None
    assert exec_(server, s["id"], "_")["value"] == "'aaa'"
    # a child process's output is the cell's too
    c = exec_(server, s["id"], "import subprocess\nsubprocess.run(['echo', 'child'])\n0")
    assert c["stdout"] == "child\n" and c["value"] == "0"
    rec = c["record"]
    assert rec["wall_seconds"] > 0
    if server.mode == "root":
        # the sandbox's cgroup: every process's CPU, the cell's peak
        assert rec["cpu_seconds"] > 0 and rec["memory_peak_bytes"] > 1 << 20
    g = server.json("GET", f"/v1/sessions/{s['id']}")[1]
    assert g["cells"] == 6 and g["state"] == "idle"
    done = end(server, s["id"])
    assert (done["state"], done["ended_by"]) == ("ended", "delete")
    assert done["record"]["verdict"] == "cancelled"
    assert done["record"]["command"][-1] == "<agent.py>"
    assert server.json("POST", f"/v1/sessions/{s['id']}/exec", {"code": "1"})[0] == 409


def test_errors_and_tracebacks(server):
    s = start(server)
    a = exec_(server, s["id"], "def g():\n    return 1/0\ng()")
    assert a["status"] == "error"
    e = a["error"]
    assert (e["type"], e["message"]) == ("ZeroDivisionError", "division by zero")
    assert 'File "<cell 1>", line 2, in g' in e["traceback"]
    assert "return 1/0" in e["traceback"] and "agent" not in e["traceback"]
    b = exec_(server, s["id"], "def (:")
    assert b["status"] == "error" and b["error"]["type"] == "SyntaxError"
    # the session goes on after both
    assert exec_(server, s["id"], "2+2")["value"] == "4"
    # exit() ends the interpreter, and so the session
    c = exec_(server, s["id"], "import sys\nsys.exit(3)")
    assert c["status"] == "ended" and c["session"]["ended_by"] == "exit"
    assert c["session"]["record"]["exit_code"] == 3
    end(server, s["id"])


def test_interrupt(server):
    s = start(server)
    got = {}
    t = threading.Thread(target=lambda: got.update(exec_(
        server, s["id"], "import time\nn = 0\nwhile True:\n    n += 1\n    time.sleep(0.001)")))
    t.start()
    wait_state(server, s["id"], "busy")
    # one cell at a time
    status, j = server.json("POST", f"/v1/sessions/{s['id']}/exec", {"code": "1"})
    assert status == 409 and "running" in j["error"]["message"]
    time.sleep(0.3)
    assert server.json("POST", f"/v1/sessions/{s['id']}/interrupt")[1] == {"interrupted": True}
    t.join(30)
    assert got["status"] == "interrupted" and got["error"]["type"] == "KeyboardInterrupt"
    # the session lives on, with what the interrupted cell did
    assert int(exec_(server, s["id"], "n")["value"]) > 0
    assert server.json("POST", f"/v1/sessions/{s['id']}/interrupt")[1] == {"interrupted": False}
    end(server, s["id"])


def test_stream(server):
    s = start(server)
    status, headers, data = server.request(
        "POST", f"/v1/sessions/{s['id']}/exec?stream=true",
        {"code": "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.1)\n'end'"})
    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = [(e.split("\n")[0][len("event: "):], json.loads(e.split("\n")[1][len("data: "):]))
              for e in data.decode().strip().split("\n\n")]
    out = "".join(d["data"] for name, d in events if name == "stdout")
    assert out == "0\n1\n2\n"
    assert events[-1][0] == "record" and events[-1][1]["value"] == "'end'"
    assert [name for name, _ in events].count("record") == 1
    end(server, s["id"])


def test_output_cut(make_server):
    s = make_server()
    sess = start(s)
    profiles = s.json("GET", "/v1/profiles")[1]["profiles"]
    cap = next(p for p in profiles if p["name"] == "python")["limits"]["output"]
    a = exec_(s, sess["id"], f"import sys\nsys.stdout.write('x' * {cap + 4096})\n1")
    # the python profile's output limit as served cuts a cell's answer;
    # the session lives on
    assert a["truncated"] is True and len(a["stdout"]) == cap
    assert exec_(s, sess["id"], "2")["value"] == "2"


# ---- files ------------------------------------------------------------------


def test_files(server):
    s = start(server, {"profile": "python", "files": [{"path": "seed.txt", "content": "seed"}]})
    base = f"/v1/sessions/{s['id']}/files"
    assert server.request("PUT", base + "/data/in.csv", b"a,b\n1,2\n")[0] == 204
    blob = bytes(range(256)) * 1000
    assert server.request("PUT", base + "/bin/blob", blob)[0] == 204
    a = exec_(server, s["id"], "open('/tmp/data/in.csv').read() + open('/tmp/seed.txt').read()")
    assert a["value"] == repr("a,b\n1,2\nseed")
    exec_(server, s["id"], "open('/tmp/data/out.txt', 'w').write('from a cell')")
    status, headers, data = server.request("GET", base + "/data/out.txt")
    assert (status, data) == (200, b"from a cell")
    assert headers["content-type"] == "application/octet-stream"
    assert server.request("GET", base + "/bin/blob")[2] == blob
    status, j = server.json("GET", base + "?dir=data")
    assert status == 200 and j["dir"] == "data"
    assert [(f["name"], f["type"], f["size"]) for f in j["files"]] == [
        ("in.csv", "file", 8), ("out.txt", "file", 11)]
    top = {f["name"]: f["type"] for f in server.json("GET", base)[1]["files"]}
    assert top["data"] == "dir" and top["seed.txt"] == "file"
    assert server.request("DELETE", base + "/data/in.csv")[0] == 204
    assert server.request("GET", base + "/data/in.csv")[0] == 404
    assert server.request("DELETE", base + "/data/in.csv")[0] == 404
    assert server.request("GET", base + "?dir=nosuch")[0] == 404
    # the checks of a run's files
    for bad in ("../etc/passwd", "a/../../x", "a//b", "./x", "a/"):
        status, j = server.json("PUT", base + "/" + bad, b"x")
        assert status in (400, 404), (bad, status)
    status, j = server.json("PUT", base + "/%2e%2e/x", b"x")
    assert status == 400 and j["error"]["field"] == "path"
    status, j = server.json("GET", base + "?dir=../..")
    assert status == 400
    # a file a cell cannot see is not there: the host's /tmp is not the
    # session's
    marker = f"stockade-host-{os.getpid()}"
    open(f"/tmp/{marker}", "w").close()
    try:
        assert server.request("GET", f"{base}/{marker}")[0] == 404
    finally:
        os.unlink(f"/tmp/{marker}")
    end(server, s["id"])


def test_file_while_a_cell_runs(server):
    s = start(server)
    got = {}
    # the cell waits for a file that only a PUT while it runs can bring:
    # the agent's reader serves files beside the cell
    t = threading.Thread(target=lambda: got.update(exec_(
        server, s["id"], "import os, time\nfor _ in range(2000):\n"
                         "    if os.path.exists('/tmp/x'):\n        break\n"
                         "    time.sleep(0.01)\nopen('/tmp/x').read()")))
    t.start()
    wait_state(server, s["id"], "busy")
    assert server.request("PUT", f"/v1/sessions/{s['id']}/files/x", b"y")[0] == 204
    t.join(60)
    assert got["value"] == "'y'"
    end(server, s["id"])


# ---- limits and ends --------------------------------------------------------


def test_limits_across_cells(make_server):
    s = make_server()
    sess = start(s, {"profile": "python", "limits": {"memory": "200M", "tasks": 16}})
    a = exec_(s, sess["id"], "a = bytearray(120 << 20)\nlen(a)")
    assert a["status"] == "ok"
    # the memory the first cell kept counts against the second's
    b = exec_(s, sess["id"], "b = bytearray(120 << 20)")
    assert b["status"] == "ended"
    assert b["session"]["ended_by"] == "limit"
    assert b["session"]["record"]["verdict"] == "memory-limit"
    g = s.json("GET", f"/v1/sessions/{sess['id']}")[1]
    assert (g["state"], g["ended_by"]) == ("ended", "limit")
    # tasks: forks beyond the limit fail in the cell, as in any run;
    # nothing is killed, the session lives, and its children are gone
    sess = start(s, {"profile": "python", "limits": {"tasks": 16}})
    c = exec_(s, sess["id"], "import os\nwhile True:\n    os.fork()")
    assert c["status"] == "error" and c["error"]["type"] == "BlockingIOError"
    # a forked child finishes the cell and exits: it never answers for it
    time.sleep(1)
    # (zombies until someone waits, as after a script's forks)
    d = exec_(s, sess["id"], "import os\nlen([p for p in os.listdir('/proc') if p.isdigit() and "
                             "open(f'/proc/{p}/stat').read().split()[2] != 'Z'])")
    assert d["status"] == "ok" and int(d["value"]) <= 3, d
    end(s, sess["id"])


def test_cpu_across_cells(make_server):
    s = make_server()
    sess = start(s, {"profile": "python", "limits": {"cpu_time": 1.5}})
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass"
    assert exec_(s, sess["id"], spin)["status"] == "ok"
    assert exec_(s, sess["id"], spin)["status"] == "ok"
    c = exec_(s, sess["id"], spin)
    assert c["status"] == "ended" and c["session"]["record"]["verdict"] == "cpu-limit"


def test_idle_and_lifetime(make_server):
    s = make_server()
    idle = start(s, {"profile": "python", "idle_timeout": 1})
    life = start(s, {"profile": "python", "max_lifetime": "4s", "idle_timeout": 60})
    # busy is not idle: a cell runs past the lifetime
    got = exec_(s, life["id"], "import time\ntime.sleep(30)")
    assert got["status"] == "ended" and got["session"]["ended_by"] == "lifetime"
    assert got["session"]["record"]["verdict"] == "wall-limit"
    j = wait_state(s, idle["id"], "ended", timeout=20)
    assert j["ended_by"] == "idle" and j["idle_timeout"] == 1.0
    assert s.metric("stockade_sessions") == 0


def test_isolation(server):
    a, b = start(server), start(server)
    exec_(server, a["id"], "secret = 'a'\nopen('/tmp/secret', 'w').write('a')\nimport time")
    r = exec_(server, b["id"], "import os\n(os.path.exists('/tmp/secret'), 'secret' in globals(), "
                               "sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    exists, has_name, pids = eval(r["value"])
    assert (exists, has_name) == (False, False)
    # its own init, its agent, nothing of a's
    assert len(pids) <= 4, pids
    assert server.request("GET", f"/v1/sessions/{b['id']}/files/secret")[0] == 404
    end(server, a["id"])
    end(server, b["id"])


def test_a_cell_forging_frames(server):
    # A cell owns its interpreter, the agent included: it can write to
    # the agent's own channel.  What it sends is parsed as untrusted; off
    # the protocol, its session ends and nothing else does.
    forge = ("import os, sys, struct\nm = sys.modules['__main__']\n"
             "os.write(m.proto_out, {})")
    for frame, why in ((b"Z\0\0\0\1x", "an unknown frame"),
                       (b"o" + struct_be(0x7FFFFFF0), "a frame too large")):
        s = start(server)
        got = exec_(server, s["id"], forge.format(repr(frame)) + "\nimport time\ntime.sleep(30)")
        assert got["status"] == "ended" and got["session"]["ended_by"] == "error", (why, got)
        g = server.json("GET", f"/v1/sessions/{s['id']}")[1]
        assert g["state"] == "ended"
    # the service goes on, and so do other sessions
    other = start(server)
    assert exec_(server, other["id"], "6*7")["value"] == "42"
    assert server.request("GET", "/healthz")[0] == 200
    end(server, other["id"])


def struct_be(n):
    return n.to_bytes(4, "big")


# ---- refusals ---------------------------------------------------------------


def test_bad_requests(server):
    none = "0" * 32
    for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/exec"), ("POST", "/interrupt"),
                         ("GET", "/files"), ("GET", "/files/x"), ("PUT", "/files/x")):
        body = {"code": "1"} if path == "/exec" else (b"x" if method == "PUT" else None)
        status, j = server.json(method, f"/v1/sessions/{none}{path}", body)
        assert status == 404 and j["error"]["field"] == "id", (method, path)
    bad_starts = [
        ({"profile": "sh"}, "profile"),
        ({"profile": "nosuch"}, "profile"),
        ({}, "profile"),
        ({"profile": "python", "stdin": "x"}, "stdin"),
        ({"profile": "python", "command": ["sh"]}, "command"),
        ({"profile": "python", "limits": {"wall_time": 5}}, "limits.wall_time"),
        ({"profile": "python", "limits": {"output": "1M"}}, "limits.output"),
        ({"profile": "python", "limits": {"memory": "64G"}}, "limits.memory"),
        ({"profile": "python", "idle_timeout": 7200}, "idle_timeout"),
        ({"profile": "python", "max_lifetime": -1}, "max_lifetime"),
        ({"profile": "python", "max_lifetime": "soon"}, "max_lifetime"),
        ({"profile": "python", "network": "yes"}, "network"),
    ]
    for body, field in bad_starts:
        status, j = server.json("POST", "/v1/sessions", body)
        assert status == 400 and j["error"]["field"] == field, (body, status, j)
    assert server.json("POST", "/v1/sessions", b"{not json")[0] == 400
    s = start(server)
    for body in (b"", b"[]", b'{"code": 1}', b'{"code": "1", "x": 2}', b'{"cod": "1"}', b"\xff"):
        status, j = server.json("POST", f"/v1/sessions/{s['id']}/exec", body)
        assert status == 400, (body, status, j)
    assert server.json("POST", f"/v1/sessions/{s['id']}/exec?stream=maybe", {"code": "1"})[0] == 400
    assert server.json("PUT", f"/v1/sessions/{s['id']}")[0] == 405
    # every refusal left the session as it was
    assert exec_(server, s["id"], "1")["cell"] == 1
    sessions = server.json("GET", "/v1/sessions")[1]["sessions"]
    assert [x["id"] for x in sessions if x["state"] != "ended"] == [s["id"]]
    end(server, s["id"])


def test_tokens_and_quotas(make_server, install_dir):
    tokens = (token_line(install_dir, "alice", SECRET_A)
              + token_line(install_dir, "bob", SECRET_B))
    s = make_server(tokens=tokens, config="[server]\nsessions-per-token = 2\nmax-sessions = 3\n")
    assert s.request("POST", "/v1/sessions", {"profile": "python"})[0] == 401
    a1 = start(s, token=SECRET_A)
    a2 = start(s, token=SECRET_A)
    status, headers, _ = s.request("POST", "/v1/sessions", {"profile": "python"}, token=SECRET_A)
    assert status == 429 and headers["retry-after"]
    b1 = start(s, token=SECRET_B)
    status, j = s.json("POST", "/v1/sessions", {"profile": "python"}, token=SECRET_B)
    assert status == 429 and "every session" in j["error"]["message"]
    # another token's session does not exist for it
    for method, path in (("GET", ""), ("POST", "/exec"), ("DELETE", ""), ("GET", "/files")):
        status, _ = s.json(method, f"/v1/sessions/{a1['id']}{path}",
                           {"code": "1"} if path == "/exec" else None, token=SECRET_B)
        assert status == 404, (method, path)
    assert [x["id"] for x in s.json("GET", "/v1/sessions", token=SECRET_B)[1]["sessions"]] == [b1["id"]]
    assert {x["id"] for x in s.json("GET", "/v1/sessions", token=SECRET_A)[1]["sessions"]} == {
        a1["id"], a2["id"]}
    end(s, a1["id"], token=SECRET_A)
    assert start(s, token=SECRET_A)["state"] == "idle"


def test_restart_ends_sessions(make_server):
    before = snapshot()
    s = make_server()
    sess = start(s)
    exec_(s, sess["id"], "x = 1")
    # a session does not hold the drain: it ends with the service
    assert s.terminate(timeout=30) == 0
    assert "draining" in s.text()
    # what earlier servers left may go meanwhile; nothing may be added
    diff = leftovers(before, settle=5)
    assert not any(v.get("added") for v in diff.values()), diff


def test_page(make_server, install_dir):
    import subprocess
    # an explicit --web that cannot be read is an error at the start
    p = subprocess.run([str(install_dir / "stockade"), "serve", "--listen", "127.0.0.1:0",
                        "--web", "/nonexistent"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "/nonexistent" in p.stderr
    web = install_dir / "web-test"
    (web / "assets").mkdir(parents=True, exist_ok=True)
    (web / "index.html").write_text("<!doctype html><title>t</title>")
    (web / "assets" / "app.js").write_text("console.log(1)")
    s = make_server(args=("--web", str(web)))
    status, headers, data = s.request("GET", "/")
    assert status == 200 and data == b"<!doctype html><title>t</title>"
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, data = s.request("GET", "/assets/app.js")
    assert (status, data) == (200, b"console.log(1)")
    assert headers["content-type"].startswith("text/javascript")
    for bad in ("/assets/nosuch.js", "/assets/index.html", "/index.html", "/assets/../index.html"):
        assert s.request("GET", bad)[0] == 404, bad
    assert s.request("POST", "/", b"x")[0] == 405


# ---- the terminal -----------------------------------------------------------


def read_until(ws, text, timeout=30):
    out = b""
    ws.sock.settimeout(timeout)
    while text not in out:
        op, data = ws.recv()
        if op == 8:
            raise AssertionError(f"closed {data} before {text!r}: {out!r}")
        if op == 2:
            out += data
    return out


def test_pty(server):
    s = start(server)
    ws = WebSocket(server.port, f"/v1/sessions/{s['id']}/pty")
    try:
        read_until(ws, b">>> ")
        ws.send(b"x = 6*7\r")
        ws.send(b"x\r")
        assert b"42" in read_until(ws, b"42\r\n")
        ws.send(json.dumps({"type": "resize", "cols": 100, "rows": 30}))
        ws.send(b"import os; os.get_terminal_size()\r")
        read_until(ws, b"columns=100, lines=30")
        # plain text that is no JSON is input too
        ws.send("print('t' + 'ext')\r")
        read_until(ws, b"text\r\n")
        g = server.json("GET", f"/v1/sessions/{s['id']}")[1]
        assert g["terminal"] is True
        # one terminal at a time
        with pytest.raises(HandshakeError) as e:
            WebSocket(server.port, f"/v1/sessions/{s['id']}/pty")
        assert e.value.status == 409
        ws.send(b"exit()\r")
        msgs = []
        while True:
            op, data = ws.recv()
            msgs.append((op, data))
            if op == 8:
                break
        assert (1, b'{"type":"exit","status":0}') in msgs and msgs[-1] == (8, 1000)
    finally:
        ws.close()
    # the session stays, and a new terminal can open; the cells are
    # another interpreter's
    assert exec_(server, s["id"], "'x' in globals()")["value"] == "False"
    ws = WebSocket(server.port, f"/v1/sessions/{s['id']}/pty")
    read_until(ws, b">>> ")
    ws.close()
    end(server, s["id"])


def test_pty_refusals(make_server, install_dir):
    s = make_server(tokens=token_line(install_dir, "alice", SECRET_A))
    sess = start(s, token=SECRET_A)
    path = f"/v1/sessions/{sess['id']}/pty"
    auth = {"Authorization": f"Bearer {SECRET_A}"}
    cases = [
        ({}, 401),
        ({"Authorization": "Bearer wrong-secret-0123456789"}, 401),
        (dict(auth, Upgrade=None), 400),
        (dict(auth, Connection="keep-alive"), 400),
        (dict(auth, **{"Sec-WebSocket-Version": "8"}), 400),
        (dict(auth, **{"Sec-WebSocket-Key": "short"}), 400),
        (dict(auth, **{"Sec-WebSocket-Key": base64.b64encode(b"x" * 17).decode()}), 400),
        (dict(auth, **{"Sec-WebSocket-Key": None}), 400),
    ]
    for headers, status in cases:
        with pytest.raises(HandshakeError) as e:
            WebSocket(s.port, path, headers=headers)
        assert e.value.status == status, (headers, e.value.head)
    with pytest.raises(HandshakeError) as e:
        WebSocket(s.port, f"/v1/sessions/{'0' * 32}/pty", headers=auth)
    assert e.value.status == 404
    # a browser's WebSocket sends the token in the query
    ws = WebSocket(s.port, f"{path}?access_token={SECRET_A}")
    read_until(ws, b">>> ")
    # a text message that looks like JSON must be a control message
    ws.send('{"type": "paste", "data": "x"}')
    while True:
        op, data = ws.recv()
        if op == 8:
            assert data == 1008
            break
    ws.close()
    # a resize out of bounds is no control message either
    time.sleep(0.5)
    ws = WebSocket(s.port, path, headers=auth)
    read_until(ws, b">>> ")
    ws.send(json.dumps({"type": "resize", "cols": 0, "rows": 5}))
    assert ws.recv()[0] == 8 and ws.closed == 1008
    ws.close()
    # the session outlived both
    assert exec_(s, sess["id"], "1", token=SECRET_A)["value"] == "1"


def test_pty_session_ends(server):
    s = start(server)
    ws = WebSocket(server.port, f"/v1/sessions/{s['id']}/pty")
    read_until(ws, b">>> ")
    end(server, s["id"])
    while True:
        op, data = ws.recv()
        if op == 8:
            assert data == 1001
            break
    ws.close()
