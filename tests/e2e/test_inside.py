"""Every property of a run, shown from inside the sandbox, in both modes.

Each test runs a small Python program in the sandbox that prints the facts
as JSON; the test asserts on them.
"""
import hashlib
import json
import os
import pwd
import socket

import pytest

from support import BASE_ENV, MIB, SANDBOX_GID, SANDBOX_UID, describe, leftovers, snapshot, unique


# ---- processes --------------------------------------------------------------

def test_pid_namespace_hides_host_processes(inside):
    facts, _, _ = inside('''
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        with open("/proc/1/cmdline", "rb") as f:
            init = f.read().split(b"\\0")
        facts(pid=os.getpid(), ppid=os.getppid(), pids=pids,
              init=[a.decode(errors="replace") for a in init])
    ''')
    with open("/proc/1/cmdline", "rb") as f:
        host_init = [a.decode(errors="replace") for a in f.read().split(b"\0")]
    assert facts["init"] != host_init, "pid 1 inside is the host's init"
    # pid 1 is stockade's init, the payload its child, and nothing else
    # exists (the payload is pid 3: pid 2 went to the short-lived helper that
    # made the network namespace).
    assert facts["pid"] > 1 and facts["ppid"] == 1, facts
    assert facts["pids"] == [1, facts["pid"]], facts


def test_cgroup_namespace_hides_host_groups(inside):
    """/proc/self/cgroup shows the run's own groups as the root of every
    hierarchy: not the host's paths to them, which name stockade's pid."""
    facts, _, _ = inside('''
        facts(lines=open("/proc/self/cgroup").read().splitlines())
    ''')
    assert facts["lines"], facts
    paths = {line.split(":", 2)[2] for line in facts["lines"]}
    assert paths == {"/"}, facts


# ---- network ----------------------------------------------------------------

def test_network_is_only_loopback(inside):
    # Services on the host's loopback and abstract unix sockets of the host
    # must be out of reach: the sandbox has its own loopback.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract_name = unique("stockade-e2e")
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        abstract.bind("\0" + abstract_name)
        abstract.listen(1)
        port = listener.getsockname()[1]
        facts, _, _ = inside('''
            import socket
            with open("/proc/net/dev") as f:
                devs = [l.split(":", 1)[0].strip() for l in f.read().splitlines()[2:]]
            # lo is up: a connection to ourselves on it works.
            srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
            cli = socket.create_connection(srv.getsockname(), timeout=5)
            conn, _ = srv.accept(); cli.sendall(b"ping")
            echoed = conn.recv(4).decode()
            host_tcp = oserr(socket.create_connection, ("127.0.0.1", int(sys.argv[1])), timeout=5)
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            host_abstract = oserr(u.connect, "\\0" + sys.argv[2])
            # if_nameindex asks route netlink, which shows the run's own
            # namespace: lo alone.
            facts(devs=devs, ifaces=socket.if_nameindex(), echoed=echoed,
                  host_tcp=host_tcp, host_abstract=host_abstract)
        ''', "--allow", "network", args=(str(port), abstract_name))
    finally:
        listener.close()
        abstract.close()
    assert facts["devs"] == ["lo"]
    assert facts["ifaces"] == [[1, "lo"]], facts
    assert facts["echoed"] == "ping"
    assert facts["host_tcp"] == "ECONNREFUSED"
    assert facts["host_abstract"] == "ECONNREFUSED"


# ---- uts --------------------------------------------------------------------

HOSTNAME_CODE = '''
    import socket
    facts(uname=os.uname().nodename, gethostname=socket.gethostname())
'''


def test_hostname_default(inside):
    facts, _, _ = inside(HOSTNAME_CODE)
    assert facts == {"uname": "stockade", "gethostname": "stockade"}


def test_hostname_option(inside):
    facts, _, _ = inside(HOSTNAME_CODE, "--hostname", "box-42.example")
    assert facts == {"uname": "box-42.example", "gethostname": "box-42.example"}


# ---- credentials ------------------------------------------------------------

