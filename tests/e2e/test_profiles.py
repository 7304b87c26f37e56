"""Profiles (docs/profiles.md): each shipped one runs a real program in both
modes; a profile's keys are overridden by options; a malformed profile is
refused with its file, line and key, and leaves nothing behind."""
import json
import os
import textwrap

import pytest

from support import describe, leftovers, snapshot

PROFILES = ("c", "java", "node", "perl", "python", "sh")
# Only the built-in profiles: a host's /etc/stockade/profiles must not change
# what these tests see.
BUILTIN_ONLY = {**os.environ, "STOCKADE_PROFILE_PATH": ""}


def run_profile(run, host_dir, args, stdin_text="", **kwargs):
    """`stockade run ARGS` with stdin_text on stdin and only built-in
    profiles; returns (CompletedProcess, record)."""
    path = host_dir / f"stdin-{len(os.listdir(host_dir))}"
    path.write_text(stdin_text)
    with open(path) as stdin:
        return run(args, stdin=stdin, env=kwargs.pop("env", BUILTIN_ONLY),
                   **kwargs)


def write(host_dir, name, text):
    """A file the sandbox user and nobody can read, for --copy."""
    path = host_dir / name
    path.write_text(textwrap.dedent(text))
    os.chmod(path, 0o644)
    return path


def test_profiles_are_listed(stockade):
    cp = stockade.invoke(["profiles"], env=BUILTIN_ONLY)
    assert cp.returncode == 0, describe(cp)
    lines = {line.split()[0]: line for line in cp.stdout.splitlines()}
    assert sorted(lines) == list(PROFILES), cp.stdout
    for name, line in lines.items():
        assert len(line.split(None, 1)) == 2, f"{name} has no description: {line!r}"


PYTHON_FEATURES = r'''
import json, sys

def threads():
    import threading
    out = []
    ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]
    [t.start() for t in ts]; [t.join() for t in ts]
    return sorted(out) == list(range(8))

def pool():
    import multiprocessing
    with multiprocessing.Pool(2) as p:
        return p.starmap(pow, [(2, 2), (3, 2), (4, 2)]) == [4, 9, 16]

def shared_memory():
    # A real /dev/shm: POSIX semaphores and shared memory.
    import multiprocessing, multiprocessing.shared_memory
    lock = multiprocessing.Lock(); lock.acquire(); lock.release()
    shm = multiprocessing.shared_memory.SharedMemory(create=True, size=4096)
    shm.buf[0] = 7; ok = shm.buf[0] == 7
    shm.close(); shm.unlink()
    return ok

def asyncio_():
    import asyncio
    async def echo(reader, writer):
        writer.write(await reader.readline()); await writer.drain(); writer.close()
    async def go():
        server = await asyncio.start_unix_server(echo, "/tmp/echo.sock")
        reader, writer = await asyncio.open_unix_connection("/tmp/echo.sock")
        writer.write(b"ping\n")
        line, _ = await asyncio.gather(reader.readline(), asyncio.sleep(0.01))
        server.close()
        return line
    return asyncio.run(go()) == b"ping\n"

def subprocess_():
    import subprocess
    cp = subprocess.run([sys.executable, "-I", "-c", "print(6 * 7)"],
                        capture_output=True, text=True, check=True)
    return cp.stdout == "42\n"

def sqlite():
    import sqlite3
    db = sqlite3.connect("/tmp/test.db")
    db.execute("create table t (k text, v integer)")
    db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2), ("a", 3)])
    db.commit()
    rows = db.execute("select k, sum(v) from t group by k order by k").fetchall()
    return rows == [("a", 4), ("b", 2)]

def ctypes_():
    import ctypes, ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1)
    return libc.abs(-5) == 5 and callback(41) == 42

def tempfile_():
    import tempfile, os
    with tempfile.TemporaryDirectory() as d:
        with tempfile.NamedTemporaryFile(dir=d, delete=False) as f:
            f.write(b"x")
        return os.path.getsize(f.name) == 1

def decimal_():
    import decimal
    decimal.getcontext().prec = 50
    return str(decimal.Decimal(1) / decimal.Decimal(7))[:12] == "0.1428571428"

def json_():
    return json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}

def zlib_():
    import zlib
    data = b"stockade " * 1000
    return zlib.decompress(zlib.compress(data)) == data

def ssl_():
    import ssl
    ctx = ssl.create_default_context()
    return ctx.verify_mode == ssl.CERT_REQUIRED and ctx.cert_store_stats()["x509_ca"] > 0

def locale_():
    import locale
    return locale.setlocale(locale.LC_ALL, "") == "C.UTF-8" and \
        locale.getpreferredencoding() == "UTF-8"

def time_zones():
    import datetime, zoneinfo
    t = datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    return t.utcoffset() == datetime.timedelta(hours=2)

def pty_():
    # A pseudo-terminal of the run's own (the terminals group).
    import os, pty
    pid, fd = pty.fork()
    if pid == 0:
        os.write(1, os.ttyname(0).encode())
        os._exit(0)
    out = b""
    try:
        while chunk := os.read(fd, 64):
            out += chunk
    except OSError:  # EIO: the child closed its side
        pass
    os.waitpid(pid, 0)
    return out.startswith(b"/dev/pts/")

def socket_names():
    # Interfaces (route netlink) and service names (/etc/services).
    import socket
    return socket.if_nameindex() == [(1, "lo")] and socket.getservbyname("https") == 443

def numpy_():
    import numpy
    a = numpy.arange(12).reshape(3, 4)
    return int((a @ a.T).trace()) == sum(i * i for i in range(12))

result = {}
for name, fn in list(globals().items()):
    if callable(fn) and getattr(fn, "__module__", "") == "__main__":
        try:
            result[name.rstrip("_")] = fn()
        except Exception as e:
            result[name.rstrip("_")] = f"{type(e).__name__}: {e}"
result["isolated"] = sys.flags.isolated
print(json.dumps(result))
'''


