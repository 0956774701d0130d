//! Spawning the pouw test network (`zombienet/network.toml`: a rococo-local relay chain with two
//! validators, the pouw parachain on two collators) with zombienet-sdk's native provider, waiting
//! until both collators' RPC report the parachain's blocks as *finalized* (which needs the relay
//! chain to have backed, included and finalized them), and reporting the endpoints.
//!
//! The `pouw-zombienet` binary (`src/main.rs`) and the smoke test (`tests/smoke.rs`) are both
//! built on this. The chain specs and genesis artifacts of a spawn are kept per binary version
//! ([`spec_cache`]), so that only the first spawn after a rebuild spends minutes building them.

pub mod spec_cache;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use spec_cache::Lookup;
use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};
use zombienet_sdk::{
	subxt::{backend::legacy::LegacyRpcMethods, config::Header, SubstrateConfig},
	GlobalSettingsBuilder, LocalFileSystem, Network, NetworkConfig, NetworkConfigExt, NetworkNode,
};

/// How to spawn.
#[derive(Debug, Clone)]
pub struct Options {
	/// The network definition (zombienet TOML).
	pub config: PathBuf,
	/// Where zombienet writes the chain specs, the nodes' databases and their logs.
	pub base_dir: PathBuf,
	/// Allowed for spawning and for each node to come up.
	pub timeout: Duration,
	/// Where chain specs are kept per binary version; `None` builds them on every spawn.
	pub spec_cache: Option<PathBuf>,
}

/// A spawned network.
pub struct Spawned {
	pub network: Network<LocalFileSystem>,
	/// The first parachain's id.
	pub para_id: u32,
	/// From the start of [`spawn`] until zombienet reported every node up.
	pub spawn_time: Duration,
	/// What the spec cache held for this spawn (`None` without a cache).
	pub cache: Option<Lookup>,
	base_dir: PathBuf,
}

/// Spawns the network of `options.config`, with the kept chain specs when the cache has them.
pub async fn spawn(options: &Options) -> Result<Spawned> {
	let started = Instant::now();
	std::fs::create_dir_all(&options.base_dir)
		.with_context(|| format!("creating {}", options.base_dir.display()))?;
	let base_dir = options.base_dir.canonicalize()?;
	let text = std::fs::read_to_string(&options.config)
		.with_context(|| format!("reading {}", options.config.display()))?;
	let mut definition: toml::Table =
		text.parse().with_context(|| format!("parsing {}", options.config.display()))?;
	let mut config_path = options.config.clone();
	let cache = match &options.spec_cache {
		None => None,
		Some(root) => {
			let search_path = std::env::var("PATH").unwrap_or_default();
			let lookup = spec_cache::lookup(root, &text, &mut definition, &search_path)?;
			match &lookup {
				Lookup::Hit(dir) => {
					eprintln!("[zombienet] chain specs and genesis from {}", dir.display());
					// zombienet reads a definition from a file: the rewritten one goes beside
					// the network's files.
					config_path = base_dir.join("network-cached-specs.toml");
					std::fs::write(&config_path, toml::to_string(&definition)?)?;
				},
				Lookup::Miss(dir) => eprintln!(
					"[zombienet] no kept chain specs for these binaries; building them (kept in {})",
					dir.display()
				),
			}
			Some(lookup)
		},
	};
	let config_str = config_path.to_str().ok_or_else(|| anyhow!("config path is not UTF-8"))?;
	let secs = u32::try_from(options.timeout.as_secs())?;
	let settings = GlobalSettingsBuilder::new()
		.with_base_dir(base_dir.clone())
		.with_network_spawn_timeout(secs)
		.with_node_spawn_timeout(secs)
		.build()
		.map_err(|errors| anyhow!("settings: {errors:?}"))?;
	let config = NetworkConfig::load_from_toml_with_settings(config_str, &settings)
		.with_context(|| format!("loading {config_str}"))?;
	let para_id = config
		.parachains()
		.first()
		.map(|p| p.id())
		.ok_or_else(|| anyhow!("{config_str} defines no parachain"))?;
	eprintln!("[zombienet] spawning {config_str} in {}", base_dir.display());
	let network = config.spawn_native().await.context("spawning the network")?;
	let spawn_time = started.elapsed();
	eprintln!("[zombienet] spawned in {} s", spawn_time.as_secs());
	Ok(Spawned { network, para_id, spawn_time, cache, base_dir })
}

