"""The run API end to end (docs/api.md): every endpoint, every refusal,
streaming, metrics, tokens, CORS, back-pressure, the drain and the
service's own confinement, over real HTTP on loopback."""
import base64
import json
import os
import socket
import threading
import time

import pytest

from support import leftovers, proc_status, snapshot, unique

PRINT1 = {"profile": "python", "stdin": "print(1)"}


# ---- runs -------------------------------------------------------------------


def test_health_and_ready(server):
    assert server.request("GET", "/healthz")[0] == 200
    status, _, body = server.request("GET", "/readyz")
    assert (status, body) == (200, b"ready\n")


def test_python_run(server):
    r = server.run(PRINT1)
    assert r["verdict"] == "ok" and r["exit_code"] == 0
    assert (r["stdout"], r["stderr"]) == ("1\n", "")
    assert r["stdout_encoding"] == "utf8" and r["status"] == "done"
    assert len(r["id"]) == 32 and r["profile"] == "python"
    assert r["mode"] == server.mode
    # the whole record of docs/record.md
    assert r["record_version"] == 1 and "limits" in r["enforced"]


def test_output_not_utf8_is_base64(server):
    r = server.run({"profile": "python",
                    "stdin": "import sys\nsys.stdout.buffer.write(b'\\xff\\x00a')\nprint('é', file=sys.stderr)"})
    assert r["stdout_encoding"] == "base64"
    assert base64.b64decode(r["stdout"]) == b"\xff\x00a"
    assert (r["stderr"], r["stderr_encoding"]) == ("é\n", "utf8")


def test_exit_env_args_command(server):
    r = server.run({"profile": "sh", "stdin": 'echo "$A $1 $2"; exit 7', "env": {"A": "x"},
                    "args": ["one", "two"]})
    assert (r["verdict"], r["exit_code"], r["stdout"]) == ("exit", 7, "x one two\n")
    r = server.run({"profile": "sh", "command": ["sh", "-c", 'echo "$0:$1"', "zero", "one"]})
    assert r["stdout"] == "zero:one\n"


def test_files(server):
    code = ("import os, stat\n"
            "print(open('/tmp/a/b.txt').read())\n"
            "print(open('/tmp/bin.dat','rb').read())\n"
            "print(oct(stat.S_IMODE(os.stat('/tmp/run.sh').st_mode)))\n")
    r = server.run({"profile": "python", "stdin": code, "files": [
        {"path": "a/b.txt", "content": "hello"},
        {"path": "bin.dat", "content": base64.b64encode(b"\x00\xff").decode(), "encoding": "base64"},
        {"path": "run.sh", "content": "#!/bin/sh\n", "mode": 0o755}]})
    assert r["stdout"] == "hello\nb'\\x00\\xff'\n0o755\n", r["stderr"]


def test_c_compiles_apart(server):
    src = ('#include <stdio.h>\nint main(int c, char **v){int n; scanf("%d",&n);'
           ' printf("%d %s\\n", n*2, v[1]); return 0;}\n')
    r = server.run({"profile": "c", "files": [{"path": "main.c", "content": src}], "stdin": "21",
                    "args": ["x"]})
    assert (r["stage"], r["verdict"], r["stdout"]) == ("run", "ok", "42 x\n"), r
    # the compile stage's record and messages apart; the run's command
    # is the program it built
    c = r["compile"]
    assert c["verdict"] == "ok" and c["stderr"] == "" and "stdout" not in c
    assert r["command"] == ["/tmp/main", "x"] and "cc" in c["command"]
    assert c["wall_seconds"] > 0 and r["wall_seconds"] > 0
    r = server.run({"profile": "c", "files": [{"path": "main.c", "content": "int main(void){ return x; }"}]})
    assert (r["stage"], r["verdict"], r["stdout"], r["stderr"]) == ("compile", "exit", "", "")
    assert "undeclared" in r["compile"]["stderr"] and r["compile"]["verdict"] == "exit"
    # the request's limits are the run stage's, not the compiler's
    r = server.run({"profile": "c", "files": [{"path": "main.c", "content": "int main(void){for(;;);}"}],
                    "limits": {"wall_time": 1}})
    assert (r["stage"], r["verdict"], r["compile"]["verdict"]) == ("run", "wall-limit", "ok")