def test_python_standard_library(run, host_dir):
    """The program comes in on stdin; the standard library is whole."""
    before = snapshot()
    cp, rec = run_profile(run, host_dir, ["--profile", "python"], PYTHON_FEATURES)
    assert cp.returncode == 0, describe(cp, rec)
    result = json.loads(cp.stdout.splitlines()[-1])
    failed = {k: v for k, v in result.items() if v is not True and k != "isolated"}
    assert failed == {}, describe(cp, rec)
    assert result["isolated"] == 1
    assert set(result) >= {"threads", "pool", "shared_memory", "asyncio", "subprocess",
                           "sqlite", "ctypes", "tempfile", "decimal", "json", "zlib",
                           "ssl", "locale", "time_zones", "pty", "socket_names", "numpy"}
    assert rec["profile"] == {"name": "python", "source": "built-in"}
    assert rec["command"] == ["python3", "-I", "-u", "-"]
    assert rec["denied"] == [], describe(cp, rec)
    assert leftovers(before) == {}


def test_python_program_by_copy(run, host_dir):
    """A program of several modules comes in through --copy; the command
    given replaces the profile's."""
    app = host_dir / "app"
    app.mkdir()
    os.chmod(app, 0o755)
    write(app, "helper.py", "def total(words): return len(words)\n")
    write(app, "main.py", """\
        import sys
        sys.path.insert(0, "/tmp/app")
        import helper
        print(helper.total(sys.stdin.read().split()), sys.argv[1])
        """)
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "python", "--copy", f"{app}:/tmp/app",
                           "--", "python3", "-I", "/tmp/app/main.py", "arg"],
                          "one two three\n")
    assert (cp.returncode, cp.stdout) == (0, "3 arg\n"), describe(cp, rec)
    assert rec["command"] == ["python3", "-I", "/tmp/app/main.py", "arg"]


def test_options_override_profile_keys(run, host_dir):
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "python", "--memory", "300M", "--wall-time", "7s",
                           "--env", "PYTHONUNBUFFERED=0"],
                          "import os; print(os.environ['PYTHONUNBUFFERED'])\n")
    assert (cp.returncode, cp.stdout) == (0, "0\n"), describe(cp, rec)
    limits = rec["enforced"]["limits"]
    assert limits["memory_bytes"]["value"] == 300 << 20
    assert limits["wall_time_ns"]["value"] == 7 * 10**9
    # Keys the options left alone keep the profile's value.
    assert limits["tasks"]["value"] == 128
    assert limits["cpu_time_ns"]["value"] == 30 * 10**9


