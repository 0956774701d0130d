#!/usr/bin/env bash
# Benchmarks the four pouw pallets on the runtime's wasm with frame-omni-bencher and writes their
# weights to runtime/src/weights/<pallet>.rs, which the runtime uses.
#
#   ./scripts/benchmark.sh                      all four pallets, 50 steps, 20 repeats
#   ./scripts/benchmark.sh --pallet pallet_escrow [--pallet ...] [--steps N] [--repeat N]
#   ./scripts/benchmark.sh --check              every benchmark once (2 steps, 1 repeat) into a
#                                               temporary folder: they all run and verify on the
#                                               real wasm; nothing in the tree changes
#
# frame-omni-bencher is installed from crates.io on first use, at the version that matches our
# polkadot-sdk release, into $POUW_CACHE/tools (reused afterwards; the cold build is long, see
# docs/measurements.md). The wasm is built with the `runtime-benchmarks` feature (WASM_BUILD_TYPE=release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# frame-omni-bencher 0.28.0 is built on frame-benchmarking-cli 64.0.0, the one in polkadot-sdk
# 2609.2.0 (our Cargo.lock).
BENCHER_VERSION=0.28.0
PALLETS=()
STEPS=50
REPEAT=20
CHECK=0
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help)
		sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--pallet)
		PALLETS+=("${2:?--pallet needs a name, e.g. pallet_escrow}")
		shift
		;;
	--steps)
		STEPS="${2:?--steps needs a number}"
		shift
		;;
	--repeat)
		REPEAT="${2:?--repeat needs a number}"
		shift
		;;
	--check) CHECK=1 ;;
	*)
		echo "benchmark.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
ALL=(pallet_escrow pallet_reputation pallet_verification pallet_task_registry)
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=("${ALL[@]}")
for p in "${PALLETS[@]}"; do
	case " ${ALL[*]} " in
	*" $p "*) ;;
	*)
		echo "benchmark.sh: '$p' is not one of our pallets (${ALL[*]})" >&2
		exit 2
		;;
	esac
done
for n in "$STEPS" "$REPEAT"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || {
		echo "benchmark.sh: steps and repeat must be positive numbers, not '$n'" >&2
		exit 2
	}
done
if [ "$CHECK" = 1 ]; then
	STEPS=2
	REPEAT=1
fi

"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
TOOLS="$POUW_CACHE/tools"
BENCHER="$TOOLS/bin/frame-omni-bencher"

"$ROOT/scripts/lib/install-tool.sh" frame-omni-bencher "$BENCHER_VERSION" "a cold build takes over an hour on 2 cores"
"$BENCHER" --version

t0=$(date +%s)
echo "[benchmark] building the runtime's wasm with runtime-benchmarks"
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
export WASM_BUILD_TYPE=release
(cd "$ROOT" && cargo build --locked -p pouw-runtime --features runtime-benchmarks)
built="$CARGO_TARGET_DIR/debug/wbuild/pouw-runtime/pouw_runtime.compact.compressed.wasm"
# A copy: the next build of the node or the tests rewrites the wasm at that path.
wasm="$POUW_CACHE/benchmark/pouw_runtime.benchmarks.wasm"
mkdir -p "$(dirname "$wasm")"
cp "$built" "$wasm"
echo "[benchmark] wasm ready in $(($(date +%s) - t0)) s ($(stat -c %s "$wasm") bytes)"

if [ "$CHECK" = 1 ]; then
	out="$(mktemp -d)"
	trap 'rm -rf "$out"' EXIT
else
	out="runtime/src/weights"
fi
# Relative paths from the root: they appear in the generated files' headers.
cd "$ROOT"
mkdir -p "$out"
for pallet in "${PALLETS[@]}"; do
	t0=$(date +%s)
	echo "[benchmark] $pallet: $STEPS steps, $REPEAT repeats"
	"$BENCHER" v1 benchmark pallet \
		--runtime "$wasm" \
		--genesis-builder-preset development \
		--pallet "$pallet" --extrinsic '*' \
		--steps "$STEPS" --repeat "$REPEAT" \
		--template scripts/weight-template.hbs \
		--output "$out/$pallet.rs"
	echo "[benchmark] $pallet: done in $(($(date +%s) - t0)) s -> $out/$pallet.rs"
done
if [ "$CHECK" = 1 ]; then
	echo "[benchmark] check passed: every benchmark of ${PALLETS[*]} ran and verified"
fi