def test_java_compiles_apart(root_server):
    src = "public class Main { public static void main(String[] a) { System.out.println(6 * 7); } }"
    r = root_server.run({"profile": "java", "files": [{"path": "Main.java", "content": src}]})
    assert (r["stage"], r["verdict"], r["stdout"]) == ("run", "ok", "42\n"), r
    r = root_server.run({"profile": "java", "files": [{"path": "Main.java", "content": "class Main { int x = ; }"}]})
    assert r["stage"] == "compile" and "error" in r["compile"]["stderr"]


def test_compile_events(root_server):
    status, j = root_server.json("POST", "/v1/runs?wait=false", {
        "profile": "c", "files": [{"path": "main.c", "content": "int main(void){ return x; }"}]})
    assert status == 202
    events, _ = read_events(root_server, j["id"])
    kinds = [k for k, _ in events]
    assert kinds[0] == "compile" and kinds[-1] == "record" and "stdout" not in kinds
    assert "undeclared" in "".join(e["data"] for k, e in events if k == "compile")


@pytest.mark.parametrize("body,verdict", [
    ({"profile": "python", "stdin": "while 1: pass", "limits": {"wall_time": 1}}, "wall-limit"),
    ({"profile": "python", "stdin": "while 1: pass", "limits": {"cpu_time": "500ms"}}, "cpu-limit"),
    ({"profile": "python", "stdin": "print('x' * 100000)", "limits": {"output": "10k"}}, "output-limit"),
    ({"profile": "python", "stdin": "import os\nwhile True: os.fork()",
      "limits": {"tasks": 16, "wall_time": 5}}, "tasks-limit"),
])
def test_limits(root_server, body, verdict):
    assert root_server.run(body)["verdict"] == verdict


def test_memory_limit(root_server):
    r = root_server.run({"profile": "python", "stdin": "x = bytearray(400 << 20)",
                         "limits": {"memory": "64M"}})
    assert r["verdict"] == "memory-limit"


def test_limits_applied_are_the_requests(server):
    r = server.run({"profile": "sh", "stdin": "true",
                    "limits": {"wall_time": "2s", "tasks": 9, "memory": "100M"}})
    limits = r["enforced"]["limits"]
    assert limits["wall_time_ns"]["value"] == 2 * 10**9
    assert limits["tasks"]["value"] == 9
    assert limits["memory_bytes"]["value"] == 100 << 20


def test_network_off_by_default(server):
    r = server.run({"profile": "python",
                    "stdin": "import socket\ntry:\n socket.socket()\n print('made')\nexcept OSError as e:\n print(e.errno)"})
    assert r["stdout"] != "made\n"


# ---- asynchronous runs and events -------------------------------------------


def wait_done(server, run_id, token=None):
    for _ in range(600):
        status, j = server.json("GET", f"/v1/runs/{run_id}", token=token)
        assert status == 200
        if j["status"] == "done":
            return j
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def test_wait_false_then_get(server):
    status, headers, data = server.request("POST", "/v1/runs?wait=false",
                                           {"profile": "sh", "stdin": "sleep 0.3; echo late"})
    assert status == 202
    j = json.loads(data)
    assert j["status"] in ("queued", "running") and "verdict" not in j
    r = wait_done(server, j["id"])
    assert (r["verdict"], r["stdout"]) == ("ok", "late\n")


def read_events(server, run_id):
    c = server.conn()
    c.request("GET", f"/v1/runs/{run_id}/events")
    resp = c.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/event-stream"
    events, kind, stamps = [], None, []
    for raw in resp:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[6:])))
            stamps.append(time.monotonic())
    c.close()
    return events, stamps


def test_events_stream_as_output_comes(server):
    status, j = server.json("POST", "/v1/runs?wait=false", {
        "profile": "sh", "stdin": "echo a; sleep 0.6; echo b >&2; sleep 0.6; echo c"})
    assert status == 202
    events, stamps = read_events(server, j["id"])
    assert [(k, e.get("data")) for k, e in events[:-1]] == [
        ("stdout", "a\n"), ("stderr", "b\n"), ("stdout", "c\n")]
    kind, record = events[-1]
    assert kind == "record" and record["verdict"] == "ok" and record["stdout"] == "a\nc\n"
    # each came when written, not all at the end
    assert stamps[2] - stamps[0] > 0.8