def test_node_files_in_tmp(run, host_dir):
    program = """\
        const fs = require('fs'), path = require('path'), crypto = require('crypto');
        fs.mkdirSync('/tmp/data/sub', {recursive: true});
        for (let i = 0; i < 5; i++)
            fs.writeFileSync(path.join('/tmp/data/sub', `f${i}.txt`), 'x'.repeat(i));
        const sizes = fs.readdirSync('/tmp/data/sub').sort()
            .map(f => fs.statSync(path.join('/tmp/data/sub', f)).size);
        fs.promises.readFile('/tmp/data/sub/f4.txt', 'utf8').then(text => {
            const digest = crypto.createHash('sha256').update(text).digest('hex');
            fs.renameSync('/tmp/data/sub/f4.txt', '/tmp/data/moved.txt');
            console.log(JSON.stringify({sizes, digest: digest.slice(0, 8),
                                        moved: fs.existsSync('/tmp/data/moved.txt')}));
        });
        """
    cp, rec = run_profile(run, host_dir, ["--profile", "node"], textwrap.dedent(program))
    assert cp.returncode == 0, describe(cp, rec)
    assert json.loads(cp.stdout) == {"sizes": [0, 1, 2, 3, 4], "digest": "2481a63c",
                                     "moved": True}, describe(cp, rec)


C_PROGRAM = """\
    #include <stdio.h>
    #include <math.h>
    int main(void)
    {
        double x, sum = 0;
        int n = 0;
        while (scanf("%lf", &x) == 1)
            sum += x, n++;
        printf("%d %.3f\\n", n, sqrt(sum));
        return 0;
    }
    """


def test_c_compiles_and_reads_stdin(run, host_dir):
    source = write(host_dir, "prog.c", C_PROGRAM)
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "c", "--copy", f"{source}:/tmp/main.c"],
                          "1 2 3\n4 6\n")
    assert (cp.returncode, cp.stdout) == (0, "5 4.000\n"), describe(cp, rec)


def test_c_compile_error_is_not_run(run, host_dir):
    source = write(host_dir, "bad.c", "int main(void) { return undefined_name; }\n")
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "c", "--copy", f"{source}:/tmp/main.c"])
    assert cp.returncode == 1 and rec["verdict"] == "exit", describe(cp, rec)
    assert "undefined_name" in cp.stderr and cp.stdout == ""


JAVA_PROGRAM = """\
    import java.util.*;
    public class Main {
        public static void main(String[] args) {
            // Sieve of Eratosthenes with about 80 MiB churned through the heap.
            int n = 2_000_000, count = 0;
            for (int round = 0; round < 10; round++) {
                boolean[] composite = new boolean[n + 1];
                count = 0;
                for (int i = 2; i <= n; i++) {
                    if (composite[i]) continue;
                    count++;
                    for (long j = (long) i * i; j <= n; j += i) composite[(int) j] = true;
                }
            }
            List<Integer> list = new ArrayList<>();
            for (int i = 0; i < 100000; i++) list.add(i % 1000);
            long sum = list.stream().mapToLong(Integer::longValue).sum();
            System.out.println(count + " " + sum + " " + (Runtime.getRuntime().maxMemory() >> 20));
        }
    }
    """

JAVA_GREEDY = """\
    import java.util.*;
    public class Main {
        public static void main(String[] args) {
            List<byte[]> hoard = new ArrayList<>();
            for (int i = 0; i < 1024; i++) hoard.add(new byte[1 << 20]);
            System.out.println(hoard.size());
        }
    }
    """


def java_args(stockade, source):
    """Without a memory cgroup (unprivileged here) the memory limit is
    RLIMIT_AS, and the JVM reserves more address space than 256M before it
    runs anything: docs/profiles.md explains the 768M."""
    extra = [] if stockade.mode == "root" else ["--memory", "768M"]
    return ["--profile", "java", "--copy", f"{source}:/tmp/Main.java", *extra]


def test_java_under_its_memory_limit(run, stockade, host_dir):
    source = write(host_dir, "Main.java", JAVA_PROGRAM)
    cp, rec = run_profile(run, host_dir, java_args(stockade, source))
    assert cp.returncode == 0, describe(cp, rec)
    primes, total, heap_mib = map(int, cp.stdout.split())
    assert (primes, total) == (148933, 49950000), describe(cp, rec)
    # The heap is sized from the profile's 256M, not the host's memory.
    assert heap_mib <= 256, describe(cp, rec)
    if stockade.mode == "root":
        memory = rec["enforced"]["limits"]["memory_bytes"]
        assert memory["value"] == 256 << 20 and "cgroup" in memory["by"], describe(cp, rec)
        assert rec["memory"]["oom_kills"] == 0


