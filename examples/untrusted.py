"""untrusted.py - the program `make demo` runs inside stockade.

An ordinary CPython program (stdlib only, run as `python3 -I`) that tries the
classic ways out of a sandbox and prints, one line each, what it tried and what
the kernel actually answered.  Nothing here is hard-coded as "blocked": run it
without stockade and it simply shows the attacks succeeding.  Every attempt is
harmless on a normal machine: files it creates are deleted at once, it sends
no network data, it only probes the host pid with signal 0, and every child it
forks is killed and reaped before the next line is printed.

    python3 -I untrusted.py [SECRET_PATH [LOOPBACK_PORT [HOST_PID]]]
"""
import os
import pwd
import signal
import socket
import sys
import time
from contextlib import contextmanager, suppress

ARGS = [arg or None for arg in sys.argv[1:4]] + [None] * 3
SECRET, PORT, HOST_PID = ARGS[0], ARGS[1], ARGS[2]
LABEL_WIDTH, LINE_WIDTH = 36, 118


class NotGiven(Exception):
    pass


@contextmanager
def deadline(seconds):
    """Raise TimeoutError in the body after `seconds` (None: no limit)."""
    def expired(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")
    try:
        old = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds or 0)
    except (OSError, ValueError):
        old = None                  # no timer here: run without one
    try:
        yield
    finally:
        if old is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def describe(exc):
    if isinstance(exc, NotGiven):
        return "(not given)"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def short(text, width, middle=False):
    if len(text) <= width:
        return text
    if middle:                      # keep both ends, e.g. of a long path
        return text[:width // 2 - 1] + "..." + text[-(width - width // 2 - 2):]
    return text[:width - 3] + "..."


def attempt(label, fn, timeout=5):
    """Run one attack; print what it tried and what actually happened."""
    try:
        with deadline(timeout):
            result = fn()
    except Exception as exc:        # one failure never stops the others
        result = describe(exc)
    label = short(label, LABEL_WIDTH, middle=True)
    print(short(f"  {label:<{LABEL_WIDTH}} -> {result}", LINE_WIDTH), flush=True)


def need(value):
    if value is None:
        raise NotGiven
    return value


# 1. pysandbox's own escapes: they still work, because the language is whole.
def compile_trick():
    path = SECRET or "/etc/passwd"
    try:
        compile(".", path, "exec")
    except SyntaxError as e:        # CPython fills e.text from the named file
        if e.text and e.text.strip() != ".":
            return f"works (the language is whole): {path} line 1 = {e.text[:8]!r}..."
        return f"works (the language is whole), but e.text is just our {e.text!r}, not the file"
    return "no SyntaxError?"


def frame_walk():
    jail = {"__builtins__": {"Exception": Exception}}   # no __import__ inside
    exec("try:\n    1/0\nexcept Exception as e:\n"
         "    imp = e.__traceback__.tb_frame.f_back.f_builtins['__import__']\n"
         "    got = imp('os').getpid()\n", jail)
    return f"works (the language is whole): jail reached __import__, os.getpid() = {jail['got']}"


# 2. Read host data.
def read_file(path):
    with open(need(path), "rb") as f:
        data = f.read(4096)
    return f"read {len(data)} bytes" + (f", starts {data[:8].decode(errors='replace')!r}" if path == SECRET else "")


def list_root():
    names = sorted(os.listdir("/"))
    more = f" (+{len(names) - 12} more)" if len(names) > 12 else ""
    return f"{len(names)} entries: " + ",".join(names[:12]) + more


# 3. Write outside (anything created is removed at once).
def create_in(directory):
    path = f"{directory}/stockade-demo-{os.getpid()}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.unlink(path)
    return f"created {path} (and deleted it again)"


# 4. Connect out (nothing is ever sent).
def connect(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect((host, int(need(port))))
    return "connected (nothing sent)"


# 5. See and signal host processes (signal 0 only probes, it harms nothing).
def probe_pid():
    pid = int(need(HOST_PID))
    if pid <= 0:                    # never probe a process group or "all"
        raise ValueError(f"not a single pid: {pid}")
    os.kill(pid, 0)
    what = "?"
    with suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
        what = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    return f"no error: pid {pid} exists here ({what!r})"


def whoami():
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = "no passwd entry"
    return f"pid {os.getpid()}, uid {uid} ({name}), hostname {socket.gethostname()!r}"


def count_processes():
    pids = sorted((name for name in os.listdir("/proc") if name.isdigit()), key=int)
    return f"{len(pids)}" + (f" (pids {','.join(pids)})" if len(pids) <= 6 else "")


# 6. Fork without end - bounded to 200 children, all killed and reaped.
def fork_many(limit=200):
    children, error = [], ""
    try:
        for _ in range(limit):
            try:
                pid = os.fork()
            except OSError as exc:
                error = f", then {describe(exc)}"
                break
            if pid == 0:            # child: only ever sleeps, then exits
                try:
                    time.sleep(30)
                finally:
                    os._exit(0)
            children.append(pid)
    finally:                        # no child outlives this function
        for pid in children:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return f"{len(children)} of {limit} forks succeeded{error} (all killed and reaped)"


# 7. What it was given: file descriptors, environment, privileges.
def open_fds():
    shown = []
    for fd in sorted(os.listdir("/proc/self/fd"), key=int):
        try:                        # the fd used for the listing is gone now
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        shown.append(f"{fd}={target.split(':')[0] if ':[' in target else target}")
    return " ".join(shown)


def env_keys():
    keys = sorted(os.environ)
    return f"{len(keys)}: " + ",".join(keys) if keys else "none"


def privileges():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return ", ".join(f"{k} {fields.get(k, '?').strip()}" for k in ("CapEff", "NoNewPrivs", "Seccomp"))


def main():
    print("untrusted.py: an ordinary Python program trying to get out (stockade demo)", flush=True)
    attempt("pysandbox escape: compile() trick", compile_trick)
    attempt("pysandbox escape: frame walk", frame_walk)
    print(f"  {'':<{LABEL_WIDTH}}    but see below: the OS decides what the process can touch", flush=True)
    attempt(f"read host secret {SECRET or ''}".strip(), lambda: read_file(SECRET))
    attempt("read /etc/shadow", lambda: read_file("/etc/shadow"))
    attempt("list /", list_root)
    attempt("create a file in /usr", lambda: create_in("/usr"))
    attempt("create a file in /etc", lambda: create_in("/etc"))
    attempt("connect 1.1.1.1:53 (internet)", lambda: connect("1.1.1.1", 53))
    attempt(f"connect 127.0.0.1:{PORT or '?'} (loopback)", lambda: connect("127.0.0.1", PORT))
    attempt(f"signal host pid {HOST_PID or '?'} (kill -0)", probe_pid)
    attempt("who and where am I", whoami)
    attempt("processes visible in /proc", count_processes)
    attempt("fork 200 children (sleep 30 s)", fork_many, timeout=None)
    attempt("open file descriptors", open_fds)
    attempt("environment variables", env_keys)
    attempt("privileges (/proc/self/status)", privileges)


if __name__ == "__main__":
    main()
