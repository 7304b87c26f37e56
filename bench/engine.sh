#!/usr/bin/env bash
# engine.sh - many runs from one process: runs per second and latency.
#
# For /bin/true and `python3 -c pass`, with 1, 4 and 16 runs in flight:
#   bare      the program itself, posix_spawn + waitpid
#   bwrap     bubblewrap (strict, as bench/spawn.sh), one exec per run
#   cli       `stockade run --`, one exec per run
#   engine    stk_run from INFLIGHT threads of one process, one shared
#             sealed policy (bench/engine.c, linked with build/libstockade.a)
#   loop      run handles, INFLIGHT at a time, stepped from one thread's
#             epoll set: a service's event loop
# Each row: runs/s, p50 and p99 latency in ms, failed runs; the best of
# --rounds rounds by runs/s (this VM's speed drifts within minutes).
#
# Usage:   bench/engine.sh [--rounds N] [--runs M] [--stockade PATH]
#          (defaults: 3 rounds, 200 runs per cell; as root, after `make`)
# Goal (issue 12): the engine at >= 3x bubblewrap's runs/s for /bin/true,
# and a per-run overhead <= 0.5x bubblewrap's.  Figures for people: no
# test asserts them.
set -euo pipefail

ROUNDS=3
COUNT=200
HERE="$(cd "$(dirname "$0")" && pwd)"
STOCKADE="$HERE/../build/stockade"
. "$HERE/options.sh"
bench_options engine.sh runs "$@"
bench_bwrap
LIB="$(dirname "$STOCKADE")/libstockade.a"
[ -f "$LIB" ] || { echo "engine.sh: no $LIB (run 'make' first)" >&2; exit 2; }
ENGINE="$(mktemp -d)/engine"
trap 'rm -rf "$(dirname "$ENGINE")"' EXIT
cc -O2 -Wall -Werror -I"$HERE/../include" -o "$ENGINE" "$HERE/engine.c" "$LIB" \
	-ljansson -lseccomp -linih -lpthread

best() { # mode inflight command... -> the round with the most runs/s
	local mode=$1 n=$2 line top=""
	shift 2
	for _ in $(seq "$ROUNDS"); do
		line=$("$ENGINE" "$mode" "$n" "$COUNT" -- "$@")
		if [ -z "$top" ] || [ "${line%% *}" -gt "${top%% *}" ]; then top=$line; fi
	done
	echo "$top"
}

printf "%-8s %-8s %8s %10s %9s %9s %7s\n" payload how inflight "runs/s" p50_ms p99_ms failed
for payload in true py; do
	if [ $payload = true ]; then P=(/bin/true); else P=(/usr/bin/python3 -c pass); fi
	for n in 1 4 16; do
		row() { # how "runs/s p50 p99 failed"
			local how=$1 figures
			read -ra figures <<<"$2"
			printf "%-8s %-8s %8s %10s %9s %9s %7s\n" "$payload" "$how" "$n" "${figures[@]}"
		}
		row bare "$(best exec "$n" "${P[@]}")"
		[ ${#BWRAP[@]} -eq 0 ] || row bwrap "$(best exec "$n" "$(command -v bwrap)" "${BWRAP[@]:1}" "${P[@]}")"
		row cli "$(best exec "$n" "$STOCKADE" run -- "${P[@]}")"
		row engine "$(best lib "$n" "${P[@]}")"
		row loop "$(best loop "$n" "${P[@]}")"
	done
done
