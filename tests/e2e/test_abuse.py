"""The resource abuse of attacks.md §3.7 that a limit must stop, end to end
in both modes: a thread bomb, a process that ignores SIGTERM, a 1 GB output
flood, and a fork bomb during which the host keeps working."""
import subprocess
import time

import pytest

from support import DELIVERED, assert_no_survivors, describe, pids_with_arg, unique

pytestmark = pytest.mark.usefixtures("mode")

THREAD_BOMB = '''
import threading, time
n = 0
try:
    while n < 10000:
        threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
        n += 1
except RuntimeError:
    print(n)
'''


def test_thread_bomb_is_bounded_by_tasks(run, mode):
    cp, rec = run(["--tasks", "40", "--", "/usr/bin/python3", "-I", "-c", THREAD_BOMB])
    assert cp.returncode == 0, describe(cp, rec)
    started = int(cp.stdout)
    # Threads are tasks: the main thread and the started ones stay within 40.
    assert 0 < started < 40, describe(cp, rec)
    if mode == "root":  # the pids cgroup refused a clone: a kernel fact
        assert rec["verdict"] == "tasks-limit", describe(cp, rec)


STUBBORN = '''
import os, signal, sys, time
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(1)
print("ready", flush=True)
while True:
    pass
'''


def test_process_ignoring_sigterm_is_killed_at_the_limit(run):
    marker = unique("stubborn")
    cp, rec = run(["--wall-time", "700ms", "--", "/usr/bin/python3", "-I", "-c",
                   STUBBORN, marker])
    assert cp.returncode == 137 and rec["verdict"] == "wall-limit", describe(cp, rec)
    assert cp.stdout == "ready\n", describe(cp, rec)
    assert_no_survivors(marker)


def test_output_flood_of_a_gigabyte_is_cut(run):
    cp, rec = run(["--output", "4M", "--", "/usr/bin/head", "-c", "1G", "/dev/zero"],
                  text=False)
    assert cp.returncode == 137 and rec["verdict"] == "output-limit", describe(cp, rec)
    assert len(cp.stdout) == 4 << 20 and cp.stdout.count(0) == 4 << 20, len(cp.stdout)
    assert rec["output"] == {"stdout_bytes": 4 << 20, "stderr_bytes": 0, "cut": True, **DELIVERED}


# Every process forks for ever, parent and child alike; a refused fork is
# tried again at once, so the bomb spins on every CPU at the task limit.
FORK_BOMB = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''


def test_host_keeps_working_during_a_fork_bomb(stockade, mode):
    marker = unique("forkbomb")
    path = stockade.new_record_path()
    proc = stockade.popen(["--wall-time", "4s", "--tasks", "64", "--", "/usr/bin/python3",
                           "-I", "-c", FORK_BOMB, marker], path)
    try:
        time.sleep(1)  # let the bomb reach its limit
        assert proc.poll() is None, "the bomb ended before the host was tried"
        # The host still starts processes and gets their results while the
        # bomb runs: the tasks limit holds the bomb, not the host's table.
        for _ in range(20):
            host = subprocess.run(["/bin/sh", "-c", "echo alive"], capture_output=True,
                                  text=True, timeout=30)
            assert host.stdout == "alive\n", host
        bomb = pids_with_arg(marker)
        assert len(bomb) <= 64 + 16, f"{len(bomb)} processes of the bomb on the host"
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rec = stockade.take_record(path)
    assert proc.returncode == 137, (proc.returncode, err)
    assert rec["verdict"] == "wall-limit", rec["verdict"]
    assert rec["limit_fired"] == "wall", rec["limit_fired"]
    assert_no_survivors(marker)

