#!/usr/bin/env bash
# limits.sh - what a per-run cgroup costs, and how right its CPU and memory
# figures are.
#
# Measures, on this machine:
#   1. cost: wall time of `stockade run -- /bin/true` as root (a cgroup is
#      made, read and removed per run) next to the unprivileged mode (no
#      cgroup, rlimits only: a world-readable copy of the binary started by
#      `setpriv --reuid=65534 --regid=65534 --clear-groups`; root mode has no
#      switch to turn its cgroup off), and root mode with limits set
#      (--memory 256M --tasks 64 --cpu-time 10s) next to no options. The two
#      modes also differ by the uid claim (root takes a host uid range per
#      run), and setpriv's own exec is timed apart and taken off;
#   2. CPU accuracy: a static program, 2 threads spinning until each used
#      0.5 s of CPU, prints its own CLOCK_PROCESS_CPUTIME_ID; set beside the
#      record's cpu user+system (root: cgroup cpu.stat; unprivileged: rusage);
#   3. memory accuracy (root only): a program touches exactly 64 / 200 MiB
#      (malloc + memset), sleeps 0.1 s; set beside memory.peak_bytes;
#   4. the 200 MiB program under --memory 100M: its verdict (memory-limit).
#
# Usage:   bench/limits.sh [--rounds N] [--runs M] [--stockade PATH]
#          (as root; defaults: 5 rounds, 20 runs per command per round,
#          build/stockade next to this folder; run `make` first)
# Needs:   python3 (timer), setpriv, gcc + libc.a (static payloads, put in
#          with --copy). Nothing is installed.
#
# Method:  as in spawn.sh: rounds that time every command in turn; differences
#          are taken within a round, the table shows their median over rounds.
#          Accuracy runs are repeated once per round.
#
# Figures for people, not pass/fail checks.
set -euo pipefail

