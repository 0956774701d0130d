#!/usr/bin/env bash
# One-command set-up for building pouw, the wasm runtime included.
#
# Idempotent and non-interactive; runs as root or through sudo. It installs the Debian packages the
# stack needs and a Rust toolchain that can build `wasm32-unknown-unknown`:
#   * the rustup route (`rustup target add wasm32-unknown-unknown`, `rustup component add rust-src`)
#     wherever rustup can reach its servers;
#   * otherwise the Debian route: `rustc-web cargo-web rust-web-src lld-22` from the Debian (security)
#     archive, linked into rustup as the `debian-web` toolchain, `lld` exposed as `rust-lld`, and a
#     wasm32 `core`/`alloc` built once with `-Zbuild-std` and placed in that toolchain's sysroot.
# What it chose is written to one env file ($POUW_ENV_FILE, default ~/.cache/pouw/env) that every
# other script sources; the file is printed at the end.
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/lib/help.sh"
help_and_exit_if_asked "$0" "$@"

started=$(date +%s)
POUW_CACHE="${POUW_CACHE:-$HOME/.cache/pouw}"
POUW_ENV_FILE="${POUW_ENV_FILE:-$POUW_CACHE/env}"
mkdir -p "$POUW_CACHE"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else
	command -v sudo >/dev/null || die "not root and no sudo: run as root or install sudo"
	SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
	if [ "$apt_updated" -eq 0 ]; then
		log "apt-get update"
		"${SUDO[@]}" apt-get update -qq
		apt_updated=1
	fi
	log "installing ${missing[*]}"
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. System packages the node, the runtime and the worker need.
apt_install clang libclang-dev protobuf-compiler cmake pkg-config libssl-dev make git curl ca-certificates

# 2. A host Rust toolchain.
if ! command -v cargo >/dev/null; then
	if ! command -v rustup >/dev/null && [ -x "$HOME/.cargo/bin/rustup" ]; then
		export PATH="$HOME/.cargo/bin:$PATH"
	fi
fi
if ! command -v rustup >/dev/null; then
	log "rustup not found: trying to install it"
	if curl -sSf --max-time 30 https://sh.rustup.rs -o "$POUW_CACHE/rustup-init.sh" 2>/dev/null; then
		sh "$POUW_CACHE/rustup-init.sh" -y --profile minimal -c rustfmt,clippy >/dev/null
		export PATH="$HOME/.cargo/bin:$PATH"
	else
		die "neither rustup nor its installer could be had; install Rust >= 1.88 with rustup first"
	fi
fi
command -v cargo >/dev/null || die "cargo not found after installing rustup"
for c in rustfmt clippy; do
	rustup component list --installed 2>/dev/null | grep -q "^$c" ||
		timeout 120 rustup component add "$c" >/dev/null 2>&1 || log "warning: rustup could not add $c"
done

# 3. A toolchain that builds wasm32-unknown-unknown.
WASM_ROUTE=""
WASM_TOOLCHAIN=""
# POUW_WASM_ROUTE=debian forces the Debian route (to test it where rustup works too).
if [ "${POUW_WASM_ROUTE:-}" = debian ]; then
	:
elif rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' &&
	rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	WASM_ROUTE=rustup
elif timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 &&
	timeout 120 rustup component add rust-src >/dev/null 2>&1; then
	WASM_ROUTE=rustup
fi