def test_events_of_an_ended_run_replay(server):
    r = server.run({"profile": "sh", "stdin": "echo x"})
    events, _ = read_events(server, r["id"])
    assert [k for k, _ in events] == ["stdout", "record"]


def test_cancel(server):
    status, j = server.json("POST", "/v1/runs?wait=false", {"profile": "sh", "stdin": "sleep 30"})
    assert status == 202
    for _ in range(100):
        if server.json("GET", f"/v1/runs/{j['id']}")[1]["status"] == "running":
            break
        time.sleep(0.05)
    assert server.request("DELETE", f"/v1/runs/{j['id']}")[0] == 202
    assert wait_done(server, j["id"])["verdict"] == "cancelled"


def test_unknown_run(server):
    assert server.request("GET", "/v1/runs/0123456789abcdef0123456789abcdef")[0] == 404
    assert server.request("GET", "/v1/runs/nothex")[0] == 404
    assert server.request("GET", "/v1/runs/0123/events")[0] == 404


def test_batch(server):
    status, j = server.json("POST", "/v1/runs:batch", {"runs": [
        {"profile": "sh", "stdin": "echo 1"}, {"profile": "python", "stdin": "print(2)"},
        {"profile": "sh", "stdin": "exit 4"}]})
    assert status == 200
    assert [(r["verdict"], r["stdout"]) for r in j["runs"]] == [("ok", "1\n"), ("ok", "2\n"), ("exit", "")]
    status, j = server.json("POST", "/v1/runs:batch?wait=false", {"runs": [PRINT1, PRINT1]})
    assert status == 202 and len(j["runs"]) == 2
    assert all(wait_done(server, r["id"])["stdout"] == "1\n" for r in j["runs"])


def test_batch_refusals(root_server):
    status, j = root_server.json("POST", "/v1/runs:batch", {"runs": [PRINT1, {"profile": "nope"}]})
    assert status == 400 and j["error"]["field"] == "runs[1].profile"
    status, j = root_server.json("POST", "/v1/runs:batch", {"runs": [PRINT1] * 17})
    assert status == 400 and j["error"]["field"] == "runs"
    assert root_server.json("POST", "/v1/runs:batch", {"runs": []})[0] == 400
    assert root_server.json("POST", "/v1/runs:batch", [PRINT1])[0] == 400


def test_profiles(server):
    status, j = server.json("GET", "/v1/profiles")
    assert status == 200
    by_name = {p["name"]: p for p in j["profiles"]}
    assert set(by_name) == {"c", "java", "node", "perl", "python", "sh"}
    py = by_name["python"]
    assert py["command"] == ["python3", "-I", "-u", "-"]
    assert py["limits"]["memory"] == 512 << 20 and py["limits"]["wall_time"] == 60
    # the server's maximum on output (1M) is below the profile's 16M
    assert py["limits"]["output"] == 1 << 20
    assert "CPython" in py["description"] and py["network_allowed"] is False
    assert py["compile"] is None
    assert by_name["c"]["compile"]["artifact"] == "/tmp/main"
    assert by_name["c"]["command"] == ["/tmp/main"]


def test_metrics_follow_runs(root_server):
    before = root_server.metrics()
    root_server.run({"profile": "sh", "stdin": "exit 2"})
    root_server.run({"profile": "sh", "stdin": "true"})
    root_server.json("POST", "/v1/runs", {"profile": 1})
    after = root_server.metrics()

    def delta(key):
        return after.get(key, 0) - before.get(key, 0)

    assert delta('stockade_runs_total{verdict="exit"}') == 1
    assert delta('stockade_runs_total{verdict="ok"}') == 1
    assert delta('stockade_http_responses_total{code="4xx"}') == 1
    assert delta("stockade_run_seconds_count") == 2
    assert delta("stockade_queue_wait_seconds_count") == 2
    assert delta("stockade_sandbox_cpu_seconds_total") > 0
    assert after["stockade_runs_in_flight"] == 0 and after["stockade_runs_queued"] == 0


