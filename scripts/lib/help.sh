# Sourced by the top-level scripts: `help_and_exit_if_asked "$0" "$@"` prints the script's
# leading comment block (its usage) and exits when the arguments hold -h or --help.
help_and_exit_if_asked() {
	local script=$1
	shift
	for arg in "$@"; do
		if [ "$arg" = -h ] || [ "$arg" = --help ]; then
			awk 'NR == 1 { next } /^# shellcheck/ { exit } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$script"
			exit 0
		fi
	done
}
