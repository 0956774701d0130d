#!/usr/bin/env bash
# A local relay chain (rococo-local, validators alice and bob) with the pouw parachain (para 1000)
# on two collators, spawned by zombienet-sdk (zombienet/, network.toml).
#
#   ./scripts/zombienet.sh           spawn it, wait until both collators see parachain block 10
#                                    finalized (so backed and included by the relay chain), print
#                                    the RPC endpoints and keep it running until Ctrl-C
#   ./scripts/zombienet.sh --demo    the same, then the main job's task (scripts/demo.sh) over
#                                    collator-1's RPC; stops everything at the end
#   ./scripts/zombienet.sh --smoke   the smoke test, zombienet/tests/smoke.rs (a cargo test; what
#                                    `./scripts/test.sh --zombienet` runs): spawn, block 10
#                                    finalized, the demo's task Finalized, the quorum drawn with
#                                    the relay chain's randomness
#   ./scripts/zombienet.sh --release ...   the collators run the operators' build of pouw-node
#                                    (build-node.sh --release; the relay chain node stays a
#                                    dev build)
#
# Endpoints: relay alice ws://127.0.0.1:9900, bob :9901; collator-1 ws://127.0.0.1:9988,
# collator-2 :9989. Run folder: $POUW_ZOMBIENET_DIR (default ~/.cache/pouw/zombienet/<time>).
# Chain specs and genesis states are built on the first spawn with given binaries and kept in
# ~/.cache/pouw/zombienet/specs (keyed by the binaries' SHA-256 and network.toml), so later
# spawns skip that; a rebuilt node gets new ones.
#
# The relay chain node (polkadot, polkadot-prepare-worker, polkadot-execute-worker) is relay/:
# polkadot-cli 42.0.0 from crates.io, the polkadot-sdk release pouw-node is built on, with the
# rococo-local chain spec. It is built once into the shared CARGO_TARGET_DIR (outside the clone,
# reused on the next run); docs/measurements.md gives the cold build time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$(date +%s)

MODE=up
NODE_PROFILE=debug
for arg in "$@"; do
	case "$arg" in
	--release) NODE_PROFILE=release ;;
	-h | --help)
		sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--demo) MODE=demo ;;
	--smoke) MODE=smoke ;;
	*)
		echo "zombienet.sh: unknown argument '$arg' (see --help)" >&2
		exit 2
		;;
	esac
done

"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"

RUN="${POUW_ZOMBIENET_DIR:-$POUW_CACHE/zombienet/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RUN/logs"
# build NAME COMMAND...: runs one build with its output in $RUN/logs/build-NAME.log.
build() {
	local name=$1 t0
	shift
	t0=$(date +%s)
	if ! "$@" >"$RUN/logs/build-$name.log" 2>&1; then
		echo "[zombienet] building $name failed; the log ends:" >&2
		tail -n 30 "$RUN/logs/build-$name.log" >&2
		exit 1
	fi
	echo "[zombienet] $name built in $(($(date +%s) - t0)) s"
}
# pouw-node first: the relay chain node reuses most of its build.
NODE_BIN="$CARGO_TARGET_DIR/$NODE_PROFILE/pouw-node"
[ -x "$NODE_BIN" ] ||
	echo "[zombienet] building pouw-node ($NODE_PROFILE) once (cold: about 35 minutes on 2 cores, docs/measurements.md)"
if [ "$NODE_PROFILE" = release ]; then
	build pouw-node "$ROOT/scripts/build-node.sh" --release
else
	build pouw-node "$ROOT/scripts/build-node.sh"
fi
RELAY_BIN="$CARGO_TARGET_DIR/debug/polkadot"
[ -x "$RELAY_BIN" ] ||
	echo "[zombienet] building the relay chain node (relay/) once (about 20 min on 2 cores after pouw-node)"
# As scripts/build-node.sh does for pouw-node: the runtime's wasm in release, and built against
# the relay crate's own lockfile.
build relay env WASM_BUILD_TYPE=release WASM_BUILD_WORKSPACE_HINT="$ROOT/relay" \
	cargo build --locked --manifest-path "$ROOT/relay/Cargo.toml"
"$RELAY_BIN" --version
build pouw-zombienet cargo build --locked --manifest-path "$ROOT/zombienet/Cargo.toml"
if [ "$MODE" != up ]; then
	build pouw cargo build --locked --release --manifest-path "$ROOT/worker/Cargo.toml"
fi
if [ "$MODE" = smoke ]; then
	build smoke-test cargo test --locked --no-run --manifest-path "$ROOT/zombienet/Cargo.toml" --test smoke
fi
SPECS="$POUW_CACHE/zombienet/specs"

mkdir -p "$RUN/bin"
# The commands network.toml names, and nothing else, on PATH. polkadot finds its workers next to
# its own (resolved) path.
ln -sf "$RELAY_BIN" "$RUN/bin/polkadot"
ln -sf "$NODE_BIN" "$RUN/bin/pouw-node"
export PATH="$RUN/bin:$PATH"

if [ "$MODE" = smoke ]; then
	echo "[zombienet] the smoke test (zombienet/tests/smoke.rs; run folder $RUN)"
	POUW_ZOMBIENET_DIR="$RUN" POUW_ZOMBIENET_SPEC_CACHE="$SPECS" \
		cargo test --locked --manifest-path "$ROOT/zombienet/Cargo.toml" --test smoke \
		-- --ignored --nocapture 2>&1 | tee "$RUN/smoke.log"
	status=${PIPESTATUS[0]}
	echo "[zombienet] smoke test exit $status after $(($(date +%s) - started)) s"
	exit "$status"
fi

endpoints="$RUN/endpoints.json"
rm -f "$endpoints"
"$CARGO_TARGET_DIR/debug/pouw-zombienet" --config "$ROOT/zombienet/network.toml" \
	--base-dir "$RUN/network" --spec-cache "$SPECS" --endpoints "$endpoints" --blocks 10 --timeout 1200 \
	>"$RUN/zombienet.log" 2>&1 &
spawner=$!
stop() {
	local code=$?
	if kill -0 "$spawner" 2>/dev/null; then
		echo "[zombienet] stopping the network"
		kill -TERM "$spawner" 2>/dev/null || true
		wait "$spawner" 2>/dev/null || true
	fi
	echo "[zombienet] run folder (logs, chain specs, databases): $RUN"
	exit "$code"
}
trap stop EXIT INT TERM

echo "[zombienet] spawning (log: $RUN/zombienet.log)"
while [ ! -s "$endpoints" ]; do
	if ! kill -0 "$spawner" 2>/dev/null; then
		echo "[zombienet] the network did not come up; the log ends:" >&2
		tail -n 30 "$RUN/zombienet.log" >&2
		exit 1
	fi
	sleep 2
done
grep "finalized parachain blocks\|spawned in\|every collator" "$RUN/zombienet.log" | tail -n 3
echo "[zombienet] up after $(($(date +%s) - started)) s; endpoints ($endpoints):"
cat "$endpoints"
echo

if [ "$MODE" = up ]; then
	echo "[zombienet] Ctrl-C stops the network"
	wait "$spawner"
	exit 0
fi

collator=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["collators"][0]["rpc"])' "$endpoints")
# Blocks come every 6 s here (12 s until async backing is on): the demo's phases in blocks are
# the same, in minutes rather than seconds.
POUW_DEMO_URL="$collator" POUW_DEMO_DIR="$RUN/demo" "$ROOT/scripts/demo.sh"

