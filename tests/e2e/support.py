"""Helpers of stockade's end-to-end tests (imported by conftest.py and the tests).

Black box only: these helpers start the stockade binary, read what it prints
and writes (stdout, stderr, the JSON run record), and look at the host from the
outside (/proc, mountinfo, /tmp, cgroup trees).  They never kill anything by
name: the only processes they kill are ones found by a marker unique to the
test that started them, by pid.
"""
import json
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import tty
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# make e2e passes the binary it built (build-san/ under make SAN=1).
BINARY = Path(os.environ.get("STOCKADE") or ROOT / "build" / "stockade")
BUILD = BINARY.parent

MODES = ("root", "unprivileged")
NOBODY = 65534


def setpriv(uid):
    """The prefix that runs a command as uid (and gid uid), no groups."""
    return ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


SETPRIV = setpriv(NOBODY)
PYTHON = "/usr/bin/python3"

VERSION = "0.1.0"
SANDBOX_UID = 1000
SANDBOX_GID = 1000
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
BASE_ENV = {"PATH": SANDBOX_PATH, "HOME": "/tmp", "LANG": "C.UTF-8"}
NAMESPACES = ("user", "mount", "pid", "net", "ipc", "uts", "cgroup")
# /proc/PID/ns/<name> for each namespace of the record.
NS_FILES = {"user": "user", "mount": "mnt", "pid": "pid", "net": "net",
            "ipc": "ipc", "uts": "uts", "cgroup": "cgroup"}
MIB = 1 << 20
# The record's output fields of a run whose output all reached its reader.
DELIVERED = {"dropped_bytes": 0, "stdout_closed": False, "stderr_closed": False}

# Every run gets this timeout; a run that needs more has hung.
TIMEOUT = 60

# Prepended to every Python program run inside the sandbox.  Programs print
# one JSON object of facts as their last line of output.
PRELUDE = '''\
import errno, json, os, sys
def oserr(fn, *args, **kwargs):
    """None when fn(*args) succeeds, else the errno name of its OSError."""
    try:
        fn(*args, **kwargs)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return None
def facts(**kwargs):
    print(json.dumps(kwargs), flush=True)
'''


def python(code, *args):
    """argv of a Python program run inside the sandbox (isolated mode)."""
    return [PYTHON, "-I", "-c", PRELUDE + textwrap.dedent(code), *args]