impl Spawned {
	/// The first parachain's collators.
	pub fn collators(&self) -> Result<Vec<&NetworkNode>> {
		Ok(self
			.network
			.parachain(self.para_id)
			.ok_or_else(|| anyhow!("para {} is not in the spawned network", self.para_id))?
			.collators())
	}

	/// Keeps this spawn's chain specs and genesis artifacts when the cache did not have them.
	/// Call it once the network has produced blocks, so only specs that work are kept.
	pub fn keep_specs(&self) -> Result<()> {
		let Some(Lookup::Miss(dir)) = &self.cache else { return Ok(()) };
		let in_base = |path: &Path| -> PathBuf {
			if path.is_absolute() {
				path.to_path_buf()
			} else {
				self.base_dir.join(path)
			}
		};
		let paras = self
			.network
			.parachains()
			.into_iter()
			.map(|para| {
				let spec = para
					.chain_spec_path()
					.ok_or_else(|| anyhow!("para {} has no chain spec", para.para_id()))?;
				let artifacts = self.base_dir.join(para.unique_id());
				Ok((
					para.para_id(),
					in_base(spec),
					artifacts.join("genesis-state"),
					artifacts.join("genesis-wasm"),
				))
			})
			.collect::<Result<Vec<_>>>()?;
		let built = spec_cache::Built {
			relay_spec: in_base(self.network.relaychain().chain_spec_path()),
			paras,
		};
		spec_cache::store(dir, &built)?;
		eprintln!("[zombienet] kept the chain specs and genesis in {}", dir.display());
		Ok(())
	}

	/// The endpoints and timings, as `pouw-zombienet --endpoints` writes them.
	pub fn report(&self, blocks: u64, up: Duration) -> Result<serde_json::Value> {
		let node = |n: &NetworkNode| json!({"name": n.name(), "rpc": n.ws_uri()});
		Ok(json!({
			"para_id": self.para_id,
			"relay_chain": self.network.relaychain().chain(),
			"relay": self.network.relaychain().nodes().into_iter().map(node).collect::<Vec<_>>(),
			"collators": self.collators()?.into_iter().map(node).collect::<Vec<_>>(),
			"base_dir": self.base_dir,
			"spec_cache": match &self.cache {
				Some(Lookup::Hit(dir)) => json!({"hit": true, "dir": dir}),
				Some(Lookup::Miss(dir)) => json!({"hit": false, "dir": dir}),
				None => serde_json::Value::Null,
			},
			"spawn_seconds": self.spawn_time.as_secs(),
			"blocks": blocks,
			"up_seconds": up.as_secs(),
		}))
	}
}

/// The finalized parachain block number a collator reports over its RPC (the parachain's own
/// `chain_getFinalizedHead`, so not the embedded relay node's), or 0 while it does not answer yet.
pub async fn finalized_height(node: &NetworkNode) -> u64 {
	let Ok(rpc) = node.rpc().await else { return 0 };
	let methods = LegacyRpcMethods::<SubstrateConfig>::new(rpc);
	let Ok(hash) = methods.chain_get_finalized_head().await else { return 0 };
	match methods.chain_get_header(Some(hash)).await {
		Ok(Some(header)) => header.number().into(),
		_ => 0,
	}
}

/// Polls every collator's finalized height until all reach `blocks`; returns how long it took.
pub async fn wait_for_blocks(
	collators: &[&NetworkNode],
	blocks: u64,
	timeout: Duration,
) -> Result<Duration> {
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
			return Ok(started.elapsed());
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

/// Writes `text` to `path` whole, through a temporary file and a rename: a reader never sees
/// half a file.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
	let tmp = path.with_extension("tmp");
	std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
	std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
	Ok(())
}
