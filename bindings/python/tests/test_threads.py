"""Many threads at once on one Sandbox, the GIL released while runs wait,
and Ctrl-C while a run waits in the main thread."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import stockade
from conftest import children


def test_threads_share_one_sandbox():
    sandbox = stockade.Sandbox("python", memory="64M", wall_time=30)
    results = {}
    errors = []

    def work(t):
        try:
            for i in range(5):
                r = sandbox.run(f"import sys; print({t} * 100 + {i} + int(sys.stdin.read()))",
                                stdin="1000000")
                results[(t, i)] = r
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 60
    for (t, i), r in results.items():
        assert r.verdict == "ok", r.stderr
        assert r.stdout == f"{1000000 + t * 100 + i}\n".encode()


def test_runs_overlap_in_time():
    # Four runs of a second each, in four threads: each starts before any
    # ends, so they were in their sandboxes together.
    sandbox = stockade.Sandbox("python")
    spans = []

    def work():
        start = time.monotonic()
        r = sandbox.run("import time; time.sleep(1)")
        spans.append((start, time.monotonic(), r.verdict))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [v for _, _, v in spans] == ["ok"] * 4
    assert max(s for s, _, _ in spans) < min(e for _, e, _ in spans)


def test_the_gil_is_released_while_a_run_waits():
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before = ticks[0]
        r = stockade.run("import time; time.sleep(0.5)")
        during = ticks[0] - before
    finally:
        stop.set()
        counter.join()
    assert r.ok
    # Held, the GIL would let the counter run only at the switch interval
    # before the call; released, it counts all along the half second.
    assert during > 10000, during


def test_a_run_used_by_two_threads_is_refused():
    # The waiter is inside the library (in on_output, called from its
    # wait) while this thread calls into the same run.
    inside, go = threading.Event(), threading.Event()

    def hold(stream, data):
        inside.set()
        go.wait(30)

    sandbox = stockade.Sandbox("python")
    r = sandbox.start("print('x')", on_output=hold)
    waiter = threading.Thread(target=r.wait)
    waiter.start()
    assert inside.wait(30)
    try:
        r.step()
        refused = None
    except RuntimeError as e:
        refused = str(e)
    go.set()
    waiter.join()
    assert refused == "the run is in use by another thread"
    assert r.result().ok


def test_ctrl_c_kills_the_sandbox_and_propagates(tmp_path):
    code = textwrap.dedent("""
        import os, sys, stockade
        print("waiting", flush=True)
        try:
            stockade.run("import time; time.sleep(60)")
        except KeyboardInterrupt:
            left = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
            print("interrupted", left, flush=True)
            sys.exit(0)
        print("not interrupted")
    """)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(stockade.__file__)))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    assert p.stdout.readline() == b"waiting\n"
    deadline = time.monotonic() + 30
    while not children(p.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # until its sandbox is there
    time.sleep(0.2)  # and the run waits
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0
    assert out == b"interrupted []\n"


def test_a_waitpid_minus_one_elsewhere_takes_no_run():
    # Another part of the host reaps any child it has; the runs' processes
    # are not its to take (pidfds, no SIGCHLD).
    sleeper = subprocess.Popen(["sleep", "0.5"])
    reaped = []
    reaper = threading.Thread(target=lambda: reaped.append(os.waitpid(-1, 0)[0]))
    reaper.start()
    results = [stockade.run("print(1)") for _ in range(5)]
    reaper.join()
    assert reaped == [sleeper.pid]
    sleeper.returncode = 0  # reaped above
    assert [r.stdout for r in results] == [b"1\n"] * 5
