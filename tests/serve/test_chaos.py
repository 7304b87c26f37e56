"""kill -9 of the service with 32 runs in flight: nothing survives it.

    /usr/bin/python3 -m pytest -q -s tests/serve/test_chaos.py

A root-mode server with `--workers 32 --queue 0` starts 32 runs
(`?wait=false`) of `sh -c 'sleep 30; :' MARKER-i` with MARK=MARKER in their
environment: the shell shows the marker in its command line, and its
`sleep` child inherits MARK. Once all 32 are running (each GET says
"running", the metrics 32 in flight, 32 shells and 32 sleeps seen), one
process gets SIGKILL:

- the runner (the process started): the front must die with it (its
  parent-death signal), and so must every sandbox process (each init's
  parent-death signal takes its pid namespace down), within DEADLINE
  seconds. The dead runner could remove none of its run groups: a new
  server, after one `print(1)` run (the library removes stale run groups
  when it makes a new one), must leave the host as it was before the first
  server started: no process of the marker, no mount, no cgroup directory.
- the front: the runner must end every run itself, exit with a non-zero
  status, and leave nothing (its runs' groups included) without any help.

Each process below the runner is recorded (pid and start time) before the
kill, so that a survivor is found whatever its command line. This
container's pid 1 reaps no orphan, so a zombie counts as dead.
"""
import os
import re
import signal
import time

import pytest

import support

RUNS = 32
DEADLINE = 5      # seconds for every process to die after the kill
SETTLE = 5        # seconds for the host to come back as it was
SANDBOX_START = 30


def alive(pid, start):
    """pid is still the process that started at `start`, and not a zombie."""
    try:
        stat = support.proc_stat(pid)
    except OSError:
        return False
    return stat[19] == start and stat[0] not in ("Z", "X")


