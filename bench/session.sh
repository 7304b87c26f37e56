#!/usr/bin/env bash
# session.sh - what a session of `stockade serve` costs per cell and per
# idle sandbox, next to a bare python3 driven the same way.
#
# Measures, on this machine (bench/session_bench.py, the timer):
#   1. latency of the cell `1+1` in a warm session (after 20 warm-up
#      cells): POST /v1/sessions/{id}/exec, and the same with ?stream=true,
#      over one kept-alive HTTP/1.1 connection (http.client); next to it a
#      bare python3 (not sandboxed) that reads length-prefixed cells on a
#      pipe, runs each as the session's agent does (the last expression's
#      repr is the value) and writes the repr back the same way. p50, p99
#      and mean of CELLS cells, the best of ROUNDS rounds by p50;
#   2. the start: POST /v1/sessions until its 201, next to a bare python3
#      started until it answers its first cell; p50 and max of 20;
#   3. memory: SESSIONS idle sessions (each after one `1+1`), RSS and PSS
#      (/proc/PID/smaps_rollup) summed over every process of each
#      session's sandbox, next to SESSIONS bare python3s after one `1+1`;
#      sessions per GiB by PSS and by RSS. The service's own two processes
#      (runner and front) are shown apart, with 0 and with SESSIONS sessions.
#
# Usage:   bench/session.sh [--rounds N] [--cells M] [--stockade PATH]
#          (as root, after `make`: build/stockade and build/stockade-serve;
#          defaults: 3 rounds of 500 cells, 8 sessions)
# Env:     SESSION_BENCH_CELLS=M, the default of --cells (50: a short run
#          for CI); SESSION_BENCH_SESSIONS=K, idle sessions measured.
# Needs:   /usr/bin/python3. The service listens on a free loopback port,
#          with a config file of its own (sessions-per-token and
#          max-sessions raised to K); it and every session are stopped at
#          the end, by pid and by DELETE, and the script checks that no
#          process of theirs is left.
#
# Figures for people, not pass/fail checks: no test asserts them.
set -euo pipefail

ROUNDS=3
COUNT=${SESSION_BENCH_CELLS:-500}
SESSIONS=${SESSION_BENCH_SESSIONS:-8}
HERE="$(cd "$(dirname "$0")" && pwd)"
STOCKADE="$HERE/../build/stockade"
. "$HERE/options.sh"
bench_options session.sh cells "$@"
[[ "$SESSIONS" =~ ^[1-9][0-9]*$ && "$SESSIONS" -le 1024 ]] ||
	{ echo "session.sh: SESSION_BENCH_SESSIONS takes 1..1024" >&2; exit 2; }
[ -x "$(dirname "$STOCKADE")/stockade-serve" ] ||
	{ echo "session.sh: no stockade-serve beside $STOCKADE (run 'make' first)" >&2; exit 2; }
[ -x /usr/bin/python3 ] || { echo "session.sh: /usr/bin/python3 is needed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "session.sh: run as root (the service's sandboxes get full limits)" >&2; exit 2; }
exec /usr/bin/python3 "$HERE/session_bench.py" "$STOCKADE" "$ROUNDS" "$COUNT" "$SESSIONS"
