"""The host canaries of the attack suite and the invariants checked after
every attack (docs/security.md; research: attacks.md section 1).

Canaries, set up once per session:
  C-SECRET  a world-readable host file outside every bind, holding a token:
            only the sandbox's view of the file system keeps it out;
  C-RO      a host tree bound read-only into every run at /canary-ro;
  C-NET     listeners on host 127.0.0.1 and ::1 (TCP, one port), a UDP
            "DNS server" on 127.0.0.1, an abstract and a pathname unix
            socket; each counts connections, datagrams and bytes;
  C-PROC    a host process per mode, under the uid the sandbox has outside
            (RUN_UID in unprivileged mode; in root mode the first per-run
            host uid, the one a run is most likely to get too);
  C-ENV     a second token in stockade's own environment;
  C-FD      descriptors deliberately leaked into stockade, without
            CLOEXEC: an O_PATH fd of /, the secret file open for reading,
            a socket connected to the TCP listener.

Invariants (H1-H8), checked by Host.check after each run:
  H1 neither token appears in stdout, stderr or the record;
  H2 C-RO's content, modes and times, the host's mounts, host name and
     the /proc/sys files an attack could write are unchanged;
  H3 no new connection, datagram or byte reached a listener;
  H4 C-PROC lives, untraced, unstopped, the same process;
  H5 stockade ended on its own with a record, its binary unchanged;
  H6 nothing left behind: mounts, cgroups, files, System V IPC objects,
     processes of the run (in /tmp, /dev/shm and /run only what a run could
     have made counts: named for stockade, or owned by a run's host uid);
  H7 the verdict is the expected one (test_attacks.py judges it);
  H8 a neighbour sandbox running the whole session is alive and
     undisturbed.
"""
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from support import MODES, leftovers, setpriv, snapshot

HOST_UID_BASE = 0x70000000  # root mode's per-run host uids (docs/record.md)
# The unprivileged mode runs as a uid of its own, which no account and no
# other program of the host has: what H4-H6 find with it is the run's.
# (As nobody, any other program of nobody's - a test suite, a daemon -
# that made a file in /tmp during a run tripped H6.)  Below the host
# uids of root mode.
RUN_UID = 0x6FFF0000
SETPRIV = setpriv(RUN_UID)
HOST_PID_NS = os.readlink("/proc/self/ns/pid")
# What an attack could change in /proc/sys if /proc/sys were writable.
SYSCTLS = ["kernel/core_pattern", "kernel/hostname", "kernel/domainname",
           "kernel/modprobe", "kernel/sysrq", "vm/overcommit_memory",
           "kernel/randomize_va_space", "user/max_user_namespaces",
           "net/ipv4/ping_group_range", "fs/protected_symlinks"]


def _process_facts(pid):
    """What a surviving process was, for the report: its command line, name,
    state, parent and pid namespace (PY-09 once left a stockade-init whose
    cause these would have told)."""
    facts = {}
    try:
        facts["cmdline"] = Path(f"/proc/{pid}/cmdline").read_bytes()[:100]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":\t")
            if key in ("Name", "State", "PPid", "NSpid", "SigCgt", "SigIgn"):
                facts[key] = value.strip()
        facts["pidns"] = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError as e:
        facts["error"] = str(e)
    return facts


class Listener:
    """Counts what reaches one socket: connections (or datagrams) and bytes."""

    def __init__(self, sock, stream=True):
        self.sock = sock
        self.stream = stream
        self.accepted = 0
        self.received = 0
        self.lock = threading.Lock()
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                if self.stream:
                    conn, _ = self.sock.accept()
                    with self.lock:
                        self.accepted += 1
                        self.conns.append(conn)
                    threading.Thread(target=self._drain, args=(conn,), daemon=True).start()
                else:
                    data = self.sock.recv(65536)
                    with self.lock:
                        self.accepted += 1
                        self.received += len(data)
            except OSError:
                return

    def _drain(self, conn):
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.received += len(data)

    def counts(self):
        with self.lock:
            return self.accepted, self.received


def _tree_state(root):
    """Content, mode and times of every entry under root."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            state[os.path.relpath(path, root)] = (st.st_mode, st.st_mtime_ns, st.st_ctime_ns,
                                                  st.st_size, digest)
    return state


def _sysvipc():
    """The host's System V IPC objects, by key."""
    objects = {}
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path("/proc/sysvipc", kind).read_text().splitlines()[1:]
        except OSError:
            lines = []
        objects[kind] = sorted(line.split()[0] for line in lines)
    return objects