def unique(prefix="e2e"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def reset_signals():
    """preexec_fn: the caller's signal state must not depend on how CI runs
    pytest (a non-interactive shell starts background jobs with SIGINT
    ignored, and ignored signals cannot be forwarded)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def read_record(path):
    """The JSON record at path, or None when none was written."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise AssertionError(f"record {path} is not JSON ({e}):\n{text[:2000]}")


def describe(cp, record=None):
    """Everything worth seeing when an assertion about a run fails."""
    argv = [a if len(a) < 200 else a[:60] + "..." for a in map(str, cp.args)]
    out = cp.stdout if isinstance(cp.stdout, str) else repr(cp.stdout[-2000:])
    err = cp.stderr if isinstance(cp.stderr, str) else repr(cp.stderr[-2000:])
    rec = json.dumps(record, indent=1)[:3000] if record is not None else "none"
    return (f"\nargv: {argv}\nstatus: {cp.returncode}\nstdout: {out[-2000:]!r}"
            f"\nstderr: {err[-2000:]!r}\nrecord: {rec}")


def world_readable_copy(binary=BINARY):
    """A fresh 0755 directory holding a copy of binary and of any shared
    library next to it, so that nobody can run it whatever the checkout's
    permissions (CI's clone may not be readable by other users)."""
    d = Path(tempfile.mkdtemp(prefix="stockade-e2e-"))
    os.chmod(d, 0o755)
    for entry in Path(binary).parent.iterdir():
        if entry == Path(binary) or (entry.is_file() and ".so" in entry.name):
            target = d / entry.name
            shutil.copy2(entry, target)
            os.chmod(target, 0o755)
    return d


class Stockade:
    """Runs the stockade binary in one privilege mode.

    root: as root.  unprivileged: as nobody through setpriv, so that stockade
    has nothing but user namespaces.  Both run the same world-readable copy of
    build/stockade (CI's checkout may not be readable by nobody), with the
    working directory in that copy's directory.
    """

    def __init__(self, mode, install_dir, unprivileged_uid=NOBODY):
        assert mode in MODES
        self.mode = mode
        self.dir = Path(install_dir)
        self.exe = str(self.dir / "stockade")
        self.uid = 0 if mode == "root" else unprivileged_uid

    def argv(self, args):
        prefix = [] if self.mode == "root" else setpriv(self.uid)
        return prefix + [self.exe, *(a if isinstance(a, bytes) else str(a) for a in args)]

    def new_record_path(self):
        """A path stockade (as its mode's user) can create a record at."""
        d = tempfile.mkdtemp(prefix="record-", dir=self.dir)
        os.chown(d, self.uid, self.uid)
        os.chmod(d, 0o755)
        return os.path.join(d, "record.json")

    @staticmethod
    def take_record(path):
        try:
            return read_record(path)
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)

    def invoke(self, args, *, env=None, pass_fds=(), timeout=TIMEOUT,
               stdin=subprocess.DEVNULL, preexec_fn=reset_signals, text=True):
        """`stockade ARGS` (no record); returns the CompletedProcess."""
        return subprocess.run(self.argv(args), stdin=stdin,
                              capture_output=True, text=text,
                              errors="backslashreplace" if text else None, env=env,
                              pass_fds=pass_fds, timeout=timeout,
                              cwd=self.dir, preexec_fn=preexec_fn)

    def run(self, args, *, record=True, env=None, pass_fds=(),
            timeout=TIMEOUT, stdin=subprocess.DEVNULL,
            preexec_fn=reset_signals, text=True):
        """`stockade run --record FILE ARGS`; returns (CompletedProcess, record).

        The record is None when none was written (allowed only for status
        125, a refused command line).  Whenever there is one, it must agree
        with the status stockade exited with.
        """
        path = self.new_record_path() if record else None
        head = ["run", "--record", path] if record else ["run"]
        try:
            cp = self.invoke(head + list(args), env=env, pass_fds=pass_fds,
                             timeout=timeout, stdin=stdin,
                             preexec_fn=preexec_fn, text=text)
        finally:
            rec = self.take_record(path) if record else None
        if record:
            if rec is None:
                assert cp.returncode == 125, \
                    "stockade wrote no run record" + describe(cp)
            else:
                assert rec.get("exit_status") == cp.returncode, \
                    "record's exit_status is not stockade's status" + describe(cp, rec)
        return cp, rec

    def popen(self, args, record_path=None, *, env=None, pass_fds=(),
              preexec_fn=reset_signals, stdin=subprocess.DEVNULL):
        """Starts `stockade run [--record PATH] ARGS` with unbuffered pipes."""
        head = ["run", "--record", record_path] if record_path else ["run"]
        return subprocess.Popen(self.argv(head + list(args)), stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                bufsize=0, env=env, pass_fds=pass_fds,
                                cwd=self.dir, preexec_fn=preexec_fn)


class LineReader:
    """Reads lines from a raw pipe with a deadline (no hanging tests)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""
        self.seen = []

    def line(self, timeout=30):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line within {timeout}s; read so far: {self.seen} {self.buf!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise AssertionError(f"EOF before a line; read so far: {self.seen} {self.buf!r}")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode(errors="backslashreplace")
        self.seen.append(text)
        return text

    def expect(self, wanted, timeout=30):
        """Reads lines until one equals wanted."""
        while True:
            text = self.line(timeout)
            if text == wanted:
                return text


def finish(proc, timeout=TIMEOUT):
    """communicate() with a deadline; on timeout kills stockade (by pid) and fails."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"stockade did not finish within {timeout}s;"
                             f" stdout {out[-2000:]!r} stderr {err[-2000:]!r}")
    return out.decode(errors="backslashreplace"), err.decode(errors="backslashreplace")


# ---- the host, seen from outside -------------------------------------------

def processes():
    """(pid, argv) of every process with a command line, except this one."""
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        if raw:
            yield int(name), [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]


