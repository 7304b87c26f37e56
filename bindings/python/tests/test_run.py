"""stockade.run and stockade.Sandbox: what a run gives back, every argument,
every refusal.  In both modes (test_modes.py runs this file as nobody)."""
import errno
import json
import os
import pydoc
import subprocess
import sys
import textwrap

import pytest

import stockade
from conftest import MODE, ROOT_MODE, root_only


def test_print():
    r = stockade.run("print(6 * 7)")
    assert (r.verdict, r.exit_code, r.signal, r.exit_status) == ("ok", 0, None, 0)
    assert r.ok and r.stdout == b"42\n" and r.stderr == b""
    assert r.record["verdict"] == "ok" and r.record["mode"] == MODE
    assert r.record["profile"]["name"] == "python"
    assert r.wall_seconds > 0 and r.cpu_seconds > 0
    assert r.id is None and r.stage == "run" and r.compile is None
    if ROOT_MODE:
        assert r.memory_peak > 0
    else:
        assert r.memory_peak is None
    assert "ok" in repr(r)
    assert r.check() is r


def test_exit_code_and_stderr():
    r = stockade.run("import sys; print('no', file=sys.stderr); sys.exit(3)")
    assert (r.verdict, r.exit_code, r.exit_status) == ("exit", 3, 3)
    assert r.stderr == b"no\n" and not r.ok
    with pytest.raises(stockade.RunFailed) as e:
        r.check()
    assert e.value.result is r


