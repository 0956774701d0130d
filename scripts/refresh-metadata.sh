#!/usr/bin/env bash
# Writes the runtime's metadata (V16, SCALE) to worker/metadata/pouw.scale, the file the `pouw`
# client's types are generated from (subxt). Run it after changing the runtime's calls, events,
# storage or types; runtime/tests/metadata.rs fails in the test suite while the file is stale.
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/lib/help.sh"
help_and_exit_if_asked "$0" "$@"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
cd "$ROOT"
# The same features as the test suite, so this reuses its build.
POUW_WRITE_METADATA=1 SKIP_WASM_BUILD=1 cargo test --locked -p pouw-runtime \
	--features runtime-benchmarks,try-runtime --test metadata -- --nocapture
ls -l "$ROOT/worker/metadata/pouw.scale"
