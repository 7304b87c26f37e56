"""Standard streams, and stockade started the way CI or a service starts it:
with some of them closed, or killed outright."""
import errno
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time
from types import SimpleNamespace

import pytest

from support import (HostObject, LineReader, assert_no_survivors, describe, finish,
                     pids_with_arg, python, reset_signals, unique)


def test_stdin_stdout_stderr_pass_through(run):
    # CI has no stdin: give the run a file and read it back.
    with tempfile.TemporaryFile() as f:
        f.write(b"line one\nline two\n")
        f.seek(0)
        cp, rec = run(["--", "/bin/sh", "-c", "cat; echo to-stderr >&2"], stdin=f)
    assert cp.returncode == 0, describe(cp, rec)
    assert cp.stdout == "line one\nline two\n"
    assert cp.stderr == "to-stderr\n"


def test_large_output_passes_through_whole(run):
    block = hashlib.sha256(b"stockade").digest() * 2048   # 64 KiB
    count = 128                                            # 8 MiB
    code = '''
        import hashlib
        block = hashlib.sha256(b"stockade").digest() * 2048
        for _ in range(int(sys.argv[1])):
            sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
    '''
    cp, rec = run(["--", *python(code, str(count))], text=False)
    assert cp.returncode == 0, describe(cp, rec)
    assert len(cp.stdout) == len(block) * count
    assert cp.stdout == block * count


STREAMS_CODE = '''
    fds = {}
    for fd in range(3):
        try:
            fds[fd] = os.readlink("/proc/self/fd/%d" % fd)
        except OSError as e:
            fds[fd] = errno.errorcode.get(e.errno)
    open_fds = [fd for fd in range(4096) if oserr(os.fstat, fd) is None]
    for fd in (0, 1, 2):
        oserr(os.write, fd, sys.argv[1][::-1].encode() + b"\\n")  # not in the command line
    with open("/out/facts.json", "w") as f:
        json.dump({"fds": fds, "open": open_fds}, f)
'''


def files_containing(needle, roots):
    found = []
    for root in roots:
        for dirpath, _, filenames in os.walk(root):
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) < (1 << 20):
                        with open(p, "rb") as f:
                            if needle in f.read():
                                found.append(p)
                except OSError:
                    pass
    return found


@pytest.mark.parametrize("with_record", [True, False], ids=["record", "no-record"])
@pytest.mark.parametrize("closed", [0, 1, 2], ids=["stdin", "stdout", "stderr"])
def test_closed_stream_of_stockade(stockade, shared_dir, closed, with_record):
    """A stream closed in stockade must not become one of stockade's own
    descriptors (record file, signalfd, pidfd, socket) in the payload, and
    the payload must not be able to write into the record."""
    marker = unique("forged")
    written = marker[::-1]   # what the payload writes to fds 0, 1 and 2
    path = stockade.new_record_path() if with_record else None
    proc = stockade.popen(["--rw", f"{shared_dir}:/out", "--", *python(STREAMS_CODE, marker)], path,
                          preexec_fn=lambda: os.close(closed))
    out, err = finish(proc)
    done = SimpleNamespace(args=proc.args, returncode=proc.returncode, stdout=out, stderr=err)
    rec = None
    if with_record:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
        assert written not in text, "the payload wrote into the run record:\n" + text[:500]
        rec = stockade.take_record(path)
        assert rec is not None and rec["verdict"] == "ok", describe(done, rec)
    # Nor into any other host file stockade holds open (lock files...).
    assert not files_containing(written.encode(), ["/run", "/dev/shm", stockade.dir]), \
        "the payload's output landed in host files: %s" % files_containing(written.encode(), ["/run", "/dev/shm", stockade.dir])
    assert proc.returncode == 0, describe(done, rec)
    facts = json.loads((shared_dir / "facts.json").read_text())
    for fd, target in facts["fds"].items():
        assert target == "EBADF" or target == "/dev/null" or target.startswith("pipe:"), \
            f"fd {fd} of the payload is {target}: {facts}"
    assert set(facts["open"]) <= {0, 1, 2}, facts


