"""stockade.Client against a real `stockade serve` on a loopback port:
the same calls and the same Result as the library form."""
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stockade
from conftest import ROOT, ROOT_MODE

pytestmark = pytest.mark.skipif(not ROOT_MODE, reason="the root pass starts the service")

BINARY = Path(os.environ.get("STOCKADE") or ROOT / "build" / "stockade")
SECRET = "s3cret-token-of-the-client-tests"


@pytest.fixture(scope="module")
def serving():
    """tests/serve's server module (imported here: the unprivileged pass
    runs a copy of this directory without the tree)."""
    sys.path.insert(0, str(ROOT / "tests" / "serve"))
    import server

    return server


@pytest.fixture(scope="module")
def install_dir(serving):
    d = serving.install_copy(BINARY)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(serving, install_dir):
    line = subprocess.run([str(install_dir / "stockade"), "serve", "--hash-token"],
                          input=SECRET, capture_output=True, text=True, check=True).stdout.strip()
    s = serving.Server(install_dir, tokens=f"tests {line}\n")
    yield s
    s.close()


@pytest.fixture
def client(server):
    return stockade.Client(f"http://127.0.0.1:{server.port}", token=SECRET, timeout=60)


def test_run(client):
    r = client.run("print(6 * 7)")
    assert (r.verdict, r.exit_code, r.stdout, r.stderr) == ("ok", 0, b"42\n", b"")
    assert len(r.id) == 32 and r.stage == "run" and r.compile is None
    assert r.record["profile"] == "python" and r.memory_peak > 0 and r.cpu_seconds > 0


def test_the_same_result_as_the_library(client):
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(4)"
    remote, local = client.run(code, text=True), stockade.run(code, text=True)
    for field in ("verdict", "exit_code", "signal", "exit_status", "stdout", "stderr", "denied"):
        assert getattr(remote, field) == getattr(local, field), field


def test_code_with_stdin_files_env_args(client):
    r = client.run("import os, sys; print(sys.argv[1:], sys.stdin.read(), open('/tmp/d/x').read(),"
                   " os.environ['A'])", stdin="in", files={"d/x": "file"}, env={"A": "a"},
                   text=True)
    assert r.ok, r.stderr
    # the code went to /tmp/program: stdin was the caller's
    assert r.stdout == "[] in file a\n"
    r = client.run(argv=["sh", "-c", 'echo "$@"', "sh"], args=["x", "y"], profile="sh")
    assert r.stdout == b"x y\n"


def test_binary_output_and_files(client):
    r = client.run("import sys; sys.stdout.buffer.write(open('/tmp/b', 'rb').read())",
                   files={"/tmp/b": (b"\xff\x00\xfe", 0o600)})
    assert r.stdout == b"\xff\x00\xfe"


def test_limits_tighten(client):
    r = client.run("while True: pass", wall_time=0.3)
    assert r.verdict == "wall-limit"
    r = client.run("x = bytearray(200 << 20)", memory="32M")
    assert r.verdict == "memory-limit"
    with pytest.raises(stockade.ServiceError) as e:
        client.run("print(1)", memory="64G")
    assert e.value.status == 400 and e.value.field == "limits.memory"
    with pytest.raises(stockade.ConfigError):
        client.run("print(1)", stack="1M")  # the server's own


def test_compile_stage(client):
    r = client.run(profile="c", stdin="21", files={
        "main.c": "#include <stdio.h>\nint main(void){int n; scanf(\"%d\", &n); printf(\"%d\\n\", 2*n);}"})
    assert r.ok and r.stdout == b"42\n" and r.compile["verdict"] == "ok"
    r = client.run(profile="c", files={"main.c": "int main(void) { syntax error }"})
    assert r.stage == "compile" and r.verdict == "exit" and "error" in r.compile["stderr"]


def test_streaming(client):
    pieces = []
    r = client.run("import sys\nfor i in range(3): print(i)\nprint('e', file=sys.stderr)",
                   on_output=lambda stream, data: pieces.append((stream, data)))
    assert b"".join(d for s, d in pieces if s == 1) == b"0\n1\n2\n" == r.stdout
    assert b"".join(d for s, d in pieces if s == 2) == b"e\n" == r.stderr


