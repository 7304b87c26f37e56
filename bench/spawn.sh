#!/usr/bin/env bash
# spawn.sh - what stockade adds to starting a program, next to bubblewrap.
#
# Measures, on this machine:
#   1. spawn latency (wall time, fork+exec+wait) of /bin/true and of
#      `/usr/bin/python3 -c pass`, each run three ways: bare, under
#      `stockade run --`, and under bubblewrap in a strict configuration
#      (all namespaces, read-only /usr, a few /etc files, fresh /proc /dev
#      /tmp, no environment, no capabilities);
#   2. the memory of stockade's supervisor process while it runs `sleep 2`.
#
# Usage:   bench/spawn.sh [--rounds N] [--runs M] [--stockade PATH]
#          (as root; defaults: 5 rounds, 20 runs per command per round,
#          stockade = build/stockade next to this folder; run `make` first)
# Needs:   /usr/bin/python3. Uses `hyperfine -N` when installed, otherwise a
#          small Python timer (subprocess + perf_counter_ns). bubblewrap is
#          optional (`scripts/install-deps --bench`); without it the bwrap
#          columns are left out. Nothing is installed by this script.
#
# Method:  this VM's speed drifts by up to +-50 % within minutes, so runs are
#          split into rounds and every round times every command, one after
#          the other. Within a round each command gets the median of its runs;
#          differences and ratios to the bare command are taken within the
#          round, and the table shows their median over the rounds.
#
# Target:  stockade's overhead <= half of bubblewrap's. bubblewrap adds
#          +3.4..+4.5 ms per run here (research: performance.md), and a
#          minimal launcher prototype reached +1.3..+1.8 ms, so half is
#          reachable and leaves stockade clearly ahead of the best peer with
#          file-system isolation. Supervisor memory: <= 2 MiB RSS (bwrap's two
#          processes take ~3.3 MiB, the prototype ~1.7 MiB).
#
# These are figures for people, not pass/fail checks: the test suite never
# asserts durations (too noisy on shared machines and VMs).
set -euo pipefail

ROUNDS=5
COUNT=20
STOCKADE="$(dirname "$0")/../build/stockade"
. "$(dirname "$0")/options.sh"
bench_options spawn.sh runs "$@"
RUNS=$COUNT
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "spawn.sh: $PY is needed (timer and payload)" >&2; exit 2; }

bench_bwrap

