"""The timer of bench/python.sh: python_bench.py STOCKADE ROUNDS RUNS."""
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time

import stockade

STOCKADE, ROUNDS, RUNS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BWRAP = [a for a in os.environ.get("BENCH_BWRAP", "").split("\n") if a]
PAYLOADS = {"true": ["/bin/true"], "py": ["/usr/bin/python3", "-I", "-c", "pass"]}


def threaded(n, one):
    """Runs one() RUNS times from n threads; (seconds, latencies, failed)."""
    lat, failed, lock = [], [0], threading.Lock()
    left = [RUNS]

    def work():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            t = time.perf_counter()
            ok = one()
            d = time.perf_counter() - t
            with lock:
                lat.append(d)
                failed[0] += not ok
    start = time.perf_counter()
    ts = [threading.Thread(target=work) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - start, lat, failed[0]


def on_loop(n, sandbox, argv):
    async def main():
        sem = asyncio.Semaphore(n)
        lat, failed = [], 0

        async def one():
            nonlocal failed
            async with sem:
                t = time.perf_counter()
                r = await sandbox.run_async(argv=argv)
                lat.append(time.perf_counter() - t)
                failed += not r.ok
        start = time.perf_counter()
        await asyncio.gather(*[one() for _ in range(RUNS)])
        return time.perf_counter() - start, lat, failed
    return asyncio.run(main())


def ways(argv):
    sandbox = stockade.Sandbox(None)
    out = {
        "bare": lambda n: threaded(n, lambda: subprocess.run(argv).returncode == 0),
        "cli": lambda n: threaded(n, lambda: subprocess.run(
            [STOCKADE, "run", "--", *argv], capture_output=True).returncode == 0),
        "run": lambda n: threaded(n, lambda: stockade.run(argv=argv, profile=None).ok),
        "sandbox": lambda n: threaded(n, lambda: sandbox.run(argv=argv).ok),
        "async": lambda n: on_loop(n, sandbox, argv),
    }
    if BWRAP:
        out["bwrap"] = lambda n: threaded(n, lambda: subprocess.run(
            BWRAP + argv, capture_output=True).returncode == 0)
    return out


def best(fn, n):
    top = None
    for _ in range(ROUNDS):
        secs, lat, failed = fn(n)
        rate = len(lat) / secs
        if top is None or rate > top[0]:
            lat.sort()
            top = (rate, lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
                   failed)
    return top


print(f"{'payload':8} {'how':8} {'inflight':>8} {'runs/s':>8} {'p50_ms':>8} {'p99_ms':>8}"
      f" {'+p50_ms':>8} {'failed':>6}")
for name, argv in PAYLOADS.items():
    table = ways(argv)
    for n in (1, 4):
        bare = None
        for how in ("bare", "bwrap", "cli", "run", "sandbox", "async"):
            if how not in table:
                continue
            rate, p50, p99, failed = best(table[how], n)
            if how == "bare":
                bare = p50
            print(f"{name:8} {how:8} {n:>8} {rate:>8.1f} {p50:>8.2f} {p99:>8.2f}"
                  f" {p50 - bare:>+8.2f} {failed:>6}", flush=True)

# The library's sandbox starts as a copy of the host process (clone3
# without CLONE_VM): its cost grows with the memory the host has touched.
print()
print(f"{'host_rss':>8} {'how':8} {'p50_ms':>8}  (/bin/true, Sandbox.run, inflight 1)")
sandbox = stockade.Sandbox(None)
ballast = []
for mib in (0, 128, 512):
    while len(ballast) < mib // 64:
        b = bytearray(64 << 20)
        for i in range(0, len(b), 4096):
            b[i] = 1
        ballast.append(b)
    lat = []
    for _ in range(min(RUNS, 50)):
        t = time.perf_counter()
        sandbox.run(argv=["/bin/true"])
        lat.append(time.perf_counter() - t)
    lat.sort()
    print(f"{str(mib) + 'M':>8} {'sandbox':8} {lat[len(lat) // 2] * 1e3:>8.2f}", flush=True)