def test_identity_is_sandbox_user(inside):
    facts, _, _ = inside('''
        import grp, pwd
        status = dict(l.split(":", 1) for l in open("/proc/self/status"))
        with open("/etc/passwd") as f:
            users = [l.split(":")[0] for l in f if l.strip()]
        facts(ids=[os.getuid(), os.geteuid(), os.getgid(), os.getegid()],
              groups=os.getgroups(), uid_line=status["Uid"].split(), gid_line=status["Gid"].split(),
              user=pwd.getpwuid(os.getuid()).pw_name, group=grp.getgrgid(os.getgid()).gr_name,
              by_name=[pwd.getpwnam("sandbox").pw_uid, grp.getgrnam("sandbox").gr_gid],
              users=users, setuid0=oserr(os.setuid, 0), setuid_nobody=oserr(os.setuid, 65534),
              setresgid=oserr(os.setresgid, -1, 5, -1), setuid_own=oserr(os.setuid, os.getuid()),
              chown_root=oserr(os.chown, "/tmp", 0, -1), chown_own=oserr(os.chown, "/tmp", -1, os.getgid()))
    ''')
    assert facts["ids"] == [SANDBOX_UID, SANDBOX_UID, SANDBOX_GID, SANDBOX_GID]
    assert facts["uid_line"] == [str(SANDBOX_UID)] * 4
    assert facts["gid_line"] == [str(SANDBOX_GID)] * 4
    assert set(facts["groups"]) <= {SANDBOX_GID}
    assert facts["user"] == "sandbox"
    assert facts["group"] == "sandbox"
    assert facts["by_name"] == [SANDBOX_UID, SANDBOX_GID]
    # Another id is refused with the EPERM of an unprivileged user (the
    # kernel alone would say EINVAL for an id the namespace does not map);
    # the sandbox's own ids are fine.
    assert [facts[k] for k in ("setuid0", "setuid_nobody", "setresgid", "chown_root")] \
        == ["EPERM"] * 4, facts
    assert facts["setuid_own"] is None and facts["chown_own"] is None, facts
    # The passwd file is synthesized: the host's accounts are not in it.
    host_only = {pw.pw_name for pw in pwd.getpwall()} - {"root", "nobody", "sandbox"}
    assert not host_only & set(facts["users"]), facts["users"]


def test_no_capabilities_no_new_privs(inside):
    facts, rec, _ = inside('''
        import ctypes
        status = dict((k, v.strip()) for k, v in (l.split(":", 1) for l in open("/proc/self/status")))
        libc = ctypes.CDLL(None, use_errno=True)
        PR_GET_SECUREBITS = 27
        facts(caps={k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
              no_new_privs=int(status["NoNewPrivs"]), seccomp=int(status["Seccomp"]),
              securebits=libc.prctl(PR_GET_SECUREBITS, 0, 0, 0, 0))
    ''')
    assert facts["caps"] == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}
    assert facts["no_new_privs"] == 1
    # Seccomp is not applied yet; whatever the record says must be true.
    assert facts["seccomp"] == (2 if rec["enforced"]["seccomp"]["applied"] else 0)
    # The record promises locked securebits: the four *_LOCKED bits (1, 3, 5, 7).
    assert rec["enforced"]["credentials"]["securebits_locked"] is True
    assert facts["securebits"] & 0xAA == 0xAA, hex(facts["securebits"])


def test_no_controlling_terminal(inside):
    facts, _, _ = inside('''
        fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
        facts(tty_nr=int(fields[4]), dev_tty=oserr(open, "/dev/tty", "rb"))
    ''')
    assert facts["tty_nr"] == 0
    assert facts["dev_tty"] is not None


# ---- file system --------------------------------------------------------------

REQUIRED_TOP = {"usr", "bin", "lib", "lib64", "sbin", "etc", "proc", "dev", "tmp"}
OPTIONAL_TOP = {"lib32", "libx32"}  # merged-/usr symlinks, when the host has them


