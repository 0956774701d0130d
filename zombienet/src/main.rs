//! `pouw-zombienet`: spawns the network described in `zombienet/network.toml` (a rococo-local
//! relay chain with two validators, the pouw parachain on two collators) with zombienet-sdk's
//! native provider, waits until both collators' RPC report the parachain's blocks as *finalized*
//! (which needs the relay chain to have backed, included and finalized them), writes the RPC
//! endpoints as JSON, and keeps the network up until SIGINT or SIGTERM, then tears it down.
//!
//! `scripts/zombienet.sh` builds the binaries and runs this; `--exit-when-up` is the smoke test's
//! mode (spawn, wait, report, tear down).

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use serde_json::json;
use std::{
	path::PathBuf,
	time::{Duration, Instant},
};
use zombienet_sdk::{
	subxt::{backend::legacy::LegacyRpcMethods, config::Header, SubstrateConfig},
	GlobalSettingsBuilder, NetworkConfig, NetworkConfigExt, NetworkNode,
};

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
	let config_path = args.config.to_str().ok_or_else(|| anyhow!("config path is not UTF-8"))?;
	std::fs::create_dir_all(&args.base_dir)
		.with_context(|| format!("creating {}", args.base_dir.display()))?;
	let settings = GlobalSettingsBuilder::new()
		.with_base_dir(args.base_dir.clone())
		.with_network_spawn_timeout(args.timeout.try_into()?)
		.with_node_spawn_timeout(args.timeout.try_into()?)
		.build()
		.map_err(|errors| anyhow!("settings: {errors:?}"))?;
	let config = NetworkConfig::load_from_toml_with_settings(config_path, &settings)
		.with_context(|| format!("loading {config_path}"))?;
	let para_id = config
		.parachains()
		.first()
		.map(|p| p.id())
		.ok_or_else(|| anyhow!("{config_path} defines no parachain"))?;

	let started = Instant::now();
	eprintln!("[zombienet] spawning {config_path} in {}", args.base_dir.display());
	let network = config.spawn_native().await.context("spawning the network")?;
	let spawned = started.elapsed();
	eprintln!("[zombienet] spawned in {} s", spawned.as_secs());

	let parachain = network
		.parachain(para_id)
		.ok_or_else(|| anyhow!("para {para_id} is not in the spawned network"))?;
	let collators = parachain.collators();
	let outcome = wait_for_blocks(&collators, args.blocks, Duration::from_secs(args.timeout)).await;
	let report = json!({
		"para_id": para_id,
		"relay_chain": network.relaychain().chain(),
		"relay": network.relaychain().nodes().iter()
			.map(|n| json!({"name": n.name(), "rpc": n.ws_uri()})).collect::<Vec<_>>(),
		"collators": collators.iter()
			.map(|n| json!({"name": n.name(), "rpc": n.ws_uri()})).collect::<Vec<_>>(),
		"base_dir": args.base_dir,
		"spawn_seconds": spawned.as_secs(),
		"blocks": args.blocks,
		"up_seconds": started.elapsed().as_secs(),
	});
	match outcome {
		Ok(()) => {
			let text = serde_json::to_string_pretty(&report)?;
			println!("{text}");
			if let Some(path) = &args.endpoints {
				// Written whole, then renamed: a reader never sees half a file.
				let tmp = path.with_extension("tmp");
				std::fs::write(&tmp, &text)?;
				std::fs::rename(&tmp, path)?;
			}
		},
		Err(e) => {
			eprintln!(
				"[zombienet] {e:#}; tearing the network down (logs in {})",
				args.base_dir.display()
			);
			network.destroy().await.ok();
			return Err(e);
		},
	}

	if !args.exit_when_up {
		eprintln!("[zombienet] up; Ctrl-C (or SIGTERM) stops the network");
		wait_for_signal().await?;
	}
	eprintln!("[zombienet] tearing the network down");
	network.destroy().await.map_err(|e| anyhow!("tearing down: {e}"))?;
	Ok(())
}

/// The finalized parachain block number a collator reports over its RPC (the parachain's own
/// `chain_getFinalizedHead`, so not the embedded relay node's), or 0 while it does not answer yet.
async fn finalized_height(node: &NetworkNode) -> u64 {
	let Ok(rpc) = node.rpc().await else { return 0 };
	let methods = LegacyRpcMethods::<SubstrateConfig>::new(rpc);
	let Ok(hash) = methods.chain_get_finalized_head().await else { return 0 };
	match methods.chain_get_header(Some(hash)).await {
		Ok(Some(header)) => header.number().into(),
		_ => 0,
	}
}

/// Polls every collator's finalized height until all reach `blocks`.
async fn wait_for_blocks(collators: &[&NetworkNode], blocks: u64, timeout: Duration) -> Result<()> {
	if collators.is_empty() {
		bail!("the parachain has no collators");
	}
	let started = Instant::now();
	let mut last = String::new();
	loop {
		let mut heights = Vec::new();
		for node in collators {
			heights.push(finalized_height(node).await);
		}
		let line = collators
			.iter()
			.zip(&heights)
			.map(|(n, h)| format!("{} #{h}", n.name()))
			.collect::<Vec<_>>()
			.join(", ");
		if line != last {
			eprintln!(
				"[zombienet] {:>4} s finalized parachain blocks: {line}",
				started.elapsed().as_secs()
			);
			last = line;
		}
		if heights.iter().all(|h| *h >= blocks) {
			eprintln!(
				"[zombienet] every collator at finalized block {blocks} after {} s",
				started.elapsed().as_secs()
			);
			return Ok(());
		}
		if started.elapsed() > timeout {
			bail!(
				"the parachain did not reach finalized block {blocks} within {} s",
				timeout.as_secs()
			);
		}
		tokio::time::sleep(Duration::from_secs(3)).await;
	}
}

async fn wait_for_signal() -> Result<()> {
	let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
	tokio::select! {
		r = tokio::signal::ctrl_c() => r?,
		_ = term.recv() => {},
	}
	Ok(())
}
