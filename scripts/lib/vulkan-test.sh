#!/usr/bin/env bash
# `./scripts/test.sh --vulkan`: the worker's tests built with burn's Vulkan backend (cargo feature
# `vulkan`) in their own target dir ($CARGO_TARGET_DIR/vulkan, so the everyday `pouw` stays as
# it is). With no GPU, Mesa's software Vulkan (lavapipe, Debian's mesa-vulkan-drivers) is the
# device; the Vulkan test says "skipped" when no device answers at all.
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
if ! ldconfig -p | grep -q libvulkan.so.1 || ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
	SUDO=()
	[ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
	echo "[vulkan] installing the Vulkan loader and Mesa's drivers (apt)" >&2
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null ||
		{ "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null; }
fi
started=$(date +%s)
cargo test --release --locked --manifest-path "$ROOT/worker/Cargo.toml" --features vulkan \
	--target-dir "$CARGO_TARGET_DIR/vulkan" --lib --test training -- --nocapture ||
	{ echo "vulkan: FAILED" >&2; exit 1; }
echo "vulkan: passed in $(($(date +%s) - started)) s"