def _sysctls():
    values = {}
    for name in SYSCTLS:
        try:
            values[name] = Path("/proc/sys", name).read_text()
        except OSError as e:
            values[name] = f"unreadable: {e.errno}"
    return values


def _not_running(left):
    """Leftovers without the cgroups of other stockades on the machine (a
    run's group is named run-PID-N after its stockade's pid): one added
    while its stockade still runs, or removed because it has ended (the
    stockade of this attack has exited by now)."""
    groups = left.get("cgroups")
    if groups:
        def alive(entry):
            match = re.search(r"/run-(\d+)-\d+$", entry)
            return match and os.path.exists(f"/proc/{match.group(1)}")

        def other_run(entry):
            return re.search(r"/run-\d+-\d+$", entry) and not alive(entry)
        groups["added"] = [e for e in groups["added"] if not alive(e)]
        groups["removed"] = [e for e in groups["removed"] if not other_run(e)]
        if not groups["added"] and not groups["removed"]:
            del left["cgroups"]
    return left


# The shared scratch directories, which other programs on a busy host fill
# and empty while an attack runs.
SCRATCH = ("/tmp", "/dev/shm", "/run")


def _made_by_a_run(top, entry):
    """Whether an entry of a scratch directory can be a run's doing: it is
    named for stockade (its own files, the harness's), or a run's host uid
    owns it (root mode's per-run uids; RUN_UID, the unprivileged mode's).
    A sandbox reaches the host's files only as its host uid."""
    if "stockade" in entry:
        return True
    try:
        uid = os.lstat(os.path.join(top, entry)).st_uid
    except OSError:
        return False  # gone: another program's short-lived file
    return uid >= HOST_UID_BASE or uid == RUN_UID


def _runs_own(left):
    """Leftovers without the files other processes made in the scratch
    directories (H6 judges only what a run could have made)."""
    for top in SCRATCH:
        change = left.get(top)
        if not change:
            continue
        # Removals still count (but in /tmp, see support.py): no other
        # program is expected to delete what was there before the run.
        change["added"] = [e for e in change["added"] if _made_by_a_run(top, e)]
        if not change["added"] and not change["removed"]:
            del left[top]
    return left


