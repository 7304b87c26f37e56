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

# bench_bwrap sets BWRAP to bubblewrap's command in a strict configuration,
# or to () when it is not installed (and says so).
# bubblewrap, strict: the "bwrap" row of performance.md. Top-level dirs that
# are symlinks into /usr (merged /usr) become symlinks, real ones ro-binds.
bench_bwrap() {
	BWRAP=()
	if command -v bwrap >/dev/null 2>&1; then
		BWRAP=(bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL
			--ro-bind /usr /usr)
		for d in /bin /lib /lib64 /sbin; do
			if [ -L "$d" ]; then
				BWRAP+=(--symlink "$(readlink "$d")" "$d")
			elif [ -d "$d" ]; then
				BWRAP+=(--ro-bind "$d" "$d")
			fi
		done
		for f in /etc/ld.so.cache /etc/passwd /etc/group; do
			BWRAP+=(--ro-bind "$f" "$f")
		done
		BWRAP+=(--proc /proc --dev /dev --tmpfs /tmp --clearenv
			--setenv PATH /usr/bin:/bin --chdir /tmp)
	else
		echo "bwrap not installed: bubblewrap columns skipped (scripts/install-deps --bench installs it)"
	fi
}
