#!/usr/bin/env bash
# The web dashboard (dashboard/): tasks with their phases and countdowns, a task's scores,
# medians and payout, accounts, the evaluator pool, and a form to post a task. A static page
# that talks to the node's WebSocket RPC directly; this script builds it (npm ci on first use,
# then esbuild), serves it on 127.0.0.1 and opens it in the browser when there is a display.
#
#   ./scripts/dashboard.sh                        against ws://127.0.0.1:9944 (./scripts/dev-node.sh)
#   ./scripts/dashboard.sh ws://127.0.0.1:9988    against another node (a zombienet collator)
#   ./scripts/dashboard.sh --build                only build dashboard/dist (serve it with any
#                                                 static web server)
#   POUW_DASHBOARD_PORT=8080 ...                  the page's port (default 8080)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/help.sh
source "$ROOT/scripts/lib/help.sh"
help_and_exit_if_asked "$0" "$@"

endpoint=ws://127.0.0.1:9944
build_only=
for arg in "$@"; do
	case "$arg" in
	--build) build_only=1 ;;
	ws://* | wss://*) endpoint=$arg ;;
	*) echo "[dashboard] unknown argument: $arg (see --help)" >&2; exit 2 ;;
	esac
done

cd "$ROOT/dashboard"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
	echo "[dashboard] npm ci (the lockfile's packages from the npm registry)"
	npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs
[ -n "$build_only" ] && exit 0

port="${POUW_DASHBOARD_PORT:-8080}"
url="http://127.0.0.1:$port/?rpc=$endpoint"
node serve.mjs "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT INT TERM
sleep 1
echo "[dashboard] open $url (Ctrl-C stops the server)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
	xdg-open "$url" >/dev/null 2>&1 || true
fi
wait "$server"