class Host:
    """The canaries, and the invariants checked around each attack."""

    def __init__(self, stockade_exe):
        self.dir = Path(tempfile.mkdtemp(prefix="stockade-attacks-", dir="/var/tmp"))
        os.chmod(self.dir, 0o755)
        self.token = "SECRET-" + secrets.token_hex(16)
        self.env_token = "ENVSECRET-" + secrets.token_hex(16)
        self.secret = self.dir / "secret"
        self.secret.write_text(self.token + "\n")
        os.chmod(self.secret, 0o644)  # only the sandbox's view keeps it out

        self.ro = self.dir / "ro"
        (self.ro / "sub").mkdir(parents=True)
        (self.ro / "data.txt").write_text("read-only canary\n")
        (self.ro / "sub" / "script.py").write_text("print('canary')\n")
        (self.ro / "writable-looking").write_text("mode 0666 on the host\n")
        os.chmod(self.ro / "writable-looking", 0o666)
        for d in (self.ro, self.ro / "sub"):
            os.chmod(d, 0o777)  # writable by anyone on the host: the bind must hold
        os.chmod(self.ro / "data.txt", 0o644)
        os.chmod(self.ro / "sub" / "script.py", 0o644)

        self.listeners = {}
        tcp4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp4.bind(("127.0.0.1", 0))
        self.tcp_port = tcp4.getsockname()[1]
        tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        tcp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        tcp6.bind(("::1", self.tcp_port))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        self.udp_port = udp.getsockname()[1]
        self.abstract = "stockade-canary-" + secrets.token_hex(6)
        abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        abstract.bind("\0" + self.abstract)
        self.unix_path = str(self.dir / "canary.sock")
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        for name, sock in (("tcp4", tcp4), ("tcp6", tcp6), ("abstract", abstract),
                           ("unix", unix)):
            sock.listen(64)
            self.listeners[name] = Listener(sock)
        self.listeners["udp"] = Listener(udp, stream=False)

        # C-FD: leaked into every stockade started, without CLOEXEC.
        self.leaked_conn = socket.create_connection(("127.0.0.1", self.tcp_port))
        deadline = time.monotonic() + 5
        while self.listeners["tcp4"].counts()[0] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.leaked = [os.open("/", os.O_PATH), os.open(self.secret, os.O_RDONLY),
                       self.leaked_conn.fileno()]
        for fd in self.leaked:
            os.set_inheritable(fd, True)

        self.exe = stockade_exe
        self.exe_digest = hashlib.sha256(Path(stockade_exe).read_bytes()).hexdigest()
        self.procs = {}
        self.neighbours = {}
        self.quiet_ns = set()  # pid namespaces of the neighbours
        for mode in MODES:
            self._start_proc(mode)
        self.ro_state = _tree_state(self.ro)
        self.sysctls = _sysctls()
        self.hostname = socket.gethostname()

    # ---- C-PROC and the neighbour sandbox ------------------------------

    def _start_proc(self, mode):
        uid = RUN_UID if mode != "root" else HOST_UID_BASE
        proc = subprocess.Popen(["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                                 "--clear-groups", "--", "/bin/sleep", "1000000"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if Path(f"/proc/{proc.pid}/exe").resolve().name == "sleep":
                    break
            except OSError:
                pass
            time.sleep(0.01)
        self.procs[mode] = (proc, self._proc_start_time(proc.pid))

    @staticmethod
    def _proc_start_time(pid):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]

    def start_neighbour(self, mode, install_dir):
        """H8: a sandbox of the same mode beating for the whole session."""
        prefix = [] if mode == "root" else list(SETPRIV)
        proc = subprocess.Popen(
            prefix + [str(install_dir / "stockade"), "run", "--wall-time", "1h", "--",
                      "/bin/sh", "-c", "while :; do echo beat; sleep 0.05; done"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=install_dir)
        os.set_blocking(proc.stdout.fileno(), False)
        self.neighbours[mode] = proc
        self.neighbour_beats(mode, wait=True)
        # Its processes come and go (a sleep every beat): they are not
        # survivors of the attacks.  Its init is the child of stockade.
        for name in filter(str.isdigit, os.listdir("/proc")):
            try:
                if int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1]) \
                        == proc.pid:
                    self.quiet_ns.add(os.readlink(f"/proc/{name}/ns/pid"))
            except (OSError, ValueError):
                pass

    def neighbour_beats(self, mode, wait=False):
        """New heartbeats of the neighbour since the last call (waits up
        to 5 s for one)."""
        proc = self.neighbours[mode]
        deadline = time.monotonic() + 5
        beats = 0
        while True:
            try:
                chunk = proc.stdout.read()
            except (BlockingIOError, ValueError):
                chunk = None
            beats += (chunk or b"").count(b"beat")
            if beats or time.monotonic() >= deadline or proc.poll() is not None:
                return beats
            time.sleep(0.05)

    # ---- around each run -------------------------------------------------

    def env(self):
        """stockade's own environment: the caller's, plus C-ENV."""
        return {**os.environ, "SBX_SECRET": self.env_token, "STOCKADE_PROFILE_PATH": ""}

    def canary_options(self, mode):
        """Where the canaries are, for the attack programs, and the
        read-only bind of C-RO."""
        values = {"SECRET": str(self.secret), "RO": "/canary-ro",
                  "TCP_PORT": str(self.tcp_port), "UDP_PORT": str(self.udp_port),
                  "ABSTRACT": self.abstract, "UNIX": self.unix_path,
                  "PID": str(self.proc_pid(mode))}
        options = ["--ro", f"{self.ro}:/canary-ro"]
        for key, value in values.items():
            options += ["--env", f"CANARY_{key}={value}"]
        return options

    def proc_pid(self, mode):
        return self.procs[mode][0].pid

    def sandbox_pids(self, mode, old_ns=frozenset()):
        """{pid: pid namespace} of the processes with the uids a run of
        this mode has on the host, in a pid namespace of their own (never
        the host's: other programs of that uid are not a run's), except the
        neighbours' and those of old_ns (sandboxes that were there before
        the attack: a run's namespace is new)."""
        if mode == "root":
            wanted = range(HOST_UID_BASE, HOST_UID_BASE + 0x10000)
        else:
            wanted = range(RUN_UID, RUN_UID + 1)
        skip = self.quiet_ns | {HOST_PID_NS} | old_ns
        found = {}
        for name in filter(str.isdigit, os.listdir("/proc")):
            try:
                for line in open(f"/proc/{name}/status"):
                    if line.startswith("Uid:"):
                        ns = os.readlink(f"/proc/{name}/ns/pid")
                        if int(line.split()[1]) in wanted and ns not in skip:
                            found[int(name)] = ns
                        break
            except (OSError, ValueError):
                pass
        return found

    def before(self, mode):
        if mode in self.neighbours:
            self.neighbour_beats(mode)
        return {"snapshot": snapshot(), "pid_ns": frozenset(self.sandbox_pids(mode).values()),
                "sysvipc": _sysvipc(),
                "listeners": {k: v.counts() for k, v in self.listeners.items()}}

    def check(self, mode, state, cp, rec):
        """The invariants H1-H6 and H8 after one run; returns the list of
        those that failed, each with what was seen."""
        broken = []
        texts = [cp.stdout, cp.stderr, repr(rec)]
        for token in (self.token, self.env_token):
            if any(token in t for t in texts):
                broken.append(f"H1: a secret token ({token[:9]}...) reached the output or record")
        if _tree_state(self.ro) != self.ro_state:
            broken.append("H2: the read-only canary tree changed")
        if _sysctls() != self.sysctls:
            broken.append(f"H2: /proc/sys changed: {_sysctls()}")
        if socket.gethostname() != self.hostname:
            broken.append(f"H2: the host name changed to {socket.gethostname()}")
        counts = {k: v.counts() for k, v in self.listeners.items()}
        if counts != state["listeners"]:
            broken.append(f"H3: a listener was reached: {state['listeners']} -> {counts}")
        proc, started = self.procs[mode]
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
            if proc.poll() is not None or self._proc_start_time(proc.pid) != started:
                broken.append("H4: the host process was killed")
            elif fields.get("TracerPid", "0").strip() != "0" or \
                    fields.get("State", "").split()[0] not in ("S", "R"):
                broken.append(f"H4: the host process was traced or stopped: {fields.get('State')}, "
                              f"TracerPid {fields.get('TracerPid')}")
        except OSError:
            broken.append("H4: the host process is gone")
        if cp.returncode < 0 or rec is None:
            broken.append(f"H5: stockade did not end on its own (status {cp.returncode}, "
                          f"record {'none' if rec is None else 'written'})")
        if hashlib.sha256(Path(self.exe).read_bytes()).hexdigest() != self.exe_digest:
            broken.append("H5: the stockade binary changed")
        left = _runs_own(_not_running(leftovers(state["snapshot"])))
        if left:
            broken.append(f"H6: left behind: {left}")
        if _sysvipc() != state["sysvipc"]:
            broken.append(f"H6: System V IPC objects left on the host: {_sysvipc()}")
        survivors = set(self.sandbox_pids(mode, state["pid_ns"]))
        if survivors:
            time.sleep(0.5)
            survivors &= set(self.sandbox_pids(mode, state["pid_ns"]))
        if survivors:
            info = {pid: _process_facts(pid) for pid in survivors if Path(f"/proc/{pid}").exists()}
            for pid in survivors:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            broken.append(f"H6: processes of the run survived (killed by pid): {info}")
        neighbour = self.neighbours.get(mode)
        if neighbour is not None and (neighbour.poll() is not None or
                                      not self.neighbour_beats(mode)):
            broken.append(f"H8: the neighbour sandbox stopped (status {neighbour.poll()})")
        return broken

    def close(self):
        for proc in self.neighbours.values():
            if proc.poll() is None:
                proc.terminate()  # stockade passes it on; a second one kills
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    proc.wait(timeout=10)
        for proc, _ in self.procs.values():
            proc.kill()
            proc.wait()
        for fd in self.leaked[:2]:
            os.close(fd)
        self.leaked_conn.close()
        for listener in self.listeners.values():
            listener.sock.close()
            for conn in listener.conns:
                conn.close()
        shutil.rmtree(self.dir, ignore_errors=True)