def test_java_that_grows_gets_its_own_error(run, stockade, host_dir):
    """A program that wants more than the heap gets OutOfMemoryError from
    the JVM, not the kernel's OOM kill of the whole run."""
    source = write(host_dir, "Main.java", JAVA_GREEDY)
    cp, rec = run_profile(run, host_dir, java_args(stockade, source))
    assert cp.returncode == 1 and rec["verdict"] == "exit", describe(cp, rec)
    assert "java.lang.OutOfMemoryError" in cp.stderr, describe(cp, rec)


WORDS = "the cat and the dog\nand the bird\n"
COUNTS = "3 the\n2 and\n1 bird\n1 cat\n1 dog\n"


def test_perl_text_pipeline(run, host_dir):
    program = """\
        my %n;
        while (<STDIN>) { $n{$_}++ for split; }
        open(my $sort, '|-', 'sort', '-k1,1nr', '-k2') or die "sort: $!";
        printf $sort "%d %s\\n", $n{$_}, $_ for keys %n;
        close($sort) or die "sort failed";
        """
    path = write(host_dir, "count.pl", program)
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "perl", "--copy", f"{path}:/tmp/count.pl",
                           "--", "perl", "/tmp/count.pl"], WORDS)
    assert (cp.returncode, cp.stdout) == (0, COUNTS), describe(cp, rec)


def test_sh_text_pipeline(run, host_dir):
    script = ("tr -s ' ' '\\n' > /tmp/words\n"
              "sort /tmp/words | uniq -c | sort -k1,1nr -k2 | awk '{print $1, $2}'\n")
    # The data on stdin, the script from a file.
    script_path = write(host_dir, "count.sh", script)
    cp, rec = run_profile(run, host_dir,
                          ["--profile", "sh", "--copy", f"{script_path}:/tmp/count.sh",
                           "--", "sh", "/tmp/count.sh"], WORDS)
    assert (cp.returncode, cp.stdout) == (0, COUNTS), describe(cp, rec)
    # The profile's own command: the script on stdin, the data in it.
    cp, rec = run_profile(run, host_dir, ["--profile", "sh"],
                          f"printf '%s' '{WORDS}' | {script}")
    assert (cp.returncode, cp.stdout) == (0, COUNTS), describe(cp, rec)


# ---- profiles as files ---------------------------------------------------

def test_profile_file_and_search_path(run, host_dir):
    """A profile in $STOCKADE_PROFILE_PATH comes before the built-in one of
    the same name; one named by a path is read from that file."""
    d = host_dir / "profiles"
    d.mkdir()
    os.chmod(d, 0o755)
    write(d, "python.conf", """\
        [profile]
        description = a site's own python
        [run]
        command = python3 -I -c "print('site')"
        [env]
        SITE = yes
        """)
    env = {**os.environ, "STOCKADE_PROFILE_PATH": f"/nonexistent:{d}"}
    cp, rec = run(["--profile", "python"], env=env)
    assert (cp.returncode, cp.stdout) == (0, "site\n"), describe(cp, rec)
    assert rec["profile"] == {"name": "python", "source": f"{d}/python.conf"}
    assert "SITE" in rec["enforced"]["environment"]["names"]

    cp, rec = run(["--profile", f"{d}/python.conf", "--", "sh", "-c", "echo $SITE"],
                  env=BUILTIN_ONLY)
    assert (cp.returncode, cp.stdout) == (0, "yes\n"), describe(cp, rec)


