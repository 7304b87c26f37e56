# options.sh - the options every benchmark takes; sourced by bench/*.sh.
#
# bench_options NAME COUNT_OPTION "$@" parses --rounds N, --COUNT_OPTION N
# and --stockade PATH into ROUNDS, COUNT and STOCKADE (whose defaults the
# caller sets first), and refuses anything else with status 2.
bench_options() {
	local name=$1 count_option=$2
	shift 2
	local usage="usage: bench/$name [--rounds N] [--$count_option N] [--stockade PATH]"
	while [ $# -gt 0 ]; do
		case "$1" in
		--rounds | "--$count_option" | --stockade)
			[ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
			case "$1" in
			--rounds) ROUNDS="$2" ;;
			--stockade) STOCKADE="$2" ;;
			*) COUNT="$2" ;;
			esac
			shift 2
			;;
		-h | --help) echo "$usage" >&2; exit 2 ;;
		*) echo "$name: unknown argument: $1" >&2; echo "$usage" >&2; exit 2 ;;
		esac
	done
	[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$COUNT" =~ ^[1-9][0-9]*$ ]] ||
		{ echo "$name: --rounds and --$count_option take positive integers" >&2; exit 2; }
	[ -x "$STOCKADE" ] ||
		{ echo "$name: no stockade binary at $STOCKADE (run 'make' first, or pass --stockade PATH)" >&2; exit 2; }
}
