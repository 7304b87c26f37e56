# agent.py - a session's interpreter side (docs/api.md, "Sessions").
#
# stockade serve runs this as `python3 -I -u -c AGENT` in the session's
# sandbox.  It is untrusted like any code there: the service parses what
# it says as it would parse anything a sandbox writes, and the limits are
# the sandbox's, not this program's.
#
# Frames, both ways: one byte of type, four of length (big-endian), the
# payload.  Its stdin brings the front's, its stdout takes ours; the
# cells' fds 0, 1 and 2 are /dev/null and two pipes of our own, so that
# nothing a cell or its children write can break a frame.
#
#   front -> agent              agent -> front
#   c  a cell's code            R  ready: {"python": version}
#   F  a file operation         o, e  a cell's stdout, stderr
#   T  open the terminal        v  the repr of the cell's last expression
#   P  terminal input           x  its exception: {type, message, traceback}
#   Z  terminal size            d  the cell ended: {"status": ...}
#   K  close the terminal       f  a file operation's answer
#                               p  terminal output
#                               t  the terminal's program ended: {"status"}
import ast
import fcntl
import json
import linecache
import os
import pty
import queue
import select
import signal
import struct
import sys
import termios
import threading
import traceback

MAX_FRAME = (64 << 20) + (64 << 10)  # a file as large as a body, and more
CHUNK = 32 * 1024

proto_in = os.dup(0)
proto_out = os.dup(1)
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
out_r, out_w = os.pipe()
err_r, err_w = os.pipe()
os.dup2(out_w, 1)
os.dup2(err_w, 2)
os.close(out_w)
os.close(err_w)
sync_r, sync_w = os.pipe()
synced = threading.Event()
send_lock = threading.Lock()
forked = False


def in_child():
    # A cell's os.fork(): the child runs the rest of the cell, as after a
    # fork in a script, then exits; it never speaks for the session.
    global forked
    forked = True
    for fd in (proto_in, proto_out, sync_r, sync_w):
        os.close(fd)


os.register_at_fork(after_in_child=in_child)


def send(kind, payload=b""):
    if forked:
        return
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogateescape")
    frame = kind.encode() + struct.pack(">I", len(payload)) + payload
    with send_lock:
        view = memoryview(frame)
        while view:
            view = view[os.write(proto_out, view):]


def send_json(kind, obj):
    send(kind, json.dumps(obj))


def forward():
    """Copies the cells' stdout and stderr into frames; on a sync
    request, everything written before it first."""
    names = {out_r: "o", err_r: "e"}
    for fd in names:
        os.set_blocking(fd, False)
    poller = select.poll()
    for fd in (out_r, err_r, sync_r):
        poller.register(fd, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            if fd == sync_r:
                os.read(sync_r, 1)
                for f in names:
                    drain(f, names[f])
                synced.set()
            else:
                drain(fd, names[fd])


def drain(fd, kind):
    while True:
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        if not data:
            return
        send(kind, data)


def read_exact(n):
    parts = []
    while n:
        data = os.read(proto_in, n)
        if not data:
            os._exit(0)  # the service is gone
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


cells = queue.Queue()
namespace = {"__name__": "__main__", "__builtins__": __builtins__}
count = 0


def flush_output():
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    if forked:
        return
    synced.clear()
    os.write(sync_w, b"s")
    synced.wait()


def run_cell(code):
    """Runs one cell in the namespace; the last expression's repr is the
    value.  Returns the status."""
    global count
    count += 1
    name = f"<cell {count}>"
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    try:
        tree = ast.parse(code, name, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, name, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, name, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                flush_output()
                send("v", repr(value))
        return "ok"
    except SystemExit:
        raise
    except BaseException as e:
        # the cell's own frames only: not this function's
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        text = "".join(traceback.format_exception(type(e), e, tb))
        flush_output()
        send_json("x", {"type": type(e).__name__, "message": str(e),
                        "traceback": text})
        return "interrupted" if isinstance(e, KeyboardInterrupt) else "error"


def file_op(head, data):
    """A file operation on the session's /tmp; the front checked the
    path.  Returns the answer's header and bytes."""
    path = os.path.join("/tmp", head.get("path", ""))
    op = head.get("op")
    try:
        if op == "put":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return {"ok": True}, b""
        if op == "get":
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size > head.get("max", 0):
                    return {"error": "EFBIG", "message": "too large"}, b""
                return {"ok": True}, f.read(head.get("max", 0) + 1)
        if op == "delete":
            os.unlink(path)
            return {"ok": True}, b""
        if op == "list":
            files = []
            with os.scandir(path) as it:
                for entry in it:
                    st = entry.stat(follow_symlinks=False)
                    kind = ("link" if entry.is_symlink() else
                            "dir" if entry.is_dir(follow_symlinks=False) else
                            "file" if entry.is_file(follow_symlinks=False) else
                            "other")
                    files.append({"name": entry.name, "type": kind,
                                  "size": st.st_size})
            files.sort(key=lambda f: f["name"])
            return {"ok": True, "files": files}, b""
    except OSError as e:
        import errno
        return {"error": errno.errorcode.get(e.errno, "EIO"),
                "message": e.strerror or str(e)}, b""
    return {"error": "EINVAL", "message": "unknown operation"}, b""


class Terminal:
    """`python3 -I` on a pseudo-terminal of the sandbox's own."""

    def __init__(self, rows, cols):
        pid, fd = pty.fork()
        if pid == 0:
            env = dict(os.environ, TERM="xterm-256color")
            try:
                os.execvpe(sys.executable, [sys.executable, "-I"], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.resize(rows, cols)
        threading.Thread(target=self.pump, daemon=True).start()

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def write(self, data):
        try:
            os.write(self.fd, data)
        except OSError:
            pass

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def pump(self):
        while True:
            try:
                data = os.read(self.fd, CHUNK)
            except OSError:
                data = b""
            if not data:
                break
            send("p", data)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        send_json("t", {"status": os.waitstatus_to_exitcode(status)})


def reader():
    """The front's frames: cells go to the main thread (where SIGINT
    lands), the rest is done here, at once."""
    term = None
    while True:
        kind = read_exact(1).decode("latin-1")
        (n,) = struct.unpack(">I", read_exact(4))
        if n > MAX_FRAME:
            os._exit(2)
        payload = read_exact(n)
        if kind == "c":
            cells.put(payload.decode("utf-8", "replace"))
        elif kind == "F":
            (hn,) = struct.unpack(">I", payload[:4])
            head = json.loads(payload[4:4 + hn])
            answer, data = file_op(head, payload[4 + hn:])
            answer["seq"] = head.get("seq")
            raw = json.dumps(answer).encode()
            send("f", struct.pack(">I", len(raw)) + raw + data)
        elif kind == "T":
            size = json.loads(payload)
            if term:
                term.close()
            term = Terminal(size["rows"], size["cols"])
        elif kind == "P" and term:
            term.write(payload)
        elif kind == "Z" and term:
            size = json.loads(payload)
            term.resize(size["rows"], size["cols"])
        elif kind == "K" and term:
            term.close()
            term = None


def serve():
    threading.Thread(target=forward, daemon=True).start()
    threading.Thread(target=reader, daemon=True).start()
    send_json("R", {"python": sys.version.split()[0]})
    while True:
        try:
            code = cells.get()
        except KeyboardInterrupt:
            continue  # an interrupt that came between cells
        try:
            status = run_cell(code)
            if forked:
                os._exit(0 if status == "ok" else 1)
            flush_output()
        except KeyboardInterrupt:
            status = "interrupted"
        send_json("d", {"status": status})


serve()
