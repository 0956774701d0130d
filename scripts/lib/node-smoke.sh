#!/usr/bin/env bash
# Smoke test of the dev node: start it on a fresh base path, wait for 5 blocks, run the
# @polkadot/api check against it (scripts/js/check.mjs: our pallets in the metadata, a task
# created as Alice and read back), stop it, start it again on the same base path and check the
# chain is still there (same genesis, the task still stored, blocks continue).
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/scripts/build-node.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
NODE="$CARGO_TARGET_DIR/debug/pouw-node"
BASE="$(mktemp -d)"
PORT="${POUW_SMOKE_PORT:-19944}"
LOG="$BASE/node.log"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$BASE"; }
trap cleanup EXIT

rpc() {
	curl -s --max-time 5 -H 'Content-Type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":[${2:-}]}" "http://127.0.0.1:$PORT"
}
best() {
	local h
	h=$(rpc chain_getHeader | sed -n 's/.*"number":"0x\([0-9a-f]*\)".*/\1/p')
	if [ -n "$h" ]; then echo $((16#$h)); else echo -1; fi
}
genesis() { rpc chain_getBlockHash 0 | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p'; }

start() {
	"$NODE" --dev --dev-block-time 500 --base-path "$BASE/chain" --rpc-port "$PORT" --no-prometheus \
		--no-telemetry >>"$LOG" 2>&1 &
	pid=$!
}
wait_for_block() {
	local want=$1 deadline=$(($(date +%s) + 300)) n=-1
	while [ "$(date +%s)" -lt "$deadline" ]; do
		n=$(best)
		[ "$n" -ge "$want" ] && { echo "$n"; return 0; }
		kill -0 "$pid" 2>/dev/null || { echo "node died; log:" >&2; tail -30 "$LOG" >&2; return 1; }
		sleep 1
	done
	echo "no block $want within 300 s (best $n); log:" >&2
	tail -30 "$LOG" >&2
	return 1
}

passed=0
failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

t0=$(date +%s)
start
first=$(wait_for_block 5) && passed=$((passed + 1)) || { failed=$((failed + 1)); first=-1; }
hash_before=$(genesis)
echo "[smoke] first run reached block $first $(($(date +%s) - t0)) s after start, genesis $hash_before"
[ -d "$ROOT/scripts/js/node_modules" ] || (cd "$ROOT/scripts/js" && npm ci --no-audit --no-fund >/dev/null)
check node "$ROOT/scripts/js/check.mjs" "ws://127.0.0.1:$PORT"
kill -INT "$pid"
wait "$pid" 2>/dev/null || true
pid=""

t0=$(date +%s)
start
again=$(wait_for_block $((first + 1))) && passed=$((passed + 1)) || { failed=$((failed + 1)); again=-1; }
hash_after=$(genesis)
echo "[smoke] after restart: block $again $(($(date +%s) - t0)) s after start, genesis $hash_after"
# The task the JS check created is still stored.
check node "$ROOT/scripts/js/check.mjs" "ws://127.0.0.1:$PORT" --stored
check [ -n "$hash_before" ]
check [ "$hash_before" = "$hash_after" ]
echo "node-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
