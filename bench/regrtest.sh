#!/usr/bin/env bash
# regrtest.sh - how much of CPython's own test suite passes in the sandbox
# (issue 6: is stockade practical for real programs?).
#
# Runs `python3 -m test` (Debian's libpython3.11-testsuite) twice with the
# same regrtest arguments, one run after the other:
#   1. bare: as an unprivileged user (nobody when this script runs as root,
#      else the caller), in a new session without a terminal, with the
#      python profile's clean environment;
#   2. inside `stockade run --profile python` with generous limits (below).
# It prints, for each run, its wall time and the passed / failed / skipped
# counts of test modules and of test cases, the share of what passes bare
# that also passes inside, the system calls seccomp refused (the run
# record's `denied`), and every module and case whose result differs, with
# its reason (the exception or assertion line, the skip reason, or how the
# module's worker ended).
#
# Usage:   bench/regrtest.sh [--quick] [-j N] [--logs DIR] [--stockade PATH]
#          --quick: only the modules of bench/regrtest-quick.txt (the fixed
#          subset tests/e2e/test_regrtest.py runs) instead of the whole suite;
#          -j N: regrtest's worker processes (default: the number of cores);
#          --logs DIR: keep both runs' output, junit files and the run record
#          in DIR (created) for a closer look.
#          The whole suite takes about 20 minutes bare here and longer inside:
#          run it in the background (nohup bench/regrtest.sh >out 2>&1 &).
# Needs:   /usr/bin/python3 and its test package (Debian:
#          libpython3.11-testsuite); setpriv when run as root. Nothing is
#          installed. As root stockade runs in root mode (a cgroup holds the
#          limits); as another user in unprivileged mode (rlimits).
#
# Method:  the bare run is unprivileged on purpose: the sandbox's user is
#          never root, and root passes permission checks (and runs or skips
#          tests) that no sandboxed program could, which would drown the
#          sandbox's own differences. Both runs get HOME and TMPDIR in a
#          private temporary directory (inside: /tmp), LANG=C.UTF-8,
#          PYTHONUNBUFFERED=1, PYTHONDONTWRITEBYTECODE=1 and nothing else,
#          stdin /dev/null, and a working directory of their own where
#          regrtest writes junit.xml. regrtest's arguments, identical in both:
#            -j N           parallel workers (one test module each);
#            --use=none     no optional resources: network, urlfetch, cpu,
#                           largefile, ... stay off (regrtest's default,
#                           made explicit);
#            --timeout 600  a module still running after 10 minutes is
#                           killed: the slowest takes 2.5 minutes alone, and
#                           inside, a few tests wait forever for a server
#                           thread that could not start (no AF_INET);
#            --junit-xml    one element per test case, with its error.
#          Not -W (verbose output of failing modules): regrtest keeps it in
#          memory, and a test_socket without AF_INET fills gigabytes.
#          A module passes when regrtest says "passed" or "failed (env
#          changed)" (all its tests passed; it left a thread, process or
#          file behind); a case passes when it ran without error or failure
#          (an expected failure counts as passed). junit.xml names no test
#          whose subtest failed: those count at module level only.
#
# Target:  at least 97 % of what passes bare passes inside; every
#          difference is explained (a restriction that should stay) or a bug.
#
# Figures for people, not pass/fail checks.
set -euo pipefail

