#!/usr/bin/python3
# serve_load.py - load generator for bench/serve.sh; standard library only.
#
#   /usr/bin/python3 bench/serve_load.py --url http://127.0.0.1:PORT \
#       --concurrency N --requests M [--token T] [--body JSON] [--json]
#   /usr/bin/python3 bench/serve_load.py --bare --concurrency N --requests M
#
# Sends M `POST /v1/runs` over N threads, each holding one persistent
# HTTP/1.1 connection (reopened when the server closes it). An answer is ok
# when it is 200 and its JSON "stdout" is --expect ("1\n"); 429 counts as
# rejected; anything else as failed, tallied by cause. 2*N warm-up requests
# go first and are not counted. Prints one line:
#   concurrency=N requests=M ok=.. rejected=.. failed=.. rps=.. p50_ms=.. p99_ms=..
# rps = ok answers / wall time of the measured batch; p50/p99 are of ok
# answers only, each timed on its own with time.perf_counter.
#
# --bare runs `python3 -I -c 'print(1)'` itself, N processes at a time, no
# sandbox and no HTTP: the floor every server above it pays for.
import argparse, collections, http.client, json, subprocess, sys, threading, time
import urllib.parse

PYTHON = "/usr/bin/python3"


def http_worker(url, headers, body, expect):
    """Returns a function sending one request on this worker's connection."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)

    def one():
        # A kept-alive connection the server closed meanwhile fails on first
        # use; retry once on a fresh one. A fresh connection failing is real.
        for attempt in (0, 1):
            reused = conn.sock is not None
            try:
                conn.request("POST", "/v1/runs", body, headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError) as e:
                conn.close()
                if not reused or attempt:
                    return "error:" + type(e).__name__
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                return "error:" + type(e).__name__
        if resp.status == 429:
            return "rejected"
        if resp.status != 200:
            return str(resp.status)
        try:
            out = json.loads(data).get("stdout")
        except (ValueError, AttributeError):
            return "bad-json"
        return "ok" if out == expect else "bad-stdout"
    return one


def bare_worker(expect):
    def one():
        p = subprocess.run([PYTHON, "-I", "-c", "print(1)"], capture_output=True)
        if p.returncode != 0:
            return "exit:%d" % p.returncode
        return "ok" if p.stdout.decode() == expect else "bad-stdout"
    return one


def batch(workers, total):
    """Runs `total` requests over the workers; returns outcomes, latencies, wall."""
    lock = threading.Lock()
    left = [total]
    outcomes = collections.Counter()
    latencies = []

    def loop(one):
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            t0 = time.perf_counter()
            outcome = one()
            dt = time.perf_counter() - t0
            with lock:
                outcomes[outcome] += 1
                if outcome == "ok":
                    latencies.append(dt)

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, latencies, time.perf_counter() - t0


def percentile_ms(sorted_s, q):
    """Nearest rank: the smallest value with at least q of the sample at or below it."""
    if not sorted_s:
        return None
    rank = max(1, -(-len(sorted_s) * q // 100))  # ceil(n*q/100)
    return round(sorted_s[int(rank) - 1] * 1000, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--concurrency", type=int, required=True)
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--token")
    ap.add_argument("--body", default='{"profile":"python","stdin":"print(1)"}')
    ap.add_argument("--expect", default="1\n", help='expected stdout ("1\\n")')
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.bare == bool(a.url) or a.concurrency < 1 or a.requests < 1:
        ap.error("give --url or --bare, and positive --concurrency/--requests")

    headers = {"Content-Type": "application/json"}
    if a.token:
        headers["Authorization"] = "Bearer " + a.token
    if a.bare:
        workers = [bare_worker(a.expect) for _ in range(a.concurrency)]
    else:
        workers = [http_worker(a.url, headers, a.body.encode(), a.expect)
                   for _ in range(a.concurrency)]

    batch(workers, 2 * a.concurrency)  # warm-up: connections, page cache
    outcomes, latencies, wall = batch(workers, a.requests)
    latencies.sort()
    ok, rejected = outcomes.pop("ok", 0), outcomes.pop("rejected", 0)
    result = {
        "concurrency": a.concurrency, "requests": a.requests,
        "ok": ok, "rejected": rejected, "failed": sum(outcomes.values()),
        "rps": round(ok / wall, 1),
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
    }
    if a.json:
        result["failures"] = dict(outcomes)  # cause -> count
        print(json.dumps(result))
    else:
        print(" ".join("%s=%s" % (k, "-" if v is None else v)
                       for k, v in result.items()))
        if outcomes:  # the causes, apart, so the line keeps its fixed shape
            print("failures: " + " ".join("%s=%d" % kv for kv in
                                          sorted(outcomes.items())),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
