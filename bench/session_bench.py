"""The timer of bench/session.sh: session_bench.py STOCKADE ROUNDS CELLS SESSIONS.

Standard library only.  Starts its own `stockade serve` on 127.0.0.1:0
(the port read from its log, as tests/serve/server.py does) and stops it
by pid; every session it makes it ends with DELETE."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# the service starts in /: a relative path (make bench's) is made whole
STOCKADE = os.path.abspath(sys.argv[1])
ROUNDS, CELLS, SESSIONS = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
PYTHON = "/usr/bin/python3"
WARMUP = 20
STARTS = 20
CELL = "1+1"
EXPECT = "2"
MIB = 1 << 20

# The bare side: a python3 reading cells from a pipe, 4 bytes of length
# (big-endian) and the code, and answering the same way with the repr of
# the last expression; a cell is run as the session's agent runs it
# (src/serve/agent.py: ast, exec, eval of the last expression).
BARE = r'''
import ast, os, struct
ns = {"__name__": "__main__"}
def read(n):
    b = b""
    while len(b) < n:
        d = os.read(0, n - len(b))
        if not d:
            raise SystemExit
        b += d
    return b
while True:
    tree = ast.parse(read(*struct.unpack(">I", read(4))).decode(), "<cell>", "exec")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    v = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None
    out = b"" if v is None else repr(v).encode()
    os.write(1, struct.pack(">I", len(out)) + out)
'''


class Bare:
    """One bare python3 over two pipes."""

    def __init__(self):
        self.proc = subprocess.Popen([PYTHON, "-I", "-u", "-c", BARE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        self.w, self.r = self.proc.stdin.fileno(), self.proc.stdout.fileno()

    def read(self, n):
        b = b""
        while len(b) < n:
            d = os.read(self.r, n - len(b))
            if not d:
                raise EOFError("bare python3 exited")
            b += d
        return b

    def cell(self, code):
        data = code.encode()
        os.write(self.w, struct.pack(">I", len(data)) + data)
        return self.read(*struct.unpack(">I", self.read(4))).decode()

    def close(self):
        self.proc.stdin.close()  # EOF: the driver exits
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class Service:
    """Our own `stockade serve`, on a free loopback port."""

    def __init__(self, tmp):
        conf = os.path.join(tmp, "serve.conf")
        with open(conf, "w") as f:
            f.write("[server]\nsessions-per-token = %d\nmax-sessions = %d\n"
                    % (max(4, SESSIONS), max(16, SESSIONS)))
        self.log_path = os.path.join(tmp, "serve.log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([STOCKADE, "serve", "--listen", "127.0.0.1:0",
                                      "--config", conf], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd="/")
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.text())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            sys.exit("session.sh: stockade serve did not start:\n" + self.text())
        # The front is the runner's one child before any session.
        self.front = children(self.proc.pid)
        if len(self.front) != 1:
            self.stop()
            sys.exit("session.sh: expected one front process, found %s" % self.front)
        self.conn = self.connect()

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def connect(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def request(self, method, path, body=None):
        """(status, body bytes, reused): reused is False when the connection
        had to be opened again (the server closed it)."""
        reused = self.conn.sock is not None
        if not reused:
            self.conn = self.connect()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, path, body, headers)
        r = self.conn.getresponse()
        return r.status, r.read(), reused

    def json(self, method, path, body=None):
        status, data, _ = self.request(method, path, body)
        return status, json.loads(data) if data else None

    def stop(self):
        """SIGTERM (a drain), then SIGKILL after 30 s; only our own pid."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def children(pid):
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return sorted(set(out))