def test_profiles_lists_files_before_built_ins(stockade, host_dir):
    d = host_dir / "profiles"
    d.mkdir()
    os.chmod(d, 0o755)
    write(d, "sh.conf", "[profile]\ndescription = local shell\n")
    write(d, "extra.conf", "[profile]\ndescription = an extra one\n")
    write(d, "broken.conf", "[limits]\nmemory = lots\n")
    (d / "unreadable.conf").mkdir()
    cp = stockade.invoke(["profiles"], env={**os.environ, "STOCKADE_PROFILE_PATH": str(d)})
    assert cp.returncode == 0, describe(cp)
    lines = {line.split()[0]: line for line in cp.stdout.splitlines()}
    assert sorted(lines) == sorted({*PROFILES, "extra", "broken", "unreadable"}), cp.stdout
    # A file that replaces a built-in says so; one with the built-in's own
    # text (what make install puts in place) is only the built-in's copy.
    assert f"[{d}/sh.conf, in place of the built-in]" in lines["sh"], lines["sh"]
    assert "an extra one" in lines["extra"] and "in place" not in lines["extra"]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    (d / "sh.conf").write_text(open(os.path.join(repo, "profiles", "sh.conf")).read())
    cp = stockade.invoke(["profiles"], env={**os.environ, "STOCKADE_PROFILE_PATH": str(d)})
    lines = {line.split()[0]: line for line in cp.stdout.splitlines()}
    assert lines["sh"].endswith(f"[{d}/sh.conf]"), lines["sh"]
    # Listing checks the syntax only; the bad size is found when it is used.
    assert "refused" not in lines["broken"] and f"[{d}/broken.conf]" in lines["broken"]
    # A file --profile could not read is listed as refused, not left out.
    assert "refused: " in lines["unreadable"] and "not a regular file" in lines["unreadable"]


def test_ro_try(run, host_dir):
    present = host_dir / "present"
    present.mkdir()
    os.chmod(present, 0o755)
    (present / "f").write_text("here\n")
    os.chmod(present / "f", 0o644)
    profile = write(host_dir, "try.conf", f"""\
        [files]
        ro-try = /does/not/exist:/opt/missing
        ro-try = {present}:/opt/present
        """)
    cp, rec = run(["--profile", str(profile), "--", "sh", "-c",
                   "cat /opt/present/f; test -e /opt/missing || echo absent"],
                  env=BUILTIN_ONLY)
    assert (cp.returncode, cp.stdout) == (0, "here\nabsent\n"), describe(cp, rec)


# (profile text, line of the error, what the message names)
BAD_PROFILES = [
    ("unknown-key", "[limits]\nmemory = 1G\nmemroy = 2G\n", 3, "memroy"),
    ("unknown-section", "[limit]\nmemory = 1G\n", 2, "[limit]"),
    ("outside-section", "memory = 1G\n", 1, "memory"),
    ("bad-size", "[limits]\n\n# a comment\nmemory = 12Q\n", 4, "memory"),
    ("zero-limit", "[limits]\ntasks = 0\n", 2, "tasks"),
    ("negative-count", "[limits]\nopen-files = -5\n", 2, "open-files"),
    ("bad-duration", "[limits]\nwall-time = soon\n", 2, "wall-time"),
    ("bad-group", "[syscalls]\nallow = everything\n", 2, "allow"),
    ("bad-on-deny", "[syscalls]\non-deny = maybe\n", 2, "on-deny"),
    ("relative-bind", "[files]\nro = relative/path:/x\n", 2, "ro"),
    ("missing-bind", "[files]\nro = /does/not/exist\n", 2, "ro"),
    ("reserved-dest", "[files]\ntmpfs = /proc/x\n", 2, "tmpfs"),
    ("bad-env-name", "[env]\n = c\n", 2, "invalid variable name"),
    ("open-quote", "[run]\ncommand = sh -c 'echo\n", 2, "command"),
    ("empty-command", "[run]\ncommand = \"\"\n", 2, "command"),
    ("no-equals", "[run]\nthis is not a key\n", 2, "expected"),
    ("bad-section-line", "[run\ncommand = true\n", 1, "expected"),
    ("long-line", "[run]\ncommand = echo " + "x" * 300 + "\n", 2, "longer than"),
    ("nul-byte", "[run]\ncommand = echo\0 x\n", 2, "NUL"),
    ("bad-hostname", "[run]\nhostname = a b\n", 2, "hostname"),
    ("compile-half", "[compile]\ncommand = cc x.c\nartifact = /tmp/a\n", 1, "[compile] needs"),
    ("compile-artifact", "[compile]\nartifact = tmp/a\n", 2, "artifact"),
    ("compile-key", "[compile]\nkeep = /tmp/a\n", 2, "keep"),
    ("compile-open-quote", "[compile]\nrun = sh -c 'x\n", 2, "run"),
]


@pytest.mark.parametrize("text,line,named", [b[1:] for b in BAD_PROFILES],
                         ids=[b[0] for b in BAD_PROFILES])
