"""Load on one `stockade serve`: every request answered, nothing leaked.

    /usr/bin/python3 -m pytest -q -s tests/serve/test_load.py

What it proves, per mode:

- root: 2,000 POST /v1/runs from 64 threads at once (one kept-alive
  http.client connection each, a new one whenever the server says it will
  close); unprivileged (the service as nobody, limits by rlimits): 300 from
  32 threads.
- Six kinds of run, round robin (weighted; see CASES): sh `exit 0`, sh
  `exit 3`, python `print(1)`, python allocating 400 MB under a 64M limit,
  python spinning past a 1 s wall time, and a python fork bomb at 16 tasks.
  Every request gets either a 200 whose record has exactly the verdict (and
  exit code, stdout, what enforced the limit) that kind must give in that
  mode, or a 429 with Retry-After (counted). Nothing else: no other status,
  no connection error, no request lost, no run id given twice.
- After the load, against a baseline taken after a warm-up of 50 requests:
  the runner's and the front's open fds are back to the baseline, neither
  RSS grew by more than RSS_GROWTH_BOUND, the only process below the runner
  is the front (no sandbox left), and no new cgroup directory is left; the
  metrics show 0 in flight and 0 queued, runs_total equal to the 200s (with
  the warm-up's), rejected_total equal to the 429s, and no 5xx.

The root variant is marked `slow` (about a minute here, 2 cores): run
without it by `-m "not slow"`. It runs by default (CI runs it).
"""
import http.client
import json
import os
import re
import threading
import time
import traceback

import pytest

import support

SLOW = pytest.mark.slow

MIB = 1 << 20
RSS_GROWTH_BOUND = 16 * MIB
# Under AddressSanitizer (make SAN=1) freed memory waits in ASan's
# quarantine, so RSS says nothing about leaks there; ASan's own checks
# stand in for the bound.
SANITIZED = b"__asan_init" in (support.BINARY.parent / "stockade-serve").read_bytes()
WARMUP = 50
SETTLE = 10          # seconds for fds, processes and cgroups to come back
REQUEST_TIMEOUT = 60  # per HTTP request; one run takes 5 s at most here


class Case:
    """One kind of run: its request and, per mode, what its record must say.

    expect keys: verdict, exit_code, signal, stdout (exact); stderr (a substring);
    enforced: (limit, prefix of enforced.limits[limit].by)."""

    def __init__(self, name, weight, body, root, unprivileged=None):
        self.name, self.weight = name, weight
        self.body = json.dumps(body)
        self.expect = {"root": root, "unprivileged": unprivileged or root}

    def problems(self, mode, rec):
        want = self.expect[mode]
        found = []
        if rec.get("status") != "done":
            found.append(f"status {rec.get('status')!r}, not 'done'")
        for key in ("verdict", "exit_code", "signal", "stdout"):
            if key in want and rec.get(key) != want[key]:
                found.append(f"{key} {rec.get(key)!r}, not {want[key]!r}")
        if "stderr" in want and want["stderr"] not in (rec.get("stderr") or ""):
            found.append(f"stderr without {want['stderr']!r}: {(rec.get('stderr') or '')[-300:]!r}")
        if "enforced" in want:
            limit, prefix = want["enforced"]
            by = (((rec.get("enforced") or {}).get("limits") or {}).get(limit) or {}).get("by")
            if not (by or "").startswith(prefix):
                found.append(f"enforced.limits.{limit}.by {by!r}, not {prefix!r}...")
        return found


