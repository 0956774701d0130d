#!/usr/bin/env bash
# The test command (README, and what .ci/run calls): set-up, formatting, clippy, the no_std wasm
# check of every runtime crate, the dashboard's bundle, then every crate's tests and the
# dashboard's view tests, ending with one summary line.
#
#   ./scripts/test.sh            the full suite (what CI runs)
#   ./scripts/test.sh --node     the node's smoke test and the @polkadot/api check (builds
#                                pouw-node: long when cold)
#   ./scripts/test.sh --e2e      end-to-end: the demo's task with exact payouts, the dashboard in
#                                a real browser (Debian's chromium) on its chain, and the fault test
#   ./scripts/test.sh --zombienet  the zombienet smoke test: relay chain + two collators, the
#                                demo's task over them (builds pouw-node and relay/: hours when cold)
#   ./scripts/test.sh --vulkan   the worker's tests with burn's Vulkan backend (cargo feature
#                                `vulkan`, its own target dir): training on a Vulkan device, on
#                                Mesa's software one (lavapipe, installed with apt) where no GPU is
#
# Honours CARGO_TARGET_DIR; defaults it to ~/.cache/pouw/target (outside the clone, so a fresh
# clone reuses earlier builds where they exist, and needs none).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

for arg in "$@"; do
	case "$arg" in
	-h | --help)
		sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--node)
		exec "$ROOT/scripts/lib/node-smoke.sh"
		;;
	--e2e)
		exec "$ROOT/scripts/lib/e2e.sh"
		;;
	--zombienet)
		exec "$ROOT/scripts/zombienet.sh" --smoke
		;;
	--vulkan)
		exec "$ROOT/scripts/lib/vulkan-test.sh"
		;;
	*)
		echo "test.sh: unknown argument '$arg' (see --help)" >&2
		exit 2
		;;
	esac
done

suite_started=$(date +%s)
"$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
echo "[test] CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
# substrate-wasm-builder looks for Cargo.lock from the target dir upwards; ours is outside the tree.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
# The optimised wasm, the same one scripts/build-node.sh puts in the node (one build serves both).
export WASM_BUILD_TYPE=release

# Crates that go into the runtime: they must build for wasm32 without std.
RUNTIME_CRATES=(-p pouw-primitives -p pallet-escrow -p pallet-reputation -p pallet-verification -p pallet-task-registry)
FEATURES="runtime-benchmarks,try-runtime"
# The node is left to `--node`: its cold build does not fit CI's time next to the rest.
WORKSPACE=(--workspace --exclude pouw-node)

step() {
	local name="$1"
	shift
	local t0
	t0=$(date +%s)
	echo "[test] == $name: $*"
	"$@"
	echo "[test] == $name: ok in $(($(date +%s) - t0)) s"
}

# The worker (`pouw`) is its own workspace (see the root Cargo.toml): every step runs for it too.
WORKER=(--manifest-path "$ROOT/worker/Cargo.toml")

step fmt cargo fmt --all -- --check
step worker-fmt cargo fmt "${WORKER[@]}" --all -- --check
step zombienet-fmt cargo fmt --manifest-path "$ROOT/zombienet/Cargo.toml" --all -- --check
step relay-fmt cargo fmt --manifest-path "$ROOT/relay/Cargo.toml" --all -- --check
step relay-lock python3 "$ROOT/scripts/lib/check-relay-lock.py"
# The web dashboard's bundle (npm ci from its lockfile, then esbuild): a broken import fails here.
step dashboard-build "$ROOT/scripts/dashboard.sh" --build
# The runtime's wasm is built once, by its own step below; the other steps skip it.
step clippy env SKIP_WASM_BUILD=1 cargo clippy --locked "${WORKSPACE[@]}" --all-targets -- -D warnings
step clippy-features env SKIP_WASM_BUILD=1 cargo clippy --locked "${WORKSPACE[@]}" --all-targets \
	--features "$FEATURES" -- -D warnings
step worker-clippy cargo clippy --locked "${WORKER[@]}" --all-targets -- -D warnings
# A `std` leak into any runtime crate fails here.
# shellcheck disable=SC2086
step wasm-no-std $POUW_WASM_CARGO check --locked --target wasm32-unknown-unknown --no-default-features \
	"${RUNTIME_CRATES[@]}"
# The benchmarks too: the wasm that scripts/benchmark.sh runs is built with them (and with the
# `substrate_runtime` cfg substrate-wasm-builder sets, without which frame-benchmarking needs std).
# shellcheck disable=SC2086
step wasm-no-std-benchmarks env RUSTFLAGS="--cfg substrate_runtime" $POUW_WASM_CARGO check --locked \
	--target wasm32-unknown-unknown --no-default-features --features runtime-benchmarks "${RUNTIME_CRATES[@]}"

# The runtime itself, built for wasm32 by substrate-wasm-builder with the toolchain setup chose.
step runtime-wasm cargo build --locked -p pouw-runtime
wasm="$CARGO_TARGET_DIR/debug/wbuild/pouw-runtime/pouw_runtime.wasm"
[ -s "$wasm" ] || { echo "[test] no runtime wasm at $wasm" >&2; exit 1; }
compressed="$CARGO_TARGET_DIR/debug/wbuild/pouw-runtime/pouw_runtime.compact.compressed.wasm"
echo "[test] runtime wasm: $(stat -c %s "$wasm") bytes, compact and compressed $(stat -c %s "$compressed") bytes"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
t0=$(date +%s)
echo "[test] == tests: cargo test ${WORKSPACE[*]} --features $FEATURES"
set +e
SKIP_WASM_BUILD=1 cargo test --locked "${WORKSPACE[@]}" --features "$FEATURES" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "[test] == tests: exit $status in $(($(date +%s) - t0)) s"
t0=$(date +%s)
# Release profile: the demo and the benchmark use the same build of burn.
echo "[test] == worker tests: cargo test --release ${WORKER[*]}"
cargo test --locked --release "${WORKER[@]}" 2>&1 | tee -a "$log"
worker_status=${PIPESTATUS[0]}
[ "$worker_status" -eq 0 ] || status=$worker_status
echo "[test] == worker tests: exit $worker_status in $(($(date +%s) - t0)) s"
# The dashboard's view logic (node's test runner; its browser test needs a node: --e2e).
echo "[test] == dashboard tests: node --test dashboard/test/view.test.mjs"
node_log="$(mktemp)"
node --test "$ROOT/dashboard/test/view.test.mjs" 2>&1 | tee "$node_log" | grep -E '^(not ok|# (pass|fail))'
dashboard_status=${PIPESTATUS[0]}
[ "$dashboard_status" -eq 0 ] || status=$dashboard_status
set -e
read -r node_passed node_failed < <(awk '/^# pass/ { p = $3 } /^# fail/ { f = $3 } END { print p + 0, f + 0 }' "$node_log")
rm -f "$node_log"

read -r passed failed < <(awk '/^test result:/ {
	for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
} END { print p + 0, f + 0 }' "$log")
passed=$((${passed:-0} + node_passed))
failed=$((${failed:-0} + node_failed))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "[test] whole suite: $(($(date +%s) - suite_started)) s"
echo "summary: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