# ---- refusals -----------------------------------------------------------------


@pytest.mark.parametrize("body,field", [
    (b"{", "body"),
    (b"\xff", "body"),
    (b'{"profile": "python", "stdin": "\xff"}', "body"),
    (b'{"profile": "python", "profile": "sh"}', "body"),
    (b"[]", "body"),
    ({}, "profile"),
    ({"profile": "nope"}, "profile"),
    ({"profile": 5}, "profile"),
    ({"profile": "python", "binds": ["/etc"]}, "binds"),
    ({"profile": "python", "stdin": 5}, "stdin"),
    ({"profile": "python", "command": "ls"}, "command"),
    ({"profile": "python", "command": []}, "command"),
    ({"profile": "python", "command": ["", "x"]}, "command"),
    ({"profile": "python", "args": [1]}, "args"),
    ({"profile": "python", "env": {"A B": "x"}}, "env.A B"),
    ({"profile": "python", "env": {"A": 1}}, "env.A"),
    ({"profile": "python", "network": "yes"}, "network"),
    ({"profile": "python", "network": True}, "network"),
    ({"profile": "python", "limits": {"memory": "100G"}}, "limits.memory"),
    ({"profile": "python", "limits": {"wall_time": 3600}}, "limits.wall_time"),
    ({"profile": "python", "limits": {"wall_time": "soon"}}, "limits.wall_time"),
    ({"profile": "python", "limits": {"tasks": 0}}, "limits.tasks"),
    ({"profile": "python", "limits": {"tasks": 1.5}}, "limits.tasks"),
    ({"profile": "python", "limits": {"stack": "1M"}}, "limits.stack"),
    ({"profile": "python", "limits": []}, "limits"),
    ({"profile": "python", "files": {}}, "files"),
    ({"profile": "python", "files": [{"path": "/etc/passwd", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "../x", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "a/./x", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "a//x", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "a/", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "", "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "x" * 256, "content": ""}]}, "files[0].path"),
    ({"profile": "python", "files": [{"path": "x"}]}, "files[0].content"),
    ({"profile": "python", "files": [{"path": "x", "content": "a", "encoding": "hex"}]}, "files[0].encoding"),
    ({"profile": "python", "files": [{"path": "x", "content": "a=", "encoding": "base64"}]}, "files[0].content"),
    ({"profile": "python", "files": [{"path": "x", "content": "", "mode": 0o4755}]}, "files[0].mode"),
    ({"profile": "python", "files": [{"path": "x", "content": "", "owner": 0}]}, "files[0].owner"),
    ({"profile": "python", "files": [{"path": "x", "content": ""}, {"path": "x", "content": ""}]},
     "files[1].path"),
    ({"profile": "python", "files": [{"path": f"f{i}", "content": ""} for i in range(65)]}, "files"),
])
def test_bad_request(root_server, body, field):
    status, headers, data = root_server.request("POST", "/v1/runs", body)
    assert status == 400, data
    assert headers["content-type"] == "application/json"
    err = json.loads(data)["error"]
    assert err["field"] == field and err["message"], err


def test_nul_in_a_path(root_server):
    # JSON's \u0000: the parser refuses it before any field is looked at
    status, j = root_server.json("POST", "/v1/runs",
                                 b'{"profile":"python","files":[{"path":"a\\u0000b","content":""}]}')
    assert status == 400 and j["error"]["field"] == "body"


def test_routes(root_server):
    assert root_server.request("GET", "/nothing")[0] == 404
    status, headers, _ = root_server.request("PUT", "/v1/runs", b"{}")
    assert status == 405
    assert root_server.request("GET", "/v1/runs?wait=maybe")[0] == 405
    assert root_server.request("POST", "/v1/runs?wait=maybe", PRINT1)[0] == 400


def test_body_too_large(make_server):
    s = make_server(config="[server]\nmax-body = 64k\n")
    big = {"profile": "python", "stdin": "#" * (100 << 10)}
    status, _, data = s.request("POST", "/v1/runs", big)
    assert status == 413 and json.loads(data)["error"]["field"] == "body"
    # chunked, no length to refuse up front: refused once it passes the bound
    c = s.conn()
    c.putrequest("POST", "/v1/runs")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b"#" * 8192
    for _ in range(10):
        c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    c.send(b"0\r\n\r\n")
    assert c.getresponse().status == 413
    c.close()
    assert s.run(PRINT1)["stdout"] == "1\n"


def test_headers_too_large(root_server):
    status = root_server.request("GET", "/healthz", headers={"X-Big": "a" * (128 << 10)})[0]
    assert status in (413, 431)


def test_slow_client_is_dropped(make_server):
    s = make_server(config="[server]\nconnection-timeout = 1s\n")
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: x\r\n")
    sock.settimeout(10)
    t0 = time.monotonic()
    assert sock.recv(1024) == b""  # closed, no answer
    assert time.monotonic() - t0 < 8
    sock.close()


def test_connection_limit(make_server):
    """Beyond max-connections a connection waits in the listen backlog,
    unserved, until another ends."""
    s = make_server(config="[server]\nmax-connections = 4\n")
    held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(4)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", s.port))
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    extra.settimeout(1)
    with pytest.raises(socket.timeout):
        extra.recv(1024)
    for h in held:
        h.close()
    extra.settimeout(10)
    assert extra.recv(1024).startswith(b"HTTP/1.1 200")
    extra.close()


# ---- tokens, CORS -------------------------------------------------------------

SECRET_A = "a-secret-of-alice-0123456789"
SECRET_B = "b-secret-of-bob-0123456789ab"


def token_line(install_dir, name, secret, extra=""):
    import subprocess
    out = subprocess.run([str(install_dir / "stockade"), "serve", "--hash-token"], input=secret,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out.startswith("sha256:") and len(out) == 7 + 64
    return f"{name} {out} {extra}\n"


def test_tokens(make_server, install_dir):
    tokens = (token_line(install_dir, "alice", SECRET_A)
              + token_line(install_dir, "bob", SECRET_B, "profiles=sh"))
    s = make_server(tokens="# who may run\n" + tokens)
    status, headers, data = s.request("POST", "/v1/runs", PRINT1)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert s.request("POST", "/v1/runs", PRINT1, token="wrong-secret-0123456789")[0] == 401
    assert s.request("GET", "/v1/profiles")[0] == 401
    assert s.request("GET", "/metrics")[0] == 401
    assert s.request("GET", "/healthz")[0] == 200
    assert s.run(PRINT1, token=SECRET_A)["stdout"] == "1\n"
    status, j = s.json("POST", "/v1/runs", PRINT1, token=SECRET_B)
    assert status == 403 and j["error"]["field"] == "profile"
    # a run is its token's: another token cannot tell it exists
    status, j = s.json("POST", "/v1/runs?wait=false", {"profile": "sh", "stdin": "true"}, token=SECRET_B)
    assert status == 202
    assert s.request("GET", f"/v1/runs/{j['id']}", token=SECRET_A)[0] == 404
    assert s.request("DELETE", f"/v1/runs/{j['id']}", token=SECRET_A)[0] == 404
    assert wait_done(s, j["id"], token=SECRET_B)["verdict"] == "ok"
    # the tokens file holds no secret
    assert SECRET_A not in (s.dir / "tokens").read_text()


def test_token_concurrency_and_rate(make_server, install_dir):
    tokens = (token_line(install_dir, "one", SECRET_A, "concurrency=1")
              + token_line(install_dir, "slow", SECRET_B, "rate=0.5 burst=2"))
    s = make_server(tokens=tokens)
    status, j = s.json("POST", "/v1/runs?wait=false", {"profile": "sh", "stdin": "sleep 2"}, token=SECRET_A)
    assert status == 202
    status, headers, _ = s.request("POST", "/v1/runs", PRINT1, token=SECRET_A)
    assert status == 429 and headers["retry-after"]
    wait_done(s, j["id"], token=SECRET_A)
    assert s.run(PRINT1, token=SECRET_A)["stdout"] == "1\n"
    got = [s.request("GET", "/v1/profiles", token=SECRET_B) for _ in range(3)]
    assert [g[0] for g in got] == [200, 200, 429]
    assert int(got[2][1]["retry-after"]) >= 1
    m = s.metrics(token=SECRET_A)
    assert m['stockade_rejected_total{reason="token-concurrency"}'] == 1
    assert m['stockade_rejected_total{reason="token-rate"}'] == 1


@pytest.mark.parametrize("text", [
    "alice sha256:1234\n",
    "alice\n",
    "alice sha256:" + "0" * 64 + " rate=-1\n",
    "alice sha256:" + "0" * 64 + " colour=blue\n",
    "# nothing\n",
])
def test_bad_tokens_file(install_dir, text, tmp_path):
    import subprocess
    p = tmp_path / "tokens"
    p.write_text(text)
    cp = subprocess.run([str(install_dir / "stockade"), "serve", "--listen", "127.0.0.1:0", "--tokens", str(p)],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 2 and "tokens" in cp.stderr


def test_world_writable_tokens_refused(install_dir, tmp_path):
    import subprocess
    p = tmp_path / "tokens"
    p.write_text("alice sha256:" + "0" * 64 + "\n")
    os.chmod(p, 0o666)
    cp = subprocess.run([str(install_dir / "stockade"), "serve", "--listen", "127.0.0.1:0", "--tokens", str(p)],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 2 and "writable by others" in cp.stderr


def test_cors(make_server):
    s = make_server(config="[server]\ncors-origins = https://app.example, https://b.example\n")
    status, headers, _ = s.request("POST", "/v1/runs", PRINT1, headers={"Origin": "https://app.example"})
    assert status == 200 and headers["access-control-allow-origin"] == "https://app.example"
    status, headers, _ = s.request("POST", "/v1/runs", PRINT1, headers={"Origin": "https://evil.example"})
    assert status == 200 and "access-control-allow-origin" not in headers
    status, headers, _ = s.request("OPTIONS", "/v1/runs", headers={
        "Origin": "https://b.example", "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["access-control-allow-origin"] == "https://b.example"
    assert "Authorization" in headers["access-control-allow-headers"]


# ---- back-pressure and the drain ------------------------------------------------


def test_queue_full_is_429(make_server):
    s = make_server(args=["--workers", "1", "--queue", "1"])
    slow = {"profile": "sh", "stdin": "sleep 1.5"}
    ids = [s.json("POST", "/v1/runs?wait=false", slow) for _ in range(2)]
    assert [i[0] for i in ids] == [202, 202]
    status, headers, data = s.request("POST", "/v1/runs", PRINT1)
    assert status == 429 and headers["retry-after"] == "1"
    assert s.request("GET", "/readyz")[0] == 503
    assert s.metrics()['stockade_rejected_total{reason="queue-full"}'] == 1
    for _, j in ids:
        assert wait_done(s, j["id"])["verdict"] == "ok"
    assert s.run(PRINT1)["stdout"] == "1\n"


def test_sigterm_drains(make_server):
    marker = unique("drain")
    before = snapshot(marker)
    s = make_server()
    out = {}

    def slow():
        out["run"] = s.json("POST", "/v1/runs", {"profile": "sh", "command": ["sh", "-c", "sleep 1; echo done",
                                                                             marker]})

    t = threading.Thread(target=slow)
    t.start()
    for _ in range(100):
        if s.metrics().get("stockade_runs_in_flight") == 1:
            break
        time.sleep(0.05)
    s.proc.send_signal(15)
    time.sleep(0.2)
    # no new connection once draining
    with pytest.raises(OSError):
        s.request("GET", "/healthz", timeout=2)
    t.join(30)
    status, j = out["run"]
    assert status == 200 and (j["verdict"], j["stdout"]) == ("ok", "done\n")
    assert s.proc.wait(30) == 0
    assert "draining" in s.text() and "stopped" in s.text()
    assert leftovers(before, marker) == {}


def test_drain_deadline_cancels(make_server):
    s = make_server(config="[server]\ndrain-timeout = 1s\n")
    status, j = s.json("POST", "/v1/runs?wait=false", {"profile": "sh", "stdin": "sleep 60"})
    assert status == 202
    time.sleep(0.5)
    t0 = time.monotonic()
    s.proc.send_signal(15)
    s.proc.wait(30)
    assert time.monotonic() - t0 < 15


# ---- settings ------------------------------------------------------------------


@pytest.mark.parametrize("config,message", [
    ("[server]\nworkers = 0\n", "workers"),
    ("[server]\nqueue = lots\n", "queue"),
    ("[server]\ncolour = blue\n", "colour"),
    ("[elsewhere]\nx = 1\n", "elsewhere"),
    ("[limits]\nmemory = huge\n", "memory"),
    ("[limits]\nstack = 1M\n[limits]\ncolour = 2\n", "colour"),
    ("[server]\nprofiles = python, nosuch\n", "nosuch"),
    ("[server]\nlisten = 10.1.2.3:80\n", "loopback"),
    ("[server]\nmax-body = 1\n", "max-body"),
    ("not ini at all", "serve.conf"),
])
def test_bad_config(install_dir, tmp_path, config, message):
    import subprocess
    p = tmp_path / "serve.conf"
    p.write_text(config)
    cp = subprocess.run([str(install_dir / "stockade"), "serve", "--config", str(p)],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 2, cp.stderr
    assert message in cp.stderr


def test_bad_flags(install_dir):
    import subprocess
    for args in (["--workers", "x"], ["--listen", "nowhere"], ["--nosuch"], ["extra"],
                 ["--config", "/nonexistent/serve.conf"], ["--user", "nosuchuser"]):
        cp = subprocess.run([str(install_dir / "stockade"), "serve"] + args,
                            capture_output=True, text=True, timeout=30)
        assert cp.returncode == 2, (args, cp.stderr)


def test_config_limits_and_network(make_server):
    s = make_server(config="[server]\nprofiles = python, sh\nnetwork = python\n[limits]\nmemory = 128M\n")
    status, j = s.json("GET", "/v1/profiles")
    by_name = {p["name"]: p for p in j["profiles"]}
    assert set(by_name) == {"python", "sh"}
    assert by_name["python"]["limits"]["memory"] == 128 << 20
    assert by_name["python"]["network_allowed"] and not by_name["sh"]["network_allowed"]
    status, j = s.json("POST", "/v1/runs", {"profile": "python", "limits": {"memory": "256M"}})
    assert status == 400 and j["error"]["field"] == "limits.memory"
    code = "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\nprint('bound')"
    r = s.run({"profile": "python", "stdin": code, "network": True})
    assert r["stdout"] == "bound\n", r["stderr"]
    r = s.run({"profile": "python", "stdin": code})
    assert r["stdout"] != "bound\n"
    assert s.json("POST", "/v1/runs", {"profile": "sh", "network": True})[0] == 400


# ---- the service's own confinement ----------------------------------------------


def status_fields(pid):
    return {k: v.split() for k, v in proc_status(pid).items()}


def test_front_is_confined(server):
    runner, front = server.pids()[:2]
    st = status_fields(front)
    assert st["NoNewPrivs"] == ["1"]
    assert st["Seccomp"] == ["2"]
    assert st["CapEff"] == ["0000000000000000"]
    assert st["Uid"] == ["65534"] * 4
    assert status_fields(runner)["Uid"][0] == ("0" if server.mode == "root" else "65534")
    # beyond its stdio the front holds no file of the host: sockets, epoll,
    # its signalfd and timerfd
    for fd in set(os.listdir(f"/proc/{front}/fd")) - {"0", "1", "2"}:
        target = os.readlink(f"/proc/{front}/fd/{fd}")
        assert not target.startswith("/") or target.startswith("/dev/null") \
            or target.startswith("/memfd:"), target


def test_nothing_left(make_server):
    marker = unique("serve")
    before = snapshot(marker)
    s = make_server()
    for _ in range(5):
        r = s.run({"profile": "sh", "command": ["sh", "-c", "echo $0", marker]})
        assert r["stdout"] == marker + "\n"
    assert s.terminate() == 0
    assert leftovers(before, marker) == {}