def test_root_holds_only_the_sandbox_tree(inside, host_dir):
    hidden = host_dir / "hidden.txt"
    hidden.write_text("host secret\n")
    os.chmod(hidden, 0o644)
    facts, _, _ = inside('''
        import socket
        top = {}
        for name in os.listdir("/"):
            p = "/" + name
            top[name] = os.readlink(p) if os.path.islink(p) else ("dir" if os.path.isdir(p) else "file")
        facts(top=top, etc=sorted(os.listdir("/etc")),
              hidden=oserr(os.stat, sys.argv[1]), hidden_dir=oserr(os.stat, sys.argv[2]),
              elsewhere={p: oserr(os.stat, p) for p in ("/var", "/root", "/home", "/srv", "/work")},
              shadow=[os.stat("/etc/shadow").st_size, oct(os.stat("/etc/shadow").st_mode),
                      oserr(open, "/etc/shadow")],
              services=[socket.getservbyname("http", "tcp"), socket.getprotobyname("udp")],
              certs=os.path.isdir("/etc/ssl/certs") and len(os.listdir("/etc/ssl/certs")),
              localtime=os.path.exists("/etc/localtime"),
              localhost=socket.gethostbyname("localhost"))
    ''', args=(str(hidden), str(host_dir)))
    top = facts["top"]
    assert REQUIRED_TOP <= set(top), top
    assert set(top) <= REQUIRED_TOP | OPTIONAL_TOP, top
    for name in ("bin", "lib", "lib64", "sbin"):
        assert top[name] in (f"usr/{name}", f"/usr/{name}"), top
    for name in set(top) & OPTIONAL_TOP:
        assert top[name] in (f"usr/{name}", f"/usr/{name}"), top
    assert facts["hidden"] == "ENOENT"
    assert facts["hidden_dir"] == "ENOENT"
    assert facts["elsewhere"] == dict.fromkeys(facts["elsewhere"], "ENOENT")
    for name in ("passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "localtime", "ssl"):
        assert name in facts["etc"], facts["etc"]
    for name in ("gshadow", "sudoers", "machine-id"):
        assert name not in facts["etc"], facts["etc"]
    # An empty /etc/shadow no one may read, as programs expect of a host.
    assert facts["shadow"] == [0, "0o100000", "EACCES"], facts["shadow"]
    # Service and protocol names (getaddrinfo, getservbyname) from the host.
    assert facts["services"] == [80, 17], facts["services"]
    if os.path.isdir("/etc/ssl/certs") and os.listdir("/etc/ssl/certs"):
        assert facts["certs"], "/etc/ssl/certs is empty inside"
    assert facts["localtime"]
    assert facts["localhost"] == "127.0.0.1"


def test_root_usr_etc_not_writable(inside):
    facts, _, _ = inside('''
        facts(root_file=oserr(open, "/stockade-e2e", "w"), root_dir=oserr(os.mkdir, "/stockade-e2e"),
              root_link=oserr(os.symlink, "/tmp", "/stockade-e2e"),
              usr=oserr(os.mkdir, "/usr/stockade-e2e"), usr_bin=oserr(open, "/usr/bin/stockade-e2e", "w"),
              etc=oserr(open, "/etc/stockade-e2e", "w"))
    ''')
    assert facts == dict.fromkeys(facts, "EROFS")


MOUNTINFO_CODE = '''
    import re
    def unescape(s):
        return re.sub(r"\\\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
    mounts = {}
    for line in open("/proc/self/mountinfo"):
        left, right = line.split(" - ")
        f, r = left.split(), right.split()
        mounts[unescape(f[4])] = {"opts": f[5].split(","), "fstype": r[0]}   # the last one is on top
    facts(mounts=mounts)
'''


def test_mounts(inside, host_dir, shared_dir):
    (host_dir / "data.txt").write_text("x")
    facts, _, _ = inside(MOUNTINFO_CODE, "--ro", f"{host_dir}:/data", "--rw", f"{shared_dir}:/out",
                         "--tmpfs", "/scratch:4M")
    mounts = facts["mounts"]
    assert mounts["/"]["fstype"] == "tmpfs"
    assert "ro" in mounts["/"]["opts"], mounts["/"]
    assert mounts["/proc"]["fstype"] == "proc"
    for point, ro in (("/usr", True), ("/data", True), ("/out", False)):
        opts = mounts[point]["opts"]
        assert ("ro" if ro else "rw") in opts, (point, opts)
        assert "nosuid" in opts and "nodev" in opts, (point, opts)
    for point in ("/tmp", "/scratch", "/dev/shm"):
        assert mounts[point]["fstype"] == "tmpfs", (point, mounts[point])
        assert "rw" in mounts[point]["opts"], (point, mounts[point])
    # Nothing else is mounted: in particular the old root is gone.
    allowed = {"/", "/usr", "/etc", "/proc", "/dev", "/dev/shm", "/tmp", "/data", "/out", "/scratch"}
    stray = [p for p in mounts if p not in allowed and not p.startswith(("/usr/", "/etc/", "/proc/", "/dev/"))]
    assert not stray, mounts


def test_ro_bind(inside, host_dir):
    data = host_dir / "data"
    data.mkdir()
    (data / "file.txt").write_text("read me\n")
    # World-writable on the host: only the read-only mount can refuse.
    os.chmod(data, 0o777)
    os.chmod(data / "file.txt", 0o666)
    code = '''
        d = sys.argv[1]
        facts(content=open(d + "/file.txt").read(),
              append=oserr(open, d + "/file.txt", "a"), create=oserr(open, d + "/new.txt", "w"),
              mkdir=oserr(os.mkdir, d + "/sub"), unlink=oserr(os.unlink, d + "/file.txt"),
              chmod=oserr(os.chmod, d + "/file.txt", 0o777))
    '''
    for option, where in ((f"{data}:/data", "/data"), (str(data), str(data))):
        facts, _, _ = inside(code, "--ro", option, args=(where,))
        assert facts.pop("content") == "read me\n"
        assert facts == dict.fromkeys(facts, "EROFS"), option
    assert sorted(os.listdir(data)) == ["file.txt"]
    assert (data / "file.txt").read_text() == "read me\n"


def test_ro_bind_of_a_file(inside, host_dir):
    f = host_dir / "one.txt"
    f.write_text("just this file\n")
    os.chmod(f, 0o666)
    facts, _, _ = inside('''
        facts(content=open("/data.txt").read(), write=oserr(open, "/data.txt", "a"),
              sibling=oserr(os.stat, sys.argv[1]))
    ''', "--ro", f"{f}:/data.txt", args=(str(host_dir),))
    assert facts == {"content": "just this file\n", "write": "EROFS", "sibling": "ENOENT"}


def test_rw_bind(inside, shared_dir):
    (shared_dir / "existing.txt").write_text("host\n")
    os.chmod(shared_dir / "existing.txt", 0o666)
    facts, rec, _ = inside('''
        with open("/out/new.txt", "w") as f:
            f.write("from inside\\n")
        with open("/out/existing.txt", "a") as f:
            f.write("appended\\n")
        os.mkdir("/out/made")
        facts(listing=sorted(os.listdir("/out")))
    ''', "--rw", f"{shared_dir}:/out")
    assert facts["listing"] == ["existing.txt", "made", "new.txt"]
    assert (shared_dir / "new.txt").read_text() == "from inside\n"
    assert (shared_dir / "existing.txt").read_text() == "host\nappended\n"
    assert (shared_dir / "made").is_dir()
    st = os.stat(shared_dir / "new.txt")
    # What the sandbox creates belongs on the host to the run's host uid.
    assert (st.st_uid, st.st_gid) == (rec["host_uid"], rec["host_gid"])


def test_rw_bind_default_path(inside, shared_dir):
    facts, _, _ = inside('''
        open(sys.argv[1] + "/made-inside", "w").write("ok")
        facts(listing=os.listdir(sys.argv[1]))
    ''', "--rw", str(shared_dir), args=(str(shared_dir),))
    assert facts["listing"] == ["made-inside"]
    assert (shared_dir / "made-inside").read_text() == "ok"


FILL_CODE = '''
    def fill(path, limit):
        total, error = 0, None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        chunk = b"\\xa5" * (1 << 20)
        try:
            while total < limit:
                total += os.write(fd, chunk)
        except OSError as e:
            error = errno.errorcode.get(e.errno, str(e.errno))
        os.close(fd)
        os.unlink(path)
        return total, error
    def size(path):
        st = os.statvfs(path)
        return st.f_blocks * st.f_frsize
    result = {}
    for spec in sys.argv[1:]:
        path, limit = spec.split("=")
        written, error = fill(path, int(limit))
        result[path] = {"size": size(os.path.dirname(path)), "written": written, "error": error}
    result["/dev/shm"] = {"size": size("/dev/shm")}
    facts(**result)
'''


def test_tmp_is_a_64m_tmpfs(inside):
    facts, _, _ = inside(FILL_CODE, args=(f"/tmp/fill={70 * MIB}",))
    assert facts["/tmp/fill"]["size"] == 64 * MIB
    assert facts["/tmp/fill"]["error"] == "ENOSPC"
    assert facts["/tmp/fill"]["written"] <= 64 * MIB
    assert facts["/dev/shm"]["size"] == 64 * MIB


def test_tmpfs_option(inside):
    facts, _, _ = inside(FILL_CODE, "--tmpfs", "/scratch:4M", "--tmpfs", "/big",
                         args=(f"/scratch/fill={5 * MIB}", f"/big/fill={MIB}"))
    assert facts["/scratch/fill"]["size"] == 4 * MIB
    assert facts["/scratch/fill"]["error"] == "ENOSPC"
    assert facts["/scratch/fill"]["written"] <= 4 * MIB
    assert facts["/big/fill"] == {"size": 64 * MIB, "written": MIB, "error": None}


def test_dev(inside):
    facts, _, _ = inside('''
        import stat
        names = sorted(os.listdir("/dev"))
        chars = {}
        for n in ("null", "zero", "full", "random", "urandom"):
            st = os.stat("/dev/" + n)
            chars[n] = [stat.S_ISCHR(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev)]
        links = {n: os.readlink("/dev/" + n) for n in ("fd", "stdin", "stdout", "stderr")}
        with open("/dev/null", "wb") as f:
            f.write(b"gone")
        full = oserr(lambda: open("/dev/full", "wb", buffering=0).write(b"x"))
        facts(names=names, chars=chars, links=links, full=full,
              zero=open("/dev/zero", "rb").read(8).hex(), null=open("/dev/null", "rb").read().hex(),
              urandom=len(open("/dev/urandom", "rb").read(32)), random=len(open("/dev/random", "rb").read(8)),
              shm_writable=oserr(lambda: open("/dev/shm/x", "w").write("x")))
    ''')
    assert facts["names"] == sorted(["null", "zero", "full", "random", "urandom", "shm",
                                     "fd", "stdin", "stdout", "stderr"])
    assert facts["chars"] == {"null": [True, 1, 3], "zero": [True, 1, 5], "full": [True, 1, 7],
                              "random": [True, 1, 8], "urandom": [True, 1, 9]}
    assert facts["links"] == {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
                              "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
    assert facts["full"] == "ENOSPC"
    assert facts["zero"] == "00" * 8
    assert facts["null"] == ""
    assert facts["urandom"] == 32 and facts["random"] == 8
    assert facts["shm_writable"] is None


def test_terminals_group_gives_private_ptys(inside):
    """--allow terminals: a devpts instance of the run's own, where the
    sandbox opens pseudo-terminals and gets a controlling one; the ioctls
    that inject input or load a line discipline stay refused."""
    facts, rec, _ = inside('''
        import fcntl, pty, struct, termios
        before = sorted(os.listdir("/dev/pts"))
        master, slave = os.openpty()
        name = os.ttyname(slave)
        pid, fd = pty.fork()
        if pid == 0:
            os.write(1, (os.ttyname(0) + " " + str(oserr(open, "/dev/tty", "rb"))).encode())
            os._exit(0)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
        mount = [l.split() for l in open("/proc/self/mountinfo") if l.split()[4] == "/dev/pts"]
        facts(before=before, name=name, child=out.decode(), links=os.readlink("/dev/ptmx"),
              fstype=mount[0][mount[0].index("-") + 1] if mount else None,
              opts=mount[0][5].split(",") if mount else None,
              tiocsti=oserr(fcntl.ioctl, master, termios.TIOCSTI, b"x"),
              tiocsetd=oserr(fcntl.ioctl, slave, termios.TIOCSETD, struct.pack("i", 0)),
              winsz=oserr(fcntl.ioctl, slave, termios.TIOCGWINSZ, b"\\0" * 8))
    ''', "--allow", "terminals")
    # Only the instance's own ptmx: no host terminal is visible.
    assert facts["before"] == ["ptmx"], facts
    assert facts["name"] == "/dev/pts/0", facts
    assert facts["child"].split() == ["/dev/pts/1", "None"], facts  # a controlling tty
    assert facts["links"] == "pts/ptmx"
    assert facts["fstype"] == "devpts", facts
    assert "nosuid" in facts["opts"] and "noexec" in facts["opts"], facts
    assert facts["tiocsti"] == "EPERM" and facts["tiocsetd"] == "EPERM", facts
    assert facts["winsz"] is None, facts
    assert "terminals" in rec["enforced"]["seccomp"]["groups"], rec["enforced"]["seccomp"]
    assert {d["syscall"] for d in rec["denied"]} == {"ioctl"}, rec["denied"]


# ---- file descriptors ---------------------------------------------------------

def test_leaked_fds_not_reachable(inside, host_dir):
    secret = unique("fd-secret")
    path = host_dir / "secret.txt"
    path.write_text(secret)
    os.chmod(path, 0o600)
    fd = os.open(path, os.O_RDONLY)
    r, w = os.pipe()
    try:
        # Inherited by stockade without O_CLOEXEC (pass_fds).
        facts, _, _ = inside('''
            leaked = [int(a) for a in sys.argv[2:]]
            open_fds = [fd for fd in range(4096) if oserr(os.fstat, fd) is None]
            seen = False
            try:
                init_fds = os.listdir("/proc/1/fd")
            except OSError as e:
                init_fds = errno.errorcode.get(e.errno)
            else:
                for n in init_fds:
                    try:
                        with open("/proc/1/fd/" + n, "rb") as f:
                            seen = seen or sys.argv[1].encode() in f.read(4096)
                    except OSError:
                        pass
            facts(open_fds=open_fds, leaked={str(fd): oserr(os.fstat, fd) for fd in leaked},
                  via_proc={str(fd): oserr(os.stat, "/proc/self/fd/%d" % fd) for fd in leaked},
                  seen_through_init=seen)
        ''', args=(secret, str(fd), str(r), str(w)), pass_fds=(fd, r, w))
    finally:
        for x in (fd, r, w):
            os.close(x)
    assert facts["open_fds"] == [0, 1, 2]
    assert set(facts["leaked"].values()) == {"EBADF"}
    assert set(facts["via_proc"].values()) == {"ENOENT"}
    assert facts["seen_through_init"] is False


# ---- environment ----------------------------------------------------------------

ENVIRON_CODE = '''
    with open("/proc/self/environ", "rb") as f:
        env = dict(e.decode().split("=", 1) for e in f.read().split(b"\\0") if e)
    leaked = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if sys.argv[1].encode() in f.read():
                    leaked.append(int(pid))
        except OSError:
            pass
    facts(env=env, secret_in=leaked)
'''


def test_environment_is_clean(inside):
    secret = unique("env-secret")
    env = dict(os.environ, STOCKADE_E2E_SECRET=secret, LD_PRELOAD="", PYTHONPATH="/nonexistent")
    facts, rec, _ = inside(ENVIRON_CODE, args=(secret,), env=env)
    assert facts["env"] == BASE_ENV
    assert facts["secret_in"] == []
    assert rec["enforced"]["environment"]["clean"] is True
    assert sorted(rec["enforced"]["environment"]["names"]) == sorted(BASE_ENV)


def test_environment_options(inside):
    secret = unique("env-secret")
    env = dict(os.environ, STOCKADE_E2E_SECRET=secret, STOCKADE_E2E_PASS="passed value")
    facts, rec, _ = inside(ENVIRON_CODE, "--env", "STOCKADE_E2E_PASS", "--env", "STOCKADE_E2E_SET=a=b c",
                           args=(secret,), env=env)
    assert facts["env"] == dict(BASE_ENV, STOCKADE_E2E_PASS="passed value", STOCKADE_E2E_SET="a=b c")
    assert facts["secret_in"] == []
    assert sorted(rec["enforced"]["environment"]["names"]) == \
        sorted([*BASE_ENV, "STOCKADE_E2E_PASS", "STOCKADE_E2E_SET"])


# ---- --copy, --chdir ------------------------------------------------------------

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_copy_file(run, host_dir):
    program = host_dir / "prog.py"
    program.write_text(
        "import hashlib, json, os, sys\n"
        "st = os.stat(sys.argv[0])\n"
        "print(json.dumps({'me': sys.argv[0], 'sha': hashlib.sha256(open(sys.argv[0], 'rb').read()).hexdigest(),\n"
        "                  'uid': st.st_uid, 'host_path': os.path.exists(sys.argv[1]),\n"
        "                  'host_dir': os.path.exists(sys.argv[2])}))\n")
    os.chmod(program, 0o644)
    cp, rec = run(["--copy", f"{program}:/tmp/x.py", "--", "python3", "-I", "/tmp/x.py",
                   str(program), str(host_dir)])
    assert cp.returncode == 0, describe(cp, rec)
    facts = json.loads(cp.stdout.strip().splitlines()[-1])
    assert facts == {"me": "/tmp/x.py", "sha": sha256(program), "uid": SANDBOX_UID,
                     "host_path": False, "host_dir": False}


def test_copy_of_a_symbolic_link_is_refused(run, host_dir):
    """A top-level link is not followed with stockade's rights (before, a
    link to a file the caller may read but the path's owner may not was
    copied in); links on the way to it are paths like any other."""
    secret = host_dir / "secret"
    secret.write_text("host secret\n")
    (host_dir / "dir").mkdir()
    (host_dir / "dir" / "f.txt").write_text("reached\n")
    for target in (secret, host_dir / "dir"):
        link = host_dir / ("to-" + target.name)
        link.symlink_to(target)
        cp, rec = run(["--copy", f"{link}:/tmp/x", "--", "cat", "/tmp/x"])
        assert cp.returncode == 125, describe(cp, rec)
        assert rec["verdict"] == "setup-error" and rec["error"]["step"] == "--copy", rec
        assert "symbolic link" in rec["error"]["message"] and "host secret" not in cp.stdout
    (host_dir / "via").symlink_to(host_dir / "dir")
    cp, rec = run(["--copy", f"{host_dir}/via/f.txt:/tmp/f.txt", "--", "cat", "/tmp/f.txt"])
    assert cp.returncode == 0 and cp.stdout == "reached\n", describe(cp, rec)


def make_tree(top):
    (top / "sub" / "deeper").mkdir(parents=True)
    (top / "empty").mkdir()
    (top / "a.txt").write_text("alpha\n")
    (top / "sub" / "b.bin").write_bytes(os.urandom(100_000))
    (top / "sub" / "deeper" / "c.sh").write_text("#!/bin/sh\necho c\n")
    for dirpath, dirnames, filenames in os.walk(top):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    os.chmod(top / "sub" / "deeper" / "c.sh", 0o755)


def tree_facts(top):
    files, dirs = {}, []
    for dirpath, dirnames, filenames in os.walk(top):
        for d in dirnames:
            dirs.append(os.path.relpath(os.path.join(dirpath, d), top))
        for name in filenames:
            p = os.path.join(dirpath, name)
            files[os.path.relpath(p, top)] = sha256(p)
    return files, sorted(dirs)


TREE_CODE = '''
    import hashlib
    top = sys.argv[1]
    files, dirs, uids = {}, [], set()
    for dirpath, dirnames, filenames in os.walk(top):
        uids.add(os.stat(dirpath).st_uid)
        for d in dirnames:
            dirs.append(os.path.relpath(os.path.join(dirpath, d), top))
        for name in filenames:
            p = os.path.join(dirpath, name)
            uids.add(os.stat(p).st_uid)
            files[os.path.relpath(p, top)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    facts(files=files, dirs=sorted(dirs), uids=sorted(uids), cwd=os.getcwd(),
          relative=open("a.txt").read() if os.path.exists("a.txt") else None,
          executable=os.access(os.path.join(top, "sub/deeper/c.sh"), os.X_OK),
          host=oserr(os.stat, sys.argv[2]))
'''


@pytest.mark.parametrize("where", ["/tmp/tree", "/work/tree"])
def test_copy_tree_and_chdir(inside, host_dir, where):
    tree = host_dir / "tree"
    tree.mkdir()
    make_tree(tree)
    options = ["--copy", f"{tree}:{where}", "--chdir", where]
    if where.startswith("/work"):
        options[:0] = ["--tmpfs", "/work:4M"]
    facts, _, _ = inside(TREE_CODE, *options, args=(where, str(tree)))
    files, dirs = tree_facts(tree)
    assert facts["files"] == files
    assert facts["dirs"] == dirs
    assert facts["uids"] == [SANDBOX_UID]
    assert facts["cwd"] == where
    assert facts["relative"] == "alpha\n"
    assert facts["executable"] is True
    assert facts["host"] == "ENOENT"


def test_chdir(inside):
    code = 'facts(cwd=os.getcwd())'
    assert inside(code)[0] == {"cwd": "/tmp"}
    assert inside(code, "--chdir", "/usr/bin")[0] == {"cwd": "/usr/bin"}


@pytest.mark.parametrize("workdir", ["/proc/self/fd/0", "/proc/1/cwd", "/proc/self/root/tmp"])
def test_chdir_never_leaves_the_root(run, workdir):
    """The working directory is resolved in the sandbox's root, never
    through a magic link: /proc/self/fd/0 would otherwise be the caller's
    stdin, here the host's /, outside the root."""
    before = snapshot()
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        cp, rec = run(["--chdir", workdir, "--", "/bin/sh", "-c", "pwd; ls"], stdin=fd)
    finally:
        os.close(fd)
    assert cp.returncode == 125 and cp.stdout == "", describe(cp, rec)
    assert rec["error"]["step"] == "chdir" and rec["error"]["errno_name"] == "ELOOP", \
        describe(cp, rec)
    assert leftovers(before) == {}


def test_command_is_searched_in_the_sandbox_path(run):
    cp, rec = run(["--", "python3", "-I", "-c", "print('found')"])
    assert (cp.returncode, cp.stdout) == (0, "found\n"), describe(cp, rec)
    # /usr/sbin is in the caller's PATH but not in the sandbox's.
    assert os.path.exists("/usr/sbin/ldconfig") and not os.path.exists("/usr/bin/ldconfig")
    env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
    cp, rec = run(["--", "ldconfig", "--version"], env=env)
    assert cp.returncode == 127, describe(cp, rec)


def test_arguments_after_the_command_belong_to_it(run):
    cp, rec = run(["/bin/echo", "--ro", "/nonexistent", "-v", "--", "x"])
    assert (cp.returncode, cp.stdout) == (0, "--ro /nonexistent -v -- x\n"), describe(cp, rec)



def test_stockade_command_line_not_visible(inside, host_dir, shared_dir):
    """Host paths given to stockade (bind and copy sources, the record file)
    are host data (DESIGN §2.1; "the host path is never visible" for
    --copy): no other process the payload can see shows them, e.g. pid 1
    through /proc/1/cmdline."""
    source = host_dir / "copied.txt"
    source.write_text("x")
    os.chmod(source, 0o644)
    facts, _, _ = inside('''
        seen = {}
        for pid in (p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()):
            for what in ("cmdline", "environ"):
                try:
                    with open("/proc/%s/%s" % (pid, what), "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                hits = [s for s in sys.argv[1:] if s.encode() in data]
                if hits:
                    seen["/proc/%s/%s" % (pid, what)] = hits
        facts(seen=seen)
    ''', "--copy", f"{source}:/tmp/copied.txt", "--rw", f"{shared_dir}:/out",
        args=(str(host_dir), "record.json"))
    assert facts["seen"] == {}, facts