def test_signal():
    r = stockade.run("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert (r.verdict, r.signal, r.exit_code, r.exit_status) == ("signal", 11, None, 139)


def test_code_with_stdin_goes_to_a_file():
    r = stockade.run("import sys; print(sys.argv[0], sys.stdin.read()[::-1])",
                     stdin="olleh", text=True)
    assert r.stdout == f"{stockade.PROGRAM_PATH} hello\n"


def test_code_as_bytes_and_text_output():
    r = stockade.run(b"import sys; sys.stdout.buffer.write(b'\\xff\\xfe')")
    assert r.stdout == b"\xff\xfe"
    r = stockade.run(b"import sys; sys.stdout.buffer.write(b'\\xffa')", text=True)
    assert r.stdout == "\ufffda"


def test_stdin_is_never_the_hosts():
    # This process's stdin holds data: the program must not see it.
    code = textwrap.dedent("""
        import os, stockade
        r = stockade.run("import sys; print(repr(sys.stdin.read()))")
        os.write(1, r.stdout)
    """)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(stockade.__file__)))
    p = subprocess.run([sys.executable, "-c", code], input=b"host secret\n",
                       capture_output=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"''\n"


def test_argv_profile_and_files():
    r = stockade.run(argv=["sh", "-c", "cat /tmp/in.txt /tmp/sub/dir/b; stat -c %a /tmp/run.sh; /tmp/run.sh"],
                     profile="sh",
                     files={"in.txt": "text\n", "/tmp/sub/dir/b": b"\x00\x01\n",
                            "run.sh": ("#!/bin/sh\necho ran\n", 0o755)})
    assert r.ok, r.stderr
    assert r.stdout == b"text\n\x00\x01\n755\nran\n"


def test_env():
    r = stockade.run("import os; print(os.environ.get('A'), os.environ.get('PYTHONUNBUFFERED'))",
                     env={"A": "1", "PYTHONUNBUFFERED": None}, text=True)
    assert r.stdout == "1 None\n"
    sandbox = stockade.Sandbox("python", env={"B": "x"})
    r = sandbox.run("import os; print(os.environ['B'], os.environ.get('C'))", env={"C": "y"}, text=True)
    assert r.stdout == "x y\n"


def test_default_policy_needs_argv():
    sandbox = stockade.Sandbox(None)
    assert sandbox.command is None
    r = sandbox.run(argv=["/bin/echo", "hi"])
    assert r.stdout == b"hi\n"


def test_wall_limit():
    r = stockade.run("while True: pass", wall_time=0.3)
    assert r.verdict == "wall-limit" and r.signal == 9
    assert r.record["limit_fired"] == "wall"


def test_cpu_limit():
    r = stockade.run("while True: pass", cpu_time="200ms", wall_time=10)
    assert r.verdict == "cpu-limit"


def test_output_limit():
    r = stockade.run("while True: print('x' * 1000)", output="64k")
    assert r.verdict == "output-limit"
    assert len(r.stdout) + len(r.stderr) == 64 * 1024


def test_memory_limit():
    r = stockade.run("x = bytearray(300 << 20); print(len(x))", memory="64M")
    if ROOT_MODE:
        assert r.verdict == "memory-limit"
    else:  # RLIMIT_AS: the allocation fails
        assert r.verdict == "exit" and b"MemoryError" in r.stderr


def test_tasks_limit():
    r = stockade.run("import os\nfor i in range(64): os.fork() or os._exit(0)", tasks=4)
    if ROOT_MODE:
        assert r.verdict == "tasks-limit"
    else:  # RLIMIT_NPROC
        assert r.verdict == "exit" and b"BlockingIOError" in r.stderr


def test_network_off_and_on():
    code = "import socket; socket.socket(socket.AF_INET6); print('made')"
    r = stockade.run(code)
    assert r.verdict == "exit" and b"PermissionError" in r.stderr
    assert any(d["syscall"] == "socket" and d["errno"] == "EPERM" for d in r.denied)
    r = stockade.run(code, network=True)
    assert r.ok and r.stdout == b"made\n" and r.denied == []


def test_denied_calls_are_in_the_result():
    r = stockade.run("import ctypes; print(ctypes.CDLL(None).syscall(101, 0, 0, 0, 0))", text=True)
    assert r.stdout.strip() == "-1"  # ptrace
    assert [d["syscall"] for d in r.denied] == ["ptrace"]


def test_sandbox_reused_and_its_limits():
    sandbox = stockade.Sandbox("python", memory="128M", wall_time=5, tasks=16)
    assert sandbox.limits()["memory"] == 128 << 20
    assert sandbox.limits()["wall_time"] == 5.0 and sandbox.limits()["tasks"] == 16
    assert sandbox.command == ["python3", "-I", "-u", "-"]
    assert "CPython" in sandbox.description
    assert "socket" in sandbox.describe()
    for i in range(3):
        assert sandbox.run(f"print({i})").stdout == f"{i}\n".encode()
    # a run may tighten, never loosen
    r = sandbox.run("while True: pass", wall_time=0.2)
    assert r.verdict == "wall-limit"
    with pytest.raises(stockade.ConfigError) as e:
        sandbox.run("print(1)", memory="1G")
    assert e.value.step == "memory" and e.value.errno == errno.EINVAL


def test_unlimited():
    sandbox = stockade.Sandbox("python", wall_time=stockade.UNLIMITED)
    assert sandbox.limits()["wall_time"] is None
    with pytest.raises(stockade.ConfigError):
        stockade.Sandbox("python", memory=stockade.UNLIMITED)


def test_options():
    r = stockade.run(argv=["cat", "/data/hostname"], profile="sh",
                     options=[("ro", "/etc:/data")])
    assert r.ok and r.stdout == open("/etc/hostname", "rb").read()


@pytest.mark.parametrize("kwargs,step", [
    ({"memory": "12Q"}, "memory"),
    ({"wall_time": -1}, "wall_time"),
    ({"wall_time": 0}, "wall_time"),
    ({"tasks": "many"}, "tasks"),
    ({"tasks": 2.5}, "tasks"),
    ({"memory": True}, "memory"),
    ({"profile": "nonesuch"}, "--profile"),
    ({"profile": "/nonexistent/x.conf"}, "--profile"),
    ({"options": [("nope", "1")]}, "option"),
    ({"options": [("ro", "/nonexistent-host-path")]}, "--ro"),
    ({"env": {"A=B": "1"}}, "env"),
    ({"env": {"": "1"}}, "env"),
])
def test_config_errors(kwargs, step):
    with pytest.raises(stockade.ConfigError) as e:
        stockade.run("print(1)", **kwargs)
    assert isinstance(e.value, ValueError) and isinstance(e.value, stockade.StockadeError)
    assert e.value.step == step, (e.value.step, e.value.message)
    assert e.value.errno > 0 and e.value.message


def test_job_env_name_refused():
    with pytest.raises(stockade.ConfigError) as e:
        stockade.Sandbox("python").run("print(1)", env={"A=B": "1"})
    assert e.value.step and e.value.errno == errno.EINVAL


def test_code_and_stdin_need_a_dash_command():
    with pytest.raises(stockade.ConfigError) as e:
        stockade.run("echo hi", profile="sh", stdin="x")
    assert e.value.step == "code"


@pytest.mark.parametrize("kwargs,exc", [
    ({"argv": "python3"}, TypeError),
    ({"argv": []}, ValueError),
    ({"argv": ["a\0b"]}, ValueError),
    ({"argv": [1]}, TypeError),
    ({"stdin": 5}, TypeError),
    ({"files": {"a": 5}}, TypeError),
    ({"files": {"a": ("x", "rw")}}, stockade.ConfigError),
    ({"bogus_limit": 1}, TypeError),
    ({"on_output": 5}, TypeError),
    ({"env": "A=1"}, TypeError),
])
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        stockade.run("print(1)", **kwargs)


def test_setup_error_carries_step_errno_and_record():
    with pytest.raises(stockade.SetupError) as e:
        stockade.run(argv=["/nonexistent/program"])
    err = e.value
    assert isinstance(err, OSError) and isinstance(err, stockade.StockadeError)
    assert (err.step, err.errno) == ("execve", errno.ENOENT)
    assert err.record["verdict"] == "setup-error"
    assert err.record["error"]["step"] == "execve"
    assert err.result.verdict == "setup-error" and err.result.exit_status == 127


def test_file_outside_a_tmpfs_fails_the_start():
    with pytest.raises(stockade.SetupError) as e:
        stockade.run("print(1)", files={"/usr/x": b""})
    assert e.value.step == "file" and e.value.errno == errno.EINVAL


def test_file_that_does_not_fit():
    with pytest.raises(stockade.SetupError) as e:
        stockade.run("print(1)", options=[("tmpfs", "/tmp:64k")], files={"big": b"x" * (1 << 20)})
    assert e.value.step == "write file"


def test_on_output_streams_before_the_end():
    # The program prints, then waits for ever: the piece must come while
    # it runs (the callback cancels it then), not at its end.
    seen = []

    def got(stream, data):
        seen.append((stream, data, r.over))
        r.cancel()

    sandbox = stockade.Sandbox("python")
    r = sandbox.start("import sys, time\nprint('a', file=sys.stderr)\ntime.sleep(60)", on_output=got)
    r.wait()
    res = r.result()
    stream, data, over = seen[0]  # -u: "a" and "\n" may come apart
    assert stream == 2 and data.startswith(b"a") and not over
    assert res.verdict == "cancelled" and res.stderr.startswith(b"a")


def test_on_output_exception_ends_the_run():
    def refuse(stream, data):
        raise KeyError("enough")

    with pytest.raises(KeyError):
        stockade.run("import time\nprint('x')\ntime.sleep(30)", on_output=refuse)


def test_run_handle_by_hand():
    import select

    sandbox = stockade.Sandbox("python")
    r = sandbox.start("import sys; print(sys.stdin.read().upper())", stdin="abc")
    while not r.step():
        select.select([r], [], [], 5)
    res = r.result()
    assert res.stdout == b"ABC\n"
    assert r.over and r.step()  # over stays over


def test_cancel_and_signal():
    import select
    import signal

    sandbox = stockade.Sandbox("python")
    r = sandbox.start("import time; time.sleep(30)")
    r.cancel()
    r.wait()
    assert r.result().verdict == "cancelled"
    ready = []
    r = sandbox.start("import signal, sys, time\n"
                      "signal.signal(signal.SIGUSR1, lambda *a: sys.exit(7))\n"
                      "print('ready')\n"
                      "time.sleep(30)",
                      on_output=lambda s, d: ready.append(d))
    while not ready:
        select.select([r], [], [], 5)
        r.step()
    r.signal(signal.SIGUSR1)
    r.wait()
    assert (r.result().verdict, r.result().exit_code) == ("exit", 7)
    with pytest.raises(OSError) as e:
        r.signal(signal.SIGTERM)
    assert e.value.errno == errno.ESRCH


def test_result_before_the_end_is_refused():
    r = stockade.Sandbox("python").start("import time; time.sleep(30)")
    with pytest.raises(RuntimeError):
        r.result()
    del r  # freeing a run not over kills it


def test_profiles_and_host_check():
    names = stockade.profiles()
    assert {"python", "sh", "c"} <= set(names)
    missing, report = stockade.host_check()
    assert missing == 0 and "seccomp" in report


def test_help_reads_well():
    text = pydoc.render_doc(stockade.run, renderer=pydoc.plaintext)
    assert "Runs one program in a new sandbox" in text and "wall_time" in text
    for obj in (stockade, stockade.Sandbox, stockade.Sandbox.run, stockade.Result,
                stockade.Client, stockade.Client.run, stockade.run_async,
                stockade.SetupError, stockade.ConfigError):
        assert obj.__doc__ and len(obj.__doc__) > 40, obj


def test_record_is_the_library_json():
    r = stockade.run("print(1)")
    assert r.record["record_version"] == 1
    assert json.loads(json.dumps(r.record)) == r.record
    assert set(r.record["enforced"]) >= {"seccomp", "landlock", "namespaces"}


def test_many_runs_leave_nothing():
    # the autouse fixture checks processes and descriptors after
    sandbox = stockade.Sandbox("sh")
    for i in range(30):
        assert sandbox.run(argv=["/bin/echo", str(i)]).stdout == f"{i}\n".encode()


@root_only
def test_root_runs_use_a_host_uid_of_their_own():
    r = stockade.run("print(1)")
    assert r.record["host_uid"] >= 0x70000000