ROUNDS=5
COUNT=20
STOCKADE="$(dirname "$0")/../build/stockade"
. "$(dirname "$0")/options.sh"
bench_options limits.sh runs "$@"
RUNS=$COUNT
[ "$(id -u)" = 0 ] || { echo "limits.sh: run as root (root mode is what makes the cgroup)" >&2; exit 2; }
PY=/usr/bin/python3
for t in "$PY" setpriv gcc; do
	command -v "$t" >/dev/null 2>&1 || { echo "limits.sh: $t is needed" >&2; exit 2; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
chmod 0755 "$TMP" # readable by uid 65534
install -m 0755 "$STOCKADE" "$TMP/stockade"
mkdir "$TMP/rec" && chown 65534:65534 "$TMP/rec" # records, written by either mode

# ---- payloads ------------------------------------------------------------------
cat >"$TMP/burn.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double want;
static double cpu(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *spin(void *a)
{
	volatile unsigned long x = 0;
	while (cpu(CLOCK_THREAD_CPUTIME_ID) < want)
		for (int i = 0; i < 10000; i++) x++;
	return a;
}
int main(int argc, char **argv) /* burn THREADS SECONDS-EACH -> own process CPU s */
{
	int n = atoi(argv[1]), i;
	pthread_t t[64];
	want = atof(argv[2]);
	for (i = 0; i < n && i < 64; i++)
		if (pthread_create(&t[i], NULL, spin, NULL)) return perror("pthread_create"), 1;
	while (i--) pthread_join(t[i], NULL);
	return printf("%.6f\n", cpu(CLOCK_PROCESS_CPUTIME_ID)) < 0;
}
EOF
cat >"$TMP/mem.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static long rss_kib(void)
{
	char l[256]; long v = -1; FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(l, sizeof l, f)) if (sscanf(l, "VmRSS: %ld", &v) == 1) break;
	return f && fclose(f), v;
}
int main(int argc, char **argv) /* mem MIB -> "baseline-RSS-KiB RSS-after-KiB" */
{
	size_t n = (size_t)atol(argv[1]) << 20;
	long base = rss_kib();
	char *p = malloc(n);
	if (!p) return perror("malloc"), 1;
	memset(p, 1, n); /* not 0: gcc would make malloc+memset(0) a calloc */
	printf("%ld %ld\n", base, rss_kib());
	fflush(stdout);
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	return p[n - 1] == 1 ? 0 : 1;
}
EOF
for p in burn mem; do
	gcc -O2 -static -pthread -o "$TMP/$p" "$TMP/$p.c" ||
		{ echo "limits.sh: gcc -static failed (is libc.a installed? apt: libc6-dev)" >&2; exit 2; }
done

# ---- timer, runs and report (Python, stdlib only) --------------------------------
"$PY" -u - "$ROUNDS" "$RUNS" "$TMP" <<'EOF'
import json, os, shlex, statistics as st, subprocess, sys, time
rounds, runs, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
S, NUL = f"{tmp}/stockade", subprocess.DEVNULL
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
LIMITS = ["--memory", "256M", "--tasks", "64", "--cpu-time", "10s"]
cmds = {"bare": ["/bin/true"], "setpriv": NOBODY + ["/bin/true"],
        "unpriv": NOBODY + [S, "run", "--", "/bin/true"], "root": [S, "run", "--", "/bin/true"],
        "limits": [S, "run"] + LIMITS + ["--", "/bin/true"]}

def once(label):
    t0 = time.perf_counter_ns()
    rc = subprocess.call(cmds[label], stdin=NUL, stdout=NUL, stderr=NUL)
    if rc != 0:
        sys.exit(f"limits.sh: {label} exited with {rc}; try it by hand:\n  {shlex.join(cmds[label])}")
    return (time.perf_counter_ns() - t0) / 1e6

def sandboxed(root, opts, prog, *args):  # -> (stdout, record)
    rec = f"{tmp}/rec/r.json"
    argv = ([] if root else NOBODY) + [S, "run", "--record", rec] + opts + \
        ["--copy", f"{tmp}/{prog}:/tmp/{prog}", "--", f"/tmp/{prog}", *map(str, args)]
    p = subprocess.run(argv, stdin=NUL, capture_output=True, text=True)
    r = json.load(open(rec)) if os.path.exists(rec) else None
    if r is None or (p.returncode != 0 and r["verdict"] == "ok"):
        sys.exit(f"limits.sh: exit {p.returncode}, try it by hand:\n  {shlex.join(argv)}\n{p.stderr}")
    os.unlink(rec)
    return p.stdout, r

[once(label) for label in cmds for _ in range(3)]  # warm-up and sanity check
R, CPU, MEM = [], {True: [], False: []}, {64: [], 200: []}
for i in range(rounds):
    print(f"round {i + 1}/{rounds} ...", file=sys.stderr, flush=True)
    R.append({label: st.median(once(label) for _ in range(runs)) for label in cmds})
    for root in (True, False):
        out, r = sandboxed(root, [], "burn", 2, 0.5)
        CPU[root].append((float(out), r["cpu"]["user_seconds"] + r["cpu"]["system_seconds"], r["cpu"]["from"]))
    for mib in MEM:
        out, r = sandboxed(True, [], "mem", mib); m = r["memory"]
        MEM[mib].append((*map(int, out.split()), m["peak_bytes"], m["from"]))

med = lambda f: st.median(map(f, R))
print(f"\n1. cost of the per-run cgroup: wall time of `stockade run -- /bin/true`,\n"
      f"   median of {rounds} rounds x {runs} runs (ms; built-in timer)")
print(f"{'run':48s} {'wall':>7s} {'vs unpriv':>10s} {'vs root':>8s}")
for name, k in (("unprivileged (no cgroup; via setpriv)", "unpriv"), ("root (cgroup, default limits)", "root"),
                ("root, --memory 256M --tasks 64 --cpu-time 10s", "limits")):
    vu = "" if k == "unpriv" else format(med(lambda r: r[k] - r["unpriv"]), "+.2f")
    vr = "" if k != "limits" else format(med(lambda r: r[k] - r["root"]), "+.2f")
    print(f"{name:48s} {med(lambda r: r[k]):7.2f} {vu:>10s} {vr:>8s}".rstrip())
print(f"setpriv's own exec (setpriv /bin/true - /bin/true): {med(lambda r: r['setpriv'] - r['bare']):+.2f} ms,"
      " inside the unprivileged row")
print(f"cgroup cost, root - (unprivileged - setpriv's exec): "
      f"{med(lambda r: r['root'] - r['unpriv'] + r['setpriv'] - r['bare']):+.2f} ms per run")
print("(the modes also differ by the uid claim: root mode takes a host uid range per run,\n"
      " unprivileged maps the caller; differences: medians of within-round figures; <0.3 ms is noise)")

print(f"\n2. CPU accuracy: 2 threads x 0.5 s of CPU, median of {rounds} runs per mode (ms)")
print(f"{'mode':14s} {'from':18s} {'measured':>9s} {'recorded':>9s} {'diff':>8s} {'diff %':>7s} {'diff range':>16s}")
for root in (True, False):
    xs = CPU[root]; d = [(rec - own) * 1e3 for own, rec, _ in xs]; rng = f"{min(d):+.1f}..{max(d):+.1f}"
    print(f"{'root' if root else 'unprivileged':14s} {xs[0][2]:18s} {st.median(x[0] for x in xs) * 1e3:9.1f} "
          f"{st.median(x[1] for x in xs) * 1e3:9.1f} {st.median(d):+8.1f} "
          f"{st.median((rec - own) / own * 100 for own, rec, _ in xs):+7.2f} {rng:>16s}")
print("(measured: the program's own CLOCK_PROCESS_CPUTIME_ID before it exits; recorded: the\n"
      " record's cpu user+system, which also holds stockade's init, exec and exit)")

MiB = 1 << 20
print(f"\n3. memory accuracy (root mode), median of {rounds} runs per size (MiB)")
print(f"{'touched':>8s} {'baseline':>9s} {'RSS after':>10s} {'peak':>8s} {'peak-touched':>13s} "
      f"{'peak-RSS after':>15s} {'from'}")
for mib, xs in MEM.items():
    base, after, peak = (st.median(x[i] for x in xs) for i in range(3))
    print(f"{mib:8d} {base / 1024:9.2f} {after / 1024:10.2f} {peak / MiB:8.2f} "
          f"{peak / MiB - mib:+13.2f} {peak / MiB - after / 1024:+15.2f} {xs[0][3]}")
print("(baseline: the program's VmRSS before it allocates; RSS after: VmRSS once the\n"
      " memset is done; peak: the record's memory.peak_bytes for the whole run)")

r = sandboxed(True, ["--memory", "100M"], "mem", 200)[1]; m = r["memory"]
print(f"\n4. 200 MiB under --memory 100M: verdict {r['verdict']} (expect memory-limit), "
      f"exit status {r['exit_status']}, oom_kills {m['oom_kills']}, peak {m['peak_bytes'] / MiB:.2f} MiB"
      + ("" if r["verdict"] == "memory-limit" else "  <- NOT as expected"))
EOF