def tree(root):
    """{pid: (start time, command line)} of the live processes below root."""
    parent, info = {}, {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = support.proc_stat(name)
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if stat[0] not in ("Z", "X"):
            parent[int(name)] = int(stat[1])
            info[int(name)] = (stat[19], argv)
    found = {}
    for pid in parent:
        p = pid
        while p in parent and p > 1:
            p = parent[p]
            if p == root:
                found[pid] = info[pid]
                break
    return found


def pids_with_env(marker):
    """Processes with MARK=marker in their environment."""
    entry = f"MARK={marker}".encode()
    found = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if entry in env:
            found[int(name)] = argv
    return found


def front_of(server):
    """The front: the runner's child that is a fork of it (the same command
    line; a sandbox's init is `stockade-init`)."""
    with open(f"/proc/{server.proc.pid}/cmdline", "rb") as f:
        argv = f.read()
    fronts = []
    for pid in server.pids()[1:]:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if f.read() == argv:
                fronts.append(pid)
    assert len(fronts) == 1, (server.pids(), fronts)
    assert fronts[0] == server.pids()[1]
    return fronts[0]


def start_runs(server, marker):
    """RUNS sleeping runs, all of them running; returns their ids."""
    ids = []
    for i in range(RUNS):
        status, j = server.json("POST", "/v1/runs?wait=false", {
            "profile": "sh", "env": {"MARK": marker},
            "command": ["sh", "-c", "sleep 30; :", f"{marker}-{i}"]})
        assert status == 202, (i, status, j)
        ids.append(j["id"])
    deadline = time.monotonic() + SANDBOX_START
    while True:
        states = [server.json("GET", f"/v1/runs/{i}")[1]["status"] for i in ids]
        in_flight = server.metric("stockade_runs_in_flight")
        shells = support.pids_mentioning(marker)
        marked = pids_with_env(marker)
        sleeps = [p for p, argv in marked.items() if argv == "sleep 30"]
        if states == ["running"] * RUNS and in_flight == RUNS and \
                len(shells) == RUNS and len(sleeps) == RUNS:
            return ids
        assert time.monotonic() < deadline, \
            (f"not all {RUNS} runs running within {SANDBOX_START}s: states "
             f"{sorted(set(states))}, in flight {in_flight}, {len(shells)} shells, "
             f"{len(sleeps)} sleeps; log:\n{server.text()}")
        time.sleep(0.2)


def survivors(recorded, marker):
    """What still lives of the recorded tree or of the marker."""
    found = {pid: argv for pid, (start, argv) in recorded.items() if alive(pid, start)}
    found.update(support.pids_mentioning(marker))
    found.update(pids_with_env(marker))
    return found


def wait_all_dead(recorded, marker, what):
    deadline = time.monotonic() + DEADLINE
    while (left := survivors(recorded, marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        info = support.kill_survivors(left)   # by pid: they are ours
        raise AssertionError(f"{len(left)} processes outlived {what} by {DEADLINE}s: "
                             f"{dict(list(left.items())[:20])}; killed by pid: {len(info)}")


RUN_GROUP = re.compile(r"run-(\d+)-\d+$")


def host_diff(before, marker, runners, server_dirs):
    """What the host has that it had not before, or lost, in what this test
    may have touched; polled for SETTLE seconds. Not counted: cgroups of
    other servers on the machine (a run group is run-PID-N after its
    supervisor's pid; other tests make and remove their own meanwhile, and
    a new run removes any stale group, so removals are not ours either),
    and the harness's own /tmp/stockade-serve-* directories."""
    deadline = time.monotonic() + SETTLE
    while True:
        after = support.snapshot(marker)
        diff = {}
        for key in before:
            added = sorted(after[key] - before[key])
            removed = sorted(before[key] - after[key]) if key in ("mounts", "processes") else []
            if key == "cgroups":
                added = [d for d in added if not (m := RUN_GROUP.search(d))
                         or int(m.group(1)) in runners]
            if key == "/tmp":
                added = [e for e in added if e not in server_dirs
                         and not e.startswith("stockade-serve-")]
            if added or removed:
                diff[key] = {"added": added, "removed": removed}
        if not diff or time.monotonic() > deadline:
            return diff
        time.sleep(0.2)


@pytest.mark.parametrize("victim", ["runner", "front"])
def test_sigkill_with_runs_in_flight(make_server, victim):
    marker = support.unique("chaos")
    before = support.snapshot(marker)
    t0 = time.monotonic()
    server = make_server(mode="root", args=["--workers", str(RUNS), "--queue", "0"])
    runner, front = server.proc.pid, front_of(server)
    start_runs(server, marker)
    recorded = tree(runner)
    inits = [p for p, (_, argv) in recorded.items() if argv == "stockade-init"]
    assert front in recorded and len(inits) == RUNS, recorded
    print(f"\n[{victim}] {RUNS} runs running after {time.monotonic() - t0:.1f}s: "
          f"{len(recorded)} processes below the runner {runner} (front {front}, {len(inits)} inits)")

    t_kill = time.monotonic()
    if victim == "runner":
        server.proc.kill()
        assert server.proc.wait(DEADLINE) == -signal.SIGKILL
    else:
        os.kill(front, signal.SIGKILL)
        try:
            status = server.proc.wait(DEADLINE + 10)
        except Exception:
            raise AssertionError(f"the runner did not exit after its front was killed:\n{server.text()}")
        assert status > 0, f"the runner exited with {status} after its front was killed:\n{server.text()}"
    wait_all_dead(recorded, marker, f"the SIGKILL of the {victim}")
    print(f"[{victim}] every process gone {time.monotonic() - t_kill:.2f}s after the kill "
          f"(runner status {server.proc.returncode})")
    server_dirs = {server.dir.name}
    runners = {runner}

    if victim == "runner":
        stale = [d for d in support.cgroup_dirs() if (m := RUN_GROUP.search(d))
                 and int(m.group(1)) == runner]
        print(f"[runner] run groups the dead runner left: {len(stale)}")
        again = make_server(mode="root")
        runners.add(again.proc.pid)
        server_dirs.add(again.dir.name)
        rec = again.run({"profile": "python", "stdin": "print(1)\n"})
        assert (rec["verdict"], rec["stdout"]) == ("ok", "1\n"), rec
        left = host_diff(before, marker, runners, server_dirs)
        assert not left, f"left on the host after a new server and one run: {left}"
        assert again.terminate() == 0, again.text()
    else:
        print(f"[front] runner's log:\n{server.text().strip()}")

    server.close()
    left = host_diff(before, marker, runners, server_dirs)
    assert not left, f"left on the host: {left}"
    print(f"[{victim}] nothing left; {time.monotonic() - t0:.1f}s in all")