# Commands, handed to the timer as: label argc argv...
CMDS=()
add() { local label="$1"; shift; CMDS+=("$label" $# "$@"); }
for payload in true py; do
	if [ $payload = true ]; then P=(/bin/true); else P=("$PY" -c pass); fi
	add "$payload/bare" "${P[@]}"
	add "$payload/stockade" "$STOCKADE" run -- "${P[@]}"
	[ ${#BWRAP[@]} -eq 0 ] || add "$payload/bwrap" "${BWRAP[@]}" "${P[@]}"
done

# ---- 1. latency: timer and report (Python, stdlib only) ----------------------
"$PY" - "$ROUNDS" "$RUNS" "${CMDS[@]}" <<'EOF'
import json, shlex, shutil, statistics as st, subprocess, sys, tempfile, time
rounds, runs, a = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
cmds = {}  # label -> argv, in measuring order
while a:
    n = int(a[1]); cmds[a[0]] = a[2:2 + n]; a = a[2 + n:]
NUL = subprocess.DEVNULL

def once(label):
    t0 = time.perf_counter_ns()
    rc = subprocess.call(cmds[label], stdin=NUL, stdout=NUL, stderr=NUL)
    t = (time.perf_counter_ns() - t0) / 1e6
    if rc != 0:
        sys.exit(f"spawn.sh: {label} exited with {rc}; try it by hand:\n  {shlex.join(cmds[label])}")
    return t

hyperfine = shutil.which("hyperfine")
def round_hyperfine():  # one call per round, all commands side by side
    with tempfile.TemporaryDirectory() as d:
        args = [hyperfine, "-N", "--runs", str(runs), "--style", "none",
                "--export-json", f"{d}/r.json"]
        for label, argv in cmds.items():
            args += ["-n", label, shlex.join(argv)]
        subprocess.run(args, check=True, stdin=NUL, stdout=NUL)
        res = json.load(open(f"{d}/r.json"))["results"]
    return {r["command"]: st.median(r["times"]) * 1e3 for r in res}
def round_builtin():
    return {label: st.median(once(label) for _ in range(runs)) for label in cmds}

for label in cmds:  # warm-up (page cache, dentries) and sanity check
    for _ in range(3):
        once(label)
R = []
for i in range(rounds):
    print(f"round {i + 1}/{rounds} ...", file=sys.stderr, flush=True)
    R.append(round_hyperfine() if hyperfine else round_builtin())

have_bwrap = "true/bwrap" in cmds
def med(f):  # median over rounds of f(round); rounds where f is None are left out
    xs = [x for x in map(f, R) if x is not None]
    return st.median(xs) if xs else None
def fmt(x, spec):
    return "n/a" if x is None else format(x, spec)

timer = "hyperfine -N" if hyperfine else "built-in timer"
print(f"\nspawn latency, median of {rounds} rounds x {runs} runs (ms; {timer})")
cols = ["bare", "stockade"] + ["bwrap"] * have_bwrap + ["stockade-bare"] + \
       ["bwrap-bare"] * have_bwrap + ["stk/bare"] + ["bwrap/bare"] * have_bwrap + \
       ["ratio(stk/bwrap overhead)"] * have_bwrap
width = [max(len(c), 8) for c in cols]
line = lambda first, xs: print(f"{first:18s} " + "  ".join(x.ljust(w) for x, w in zip(xs, width)).rstrip())
line("command", cols)
ratios = {}
for key, name in (("true", "/bin/true"), ("py", "python3 -c pass")):
    b, s, w = f"{key}/bare", f"{key}/stockade", f"{key}/bwrap"
    row = [fmt(med(lambda r: r[b]), ".2f"), fmt(med(lambda r: r[s]), ".2f")]
    if have_bwrap:
        row.append(fmt(med(lambda r: r[w]), ".2f"))
    row.append(fmt(med(lambda r: r[s] - r[b]), "+.2f"))
    if have_bwrap:
        row.append(fmt(med(lambda r: r[w] - r[b]), "+.2f"))
    row.append(fmt(med(lambda r: r[s] / r[b]), ".2f") + "x")
    if have_bwrap:
        row.append(fmt(med(lambda r: r[w] / r[b]), ".2f") + "x")
        # rounds where bwrap's overhead drowned in noise give no ratio
        ratios[name] = med(lambda r: (r[s] - r[b]) / (r[w] - r[b]) if r[w] > r[b] else None)
        row.append(fmt(ratios[name], ".2f"))
    line(name, row)

print("(differences and ratios: median over rounds of the within-round figure, not the\n"
      " difference of the medians beside them; under ~0.3 ms is noise)")
goal = "target: stockade's overhead <= half of bubblewrap's"
if not have_bwrap:
    print(f"{goal} -> not checked (bwrap not installed; bwrap adds +3.4..+4.5 ms here)")
elif any(v is None for v in ratios.values()):
    print(f"{goal} -> not checked (bwrap's overhead was not measurable)")
else:
    print(f"{goal} -> " + ", ".join(
        f"{name}: {'met' if v <= 0.5 else 'NOT met'} ({v:.2f})" for name, v in ratios.items()))
EOF

# ---- 2. supervisor memory ---------------------------------------------------------
# Only the process started here is looked at (by its pid, never by name).
MEMPID=
cleanup() { if [ -n "$MEMPID" ]; then kill "$MEMPID" 2>/dev/null || true; fi; }
trap cleanup EXIT
"$STOCKADE" run -- /bin/sleep 2 </dev/null >/dev/null 2>&1 &
MEMPID=$!
sleep 1
status="$(cat "/proc/$MEMPID/status" 2>/dev/null)" || status=
comm="$(cat "/proc/$MEMPID/comm" 2>/dev/null)" || comm=
rss=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
hwm=$(awk '/^VmHWM:/ {print $2}' <<<"$status")
if [ -n "$rss" ] && [ -n "$hwm" ]; then
	awk -v r="$rss" -v h="$hwm" 'BEGIN {
		printf "supervisor RSS: %.1f MiB (peak %.1f MiB), target <= 2 MiB -> %s\n",
			r / 1024, h / 1024, (r <= 2048 ? "met" : "NOT met") }'
	if [ "$comm" = sleep ]; then
		echo "note: pid $MEMPID is running the payload itself (stockade exec'd it without forking), so that figure is sleep's"
	fi
else
	echo "supervisor RSS: not measured (pid $MEMPID had already exited after 1 s)"
fi
rc=0
wait "$MEMPID" || rc=$?
MEMPID=
[ "$rc" = 0 ] || echo "note: stockade run -- /bin/sleep 2 exited with status $rc"
