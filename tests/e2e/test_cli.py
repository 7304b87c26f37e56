"""The command line itself: --version, --help, -v, and the run record."""
import base64
import json
import os
import pwd
import shutil

from support import (NAMESPACES, NOBODY, SANDBOX_GID, SANDBOX_UID, VERSION,
                     describe, python)


def test_version(stockade):
    cp = stockade.invoke(["--version"])
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.splitlines()[0] == f"stockade {VERSION}", describe(cp)


def test_help(stockade):
    for args in (["--help"], ["run", "--help"]):
        cp = stockade.invoke(args)
        assert cp.returncode == 0, describe(cp)
        for option in ("--ro", "--rw", "--tmpfs", "--copy", "--chdir", "--env", "--hostname", "--record"):
            assert option in cp.stdout, f"{args} does not mention {option}" + describe(cp)


def test_verbose_prints_one_line(run):
    cp, rec = run(["--", "true"])
    assert (cp.returncode, cp.stderr) == (0, ""), describe(cp, rec)
    cp, rec = run(["-v", "--", "true"])
    lines = cp.stderr.splitlines()
    assert cp.returncode == 0, describe(cp, rec)
    assert len(lines) == 1 and lines[0].startswith("stockade: "), describe(cp, rec)
    # After the payload's own output.
    cp, rec = run(["-v", "--", "/bin/sh", "-c", "echo from-payload >&2; exit 3"])
    lines = cp.stderr.splitlines()
    assert cp.returncode == 3, describe(cp, rec)
    assert lines[0] == "from-payload" and len(lines) == 2, describe(cp, rec)
    assert lines[1].startswith("stockade: "), describe(cp, rec)


FDS_CODE = '''
    facts(fds=[fd for fd in range(4096) if oserr(os.fstat, fd) is None])
'''


def test_record_to_dev_fd(stockade, mode):
    """--record /dev/fd/N: the record goes to an inherited descriptor, which
    the payload does not get."""
    if mode == "root":
        read_end, fd = os.pipe()           # e.g. `stockade run --record /dev/fd/3 ... 3>&1`
    else:
        # A pipe of root's could not be reopened by nobody through /dev/fd.
        path = stockade.new_record_path()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchown(fd, NOBODY, NOBODY)
    try:
        cp = stockade.invoke(["run", "--record", f"/dev/fd/{fd}", "--", *python(FDS_CODE)], pass_fds=(fd,))
    finally:
        if mode == "root":
            os.close(fd)
            chunks = []
            while chunk := os.read(read_end, 65536):
                chunks.append(chunk)
            os.close(read_end)
        else:
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = [os.read(fd, 1 << 20)]
            os.close(fd)
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    text = b"".join(chunks).decode()
    assert cp.returncode == 0, describe(cp) + f"\nrecord text: {text!r}"
    rec = json.loads(text)
    assert (rec["verdict"], rec["exit_status"]) == ("ok", 0)
    assert json.loads(cp.stdout.strip().splitlines()[-1]) == {"fds": [0, 1, 2]}


