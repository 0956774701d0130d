//! Version keys for `pouw-node --version`, and compressed debug info where it has any.
use polkadot_sdk::substrate_build_script_utils::{generate_cargo_keys, rerun_if_git_head_changed};

fn main() {
	generate_cargo_keys();
	rerun_if_git_head_changed();
	// With debug info (the dev profile: line tables, for backtraces) the binary was 1.41 GB, of
	// which 880 MB DWARF. The linker compresses it (zlib, which std's backtrace reads): 640 MB,
	// backtraces unchanged. (scripts/build-node.sh then drops the 220 MB symbol table: the
	// dependencies' limited debug info names every frame.)
	let debug_info = std::env::var("DEBUG").is_ok_and(|d| d != "false" && d != "0" && d != "none");
	if debug_info && std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux") {
		println!("cargo:rustc-link-arg-bins=-Wl,--compress-debug-sections=zlib");
	}
}
