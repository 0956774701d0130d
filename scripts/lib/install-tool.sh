#!/usr/bin/env bash
# Installs a crate's binaries from crates.io into $POUW_CACHE/tools (default ~/.cache/pouw/tools)
# unless that exact version is there already, and says how long the build took.
#
#   scripts/lib/install-tool.sh <crate> <version> "<what the cold build costs>" [cargo install flags...]
#
# The build has its own target dir under the tools folder, so an interrupted build resumes where
# it stopped; it is removed once the binaries are installed. Expects the env file sourced.
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
crate="${1:?crate name}"
version="${2:?version}"
cost="${3:?what a cold build costs}"
shift 3
TOOLS="$POUW_CACHE/tools"
if cargo install --list --root "$TOOLS" 2>/dev/null | grep -q "^$crate v$version:"; then
	exit 0
fi
echo "[install-tool] installing $crate $version from crates.io into $TOOLS ($cost; reused afterwards)"
t0=$(date +%s)
target="$TOOLS/target-$crate"
CARGO_TARGET_DIR="$target" cargo install --locked --root "$TOOLS" "$@" "$crate@$version"
rm -rf "$target"
echo "[install-tool] $crate $version installed in $(($(date +%s) - t0)) s"
