#!/usr/bin/env bash
# Starts a single-node pouw dev chain: `pouw-node --dev` (polkadot-omni-node's dev mode: one
# process, no relay chain, mocked relay data, a block every second) with RPC on
# ws://127.0.0.1:9944. Its state lives in a named base path (default ~/.local/share/pouw/dev), so
# stopping it (Ctrl-C) and starting it again keeps the chain.
#
#   ./scripts/dev-node.sh                 start (builds pouw-node first if needed)
#   ./scripts/dev-node.sh --purge         delete the dev chain's state, then start
#   ./scripts/dev-node.sh --release       run the operators' build ($CARGO_TARGET_DIR/release,
#                                         built by build-node.sh --release if missing: long cold)
#   POUW_DEV_BASE=/path ./scripts/dev-node.sh   another base path
#   extra arguments are passed to pouw-node
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${POUW_DEV_BASE:-$HOME/.local/share/pouw/dev}"
RPC_PORT="${POUW_RPC_PORT:-9944}"

args=()
profile=debug
for arg in "$@"; do
	case "$arg" in
	--release) profile=release ;;
	--purge) rm -rf "$BASE"; echo "[dev-node] removed $BASE" ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) args+=("$arg") ;;
	esac
done

if [ "$profile" = release ]; then
	"$ROOT/scripts/build-node.sh" --release >&2
else
	"$ROOT/scripts/build-node.sh" >&2
fi
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
NODE="$CARGO_TARGET_DIR/$profile/pouw-node"

mkdir -p "$BASE"
echo "[dev-node] $NODE ($profile), base path $BASE, RPC ws://127.0.0.1:$RPC_PORT" >&2
exec "$NODE" --dev --dev-block-time 1000 --base-path "$BASE" --rpc-port "$RPC_PORT" \
	--rpc-cors all --name pouw-dev "${args[@]}"