def test_start_get_cancel_wait(client):
    run_id = client.start("import time; time.sleep(60)")
    assert client.get(run_id) is None  # queued or running
    client.cancel(run_id)
    r = client.wait(run_id)
    assert r.verdict == "cancelled" and r.id == run_id
    assert client.get(run_id).verdict == "cancelled"


def test_refusals(client, server):
    with pytest.raises(stockade.ServiceError) as e:
        client.get("0" * 32)
    assert e.value.status == 404
    with pytest.raises(stockade.ServiceError) as e:
        client.run("print(1)", profile="nonesuch")
    assert e.value.status == 400 and e.value.field == "profile"
    anonymous = stockade.Client(f"http://127.0.0.1:{server.port}")
    with pytest.raises(stockade.ServiceError) as e:
        anonymous.run("print(1)")
    assert e.value.status == 401
    assert anonymous.healthy()
    with pytest.raises(stockade.ConfigError):
        client.run("print(1)", stdin=b"\xff")  # JSON strings are text
    with pytest.raises(stockade.ConfigError):
        client.run("print(1)", files={"/etc/x": "no"})
    with pytest.raises(ValueError):
        stockade.Client("ftp://host")
    assert not stockade.Client("http://127.0.0.1:9").healthy()


def test_profiles(client):
    names = {p["name"]: p for p in client.profiles()}
    assert names["python"]["command"] == ["python3", "-I", "-u", "-"]
    assert names["python"]["limits"]["memory"] > 0


def test_async(client):
    async def main():
        return await asyncio.gather(*[client.run_async(f"print({i})") for i in range(6)])

    assert [r.stdout for r in asyncio.run(main())] == [f"{i}\n".encode() for i in range(6)]


def test_session(client):
    with client.session("python", memory="256M", idle_timeout=60) as s:
        assert s.info["state"] == "idle" and len(s.id) == 32
        first = s.exec("x = 6 * 7\nprint('hi')")
        assert first.ok and first.stdout == "hi\n" and first.value is None
        assert s.exec("x").value == "42"
        err = s.exec("1/0")
        assert (err.status, err.error["type"]) == ("error", "ZeroDivisionError")
        assert "<cell 3>" in err.error["traceback"]
        # files both ways, under the session's /tmp
        s.write("data/in.txt", "from the host")
        s.write("/tmp/data/bin", b"\xff\x00")
        assert s.exec("open('/tmp/data/in.txt').read()").value == "'from the host'"
        s.exec("open('/tmp/data/out.txt', 'w').write('from a cell')")
        assert s.read("data/out.txt") == b"from a cell"
        assert s.read("/tmp/data/bin") == b"\xff\x00"
        assert [f["name"] for f in s.listdir("data")] == ["bin", "in.txt", "out.txt"]
        s.remove("data/in.txt")
        with pytest.raises(stockade.ServiceError) as e:
            s.read("data/in.txt")
        assert e.value.status == 404
        with pytest.raises(stockade.ConfigError):
            s.write("/etc/x", "no")
        # streaming, and the cell's own figures
        got = []
        c = s.exec("import time\nfor i in range(3):\n    print(i, flush=True); time.sleep(0.05)",
                   on_output=lambda stream, data: got.append((stream, data)))
        assert b"".join(d for _, d in got) == b"0\n1\n2\n" and {st for st, _ in got} == {1}
        assert c.record["wall_seconds"] > 0
        assert s.state()["cells"] == 6
    # the context manager ended it
    assert s.info["state"] == "ended" and s.info["ended_by"] == "delete"
    with pytest.raises(stockade.ServiceError) as e:
        s.exec("1")
    assert e.value.status == 409


def test_session_interrupt_and_limits(client):
    import threading

    with client.session("python", memory="128M") as s:
        out = {}
        t = threading.Thread(target=lambda: out.update(c=s.exec("while True: pass")))
        t.start()
        while s.state()["state"] != "busy":
            time.sleep(0.05)
        assert s.interrupt() is True
        t.join(30)
        assert out["c"].status == "interrupted"
        c = s.exec("b = bytearray(256 << 20)")
        assert c.status == "ended" and c.session["ended_by"] == "limit"
        assert c.session["record"]["verdict"] == "memory-limit"
    with pytest.raises(stockade.ConfigError):
        client.session("python", wall_time=5)
    with pytest.raises(stockade.ServiceError) as e:
        client.session("sh")
    assert e.value.status == 400 and e.value.field == "profile"