def tree(pid):
    out = [pid]
    for c in children(pid):
        out += tree(c)
    return out


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def start_time(pid):
    """Field 22 of /proc/PID/stat: tells a pid reused by another process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def rss_pss(pids):
    """Rss and Pss of the processes together, in bytes (smaps_rollup)."""
    rss = pss = 0
    for pid in pids:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key == "Rss":
                    rss += int(rest.split()[0]) * 1024
                elif key == "Pss":
                    pss += int(rest.split()[0]) * 1024
    return rss, pss


def percentile_ms(sorted_s, q):
    """Nearest rank, as bench/serve_load.py."""
    rank = max(1, -(-len(sorted_s) * q // 100))
    return sorted_s[int(rank) - 1] * 1e3


def stats(lat):
    lat = sorted(lat)
    return (percentile_ms(lat, 50), percentile_ms(lat, 99), sum(lat) / len(lat) * 1e3)


def stream_value(data):
    """The value of the `record` event of an exec event stream, or None."""
    for block in data.decode().split("\n\n"):
        lines = block.split("\n")
        if lines and lines[0] == "event: record":
            payload = "".join(line[6:] for line in lines[1:] if line.startswith("data: "))
            return json.loads(payload).get("value")
    return None


def new_session(svc):
    status, j = svc.json("POST", "/v1/sessions", json.dumps({"profile": "python"}))
    if status != 201 or j.get("state") != "idle":
        sys.exit("session.sh: POST /v1/sessions answered %d %s" % (status, j))
    return j


def end_session(svc, sid):
    status, j = svc.json("DELETE", "/v1/sessions/" + sid)
    if status != 200 or j.get("state") != "ended":
        sys.exit("session.sh: DELETE /v1/sessions/%s answered %d %s" % (sid, status, j))


def latency(svc, bare):
    """{way: (p50, p99, mean, failed)} of the best round by p50; reconnects."""
    sid = new_session(svc)["id"]
    body = json.dumps({"code": CELL})
    reconnects = [0]

    def exec_plain():
        status, data, reused = svc.request("POST", "/v1/sessions/%s/exec" % sid, body)
        reconnects[0] += not reused
        return status == 200 and json.loads(data).get("value") == EXPECT

    def exec_stream():
        status, data, reused = svc.request("POST", "/v1/sessions/%s/exec?stream=true" % sid,
                                           body)
        reconnects[0] += not reused
        return status == 200 and stream_value(data) == EXPECT

    ways = {"bare": lambda: bare.cell(CELL) == EXPECT, "exec": exec_plain,
            "stream": exec_stream}
    for one in ways.values():
        for _ in range(WARMUP):
            one()
    reconnects[0] = 0
    best = {}
    for _ in range(ROUNDS):
        # One cell of each way in turn, so that a slower moment of the
        # machine falls on all three.
        lat = {way: [] for way in ways}
        failed = dict.fromkeys(ways, 0)
        for _ in range(CELLS):
            for way, one in ways.items():
                t = time.perf_counter()
                ok = one()
                lat[way].append(time.perf_counter() - t)
                failed[way] += not ok
        for way in ways:
            p50, p99, mean = stats(lat[way])
            if way not in best or p50 < best[way][0]:
                best[way] = (p50, p99, mean, failed[way])
    end_session(svc, sid)
    return best, reconnects[0]


def starts(svc):
    """Start latencies: (bare, session) as (p50, max) in ms."""
    bare, sess = [], []
    for _ in range(STARTS):
        t = time.perf_counter()
        b = Bare()
        ok = b.cell(CELL) == EXPECT
        bare.append(time.perf_counter() - t)
        b.close()
        if not ok:
            sys.exit("session.sh: a bare python3 did not answer 2")
        t = time.perf_counter()
        sid = new_session(svc)["id"]
        sess.append(time.perf_counter() - t)
        end_session(svc, sid)
    return [(percentile_ms(sorted(x), 50), max(x) * 1e3) for x in (bare, sess)]


def memory(svc):
    """Per-session RSS and PSS, the processes counted, the service's own
    before and with the sessions, and every sandbox pid seen."""
    own = [svc.proc.pid] + svc.front
    own_before = rss_pss(own)
    ids = [new_session(svc)["id"] for _ in range(SESSIONS)]
    for sid in ids:
        status, data, _ = svc.request("POST", "/v1/sessions/%s/exec" % sid,
                                      json.dumps({"code": CELL}))
        if status != 200 or json.loads(data).get("value") != EXPECT:
            sys.exit("session.sh: a session's 1+1 answered %d %s" % (status, data[:200]))
    deadline = time.monotonic() + 10
    while True:
        states = [svc.json("GET", "/v1/sessions/" + sid)[1]["state"] for sid in ids]
        if all(s == "idle" for s in states):
            break
        if time.monotonic() > deadline:
            sys.exit("session.sh: sessions not idle after 10 s: %s" % states)
        time.sleep(0.05)
    time.sleep(0.2)  # what the last answer set going (a thread's stack) settles
    tops = [p for p in children(svc.proc.pid) if p not in svc.front]
    if len(tops) != SESSIONS:
        sys.exit("session.sh: %d sessions, but %d sandboxes under the runner"
                 % (SESSIONS, len(tops)))
    per, by_name, shapes, seen = [], {}, set(), []
    for top in tops:
        pids = tree(top)
        shapes.add(" + ".join(comm(p) for p in pids))
        for p in pids:
            by_name.setdefault(comm(p), []).append(rss_pss([p]))
            seen.append((p, start_time(p)))
        per.append(rss_pss(pids))
    own_with = rss_pss(own)
    for sid in ids:
        end_session(svc, sid)
    return per, by_name, shapes, own_before, own_with, seen


def bare_memory():
    procs = [Bare() for _ in range(SESSIONS)]
    try:
        for b in procs:
            if b.cell(CELL) != EXPECT:
                sys.exit("session.sh: a bare python3 did not answer 2")
        time.sleep(0.2)
        return [rss_pss([b.proc.pid]) for b in procs]
    finally:
        for b in procs:
            b.close()


def left_behind(seen):
    """The sandbox processes seen that still run (same pid, same start)."""
    return [p for p, st in seen if st is not None and start_time(p) == st]


def python_version():
    return subprocess.run([PYTHON, "-c", "import sys; print(sys.version.split()[0])"],
                          capture_output=True, text=True).stdout.strip()


def main():
    tmp = tempfile.mkdtemp(prefix="stockade-session-bench-")
    os.chmod(tmp, 0o755)
    svc = None
    bare = None
    try:
        svc = Service(tmp)
        bare = Bare()
        version = new_session(svc)
        end_session(svc, version["id"])
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print("%d CPUs (load average %s at the start); stockade serve (%s), python profile,"
              " sandboxed python %s; bare: %s %s, not sandboxed"
              % (os.cpu_count(), load, os.path.normpath(STOCKADE), version.get("python"), PYTHON,
                 python_version()))
        print()
        print("latency of the cell `%s` in a warm session (after %d warm-up cells), in ms:"
              " %d cells a round, the three ways in turn, the best of %d rounds by p50"
              % (CELL, WARMUP, CELLS, ROUNDS))
        print("(stockade: one kept-alive HTTP/1.1 connection, http.client; bare: python3 reading"
              " length-prefixed cells on a pipe, the repr back the same way)")
        print()
        best, reconnects = latency(svc, bare)
        bare.close()
        bare = None
        base = best["bare"][0]
        print("| how | p50 | p99 | mean | p50 - bare | failed |")
        print("|---|---:|---:|---:|---:|---:|")
        for way, label in (("bare", "bare python3 over a pipe"),
                           ("exec", "POST /v1/sessions/{id}/exec"),
                           ("stream", "POST /v1/sessions/{id}/exec?stream=true")):
            p50, p99, mean, failed = best[way]
            delta = "-" if way == "bare" else "%+.3f" % (p50 - base)
            print("| %s | %.3f | %.3f | %.3f | %s | %d |" % (label, p50, p99, mean, delta,
                                                          failed), flush=True)
        if reconnects:
            print("note: the server closed the connection %d times; those cells include a"
                  " new connection" % reconnects)
        print()

        (bare50, baremax), (sess50, sessmax) = starts(svc)
        print("start, in ms, p50 and max of %d:" % STARTS)
        print()
        print("| how | p50 | max |")
        print("|---|---:|---:|")
        print("| bare python3 started until it answers its first cell | %.1f | %.1f |"
              % (bare50, baremax))
        print("| POST /v1/sessions until its 201 (the interpreter is ready) | %.1f | %.1f |"
              % (sess50, sessmax), flush=True)
        print()

        per, by_name, shapes, own_before, own_with, seen = memory(svc)
        # DELETE answers once the sandbox is gone; give the reaping a moment.
        deadline = time.monotonic() + 5
        while left_behind(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        after_delete = left_behind(seen)
        bare_per = bare_memory()
        svc.stop()
        after_stop = left_behind(seen)

        def mean(sample):
            return (sum(r for r, _ in sample) / len(sample),
                    sum(p for _, p in sample) / len(sample))

        def row(label, procs, sample):
            rss, pss = mean(sample)
            print("| %s | %s | %.1f | %.1f | %.0f | %.0f |" % (
                label, procs, rss / MIB, pss / MIB, (1 << 30) / pss, (1 << 30) / rss))
        print("memory of %d idle sessions, each after one `%s`, in MiB per session (the mean;"
              " /proc/PID/smaps_rollup):" % (SESSIONS, CELL))
        print()
        print("| how | processes per session | RSS | PSS | sessions per GiB by PSS | by RSS |")
        print("|---|---|---:|---:|---:|---:|")
        row("bare python3, %d at once" % SESSIONS, "python3", bare_per)
        row("stockade session, %d at once" % SESSIONS, " or ".join(sorted(shapes)), per)
        print()
        counted = ", ".join("%d %s" % (len(v), n) for n, v in sorted(by_name.items()))
        print("stockade's figure counts every process of each session's sandbox: the descendants"
              " of the runner but the front, here %s." % counted)
        print("stockade-init is the sandbox's pid 1, a copy of the runner that reaps and reports;"
              " python3 runs the agent (src/serve/agent.py, with its reader and output threads).")
        print("per process, the mean: " + "; ".join(
            "%s RSS %.1f PSS %.1f" % (n, mean(v)[0] / MIB, mean(v)[1] / MIB)
            for n, v in sorted(by_name.items())) + " MiB.")
        print("not counted: the service's own two processes, runner and front: RSS %.1f MiB,"
              " PSS %.1f MiB with no session; RSS %.1f MiB, PSS %.1f MiB with %d (each"
              " stockade-init shares the runner's pages, so its PSS falls)."
              % (own_before[0] / MIB, own_before[1] / MIB, own_with[0] / MIB, own_with[1] / MIB,
                 SESSIONS))
        print("PSS splits a shared page among every process mapping it, python3's on the whole"
              " machine included: the bare python3s ran after the sessions had ended.")
        print()
        leftover = sorted(set(after_delete) | set(after_stop))
        if leftover:
            print("LEFT BEHIND: sandbox processes %s (%s) still run" % (
                leftover, ", ".join(comm(p) for p in leftover)))
            sys.exit(1)
        print("left behind: nothing (%d sandbox processes seen, none alive after DELETE and the"
              " service's stop; the service exited %d)" % (len(seen), svc.proc.returncode))
    finally:
        if bare is not None:
            bare.close()
        if svc is not None:
            svc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