# Weights per 50 requests: the wall-limit run holds a worker for 1 s and the
# memory one ~0.15 s, so they are a small share; a python run costs ~30 ms.
# Unprivileged mode has no cgroup (docs/security.md, docs/library.md "Where a
# limit falls back"): memory is RLIMIT_AS, so the 400 MB allocation fails in
# Python (MemoryError, exit 1) instead of being OOM-killed, and tasks are
# RLIMIT_NPROC, so fork fails with EAGAIN (BlockingIOError, exit 1) without
# any tasks-limit verdict (that needs the pids cgroup's count). The records
# say so in enforced.limits, which is checked.
CASES = [
    Case("sh-exit-0", 14, {"profile": "sh", "stdin": "exit 0\n"},
         {"verdict": "ok", "exit_code": 0, "stdout": ""}),
    Case("sh-exit-3", 14, {"profile": "sh", "stdin": "exit 3\n"},
         {"verdict": "exit", "exit_code": 3, "stdout": ""}),
    Case("py-print", 14, {"profile": "python", "stdin": "print(1)\n"},
         {"verdict": "ok", "exit_code": 0, "stdout": "1\n"}),
    Case("py-memory", 6,
         {"profile": "python", "stdin": "b = bytearray(400 << 20)\nprint(len(b))\n",
          "limits": {"memory": "64M"}},
         {"verdict": "memory-limit", "stdout": "",
          "enforced": ("memory_bytes", "cgroup memory")},
         {"verdict": "exit", "exit_code": 1, "stdout": "", "stderr": "MemoryError",
          "enforced": ("memory_bytes", "RLIMIT_AS")}),
    Case("py-wall", 1,
         {"profile": "python", "stdin": "while 1: pass\n", "limits": {"wall_time": 1}},
         {"verdict": "wall-limit", "exit_code": None, "signal": 9}),
    Case("py-fork-bomb", 1,
         {"profile": "python", "stdin": "import os\nwhile True: os.fork()\n",
          "limits": {"tasks": 16, "wall_time": 5}},
         {"verdict": "tasks-limit", "enforced": ("tasks", "cgroup pids.max")},
         {"verdict": "exit", "exit_code": 1, "stderr": "BlockingIOError",
          "enforced": ("tasks", "RLIMIT_NPROC")}),
]


def round_robin(cases):
    """One cycle of sum(weights) cases, each spread evenly (smooth weighted
    round robin), so that every window of requests has the same mix."""
    total = sum(c.weight for c in cases)
    current = [0] * len(cases)
    cycle = []
    for _ in range(total):
        for i, c in enumerate(cases):
            current[i] += c.weight
        best = max(range(len(cases)), key=lambda i: current[i])
        current[best] -= total
        cycle.append(cases[best])
    return cycle


CYCLE = round_robin(CASES)