def test_malformed_profile_refused(run, host_dir, text, line, named):
    path = host_dir / "bad.conf"
    path.write_bytes(text.encode())
    os.chmod(path, 0o644)
    before = snapshot()
    cp, rec = run(["--profile", str(path), "--", "true"], env=BUILTIN_ONLY)
    assert cp.returncode == 125, describe(cp, rec)
    assert f"{path}:{line}:" in cp.stderr and named in cp.stderr, describe(cp, rec)
    assert rec["verdict"] == "setup-error" and rec["error"]["step"] == "--profile"
    assert cp.stdout == ""
    assert leftovers(before) == {}


@pytest.mark.parametrize("name,message", [
    ("nosuch", "no such profile"),
    ("Python", "a name is"),
    ("py.conf", "a name is"),
    ("/does/not/exist.conf", "No such file"),
    ("/tmp", "not a regular file"),
    ("", "no name"),
])
def test_unknown_profile_refused(run, name, message):
    before = snapshot()
    cp, rec = run(["--profile", name, "--", "true"], env=BUILTIN_ONLY)
    assert cp.returncode == 125 and message in cp.stderr, describe(cp, rec)
    assert rec["error"]["step"] == "--profile"
    assert leftovers(before) == {}


def test_every_shipped_profile_parses_from_its_file(run):
    """The files in profiles/ (what `make install` installs) load as they
    are, and are what the built-in copies say."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in PROFILES:
        path = os.path.join(root, "profiles", f"{name}.conf")
        cp, rec = run(["--profile", path, "--", "true"], mode="root", env=BUILTIN_ONLY)
        assert cp.returncode == 0, describe(cp, rec)
        cp2, rec2 = run(["--profile", name, "--", "true"], mode="root", env=BUILTIN_ONLY)
        assert cp2.returncode == 0, describe(cp2, rec2)
        for key in ("limits", "environment"):
            assert rec["enforced"][key] == rec2["enforced"][key], name
        assert rec["enforced"]["seccomp"] == rec2["enforced"]["seccomp"], name


def test_profile_without_command_needs_one(run, host_dir):
    path = write(host_dir, "nocmd.conf", "[limits]\ntasks = 10\n")
    cp, rec = run(["--profile", str(path)], env=BUILTIN_ONLY)
    assert cp.returncode == 125 and "no command" in cp.stderr, describe(cp, rec)


def test_policy_shows_a_profiles_syscalls(stockade, host_dir):
    path = write(host_dir, "net.conf", "[syscalls]\nallow = network\ndeny = chmod\n")
    plain = stockade.invoke(["policy"])
    cp = stockade.invoke(["policy", "--profile", str(path)])
    assert cp.returncode == 0 and plain.returncode == 0, describe(cp)
    assert cp.stdout != plain.stdout
    assert "network" in cp.stdout and "chmod" in cp.stdout


def test_profiles_takes_no_argument(stockade):
    cp = stockade.invoke(["profiles", "extra"])
    assert cp.returncode == 125 and "unexpected" in cp.stderr


@pytest.mark.parametrize("owner, file_mode", [(0, 0o666), (0, 0o664), (12345, 0o644)],
                         ids=["world-writable", "group-writable", "someone-elses"])
def test_a_profile_someone_else_could_write_is_refused(stockade, host_dir, owner, file_mode):
    """A profile is a policy: one another user owns or may write is refused,
    as sudo and ssh refuse such files, and nothing runs."""
    path = write(host_dir, "other.conf", "[run]\ncommand = /bin/true\n")
    os.chown(path, owner, owner)
    os.chmod(path, file_mode)
    cp, rec = stockade.run(["--profile", str(path)])
    assert cp.returncode == 125 and "writable by no one else" in cp.stderr, describe(cp, rec)
    assert rec["verdict"] == "setup-error" and rec["error"]["step"] == "--profile", rec


def test_profile_path_takes_absolute_directories_only(stockade):
    env = {**os.environ, "STOCKADE_PROFILE_PATH": "profiles:/nonexistent"}
    for args in (["run", "--profile", "python", "--", "/bin/true"], ["profiles"]):
        cp = stockade.invoke(args, env=env)
        assert cp.returncode == 125, describe(cp)
        assert "STOCKADE_PROFILE_PATH: profiles is not an absolute directory" in cp.stderr, \
            describe(cp)
