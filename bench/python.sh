#!/usr/bin/env bash
# python.sh - the Python binding's cost per run, next to the CLI through
# subprocess (what a Python application does without the binding).
#
# For /bin/true and `python3 -I -c pass` (the default policy, the same
# command every way), with 1 and 4 runs in flight (threads):
#   bare      the program itself, subprocess.run
#   bwrap     bubblewrap (strict, as bench/spawn.sh) through subprocess.run
#   cli       `stockade run --` through subprocess.run, output captured
#   run       stockade.run(argv=...): a Sandbox per setting, kept
#   sandbox   Sandbox.run on one Sandbox made before
#   async     Sandbox.run_async, INFLIGHT tasks on one event loop
# Each row: runs/s, p50 and p99 latency in ms, and the overhead of the
# median over bare; the best of --rounds rounds by runs/s.
#
# Usage:   bench/python.sh [--rounds N] [--runs M] [--stockade PATH]
#          (defaults: 3 rounds, 100 runs per cell; as root, after `make`:
#          the module is build/python beside the stockade binary)
# Goal (issue 14): the binding's overhead below the CLI's through
# subprocess.  Figures for people: no test asserts them.
set -euo pipefail

ROUNDS=3
COUNT=100
HERE="$(cd "$(dirname "$0")" && pwd)"
STOCKADE="$HERE/../build/stockade"
. "$HERE/options.sh"
bench_options python.sh runs "$@"
bench_bwrap
MODULE="$(dirname "$STOCKADE")/python"
[ -d "$MODULE/stockade" ] || { echo "python.sh: no $MODULE/stockade (run 'make' first)" >&2; exit 2; }
BENCH_BWRAP="$(printf '%s\n' "${BWRAP[@]}")" PYTHONPATH="$MODULE" \
	exec /usr/bin/python3 "$HERE/python_bench.py" "$STOCKADE" "$ROUNDS" "$COUNT"