def test_record_fields(run, mode, host_dir, shared_dir):
    (host_dir / "file").write_text("x")
    command = ["/bin/sh", "-c", "exit 0"]
    cp, rec = run(["--ro", f"{host_dir}:/data", "--rw", f"{shared_dir}:/out", "--tmpfs", "/scratch:4M",
                   "--env", "FOO=bar", "--hostname", "recorded", "--", *command])
    assert cp.returncode == 0, describe(cp, rec)
    assert rec["record_version"] == 1
    assert rec["stockade_version"] == VERSION
    assert rec["command"] == command
    assert (rec["verdict"], rec["exit_code"], rec["signal"], rec["signal_name"], rec["exit_status"],
            rec["error"]) == ("ok", 0, None, None, 0, None)
    assert isinstance(rec["wall_seconds"], float) and rec["wall_seconds"] > 0
    for key in ("user_seconds", "system_seconds"):
        value = rec["cpu"][key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0, rec["cpu"]

    assert rec["mode"] == mode
    if mode == "unprivileged":
        assert (rec["host_uid"], rec["host_gid"]) == (NOBODY, NOBODY)
    else:
        assert isinstance(rec["host_uid"], int) and isinstance(rec["host_gid"], int)
        # A per-run uid: neither root nor any account of the host.
        assert rec["host_uid"] != 0
        assert rec["host_uid"] not in {pw.pw_uid for pw in pwd.getpwall()}, rec["host_uid"]

    enforced = rec["enforced"]
    assert enforced["namespaces"] == dict.fromkeys(NAMESPACES, True)
    fs = enforced["filesystem"]
    assert fs["root"] == "tmpfs"
    assert fs["pivot_root"] is True
    mounts = {m["path"]: m for m in fs["mounts"]}
    for m in fs["mounts"]:
        assert m["type"] in ("bind", "tmpfs", "proc", "dev"), m
        assert isinstance(m["read_only"], bool), m
    expected = {"/usr": ("bind", True), "/data": ("bind", True), "/out": ("bind", False),
                "/scratch": ("tmpfs", False), "/tmp": ("tmpfs", False), "/proc": ("proc", None)}
    for path, (kind, read_only) in expected.items():
        assert path in mounts, (path, fs["mounts"])
        assert mounts[path]["type"] == kind, mounts[path]
        if read_only is not None:
            assert mounts[path]["read_only"] is read_only, mounts[path]
    # The devices: one entry for /dev or one per device node under it.
    devices = [m["path"] for m in fs["mounts"] if m["type"] == "dev"]
    assert devices and all(p == "/dev" or p.startswith("/dev/") for p in devices), fs["mounts"]
    assert enforced["network"]["namespace"] is True
    assert enforced["network"]["interfaces"] == ["lo"]
    credentials = {"uid": SANDBOX_UID, "gid": SANDBOX_GID, "capabilities": "none", "no_new_privs": True,
                   "securebits_locked": True, "new_session": True}
    assert {k: enforced["credentials"].get(k) for k in credentials} == credentials, enforced["credentials"]
    assert enforced["environment"]["clean"] is True
    assert sorted(enforced["environment"]["names"]) == ["FOO", "HOME", "LANG", "PATH"]
    # Not applied yet (the spec says false for now); they must say which.
    for layer in ("seccomp", "landlock", "cgroup"):
        assert isinstance(enforced[layer]["applied"], bool), enforced[layer]


def test_record_of_a_signal(run):
    cp, rec = run(["--", "/bin/sh", "-c", "kill -TERM $$"])
    assert cp.returncode == 143, describe(cp, rec)
    assert (rec["verdict"], rec["exit_code"], rec["signal"], rec["signal_name"], rec["exit_status"]) == \
        ("signal", None, 15, "SIGTERM", 143)


def b64(raw):
    return {"base64": base64.b64encode(raw).decode()}


def test_bytes_that_are_not_utf8_are_recorded_in_base64(run, mode, host_dir, shared_dir):
    """JSON strings are UTF-8; an argument, a path or a variable name need
    not be.  Each such string is recorded as {"base64": ...} of its bytes,
    never dropped: before, the writable bind below vanished from the
    record's mounts and Landlock list, and the argument from the command."""
    bad = shared_dir / os.fsdecode(b"caf\xe9")
    bad.mkdir()
    os.chmod(bad, 0o777)
    inside = b"/mnt/caf\xe9"
    cp, rec = run([b"--rw", os.fsencode(bad) + b":" + inside, b"--env", b"N\xffME=1",
                   b"--", b"/bin/echo", b"\xff\xfe"], text=False)
    assert cp.returncode == 0 and cp.stdout == b"\xff\xfe\n", describe(cp, rec)
    assert rec["command"] == ["/bin/echo", b64(b"\xff\xfe")], rec["command"]
    mounts = [m for m in rec["enforced"]["filesystem"]["mounts"] if m["path"] == b64(inside)]
    assert mounts == [{"path": b64(inside), "type": "bind", "source": b64(os.fsencode(bad)),
                       "read_only": False}], rec["enforced"]["filesystem"]["mounts"]
    assert b64(inside) in rec["enforced"]["landlock"]["write"], rec["enforced"]["landlock"]
    assert b64(b"N\xffME") in rec["enforced"]["environment"]["names"], \
        rec["enforced"]["environment"]


def test_a_command_named_in_bytes_that_are_not_utf8_is_not_found(run):
    """Not found is 127 with a whole record, however the name is spelled
    (before: an empty record file and 125)."""
    name = b"/tmp/no-such-\xff"
    cp, rec = run([b"--", name], text=False)
    assert cp.returncode == 127 and rec["verdict"] == "setup-error", describe(cp, rec)
    assert rec["command"] == [b64(name)], rec["command"]
    message = base64.b64decode(rec["error"]["message"]["base64"])
    assert name in message and rec["error"]["errno_name"] == "ENOENT", rec["error"]