def test_killing_stockade_kills_the_sandbox(stockade):
    """The sandbox cannot outlive its supervisor (DESIGN §2.4), even one
    killed with SIGKILL."""
    marker = "1000.%d" % int.from_bytes(os.urandom(4), "big")
    proc = stockade.popen(["--", "/bin/sh", "-c", f"echo ready; exec sleep {marker}"])
    reader = LineReader(proc.stdout)
    try:
        reader.expect("ready")
        deadline = time.monotonic() + 10
        while not pids_with_arg(marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pids_with_arg(marker), "the payload never ran"
    finally:
        proc.send_signal(signal.SIGKILL)  # stockade, by pid
        finish(proc)
    # The kernel needs a moment to deliver a parent-death signal and tear
    # the pid namespace down; a sandbox that survives stays.
    deadline = time.monotonic() + 5
    while pids_with_arg(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_no_survivors(marker, "the sandbox of a killed stockade")
    # Its cgroups (root mode) go with the next run, as documented.
    import glob
    cp = stockade.run(["--", "/bin/true"])[0]
    assert cp.returncode == 0
    left = [g for g in glob.glob("/sys/fs/cgroup/*/stockade/run-*")
            if not open(g + "/cgroup.procs").read().strip()]
    assert not left, left


HOST_FD_CODE = '''
    import socket, stat
    def as_socket(fd, use):
        dup = os.dup(fd)
        try:
            use(socket.socket(fileno=dup))  # ENOTSOCK unless it is one
        finally:
            oserr(os.close, dup)
    seen = {}
    for fd in (0, 1, 2):
        st = os.fstat(fd)
        seen[fd] = {
            "fifo": stat.S_ISFIFO(st.st_mode),
            "fchdir": oserr(os.fchdir, fd),
            "getdents": oserr(os.listdir, fd),
            "openat": oserr(os.open, ".", os.O_RDONLY, dir_fd=fd),
            "connect": oserr(as_socket, fd, lambda s: s.connect("/x")),
            "send": oserr(as_socket, fd, lambda s: s.send(b"x", socket.MSG_DONTWAIT)),
            "fchmod": oserr(os.fchmod, fd, st.st_mode & 0o7777),
            "futimens": oserr(os.utime, fd),
            "reopen-dir": oserr(os.open, "/proc/self/fd/%d" % fd, os.O_RDONLY | os.O_DIRECTORY),
        }
    with open("/out/facts.json", "w") as f:
        json.dump(seen, f)
'''


@pytest.mark.parametrize("fd", [0, 1, 2], ids=["stdin", "stdout", "stderr"])
@pytest.mark.parametrize("kind", ["host-root", "o-path", "unix-socket", "pty", "rw-file"])
def test_host_object_on_a_stream_stays_the_callers(stockade, shared_dir, kind, fd):
    """Whatever the caller puts on fd 0, 1 or 2 - a directory, an O_PATH fd,
    a socket to a host service, a terminal, a file it may write - the
    program gets the supervisor's pipes, and the object is unchanged."""
    obj = HostObject(kind, stockade.uid)
    try:
        def place():
            reset_signals()
            os.dup2(obj.fd, fd)
        proc = stockade.popen(["--rw", f"{shared_dir}:/out", "--", *python(HOST_FD_CODE)],
                              preexec_fn=place)
        out, err = finish(proc)
        changed = obj.changes()
    finally:
        obj.close()
    done = SimpleNamespace(args=proc.args, returncode=proc.returncode, stdout=out, stderr=err)
    seen = json.loads((shared_dir / "facts.json").read_text())
    assert proc.returncode == 0, describe(done)
    for n, facts in seen.items():
        assert facts["fifo"], f"fd {n} of the program is not a pipe: {seen}"
        for call in ("fchdir", "getdents", "openat", "reopen-dir"):
            assert facts[call] == "ENOTDIR", f"fd {n}: {call} gave {facts[call]}: {seen}"
        assert facts["connect"] == facts["send"] == "ENOTSOCK", seen
    assert not changed, f"the {kind} on fd {fd} changed: {changed}"


# A program whose output nobody takes: one thread writes without end (and
# soon waits on its full pipe), the other does the work of the test.
STALLED_CODE = '''
    import threading
    def flood():
        while True:
            os.write(1, b"x" * 65536)
    threading.Thread(target=flood, daemon=True).start()
'''


def stalled_run(stockade, args, reader_closes_after=None):
    """Runs stockade with its stdout a pipe nobody reads; returns (returncode,
    record).  reader_closes_after: None, the read end is never read; "now",
    it is closed before the start (a reader gone); a function, it is closed
    once that function has returned (the test has seen what it waits for)."""
    r, w = os.pipe()
    if reader_closes_after == "now":
        os.close(r)
        r = None
    path = stockade.new_record_path()
    proc = subprocess.Popen(stockade.argv(["run", "--record", path, *args]),
                            stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.PIPE,
                            cwd=stockade.dir, preexec_fn=reset_signals)
    os.close(w)
    try:
        if callable(reader_closes_after):
            reader_closes_after(proc)
            os.close(r)
            r = None
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("stockade did not end while its reader did not read")
    finally:
        if r is not None:
            os.close(r)
        proc.stderr.close()
    return proc.returncode, stockade.take_record(path)


def test_wall_limit_fires_with_a_reader_that_never_reads(stockade):
    status, rec = stalled_run(stockade, ["--wall-time", "1s", "--",
                                         *python(STALLED_CODE + "    __import__('time').sleep(1000)\n")])
    assert rec["verdict"] == "wall-limit" and status == 137, rec
    assert rec["output"]["dropped_bytes"] > 0, rec["output"]


def test_cpu_limit_fires_with_a_reader_that_never_reads(stockade):
    """No wall-time limit: the CPU check alone must end the spinning run,
    and the CPU it used stays near the limit."""
    status, rec = stalled_run(stockade, ["--cpu-time", "1s", "--wall-time", "unlimited", "--",
                                         *python(STALLED_CODE + "    while True: pass\n")])
    assert rec["verdict"] == "cpu-limit", rec
    used = rec["cpu"]["user_seconds"] + rec["cpu"]["system_seconds"]
    assert used < 3, f"{used} s of CPU under --cpu-time 1s"


def wait_for(path, proc):
    deadline = time.monotonic() + 30
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), "the program never got there"


def test_denials_and_signals_are_answered_with_a_reader_that_never_reads(stockade, shared_dir):
    """Refused calls wait for the supervisor's answer, and the signals it
    passes on come from its loop: both go on while the output is stuck."""
    code = STALLED_CODE + '''
    import ctypes, signal
    libc = ctypes.CDLL(None, use_errno=True)
    refused = [libc.syscall(101, 0, 0, 0, 0) for _ in range(20)]  # ptrace
    got = []
    signal.signal(signal.SIGTERM, lambda *a: got.append("SIGTERM"))
    with open("/out/refused.tmp", "w") as f:
        json.dump({"refused": refused, "errno": ctypes.get_errno()}, f)
    os.rename("/out/refused.tmp", "/out/refused.json")
    while not got:
        signal.pause()
    open("/out/signalled", "w").close()
    os._exit(7)
    '''
    out = shared_dir

    def then(proc):
        wait_for(out / "refused.json", proc)
        proc.send_signal(signal.SIGTERM)
        wait_for(out / "signalled", proc)

    status, rec = stalled_run(stockade, ["--rw", f"{out}:/out", "--", *python(code)], then)
    facts = json.loads((out / "refused.json").read_text())
    assert facts["refused"] == [-1] * 20 and facts["errno"] == errno.EPERM, facts
    assert [(d["syscall"], d["count"]) for d in rec["denied"]] == [("ptrace", 20)], rec["denied"]
    assert rec["verdict"] == "exit" and rec["exit_code"] == 7, rec
    assert rec["interrupted_by"] == "SIGTERM", rec


def test_closed_stdout_gives_the_program_sigpipe(stockade):
    """A reader that went away: the program learns it as in a pipeline
    (SIGPIPE, or EPIPE when it ignores that signal), and the record says
    how it ended and that its stdout was closed."""
    status, rec = stalled_run(stockade, ["--", "/usr/bin/yes"], "now")
    assert rec["verdict"] == "signal" and rec["signal_name"] == "SIGPIPE", rec
    assert status == 128 + signal.SIGPIPE == rec["exit_status"]
    assert rec["output"]["stdout_closed"] and not rec["output"]["stderr_closed"], rec["output"]


def test_closed_stdout_gives_epipe_to_a_program_that_ignores_sigpipe(stockade, shared_dir):
    code = '''
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        while True:
            os.write(1, b"x" * 4096)
    except OSError as e:
        with open("/out/error", "w") as f:
            f.write(errno.errorcode[e.errno])
    '''
    _, rec = stalled_run(stockade, ["--rw", f"{shared_dir}:/out", "--", *python(code)], "now")
    assert (shared_dir / "error").read_text() == "EPIPE"
    assert rec["verdict"] == "ok" and rec["output"]["stdout_closed"], rec


def test_a_slow_reader_gets_everything(stockade):
    """A reader that starts late still gets every byte, after the program
    has ended, with or without a wall-time limit (which it stays under)."""
    code = 'sys.stdout.buffer.write(b"y" * (1 << 20))'
    for limit in ("unlimited", "30s"):
        path = stockade.new_record_path()
        proc = subprocess.Popen(stockade.argv(["run", "--record", path, "--wall-time", limit,
                                               "--", *python(code)]),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=stockade.dir,
                                preexec_fn=reset_signals)
        time.sleep(1.5)  # not a measurement: the reader is late on purpose
        out, _ = proc.communicate(timeout=60)
        rec = stockade.take_record(path)
        assert len(out) == 1 << 20 and rec["verdict"] == "ok", rec
        assert rec["output"]["dropped_bytes"] == 0 and rec["output"]["stdout_bytes"] == 1 << 20


def test_a_run_refused_at_setup_leaves_the_callers_stdin_as_it_was(stockade, host_dir):
    """The caller's descriptions are only borrowed: a run that fails before
    it starts (a --copy tree past its 512 entries, refused while planning)
    must not change their file status flags (the caller's O_NONBLOCK)."""
    tree = host_dir / "many"
    tree.mkdir()
    for i in range(600):
        (tree / f"f{i}").touch()
    os.chmod(tree, 0o755)
    r, w = os.pipe()
    flags = fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK
    fcntl.fcntl(r, fcntl.F_SETFL, flags)
    try:
        cp, rec = stockade.run(["--copy", f"{tree}:/tmp/many", "--", "/bin/true"], stdin=r)
        assert cp.returncode == 125 and "more than 512" in cp.stderr, describe(cp, rec)
        assert fcntl.fcntl(r, fcntl.F_GETFL) == flags
    finally:
        os.close(r)
        os.close(w)
