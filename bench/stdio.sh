#!/usr/bin/env bash
# stdio.sh - what the stdio relay costs, and how late limits fire when the
# reader does not read.
#
# Measures, on this machine:
#   1. throughput: 1 GiB through `cat`, stdin from a pipe and stdout into a
#      pipe (a generator `head -c 1G /dev/zero` and a reader `wc -c`), and
#      stdin from a 1 GiB file in /dev/shm: bare, inside stockade (the
#      supervisor copies both ways: relay.c), inside bwrap and firejail
#      (which hand the caller's descriptors to the program as they are);
#   2. limits with a stalled reader (stdout a pipe nobody reads): how far
#      past `--wall-time 1s` the record's wall time is, and how far past
#      `--cpu-time 1s` its CPU time is (a spinning program that also floods
#      stdout, no wall-time limit), root and unprivileged mode.
#
# Usage:   bench/stdio.sh [--rounds N] [--size-mib M] [--stockade PATH]
#          (as root; defaults: 3 rounds, 1024 MiB, build/stockade next to
#          this folder; run `make` first)
# Needs:   python3, setpriv; bwrap and firejail if present
#          (scripts/install-deps --bench), else their rows are skipped.
#
# Figures for people, not pass/fail checks.
set -euo pipefail

ROUNDS=3
COUNT=1024
STOCKADE="$(dirname "$0")/../build/stockade"
. "$(dirname "$0")/options.sh"
bench_options stdio.sh size-mib "$@"
SIZE_MIB=$COUNT
[ "$(id -u)" = 0 ] || { echo "stdio.sh: run as root" >&2; exit 2; }
PY=/usr/bin/python3

TMP="$(mktemp -d)"
DATA=/dev/shm/stockade-bench-stdio.$$
trap 'rm -rf "$TMP" "$DATA"' EXIT
chmod 0755 "$TMP"
install -m 0755 "$STOCKADE" "$TMP/stockade"
mkdir "$TMP/rec" && chown 65534:65534 "$TMP/rec"
head -c "${SIZE_MIB}M" /dev/zero >"$DATA"
chmod 0644 "$DATA"

now() { date +%s.%N; }

# runner NAME: the command prefix that runs a program in that way.
declare -A RUNNER=(
	[bare]=""
	[stockade]="$TMP/stockade run --"
)
command -v bwrap >/dev/null && RUNNER[bwrap]="bwrap --ro-bind / / --dev /dev --unshare-all --die-with-parent --"
command -v firejail >/dev/null && RUNNER[firejail]="firejail --quiet --noprofile --"
ORDER="bare stockade bwrap firejail"

# seconds of one 1 GiB pass: from a pipe or from the file, into a pipe.
pass() { # runner source
	local r=${RUNNER[$1]} t0 t1 got
	t0=$(now)
	if [ "$2" = pipe ]; then
		got=$(head -c "${SIZE_MIB}M" /dev/zero | $r /bin/cat | wc -c)
	else
		got=$($r /bin/cat <"$DATA" | wc -c)
	fi
	t1=$(now)
	[ "$got" = $((SIZE_MIB << 20)) ] || { echo "stdio.sh: $1 passed $got bytes" >&2; exit 1; }
	echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "stdio.sh: $SIZE_MIB MiB through cat, $ROUNDS rounds (median), $(nproc) cores"
printf '%-10s %-6s %10s %10s %12s\n' runner stdin seconds "MiB/s" "vs bare"
declare -A BARE
for source in pipe file; do
	for name in $ORDER; do
		[ -n "${RUNNER[$name]+x}" ] || { printf '%-10s %-6s %10s\n' "$name" "$source" "(not installed)"; continue; }
		times=""
		for _ in $(seq "$ROUNDS"); do times="$times $(pass "$name" "$source")"; done
		m=$(echo $times | median)
		[ "$name" = bare ] && BARE[$source]=$m
		printf '%-10s %-6s %10.3f %10.0f %+11.3fs\n' "$name" "$source" "$m" \
			"$(echo "$SIZE_MIB $m" | awk '{print $1 / $2}')" \
			"$(echo "$m ${BARE[$source]}" | awk '{print $1 - $2}')"
	done
done

# ---- limits with a reader that never reads ---------------------------------
FLOOD='import os, threading
threading.Thread(target=lambda: [os.write(1, b"x" * 65536) for _ in iter(int, 1)], daemon=True).start()
'
stalled() { # mode options... -- program: prints "record-wall cpu verdict"
	local mode=$1 rec="$TMP/rec/r.json" prefix=""
	shift
	[ "$mode" = unprivileged ] && prefix="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	rm -f "$rec"
	$PY - "$rec" $prefix "$TMP/stockade" run --record "$rec" "$@" <<'EOF'
import json, os, subprocess, sys
r, w = os.pipe()
p = subprocess.Popen(sys.argv[2:], stdout=w, stdin=subprocess.DEVNULL)
os.close(w)
p.wait(timeout=120)
rec = json.load(open(sys.argv[1]))
print("%.3f %.3f %s" % (rec["wall_seconds"], rec["cpu"]["user_seconds"] + rec["cpu"]["system_seconds"],
                        rec["verdict"]))
EOF
}

echo
echo "limits with a stdout nobody reads ($ROUNDS rounds, median; past the limit)"
printf '%-13s %-22s %12s %12s %s\n' mode limit "wall past" "CPU past" verdict
for mode in root unprivileged; do
	for limit in wall cpu; do
		walls="" cpus="" verdict=""
		for _ in $(seq "$ROUNDS"); do
			if [ $limit = wall ]; then
				out=$(stalled $mode --wall-time 1s -- $PY -c "$FLOOD
import time; time.sleep(100)")
			else
				out=$(stalled $mode --cpu-time 1s -- $PY -c "$FLOOD
while True: pass")
			fi
			set -- $out
			walls="$walls $(echo "$1" | awk '{print $1 - 1}')"
			cpus="$cpus $(echo "$2" | awk '{print $1 - 1}')"
			verdict=$3
		done
		if [ $limit = wall ]; then
			printf '%-13s %-22s %11.3fs %12s %s\n' "$mode" "--wall-time 1s" \
				"$(echo $walls | median)" "-" "$verdict"
		else
			printf '%-13s %-22s %12s %11.3fs %s\n' "$mode" "--cpu-time 1s" \
				"-" "$(echo $cpus | median)" "$verdict"
		fi
	done
done
