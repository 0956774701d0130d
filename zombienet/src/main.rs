//! `pouw-zombienet`: spawns the network described in `zombienet/network.toml` (a rococo-local
//! relay chain with two validators, the pouw parachain on two collators) with zombienet-sdk's
//! native provider, waits until both collators' RPC report the parachain's blocks as *finalized*,
//! writes the RPC endpoints as JSON, and keeps the network up until SIGINT or SIGTERM, then tears
//! it down.
//!
//! `scripts/zombienet.sh` builds the binaries and runs this; `--exit-when-up` spawns, waits,
//! reports and tears down. With `--spec-cache DIR` the chain specs and genesis artifacts of the
//! first spawn are kept per binary version and reused by the next (`pouw_zombienet::spec_cache`).

use anyhow::{anyhow, Result};
use clap::Parser;
use pouw_zombienet::{spawn, wait_for_blocks, write_atomically, Options};
use std::{path::PathBuf, time::Duration};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
	/// The network definition (zombienet TOML).
	#[arg(long, default_value = "zombienet/network.toml")]
	config: PathBuf,
	/// Where zombienet writes the chain specs, the nodes' databases and their logs.
	#[arg(long)]
	base_dir: PathBuf,
	/// Parachain blocks both collators must see finalized before the network counts as up.
	#[arg(long, default_value_t = 10)]
	blocks: u64,
	/// Seconds allowed for spawning and for reaching `--blocks` (each).
	#[arg(long, default_value_t = 1200)]
	timeout: u64,
	/// Keep the chain specs and genesis artifacts here, per binary version, and reuse them.
	#[arg(long)]
	spec_cache: Option<PathBuf>,
	/// Write the endpoints (JSON) here once the network is up.
	#[arg(long)]
	endpoints: Option<PathBuf>,
	/// Tear the network down as soon as it is up, instead of waiting for a signal.
	#[arg(long)]
	exit_when_up: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		.init();
	let args = Args::parse();
	let timeout = Duration::from_secs(args.timeout);
	let spawned = spawn(&Options {
		config: args.config.clone(),
		base_dir: args.base_dir.clone(),
		timeout,
		spec_cache: args.spec_cache.clone(),
	})
	.await?;

	let outcome = match spawned.collators() {
		Ok(collators) => wait_for_blocks(&collators, args.blocks, timeout).await,
		Err(e) => Err(e),
	};
	let waited = match outcome {
		Ok(waited) => waited,
		Err(e) => {
			eprintln!(
				"[zombienet] {e:#}; tearing the network down (logs in {})",
				args.base_dir.display()
			);
			spawned.network.destroy().await.ok();
			return Err(e);
		},
	};
	if let Err(e) = spawned.keep_specs() {
		// The network is fine; the next spawn builds the specs again.
		eprintln!("[zombienet] could not keep the chain specs: {e:#}");
	}
	let text = serde_json::to_string_pretty(
		&spawned.report(args.blocks, spawned.spawn_time.saturating_add(waited))?,
	)?;
	println!("{text}");
	if let Some(path) = &args.endpoints {
		write_atomically(path, &text)?;
	}

	if !args.exit_when_up {
		eprintln!("[zombienet] up; Ctrl-C (or SIGTERM) stops the network");
		wait_for_signal().await?;
	}
	eprintln!("[zombienet] tearing the network down");
	spawned.network.destroy().await.map_err(|e| anyhow!("tearing down: {e}"))?;
	Ok(())
}

async fn wait_for_signal() -> Result<()> {
	let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
	tokio::select! {
		r = tokio::signal::ctrl_c() => r?,
		_ = term.recv() => {},
	}
	Ok(())
}
