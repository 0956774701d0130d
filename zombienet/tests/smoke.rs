//! The zombienet smoke test: a real relay chain (rococo-local, two validators) backing the pouw
//! parachain on two collators, and the demo's task trained, verified and paid over collator-1.
//!
//! It spawns real nodes for about a quarter of an hour, so it is `#[ignore]`d: run it with
//! `./scripts/zombienet.sh --smoke` (or `./scripts/test.sh --zombienet`), which builds
//! `polkadot`, `pouw-node` and the `pouw` worker and puts the nodes on `PATH`. By hand, with
//! those on `PATH`:
//!
//! ```sh
//! cargo test --manifest-path zombienet/Cargo.toml --test smoke -- --ignored --nocapture
//! ```
//!
//! `POUW_ZOMBIENET_DIR` is the run folder (network, demo, endpoints; default a new folder under
//! `~/.cache/pouw/zombienet`), `POUW_ZOMBIENET_SPEC_CACHE` the kept chain specs (default
//! `~/.cache/pouw/zombienet/specs`).

use pouw_zombienet::{spawn, wait_for_blocks, write_atomically, Options, Spawned};
use std::{
	fs,
	io::{BufRead, BufReader},
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

const BLOCKS: u64 = 10;
const TIMEOUT: Duration = Duration::from_secs(1200);

fn cache_root() -> PathBuf {
	let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
	std::env::var_os("POUW_CACHE").map(PathBuf::from).unwrap_or(home.join(".cache/pouw"))
}

fn run_dir() -> PathBuf {
	std::env::var_os("POUW_ZOMBIENET_DIR").map(PathBuf::from).unwrap_or_else(|| {
		let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
		cache_root().join(format!("zombienet/smoke-{secs}"))
	})
}

/// Every line of every `*.log` file under `dir` that contains `needle`.
fn log_lines(dir: &Path, needle: &str) -> Vec<String> {
	let mut found = Vec::new();
	let mut pending = vec![dir.to_path_buf()];
	while let Some(dir) = pending.pop() {
		let Ok(entries) = fs::read_dir(&dir) else { continue };
		for entry in entries.flatten() {
			let path = entry.path();
			if path.is_dir() {
				pending.push(path);
			} else if path.extension().is_some_and(|e| e == "log") {
				let Ok(file) = fs::File::open(&path) else { continue };
				found.extend(
					BufReader::new(file)
						.lines()
						.map_while(Result::ok)
						.filter(|l| l.contains(needle)),
				);
			}
		}
	}
	found
}

/// Runs the checks on the spawned network; returns the names of those that failed.
async fn check(spawned: &Spawned, run: &Path) -> Vec<String> {
	let mut failed = Vec::new();
	let mut record = |name: &str, ok: bool| {
		println!("[smoke] {}: {name}", if ok { "ok" } else { "FAILED" });
		if !ok {
			failed.push(name.to_string());
		}
	};
	let collators = match spawned.collators() {
		Ok(c) => c,
		Err(e) => {
			record(&format!("the parachain's collators are in the network ({e:#})"), false);
			return failed;
		},
	};
	let waited = wait_for_blocks(&collators, BLOCKS, TIMEOUT).await;
	record(&format!("both collators reached finalized parachain block {BLOCKS}"), waited.is_ok());
	let Ok(waited) = waited else { return failed };
	if let Err(e) = spawned.keep_specs() {
		println!("[smoke] could not keep the chain specs: {e:#}");
	}
	if let Ok(report) = spawned.report(BLOCKS, spawned.spawn_time + waited) {
		let text = serde_json::to_string_pretty(&report).unwrap_or_default();
		println!("{text}");
		write_atomically(&run.join("endpoints.json"), &text).ok();
	}

	// The demo's task, over collator-1's RPC.
	let demo = run.join("demo");
	let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh");
	let url = collators[0].ws_uri().to_string();
	let started = Instant::now();
	let status = tokio::task::spawn_blocking({
		let demo = demo.clone();
		move || Command::new(&script).env("POUW_DEMO_URL", url).env("POUW_DEMO_DIR", demo).status()
	})
	.await;
	let demo_ok = matches!(status, Ok(Ok(s)) if s.success());
	println!("[smoke] the demo took {} s", started.elapsed().as_secs());
	record("the demo's script succeeded over collator-1", demo_ok);
	let result = fs::read_to_string(demo.join("result.json")).unwrap_or_default();
	record("the task ended Finalized", result.contains("\"status\": \"Finalized\""));

	// The runtime logs the source of every draw ("quorum randomness from <source> at block
	// <n>") in the collators' logs; the status shows the source at the latest block.
	let network = run.join("network");
	let draws = log_lines(&network, "quorum randomness from");
	let from_relay = |l: &String| l.contains("from RelayBlock") || l.contains("from RelayEpoch");
	record("the quorum was drawn with the relay chain's randomness", draws.iter().any(from_relay));
	record(
		"no draw fell back to the dev randomness",
		!draws.is_empty() && !draws.iter().any(|l| l.contains("from DevFallback")),
	);
	let status_text = fs::read_to_string(demo.join("result.txt")).unwrap_or_default();
	record(
		"the status reports the relay chain's randomness",
		status_text.contains("quorum randomness: RelayBlock")
			|| status_text.contains("quorum randomness: RelayEpoch"),
	);
	failed
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "spawns a relay chain and two collators for about 15 minutes: ./scripts/zombienet.sh --smoke"]
async fn the_relay_chain_backs_the_parachain_and_a_task_is_paid() {
	let started = Instant::now();
	let run = run_dir();
	fs::create_dir_all(&run).expect("creating the run folder");
	let options = Options {
		config: Path::new(env!("CARGO_MANIFEST_DIR")).join("network.toml"),
		base_dir: run.join("network"),
		timeout: TIMEOUT,
		spec_cache: Some(
			std::env::var_os("POUW_ZOMBIENET_SPEC_CACHE")
				.map(PathBuf::from)
				.unwrap_or(cache_root().join("zombienet/specs")),
		),
	};
	let spawned = match spawn(&options).await {
		Ok(s) => s,
		Err(e) => panic!("spawning the network failed: {e:#} (logs in {})", run.display()),
	};
	let failed = check(&spawned, &run).await;
	let spawn_secs = spawned.spawn_time.as_secs();
	spawned.network.destroy().await.ok();
	println!(
		"[smoke] zombienet: {} failed in {} s (spawn {} s); run folder {}",
		failed.len(),
		started.elapsed().as_secs(),
		spawn_secs,
		run.display()
	);
	assert!(failed.is_empty(), "failed checks: {failed:?} (logs in {})", run.display());
}