def pids_with_arg(marker):
    """Processes one of whose arguments is exactly marker."""
    return {pid: argv for pid, argv in processes() if marker in argv}


def pids_mentioning(text):
    """Processes one of whose arguments contains text."""
    return {pid: argv for pid, argv in processes() if any(text in a for a in argv)}


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def proc_stat(pid):
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session, tty_nr, ...]."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def pids_of_uids(uids):
    """Processes whose real uid is one of uids."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(proc_status(name)["Uid"].split()[0]) in uids:
                found.append(int(name))
        except (OSError, KeyError):
            pass
    return found


def kill_survivors(pids):
    """Kills (by pid) processes a test found alive that it caused; returns what they were."""
    seen = {}
    for pid in pids:
        try:
            seen[pid] = proc_status(pid).get("Uid"), open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return seen


def assert_no_survivors(marker, what="process of the run"):
    found = pids_with_arg(marker)
    if found:
        # Did they merely outlive stockade for a moment?  Either way a fault:
        # stockade returns only once every process of the run is reaped.
        time.sleep(1)
        still = pids_with_arg(marker)
        info = kill_survivors(found)
        raise AssertionError(f"{what} survived the run: {found} (still alive 1s later: "
                             f"{sorted(still)}); killed by pid: {info}")


def _entries(top, depth):
    """Relative paths under top down to depth (1 = its entries)."""
    found = set()
    top = str(top)

    def walk(path, level):
        try:
            names = os.listdir(path)
        except OSError:
            return
        for name in names:
            full = os.path.join(path, name)
            found.add(os.path.relpath(full, top))
            if level < depth and os.path.isdir(full) and not os.path.islink(full):
                walk(full, level + 1)
    walk(top, 1)
    return frozenset(found)


def _own_cgroups():
    """Directories of the cgroups this process is in, in every mounted hierarchy."""
    dirs = set()
    try:
        lines = open("/proc/self/cgroup").read().splitlines()
    except OSError:
        return dirs
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            bases = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        else:
            names = controllers.split(",")
            bases = [f"/sys/fs/cgroup/{controllers}"] + \
                    [f"/sys/fs/cgroup/{n.removeprefix('name=')}" for n in names]
        for base in bases:
            candidate = base + path.rstrip("/")
            if os.path.isdir(candidate) and os.path.exists(os.path.join(base, "cgroup.procs")):
                dirs.add(candidate)
                break
    return dirs


def cgroup_dirs():
    """Cgroup directories: every hierarchy to depth 2 below its root (v1
    controller directories and v2 top-level groups alike), plus the whole
    subtree of the groups this process is in (where a delegated child of
    ours would go)."""
    found = set()
    base = "/sys/fs/cgroup"
    for rel in _entries(base, 3):
        if os.path.isdir(os.path.join(base, rel)):
            found.add(rel)
    for own in _own_cgroups():
        for dirpath, dirnames, _ in os.walk(own):
            for d in dirnames:
                found.add(os.path.relpath(os.path.join(dirpath, d), base))
    return frozenset(found)


def build_host(source, directory, extra=()):
    """A test host program, tests/e2e/SOURCE.c, linked with
    build/libstockade.a into DIRECTORY, made readable by everyone (the
    unprivileged runs are nobody's).  The sanitizer build's library needs
    its runtime: make e2e passes it in $STOCKADE_LDFLAGS."""
    os.chmod(directory, 0o755)
    exe = os.path.join(directory, source)
    ldflags = os.environ.get("STOCKADE_LDFLAGS", "").split()
    cp = subprocess.run(["cc", "-O2", "-Wall", "-Werror", f"-I{ROOT / 'include'}", "-o", exe,
                         str(ROOT / "tests" / "e2e" / f"{source}.c"),
                         str(BUILD / "libstockade.a"), *ldflags, *extra, "-ljansson",
                         "-lseccomp", "-linih", "-lpthread"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    return exe


def snapshot(marker=None):
    """What a run must leave as it found it on the host."""
    with open("/proc/self/mountinfo") as f:
        mounts = frozenset(f.read().splitlines())
    return {
        "mounts": mounts,
        "/tmp": _entries("/tmp", 1),
        "/dev/shm": _entries("/dev/shm", 2),
        "/run": _entries("/run", 2),
        "cgroups": cgroup_dirs(),
        "processes": frozenset(f"{pid} {' '.join(argv)[:200]}"
                               for pid, argv in (pids_mentioning(marker).items() if marker else ())),
    }


# /tmp is the whole machine's scratch space: other programs delete their own
# files there while a test runs.  Entries stockade adds are still leftovers.
_IGNORE_REMOVED = {"/tmp"}


def _diff(before, after):
    diff = {}
    for key in before:
        added = sorted(after[key] - before[key])
        removed = [] if key in _IGNORE_REMOVED else sorted(before[key] - after[key])
        if key == "cgroups":
            # Other managers on the machine make and remove groups of their
            # own; a group of ours that vanished is still a fault.
            removed = [c for c in removed if "stockade" in c.split("/")]
        if added or removed:
            diff[key] = {"added": added[:20], "removed": removed[:20]}
    return diff


def leftovers(before, marker=None, settle=3.0):
    """Differences from the snapshot before, once they have had `settle`
    seconds to go away (other programs on the machine create short-lived
    files too; what stockade leaves stays)."""
    deadline = time.monotonic() + settle
    while True:
        diff = _diff(before, snapshot(marker))
        if not diff or time.monotonic() >= deadline:
            return diff
        time.sleep(0.2)


class HostObject:
    """A host object to give stockade as one of its standard streams, and
    what it was before the run, to tell whether the program reached it:
      pty          a terminal, as an interactive shell's: raw, so that any
                   byte pushed into its input queue is counted
      host-root    the host's / (a careless "< /")
      o-path       an O_PATH fd of a host directory
      unix-socket  one end of a connected unix socket pair; the harness
                   holds the other and sees anything sent on it
      rw-file      a file of the caller's (stockade's user), read-write
    """

    def __init__(self, kind, uid):
        self.kind, self.master, self.peer = kind, None, None
        self.dir = tempfile.mkdtemp(prefix="host-stdin-")
        marker = os.path.join(self.dir, "etc")   # what fchdir + stat("etc") would find
        os.mkdir(marker)
        os.chown(self.dir, uid, uid)
        if kind == "pty":
            self.master, self.fd = pty.openpty()
            tty.setraw(self.fd)
            self.path = os.ttyname(self.fd)
        elif kind == "host-root":
            self.path = "/"
            self.fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
        elif kind == "o-path":
            self.path = self.dir
            self.fd = os.open(self.dir, os.O_PATH | os.O_DIRECTORY)
        elif kind == "unix-socket":
            a, self.peer = socket.socketpair()
            self.fd = a.detach()
            self.peer.setblocking(False)
            self.path = None
        elif kind == "rw-file":
            self.path = os.path.join(self.dir, "file")
            with open(self.path, "w") as f:
                f.write("the caller's own file\n")
            os.chown(self.path, uid, uid)
            os.chmod(self.path, 0o640)
            self.fd = os.open(self.path, os.O_RDWR)
        else:
            raise AssertionError(f"unknown stdin kind {kind}")
        self.before = self._state()

    def _state(self):
        state = {}
        if self.path:
            st = os.stat(self.path)
            state["stat"] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_ctime_ns)
        if self.kind == "o-path":
            state["entries"] = sorted(os.listdir(self.path))
        if self.kind == "rw-file":
            with open(self.path, "rb") as f:
                state["content"] = f.read()
        if self.peer is not None:
            try:
                state["received"] = self.peer.recv(65536)
            except BlockingIOError:
                state["received"] = b""
        return state

    def changes(self):
        after = self._state()
        if self.kind == "host-root":  # the rest of the host moves on its own
            after["stat"] = after["stat"][:3] + self.before["stat"][3:]
        return [f"{k}: {self.before.get(k)!r} -> {v!r}" for k, v in after.items()
                if v != self.before.get(k)]

    def close(self):
        os.close(self.fd)
        if self.master is not None:
            os.close(self.master)
        if self.peer is not None:
            self.peer.close()
        shutil.rmtree(self.dir, ignore_errors=True)
