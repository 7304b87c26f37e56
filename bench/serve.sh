#!/bin/sh
# serve.sh - `stockade serve` next to what a user without stockade would
# write: bench/serve_ref.py, THE REFERENCE, an http.server that starts one
# bubblewrap per request (its header lists the sandbox).
#
# Usage:   bench/serve.sh [requests-per-point]      (default 200)
#          from anywhere; it works in the repo root. Run `make` first.
# Env:     STOCKADE (default build/stockade); STOCKADE_SERVE_ARGS, words
#          added to `stockade serve --listen ...`; STOCKADE_SERVE_TOKEN, sent
#          as `Authorization: Bearer` to stockade serve (not to the reference).
# Needs:   /usr/bin/python3 and /usr/bin/bwrap (`apt-get install bubblewrap`).
#
# Both servers listen on free loopback ports. For concurrency 1, 4 and 16,
# bench/serve_load.py sends the same `print(1)` run to each, over one
# kept-alive connection per client thread, after a short warm-up. First come
# bare lines: `python3 -I -c 'print(1)'` started directly, N at a time, the
# floor any server pays. If stockade serve does not answer GET /healthz
# within 10 s (say, it is not built yet) only the reference is measured.
#
# Target:  at concurrency 16, stockade serve >= 2x the reference's
#          throughput and <= 0.5x its p99 latency.
#
# These are figures for people, not pass/fail checks: the test suite never
# asserts durations.
set -eu

cd "$(dirname "$0")/.."
PY=/usr/bin/python3
REQUESTS=${1:-200}
STOCKADE=${STOCKADE:-build/stockade}
case $REQUESTS in
'' | *[!0-9]* | 0*) echo "usage: bench/serve.sh [requests-per-point]" >&2; exit 2 ;;
esac
[ -x "$PY" ] || { echo "serve.sh: $PY is needed" >&2; exit 2; }
[ -x /usr/bin/bwrap ] ||
	{ echo "serve.sh: the reference needs /usr/bin/bwrap (apt-get install bubblewrap)" >&2; exit 2; }

REF_PID='' STK_PID=''
TMP=$(mktemp -d)
cleanup() {
	# Only the two servers this script started, by pid.
	for pid in $REF_PID $STK_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port the kernel just handed out for 127.0.0.1; free again once printed.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# up URL PID: waits up to 10 s for 200 on URL/healthz; fails early if PID exits.
up() {
	"$PY" - "$1" "$2" <<'EOF'
import os, sys, time, urllib.request
url, pid = sys.argv[1] + "/healthz", int(sys.argv[2])
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(1)
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

# field NAME LINE: the value of NAME=value in a serve_load.py line.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ratio A B: A / B as "1.23x", or "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2fx\n", a / b }'
}

# load LABEL CONCURRENCY ARGS...: one serve_load.py line. A batch with
# answers other than ok gets a note in $TMP/notes: load runs in $(...), a
# subshell, so a variable would be lost.
load() {
	label=$1 c=$2
	shift 2
	out=$("$PY" bench/serve_load.py --concurrency "$c" --requests "$REQUESTS" "$@" 2>"$TMP/err") ||
		{ cat "$TMP/err" >&2; echo "serve.sh: serve_load.py failed against $label" >&2; exit 1; }
	if [ "$(field ok "$out")" != "$REQUESTS" ]; then
		printf 'note: %s at concurrency %s: %s %s\n' "$label" "$c" \
			"$(echo "$out" | cut -d' ' -f3-5)" "$(cat "$TMP/err")" >>"$TMP/notes"
	fi
	printf '%s\n' "$out"
}

REF_PORT=$(free_port)
STK_PORT=$(free_port)
while [ "$STK_PORT" = "$REF_PORT" ]; do STK_PORT=$(free_port); done
REF_URL=http://127.0.0.1:$REF_PORT
STK_URL=http://127.0.0.1:$STK_PORT

"$PY" bench/serve_ref.py --listen "127.0.0.1:$REF_PORT" >"$TMP/ref.log" 2>&1 &
REF_PID=$!
# shellcheck disable=SC2086 # STOCKADE_SERVE_ARGS is a list of words
"$STOCKADE" serve --listen "127.0.0.1:$STK_PORT" ${STOCKADE_SERVE_ARGS:-} >"$TMP/stk.log" 2>&1 &
STK_PID=$!

up "$REF_URL" "$REF_PID" ||
	{ cat "$TMP/ref.log" >&2; echo "serve.sh: the reference did not come up on $REF_URL" >&2; exit 1; }
STK_UP=1
if ! up "$STK_URL" "$STK_PID"; then
	STK_UP=0
	echo "serve.sh: '$STOCKADE serve' did not answer GET $STK_URL/healthz within 10 s;"
	echo "          benchmarking the reference only. Its output:"
	sed -n '1,10s/^/    /p' "$TMP/stk.log"
	kill "$STK_PID" 2>/dev/null || true
	wait "$STK_PID" 2>/dev/null || true
	STK_PID=
	echo
fi

STK_TOKEN=
[ -z "${STOCKADE_SERVE_TOKEN:-}" ] || STK_TOKEN="--token=$STOCKADE_SERVE_TOKEN"

echo "$(nproc) CPUs, $REQUESTS requests per point (after a warm-up of 2 x concurrency)"
for c in 1 4 16; do
	bare=$(load bare "$c" --bare)
	echo "bare python3 -I -c 'print(1)', no sandbox, no HTTP: $bare"
done
echo
echo "p50 and p99 in ms, of ok answers; rps = ok answers per second"
echo
echo "| concurrency | reference (bwrap per request) rps | p50 | p99 | stockade serve rps | p50 | p99 | throughput ratio | p99 ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 4 16; do
	ref=$(load reference "$c" --url "$REF_URL")
	s_rps=- s_p50=- s_p99=-
	if [ "$STK_UP" = 1 ]; then
		# shellcheck disable=SC2086 # empty or one word
		stk=$(load "stockade serve" "$c" --url "$STK_URL" $STK_TOKEN)
		s_rps=$(field rps "$stk") s_p50=$(field p50_ms "$stk") s_p99=$(field p99_ms "$stk")
	fi
	r_rps=$(field rps "$ref") r_p99=$(field p99_ms "$ref")
	tput=$(ratio "$s_rps" "$r_rps") p99=$(ratio "$s_p99" "$r_p99")
	echo "| $c | $r_rps | $(field p50_ms "$ref") | $r_p99 | $s_rps | $s_p50 | $s_p99 | $tput | $p99 |"
done
echo
echo "goal at 16: >= 2x the reference's throughput, <= 0.5x its p99 (measured: $tput, $p99)"
[ ! -s "$TMP/notes" ] || { echo; cat "$TMP/notes"; }
