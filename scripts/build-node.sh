#!/usr/bin/env bash
# Builds pouw-node (with the runtime's wasm inside) if it is missing or stale, and says how long
# that took. A cold build of the node takes a long time on 2 cores (docs/measurements.md).
#
#   ./scripts/build-node.sh [--release] [--timings]
#
#   --release  the operators' build (`[profile.release]`), in $CARGO_TARGET_DIR/release
#   --timings  also writes cargo's HTML build report under $CARGO_TARGET_DIR/cargo-timings
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=debug
extra=()
for arg in "$@"; do
	case "$arg" in
	--release) profile=release extra+=(--release) ;;
	--timings) extra+=(--timings) ;;
	-h | --help)
		sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "build-node.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done
"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
# The runtime inside the node is always an optimised wasm (test.sh builds the same one).
export WASM_BUILD_TYPE=release
# omni-node's `benchmark storage` command embeds a test runtime whose wasm takes about 7 minutes
# of a cold build (docs/measurements.md); pouw's nodes never run that command.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
started=$(date +%s)
echo "[build-node] cargo build -p pouw-node ${extra[*]:-} (target dir $CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --locked -p pouw-node "${extra[@]}")
bin="$CARGO_TARGET_DIR/$profile/pouw-node"
if [ "$profile" = debug ] && readelf -S "$bin" | grep -q '\.symtab'; then
	# The dev build's symbol table (220 MB of the 590 MB binary) goes: a backtrace names every
	# frame from the debug info in the `.dwo` files beside the objects (the root Cargo.toml's
	# dev profile). It runs whenever cargo has written the binary anew (a relink brings the
	# symbol table back).
	strip --strip-all --keep-section='.debug_*' -o "$bin.stripped" "$bin"
	mv -f "$bin.stripped" "$bin"
	echo "[build-node] symbol table dropped: $(($(stat -c %s "$bin") / 1000000)) MB"
fi
echo "[build-node] pouw-node ready in $(($(date +%s) - started)) s: $CARGO_TARGET_DIR/$profile/pouw-node"