if [ -z "$WASM_ROUTE" ]; then
	log "rustup cannot add wasm32-unknown-unknown here: using the Debian route (rustc-web + lld-22)"
	WASM_ROUTE=debian
	WASM_TOOLCHAIN=debian-web
	apt_install rustc-web cargo-web rust-web-src lld-22
	[ -x /usr/bin/rustc ] || die "rustc-web installed no /usr/bin/rustc"
	rustup toolchain list | grep -q "^$WASM_TOOLCHAIN" || rustup toolchain link "$WASM_TOOLCHAIN" /usr
	sysroot="$(rustc "+$WASM_TOOLCHAIN" --print sysroot)"
	host="$(rustc "+$WASM_TOOLCHAIN" -vV | sed -n 's/^host: //p')"
	llvm_major="$(rustc "+$WASM_TOOLCHAIN" -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')"
	lld="/usr/lib/llvm-$llvm_major/bin/lld"
	[ -x "$lld" ] || apt_install "lld-$llvm_major"
	[ -x "$lld" ] || die "no lld for LLVM $llvm_major at $lld"
	# rustc links wasm with `rust-lld`, which Debian does not ship.
	if [ ! -e "$sysroot/lib/rustlib/$host/bin/rust-lld" ]; then
		"${SUDO[@]}" mkdir -p "$sysroot/lib/rustlib/$host/bin"
		"${SUDO[@]}" ln -sf "$lld" "$sysroot/lib/rustlib/$host/bin/rust-lld"
	fi
	# substrate-wasm-builder first checks the target with a plain (non build-std) build, so a wasm32
	# `core`/`alloc` must sit in the sysroot; built once from rust-web-src with -Zbuild-std.
	wasm_lib="$sysroot/lib/rustlib/wasm32-unknown-unknown/lib"
	rustc_hash="$(rustc "+$WASM_TOOLCHAIN" -vV | sed -n 's/^commit-hash: //p')"
	if [ ! -f "$wasm_lib/.pouw-built-$rustc_hash" ]; then
		log "building wasm32 core/alloc for the $WASM_TOOLCHAIN sysroot (once, about a minute)"
		probe="$POUW_CACHE/wasm-sysroot-probe"
		rm -rf "$probe"
		mkdir -p "$probe/src"
		printf '[package]\nname = "wasm-sysroot-probe"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n[workspace]\n' >"$probe/Cargo.toml"
		printf '#![no_std]\nextern crate alloc;\npub fn f(v: alloc::vec::Vec<u8>) -> usize { v.len() }\n' >"$probe/src/lib.rs"
		(cd "$probe" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$probe/target" cargo "+$WASM_TOOLCHAIN" build -q --release \
			--target wasm32-unknown-unknown -Zbuild-std=core,alloc) || die "build-std of core/alloc failed"
		"${SUDO[@]}" mkdir -p "$wasm_lib"
		for lib in core alloc compiler_builtins; do
			f="$(ls "$probe"/target/wasm32-unknown-unknown/release/deps/lib"$lib"-*.rlib | head -n1)"
			[ -n "$f" ] || die "build-std produced no lib$lib"
			"${SUDO[@]}" cp "$f" "$wasm_lib/"
		done
		"${SUDO[@]}" touch "$wasm_lib/.pouw-built-$rustc_hash"
		rm -rf "$probe"
	fi
fi

wasm_cargo=(cargo)
[ -n "$WASM_TOOLCHAIN" ] && wasm_cargo=(cargo "+$WASM_TOOLCHAIN")

cat >"$POUW_ENV_FILE" <<ENV
# Written by scripts/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); sourced by every pouw script.
export POUW_CACHE="$POUW_CACHE"
export POUW_WASM_ROUTE="$WASM_ROUTE"
export POUW_WASM_CARGO="${wasm_cargo[*]}"
export CARGO_TARGET_DIR="\${CARGO_TARGET_DIR:-$POUW_CACHE/target}"
export PATH="$HOME/.cargo/bin:\$PATH"
ENV
if [ -n "$WASM_TOOLCHAIN" ]; then
	echo "export WASM_BUILD_TOOLCHAIN=\"$WASM_TOOLCHAIN\"" >>"$POUW_ENV_FILE"
fi

log "environment written to $POUW_ENV_FILE:"
sed 's/^/    /' "$POUW_ENV_FILE" >&2
log "done in $(($(date +%s) - started)) s (wasm route: $WASM_ROUTE)"