class Load:
    """n requests of CYCLE, from `concurrency` threads with a connection each."""

    def __init__(self, server, mode, n, concurrency, start=0):
        self.server, self.mode = server, mode
        self.n, self.concurrency, self.start = n, concurrency, start
        self.lock = threading.Lock()
        self.next_index = 0
        self.ok = 0
        self.rejected = 0
        self.reconnects = 0
        self.by_verdict = {}
        self.by_case = {c.name: 0 for c in CASES}
        self.ids = set()
        self.latencies = []
        self.failures = []   # (index, case, what)
        self.n_failures = 0

    def take(self):
        with self.lock:
            if self.next_index >= self.n:
                return None
            self.next_index += 1
            return self.start + self.next_index - 1

    def fail(self, i, case, what):
        with self.lock:
            self.n_failures += 1
            if len(self.failures) < 20:
                self.failures.append((i, case, what))

    def answered(self, i, case, status, headers, data, seconds):
        if status == 429:
            if not headers.get("retry-after"):
                return self.fail(i, case, f"429 without Retry-After: {data[:200]!r}")
            with self.lock:
                self.rejected += 1
            return
        if status != 200:
            return self.fail(i, case, f"status {status}: {data[:500]!r}")
        try:
            rec = json.loads(data)
        except ValueError as e:
            return self.fail(i, case, f"200 but not JSON ({e}): {data[:500]!r}")
        problems = case.problems(self.mode, rec)
        if problems:
            return self.fail(i, case, "; ".join(problems))
        with self.lock:
            if rec.get("id") in self.ids:
                return self.fail(i, case, f"run id {rec.get('id')} given twice")
            self.ids.add(rec.get("id"))
            self.ok += 1
            self.by_case[case.name] += 1
            self.by_verdict[rec["verdict"]] = self.by_verdict.get(rec["verdict"], 0) + 1
            self.latencies.append(seconds)

    def client(self):
        conn = None
        try:
            while (i := self.take()) is not None:
                case = CYCLE[i % len(CYCLE)]
                if conn is None:
                    conn = self.server.conn(REQUEST_TIMEOUT)
                t0 = time.monotonic()
                try:
                    conn.request("POST", "/v1/runs", body=case.body,
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException) as e:
                    # A lost request: the server closed, reset or timed out
                    # without an answer. Never retried.
                    self.fail(i, case, f"no answer: {e!r}")
                    conn.close()
                    conn = None
                    continue
                self.answered(i, case, r.status, {k.lower(): v for k, v in r.getheaders()},
                              data, time.monotonic() - t0)
                if r.will_close:
                    # The server said Connection: close (or HTTP/1.0).
                    conn.close()
                    conn = None
                    with self.lock:
                        self.reconnects += 1
        except BaseException:  # a bug of this test: fail with it, do not hide it
            self.fail(-1, None, traceback.format_exc())
        finally:
            if conn is not None:
                conn.close()

    def run(self):
        t0 = time.monotonic()
        threads = [threading.Thread(target=self.client, name=f"load-{k}")
                   for k in range(self.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.elapsed = time.monotonic() - t0
        return self

    def check(self):
        answered = self.ok + self.rejected + self.n_failures
        assert answered == self.n, f"{self.n} requests sent, {answered} accounted for"
        assert not self.n_failures, (
            f"{self.n_failures} of {self.n} requests not answered as expected; first ones:\n"
            + "\n".join(f"  #{i} {c.name if c else '-'}: {what}" for i, c, what in self.failures))

    def figures(self):
        lat = sorted(self.latencies) or [0]
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
        return (f"{self.n} requests x {self.concurrency} concurrent in {self.elapsed:.1f} s "
                f"({self.n / self.elapsed:.0f}/s): 200: {self.ok}, 429: {self.rejected}, "
                f"failed: {self.n_failures}, reconnects: {self.reconnects}\n"
                f"  by verdict: {dict(sorted(self.by_verdict.items()))}\n"
                f"  by case:    {self.by_case}\n"
                f"  latency of 200s: p50 {pick(0.5) * 1000:.0f} ms, p99 {pick(0.99) * 1000:.0f} ms, "
                f"max {lat[-1] * 1000:.0f} ms")


# ---- the service, seen from /proc ----------------------------------------

def ppids():
    """{pid: ppid} of every live process (zombies excluded)."""
    out = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = support.proc_stat(name)
        except OSError:
            continue
        if stat[0] not in ("Z", "X"):
            out[int(name)] = int(stat[1])
    return out


def descendants(root):
    """Live processes whose parent chain leads to root."""
    parent = ppids()
    found = set()
    for pid in parent:
        p = pid
        while p in parent and p > 1:
            p = parent[p]
            if p == root:
                found.add(pid)
                break
    return found


def front_of(server):
    """The front: the runner's one child that is a fork of it (the same
    command line; a sandbox's init is `stockade-init`)."""
    runner = server.proc.pid
    with open(f"/proc/{runner}/cmdline", "rb") as f:
        argv = f.read()
    fronts = []
    for pid in server.pids()[1:]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == argv:
                    fronts.append(pid)
        except OSError:
            pass
    assert len(fronts) == 1, f"the runner {runner} has children {server.pids()[1:]}, fronts {fronts}"
    return fronts[0]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss(pid):
    value, unit = support.proc_status(pid)["VmRSS"].split()
    assert unit == "kB"
    return int(value) * 1024


RUN_GROUP = re.compile(r"run-(\d+)-\d+$")


def our_new_groups(before, after, runner):
    """Cgroup directories in after, not in before, that may be ours: a run
    group is named run-PID-N after its supervisor's pid, and other servers
    on the machine (other tests) make and remove their own meanwhile."""
    new = []
    for d in sorted(after - before):
        m = RUN_GROUP.search(d)
        if m is None or int(m.group(1)) == runner:
            new.append(d)
    return new


class State:
    def __init__(self, server, front):
        runner = server.proc.pid
        self.fds = {"runner": fd_count(runner), "front": fd_count(front)}
        self.rss = {"runner": rss(runner), "front": rss(front)}
        self.extra = sorted(descendants(runner) - {front})
        self.cgroups = support.cgroup_dirs()


def steady(server, front):
    """The baseline: no sandbox left and the same fds twice, 0.5 s apart."""
    deadline = time.monotonic() + SETTLE
    last = State(server, front)
    while True:
        time.sleep(0.5)
        now = State(server, front)
        if not now.extra and now.fds == last.fds:
            return now
        assert time.monotonic() < deadline, \
            f"no steady state after the warm-up: fds {last.fds} then {now.fds}, " \
            f"processes below the runner besides the front: {describe(now.extra)}"
        last = now


def describe(pids):
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                found[pid] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            found[pid] = "(gone)"
    return found


def settled(server, front, baseline):
    """The service's state once it is back to the baseline, or after SETTLE
    seconds."""
    deadline = time.monotonic() + SETTLE
    while True:
        now = State(server, front)
        if (now.fds == baseline.fds and not now.extra and
                not our_new_groups(baseline.cgroups, now.cgroups, server.proc.pid)) \
                or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def runs_total(metrics):
    return sum(v for k, v in metrics.items() if k.startswith("stockade_runs_total{"))


def rejected_total(metrics):
    return sum(v for k, v in metrics.items() if k.startswith("stockade_rejected_total{"))


def quiet_metrics(server):
    """The metrics once nothing is in flight or queued (the last record may
    be a moment behind its answer), or as they are after SETTLE seconds."""
    deadline = time.monotonic() + SETTLE
    while True:
        m = server.metrics()
        if (m["stockade_runs_in_flight"] == 0 and m["stockade_runs_queued"] == 0) \
                or time.monotonic() > deadline:
            return m
        time.sleep(0.2)


@pytest.mark.parametrize("mode, requests, concurrency, args", [
    pytest.param("root", 2000, 64, (), marks=SLOW, id="root-2000x64"),
    # a queue shorter than the clients: 429s under load, none lost
    pytest.param("unprivileged", 300, 32, ("--queue", "24"), id="unprivileged-300x32-queue24"),
])
def test_load(make_server, mode, requests, concurrency, args):
    server = make_server(mode=mode, args=args)
    front = front_of(server)

    # Warm-up: every case at least once (CYCLE is 50 long), sequentially
    # enough to be cheap; it opens whatever the service opens lazily.
    warm = Load(server, mode, WARMUP, 4).run()
    warm.check()
    assert all(warm.by_case.values()), warm.by_case
    m = quiet_metrics(server)
    assert runs_total(m) == warm.ok, m
    baseline = steady(server, front)
    rejected_before = rejected_total(m)

    load = Load(server, mode, requests, concurrency, start=WARMUP).run()
    print(f"\n[{mode}] warm-up: {warm.figures()}\n[{mode}] load: {load.figures()}")
    load.check()

    m = quiet_metrics(server)
    after = settled(server, front, baseline)
    left = our_new_groups(baseline.cgroups, after.cgroups, server.proc.pid)
    growth = {k: after.rss[k] - baseline.rss[k] for k in after.rss}
    print(f"[{mode}] fds runner {baseline.fds['runner']} -> {after.fds['runner']}, "
          f"front {baseline.fds['front']} -> {after.fds['front']}; "
          f"RSS runner {baseline.rss['runner'] / MIB:.1f} -> {after.rss['runner'] / MIB:.1f} MiB, "
          f"front {baseline.rss['front'] / MIB:.1f} -> {after.rss['front'] / MIB:.1f} MiB "
          f"(bound: +{RSS_GROWTH_BOUND // MIB} MiB each); "
          f"processes below the runner besides the front: {after.extra}; new cgroups: {left}")
    print(f"[{mode}] metrics: runs_total {runs_total(m):.0f} (200s: {warm.ok} + {load.ok}), "
          f"in_flight {m['stockade_runs_in_flight']:.0f}, queued {m['stockade_runs_queued']:.0f}, "
          f"rejected {rejected_total(m) - rejected_before:.0f} (429s: {load.rejected}), "
          f"kept {m.get('stockade_runs_kept')}")

    assert m["stockade_runs_in_flight"] == 0, m
    assert m["stockade_runs_queued"] == 0, m
    assert runs_total(m) == warm.ok + load.ok, \
        {k: v for k, v in m.items() if k.startswith("stockade_runs_total")}
    assert rejected_total(m) - rejected_before == load.rejected, \
        {k: v for k, v in m.items() if k.startswith("stockade_rejected_total")}
    assert m['stockade_http_responses_total{code="5xx"}'] == 0, m
    assert after.fds == baseline.fds, f"open fds: {baseline.fds} after the warm-up, {after.fds} now"
    assert not after.extra, f"processes left below the runner: {describe(after.extra)}"
    assert not left, f"cgroup directories left: {left}"
    for who, grew in growth.items():
        assert SANITIZED or grew < RSS_GROWTH_BOUND, \
            f"the {who}'s RSS grew by {grew / MIB:.1f} MiB (bound {RSS_GROWTH_BOUND // MIB} MiB)"
    assert server.proc.poll() is None, server.text()
