//! `polkadot` for the pouw zombienet network: polkadot-cli's relay chain node, exactly as the
//! `polkadot` crate's binary runs it, built in this repository's polkadot-sdk release (so the
//! relay chain and pouw-node's embedded relay node are the same code) with the `rococo-local`
//! chain spec and one-minute epochs (`fast-runtime`).

// The allocator polkadot ships with.
#[cfg(target_os = "linux")]
extern crate polkadot_jemalloc_shim;

fn main() -> color_eyre::eyre::Result<()> {
	color_eyre::install()?;
	polkadot_cli::run()?;
	Ok(())
}