# Limits of the sandboxed run: far above what the suite needs, so that a
# difference is the sandbox's behaviour and not a limit reached.
#   --memory 4G        the run's whole tree: regrtest, N workers and their
#                      children (a few hundred MiB) plus what the tests
#                      keep in /tmp and /dev/shm (tmpfs pages are charged to
#                      the run's memory);
#   --tasks 1024       tests start pools and dozens of threads per worker
#                      (test_threading, test_concurrent_futures);
#   --wall-time 3h     the whole suite takes under an hour: hours mean
#                      never;
#   --cpu-time unlimited, --file-size unlimited: as bare (test_resource
#                      checks that RLIMIT_FSIZE is unlimited, and sets
#                      RLIMIT_CPU to a million seconds, which a finite
#                      hard limit below would refuse); the wall time and
#                      the tmpfs sizes still bound both;
#   --tmpfs /tmp:2G    the tests' scratch files (the large-file tests need
#                      the largefile resource, which is off);
#   --output 512M      regrtest prints a line per module and the errors of
#                      failing ones: a few MiB;
#   --open-files 4096  tests that open many descriptors (test_selectors
#                      raises its soft limit to the hard one, which
#                      stockade sets equal).
LIMITS=(--memory 4G --tasks 1024 --wall-time 3h --cpu-time unlimited
	--tmpfs /tmp:2G --output 512M --file-size unlimited --open-files 4096)

usage="usage: bench/regrtest.sh [--quick] [-j N] [--logs DIR] [--stockade PATH]"
STOCKADE="$(dirname "$0")/../build/stockade"
QUICK_LIST="$(dirname "$0")/regrtest-quick.txt"
QUICK=0
JOBS="$(nproc)"
LOGS=""
# bench_options (options.sh) knows --rounds, which has no meaning for one run
# of the suite: the same conventions (status 2, the usage line), parsed here.
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; shift ;;
	-j | --logs | --stockade)
		[ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
		case "$1" in
		-j) JOBS="$2" ;;
		--logs) LOGS="$2" ;;
		*) STOCKADE="$2" ;;
		esac
		shift 2
		;;
	-h | --help) echo "$usage" >&2; exit 2 ;;
	*) echo "regrtest.sh: unknown argument: $1" >&2; echo "$usage" >&2; exit 2 ;;
	esac
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "regrtest.sh: -j takes a positive integer" >&2; exit 2; }
[ -x "$STOCKADE" ] ||
	{ echo "regrtest.sh: no stockade binary at $STOCKADE (run 'make' first, or pass --stockade PATH)" >&2; exit 2; }
STOCKADE="$(realpath "$STOCKADE")"
PY=/usr/bin/python3
"$PY" -c 'import test.libregrtest' 2>/dev/null ||
	{ echo "regrtest.sh: $PY has no test package (Debian: apt install libpython3.11-testsuite)" >&2; exit 2; }

