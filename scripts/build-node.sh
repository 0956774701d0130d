#!/usr/bin/env bash
# Builds pouw-node (with the runtime's wasm inside) if it is missing or stale, and says how long
# that took. A cold build of the node takes a long time on 2 cores (see the README).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
# The runtime inside the node is always an optimised wasm (test.sh builds the same one).
export WASM_BUILD_TYPE=release
started=$(date +%s)
echo "[build-node] cargo build -p pouw-node (target dir $CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --locked -p pouw-node)
echo "[build-node] pouw-node ready in $(($(date +%s) - started)) s: $CARGO_TARGET_DIR/debug/pouw-node"
