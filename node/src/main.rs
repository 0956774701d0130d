//! `pouw-node`: polkadot-omni-node with the pouw chain specs built in (`--chain dev|local`).
//!
//! Everything else (collating, `--dev` mode with manual seal, RPC, key and chain-spec
//! subcommands) is polkadot-omni-node-lib's.

mod chain_spec;

// Keep the jemalloc allocator crate linked.
#[cfg(target_os = "linux")]
extern crate polkadot_jemalloc_shim;

use polkadot_sdk::polkadot_omni_node_lib::{
	extra_subcommand::NoExtraSubcommand, run_with_custom_cli, runtime::DefaultRuntimeResolver,
	CliConfig as CliConfigT, RunConfig, NODE_VERSION,
};

struct CliConfig;

impl CliConfigT for CliConfig {
	fn impl_version() -> String {
		format!("{}-{}", NODE_VERSION, env!("SUBSTRATE_CLI_COMMIT_HASH"))
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/pouw/issues".into()
	}

	fn copyright_start_year() -> u16 {
		2026
	}
}

fn main() -> color_eyre::eyre::Result<()> {
	color_eyre::install()?;
	let config =
		RunConfig::new(Box::new(DefaultRuntimeResolver), Box::new(chain_spec::PouwChainSpecLoader));
	Ok(run_with_custom_cli::<CliConfig, NoExtraSubcommand>(config)?)
}