TESTS=()
if [ "$QUICK" = 1 ]; then
	# Read as the CI test reads it (bench/regrtest_results.py).
	mapfile -t TESTS < <("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1])
from regrtest_results import quick_modules; print("\n".join(quick_modules()))' "$(dirname "$0")")
	[ ${#TESTS[@]} -gt 0 ] || { echo "regrtest.sh: no module in $QUICK_LIST" >&2; exit 2; }
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
chmod 0755 "$TMP"        # the bare run's user must reach its folders
mkdir "$TMP/home" "$TMP/bare" "$TMP/inside"
chmod 0777 "$TMP/inside" # written by the sandbox's host uid in root mode
BECOME=()
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 || { echo "regrtest.sh: setpriv is needed as root" >&2; exit 2; }
	BECOME=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	chown 65534:65534 "$TMP/home" "$TMP/bare"
fi

REGRTEST=(-m test -j "$JOBS" --use=none --timeout 600 --junit-xml junit.xml ${TESTS[@]+"${TESTS[@]}"})
BARE=(${BECOME[@]+"${BECOME[@]}"} env -i -C "$TMP/bare" PATH=/usr/local/bin:/usr/bin:/bin
	HOME="$TMP/home" TMPDIR="$TMP/home" LANG=C.UTF-8 PYTHONUNBUFFERED=1
	PYTHONDONTWRITEBYTECODE=1 "$PY" "${REGRTEST[@]}")
INSIDE=("$STOCKADE" run --profile python "${LIMITS[@]}" --rw "$TMP/inside:/inside"
	--chdir /inside --env TMPDIR=/tmp --record "$TMP/record.json" -- "$PY" "${REGRTEST[@]}")

# ---- the two runs, and the report (Python, stdlib only) --------------------------
status=0
"$PY" - "$(dirname "$0")" "$TMP" "$QUICK" "${#REGRTEST[@]}" "${REGRTEST[@]}" "${#BARE[@]}" "${BARE[@]}" \
	"${#LIMITS[@]}" "${LIMITS[@]}" "${#INSIDE[@]}" "${INSIDE[@]}" <<'EOF' || status=$?
import json, platform, shlex, signal, subprocess, sys, time
from collections import Counter

sys.path.insert(0, sys.argv[1])
from regrtest_results import (PASS, PROGRESS, by_design, module_reason, results as parse,
                              unexplained)

tmp, quick, a = sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
argvs = []
while a:
    n = int(a[0]); argvs.append(a[1:1 + n]); a = a[1 + n:]
regrtest, bare_argv, limits, inside_argv = argvs
RUNS = {"bare": (bare_argv, f"{tmp}/bare"), "inside": (inside_argv, f"{tmp}/inside")}


# ---- running ---------------------------------------------------------------------
child = None
def forward(signum, frame):
    """Ctrl-C or a kill of this script: stop the run in progress (regrtest
    stops its workers on SIGINT, stockade passes it on), then go."""
    if child and child.poll() is None:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
    sys.exit(128 + signum)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, forward)

def run(label):
    """Runs one side; shows regrtest's line per finished module on stderr."""
    global child
    argv, folder = RUNS[label]
    print(f"{label}: {shlex.join(argv)}", file=sys.stderr, flush=True)
    with open(f"{tmp}/{label}.log", "w", encoding="utf-8") as log:
        t0 = time.monotonic()
        # A new session: no controlling terminal, as in the sandbox.
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        for raw in child.stdout:
            line = raw.decode(errors="replace")
            log.write(line)
            if PROGRESS.match(line):
                print(f"  {label}: {line.rstrip()}", file=sys.stderr, flush=True)
        status = child.wait()
        wall = time.monotonic() - t0
    child = None
    lines = open(f"{tmp}/{label}.log", encoding="utf-8").read().splitlines()
    return {"status": status, "wall": wall, "lines": lines, "junit": f"{folder}/junit.xml"}

# ---- the runs --------------------------------------------------------------------
results = {}
for label in RUNS:
    results[label] = r = run(label)
    r.update(parse(r["lines"], r["junit"]))
try:
    record = json.load(open(f"{tmp}/record.json"))
except (OSError, ValueError):
    record = None

# ---- report ----------------------------------------------------------------------
def minutes(s):
    return f"{int(s // 60)}m{s % 60:04.1f}s"

print(f"\nCPython {platform.python_version()} regression tests, "
      f"{'quick subset (bench/regrtest-quick.txt)' if quick else 'whole suite'}:"
      f"\n  python3 {shlex.join(regrtest)}")
print("  bare: unprivileged, clean environment; inside: stockade run --profile python "
      + shlex.join(limits))
print(f"\n{'run':7s} {'wall':>9s} {'exit':>4s} | modules: {'passed':>6s} {'env-chg':>7s} {'failed':>6s} "
      f"{'skipped':>7s} {'no-tests':>8s} | cases: {'passed':>6s} {'failed':>6s} {'skipped':>7s}")
for label, r in results.items():
    mc = Counter(o for o, _, _ in r["modules"].values())
    cc = Counter(o for cs in r["cases"].values() for o, _ in cs.values())
    print(f"{label:7s} {minutes(r['wall']):>9s} {r['status']:4d} |          {mc['passed']:6d} "
          f"{mc['env-changed']:7d} {mc['failed']:6d} {mc['skipped']:7d} {mc['no-tests']:8d} |"
          f"        {cc['passed']:6d} {cc['failed']:6d} {cc['skipped']:7d}")
print("(modules: regrtest's verdict, env-chg = all passed but a thread, process or\n"
      " file was left behind; cases: junit.xml, written when regrtest ends)")

B, I = results["bare"], results["inside"]
def flat(r):
    return {(m, c): v for m, cs in r["cases"].items() for c, v in cs.items()}
def share(what, bare, inside, ok):
    passing = [k for k, v in bare.items() if ok(v)]
    kept = [k for k in passing if k in inside and ok(inside[k])]
    pct = 100 * len(kept) / len(passing) if passing else 0.0
    print(f"{what} passing bare that pass inside: {len(kept)}/{len(passing)} = {pct:.2f} %"
          f"  (target >= 97 %: {'met' if pct >= 97 else 'NOT met'})")
print()
share("modules", B["modules"], I["modules"], lambda v: v[0] in PASS)
share("cases  ", flat(B), flat(I), lambda v: v[0] == "passed")

if record:
    cpu = record.get("cpu") or {}
    mem = (record.get("memory") or {}).get("peak_bytes")
    print(f"\ninside: verdict {record.get('verdict')}, exit status {record.get('exit_status')}, "
          f"CPU {cpu.get('user_seconds', 0) + cpu.get('system_seconds', 0):.0f} s, "
          + (f"peak memory {mem / 2**20:.0f} MiB, " if mem else "")
          + f"peak tasks {(record.get('tasks') or {}).get('peak')}, mode {record.get('mode')}")
    denied = record.get("denied") or []
    print("seccomp refused (the record's denied): " + (", ".join(
        f"{d['syscall']} x{d['count']} ({d.get('errno')})" for d in denied) or "nothing"))
else:
    print("\ninside: no run record was written")

print("\ndifferences, bare -> inside (a module, then those of its cases that differ):")
n = 0
for mod in sorted(set(B["modules"]) | set(I["modules"])):
    bm, im = B["modules"].get(mod), I["modules"].get(mod)
    bcs, ics = B["cases"].get(mod, {}), I["cases"].get(mod, {})
    case_diffs = [c for c in sorted(set(bcs) & set(ics)) if bcs[c][0] != ics[c][0]]
    bo, io = bm[0] if bm else "not run", im[0] if im else "not run"
    if bo == io and not case_diffs:
        continue
    n += 1
    why = ""
    if io != bo and im and io not in PASS:
        why = f"   inside: {module_reason(im, ics, I['unnamed'][mod])}"
    elif io != bo and bm and bo not in PASS:
        why = f"   bare: {module_reason(bm, bcs, B['unnamed'][mod])}"
    print(f"  {mod}: {bo} -> {io}{why}")
    missing = len(set(bcs) - set(ics))
    if missing and im:
        print(f"      ({missing} of its {len(bcs)} bare cases did not run inside)")
    for c in case_diffs:
        (bo_c, b_why), (io_c, i_why) = bcs[c], ics[c]
        reason = i_why if io_c != "passed" else b_why
        why = by_design(c, i_why) if io_c != "passed" else None
        known = f"\n        (by design: {why})" if why else ""
        print(f"      {c}: {bo_c} -> {io_c}" + (f": {reason}" if reason else "") + known)
print(f"  ({n} module(s) differ)" if n else "  none")
left = unexplained(B, I)
print(f"\nnot among the differences by design (bench/regrtest_results.py): {len(left)}")
for mod, case, why in left:
    print(f"  {case or mod}: {why}")
EOF

if [ -n "$LOGS" ]; then
	mkdir -p "$LOGS"
	for f in bare.log inside.log record.json; do
		[ ! -e "$TMP/$f" ] || cp "$TMP/$f" "$LOGS/"
	done
	for side in bare inside; do
		[ ! -e "$TMP/$side/junit.xml" ] || cp "$TMP/$side/junit.xml" "$LOGS/$side-junit.xml"
	done
	echo "logs: $LOGS" >&2
fi
exit "$status"
