//! Chain specs and genesis artifacts built once per binary version, and reused.
//!
//! On a spawn zombienet builds the relay chain's spec (`polkadot build-spec`, customised with the
//! validators and the parachain's genesis, then made raw), the parachain's spec and its genesis
//! state and wasm (`pouw-node export-genesis-state`/`export-genesis-wasm`). With the dev binaries
//! that is most of a spawn. Everything it builds depends only on the network definition and on
//! the node binaries the definition names (the keys zombienet puts in them come from the nodes'
//! names), so after the first spawn the finished files are kept under a key made of the
//! definition's text and the SHA-256 of each binary's contents, and the next spawn with the same
//! definition and binaries is given them (`chain_spec_path`, `genesis_state_path`,
//! `genesis_wasm_path`): zombienet then takes the raw specs as they are. A rebuilt binary, an
//! edited definition or another zombienet-sdk version gives another key, so a stale spec is never
//! used. Kept specs hold no boot nodes (those are per spawn).

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::{
	fs,
	io::Read,
	path::{Path, PathBuf},
};

/// Part of the key: zombienet-sdk's version (its customisation of the specs may change).
const ZOMBIENET_SDK: &str = "zombienet-sdk 0.7.1";
/// Written last into a kept entry: an entry without it is unfinished and ignored.
const COMPLETE: &str = "complete";
const RELAY_SPEC: &str = "relay.json";

/// What a spawn found in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
	/// Every file of the entry is there: the definition was rewritten to use them.
	Hit(PathBuf),
	/// Not there yet: zombienet builds the specs and [`store`] keeps them after the spawn.
	Miss(PathBuf),
}

impl Lookup {
	/// The entry's folder.
	pub fn dir(&self) -> &Path {
		match self {
			Lookup::Hit(dir) | Lookup::Miss(dir) => dir,
		}
	}
}

fn para_spec(id: u32) -> String {
	format!("para-{id}.json")
}
fn genesis_state(id: u32) -> String {
	format!("para-{id}-genesis-state")
}
fn genesis_wasm(id: u32) -> String {
	format!("para-{id}-genesis-wasm")
}

/// Finds `command` the way zombienet's native provider does: a path as given, a bare name on
/// `search_path` (the value of `PATH`).
pub fn resolve_command(command: &str, search_path: &str) -> Result<PathBuf> {
	if command.contains('/') {
		let path = PathBuf::from(command);
		return if path.is_file() { Ok(path) } else { Err(anyhow!("command {command} not found")) };
	}
	std::env::split_paths(search_path)
		.map(|dir| dir.join(command))
		.find(|candidate| candidate.is_file())
		.ok_or_else(|| anyhow!("command {command} not found on PATH"))
}

fn sha256_file(path: &Path) -> Result<[u8; 32]> {
	let mut file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
	let mut hasher = Sha256::new();
	let mut buf = vec![0u8; 1 << 20];
	loop {
		let n = file.read(&mut buf).with_context(|| format!("reading {}", path.display()))?;
		if n == 0 {
			break;
		}
		hasher.update(&buf[..n]);
	}
	Ok(hasher.finalize().into())
}

/// The commands a definition names: the relay chain's and each parachain's `default_command`,
/// and any node's own `command`, in order of appearance, without repeats.
pub fn commands(definition: &toml::Table) -> Vec<String> {
	let mut found: Vec<String> = Vec::new();
	let mut add = |value: Option<&toml::Value>| {
		if let Some(cmd) = value.and_then(toml::Value::as_str) {
			if !found.iter().any(|c| c == cmd) {
				found.push(cmd.to_string());
			}
		}
	};
	let nodes = |table: &toml::Table, key: &str| -> Vec<toml::Table> {
		table
			.get(key)
			.and_then(toml::Value::as_array)
			.map(|a| a.iter().filter_map(|n| n.as_table().cloned()).collect())
			.unwrap_or_default()
	};
	if let Some(relay) = definition.get("relaychain").and_then(toml::Value::as_table) {
		add(relay.get("default_command"));
		for node in nodes(relay, "nodes") {
			add(node.get("command"));
		}
	}
	for para in nodes(definition, "parachains") {
		add(para.get("default_command"));
		for node in nodes(&para, "collators") {
			add(node.get("command"));
		}
	}
	found
}

/// The entry's key: SHA-256 over zombienet-sdk's version, the definition's text and, for each
/// command it names, the name and the SHA-256 of the binary found for it; 32 hex digits.
pub fn key(definition_text: &str, binaries: &[(String, PathBuf)]) -> Result<String> {
	let mut hasher = Sha256::new();
	hasher.update(ZOMBIENET_SDK.as_bytes());
	hasher.update((definition_text.len() as u64).to_le_bytes());
	hasher.update(definition_text.as_bytes());
	for (name, path) in binaries {
		hasher.update((name.len() as u64).to_le_bytes());
		hasher.update(name.as_bytes());
		hasher.update(sha256_file(path)?);
	}
	let digest = hasher.finalize();
	Ok(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
}

/// The parachains' ids in a definition.
pub fn para_ids(definition: &toml::Table) -> Result<Vec<u32>> {
	let Some(paras) = definition.get("parachains").and_then(toml::Value::as_array) else {
		return Ok(Vec::new());
	};
	paras
		.iter()
		.map(|p| {
			p.get("id")
				.and_then(toml::Value::as_integer)
				.and_then(|id| u32::try_from(id).ok())
				.ok_or_else(|| anyhow!("a [[parachains]] entry has no valid `id`"))
		})
		.collect()
}

/// Whether `dir` holds a finished entry for these parachains: the marker, and every file, the
/// specs parsing as raw chain specs.
fn is_complete(dir: &Path, ids: &[u32]) -> bool {
	if !dir.join(COMPLETE).is_file() {
		return false;
	}
	let is_raw_spec = |path: PathBuf| {
		fs::read(&path)
			.ok()
			.and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
			.is_some_and(|spec| spec.pointer("/genesis/raw/top").is_some())
	};
	let non_empty = |path: PathBuf| fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0);
	is_raw_spec(dir.join(RELAY_SPEC))
		&& ids.iter().all(|id| {
			is_raw_spec(dir.join(para_spec(*id)))
				&& non_empty(dir.join(genesis_state(*id)))
				&& non_empty(dir.join(genesis_wasm(*id)))
		})
}

/// Looks the definition up under `root`. On a hit, `definition` is rewritten to take every spec
/// and genesis artifact from the entry. An entry that is there but unfinished or damaged is
/// removed (and reported as a miss), so that the spawn builds and keeps it anew.
pub fn lookup(
	root: &Path,
	definition_text: &str,
	definition: &mut toml::Table,
	search_path: &str,
) -> Result<Lookup> {
	let binaries = commands(definition)
		.into_iter()
		.map(|cmd| resolve_command(&cmd, search_path).map(|path| (cmd, path)))
		.collect::<Result<Vec<_>>>()?;
	let dir = root.join(key(definition_text, &binaries)?);
	let ids = para_ids(definition)?;
	if !is_complete(&dir, &ids) {
		if dir.exists() {
			eprintln!(
				"[zombienet] spec cache: {} is unfinished or damaged; rebuilding it",
				dir.display()
			);
			fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
		}
		return Ok(Lookup::Miss(dir));
	}
	let path_of = |name: String| toml::Value::String(dir.join(name).display().to_string());
	let relay = definition
		.get_mut("relaychain")
		.and_then(toml::Value::as_table_mut)
		.ok_or_else(|| anyhow!("the definition has no [relaychain]"))?;
	relay.insert("chain_spec_path".into(), path_of(RELAY_SPEC.into()));
	if let Some(paras) = definition.get_mut("parachains").and_then(toml::Value::as_array_mut) {
		for (para, id) in paras.iter_mut().zip(&ids) {
			let para = para
				.as_table_mut()
				.ok_or_else(|| anyhow!("a [[parachains]] entry is not a table"))?;
			para.insert("chain_spec_path".into(), path_of(para_spec(*id)));
			para.insert("genesis_state_path".into(), path_of(genesis_state(*id)));
			para.insert("genesis_wasm_path".into(), path_of(genesis_wasm(*id)));
		}
	}
	Ok(Lookup::Hit(dir))
}

/// The files of a spawned network to keep: the relay chain's raw spec, and per parachain its
/// raw spec and genesis state and wasm.
pub struct Built {
	pub relay_spec: PathBuf,
	pub paras: Vec<(u32, PathBuf, PathBuf, PathBuf)>,
}

/// A raw chain spec as kept: the same JSON without boot nodes.
fn without_boot_nodes(path: &Path) -> Result<Vec<u8>> {
	let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
	let mut spec: serde_json::Value = serde_json::from_slice(&bytes)
		.with_context(|| format!("{} is not JSON", path.display()))?;
	if spec.pointer("/genesis/raw/top").is_none() {
		bail!("{} is not a raw chain spec", path.display());
	}
	if let Some(nodes) = spec.get_mut("bootNodes") {
		*nodes = serde_json::Value::Array(Vec::new());
	}
	Ok(serde_json::to_vec(&spec)?)
}

/// Keeps what a spawn built as the entry `dir`: written into a temporary folder beside it, the
/// marker last, then renamed into place, so a reader sees a whole entry or none.
pub fn store(dir: &Path, built: &Built) -> Result<()> {
	let parent = dir.parent().ok_or_else(|| anyhow!("{} has no parent", dir.display()))?;
	fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
	let tmp = parent.join(format!(
		".{}.{}",
		dir.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
		std::process::id()
	));
	if tmp.exists() {
		fs::remove_dir_all(&tmp)?;
	}
	fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
	let result = (|| -> Result<()> {
		fs::write(tmp.join(RELAY_SPEC), without_boot_nodes(&built.relay_spec)?)?;
		for (id, spec, state, wasm) in &built.paras {
			fs::write(tmp.join(para_spec(*id)), without_boot_nodes(spec)?)?;
			for (from, to) in [(state, genesis_state(*id)), (wasm, genesis_wasm(*id))] {
				fs::copy(from, tmp.join(to))
					.with_context(|| format!("copying {}", from.display()))?;
			}
		}
		fs::write(tmp.join(COMPLETE), b"")?;
		match fs::rename(&tmp, dir) {
			Ok(()) => Ok(()),
			// Another spawn kept the same entry first: theirs stands.
			Err(_) if dir.join(COMPLETE).is_file() => Ok(()),
			Err(e) => Err(e).with_context(|| format!("moving the entry to {}", dir.display())),
		}
	})();
	if tmp.exists() {
		fs::remove_dir_all(&tmp).ok();
	}
	result
}

#[cfg(test)]
mod tests {
	use super::*;

	const DEFINITION: &str = r#"
[relaychain]
chain = "rococo-local"
default_command = "polkadot"

[[relaychain.nodes]]
name = "alice"

[[parachains]]
id = 1000
chain = "local"
default_command = "pouw-node"

[[parachains.collators]]
name = "collator-1"
command = "pouw-node"
"#;

	struct Scratch(PathBuf);
	impl Scratch {
		fn new(name: &str) -> Self {
			let dir =
				std::env::temp_dir().join(format!("pouw-spec-cache-{name}-{}", std::process::id()));
			fs::remove_dir_all(&dir).ok();
			fs::create_dir_all(dir.join("bin")).unwrap();
			fs::write(dir.join("bin/polkadot"), b"relay v1").unwrap();
			fs::write(dir.join("bin/pouw-node"), b"para v1").unwrap();
			Scratch(dir)
		}
		fn bin(&self) -> String {
			self.0.join("bin").display().to_string()
		}
		/// What a spawn leaves: raw specs with boot nodes, genesis files.
		fn built(&self) -> Built {
			let spawn = self.0.join("spawn");
			fs::create_dir_all(spawn.join("1000")).unwrap();
			let raw = r#"{"name":"x","bootNodes":["/ip4/127.0.0.1/tcp/1/p2p/x"],"genesis":{"raw":{"top":{"0x3a636f6465":"0x00"}}}}"#;
			fs::write(spawn.join("rococo-local.json"), raw).unwrap();
			fs::write(spawn.join("local.json"), raw).unwrap();
			fs::write(spawn.join("1000/genesis-state"), "0x1234").unwrap();
			fs::write(spawn.join("1000/genesis-wasm"), "0x0061736d").unwrap();
			Built {
				relay_spec: spawn.join("rococo-local.json"),
				paras: vec![(
					1000,
					spawn.join("local.json"),
					spawn.join("1000/genesis-state"),
					spawn.join("1000/genesis-wasm"),
				)],
			}
		}
	}
	impl Drop for Scratch {
		fn drop(&mut self) {
			fs::remove_dir_all(&self.0).ok();
		}
	}

	fn parse() -> toml::Table {
		DEFINITION.parse().unwrap()
	}

	#[test]
	fn finds_every_command_once() {
		assert_eq!(commands(&parse()), vec!["polkadot".to_string(), "pouw-node".to_string()]);
		assert_eq!(para_ids(&parse()).unwrap(), vec![1000]);
	}

	#[test]
	fn a_kept_entry_is_used_by_the_next_spawn() {
		let scratch = Scratch::new("hit");
		let root = scratch.0.join("cache");
		let mut first = parse();
		let miss = lookup(&root, DEFINITION, &mut first, &scratch.bin()).unwrap();
		assert!(matches!(miss, Lookup::Miss(_)));
		assert_eq!(first, parse(), "a miss leaves the definition as it is");
		store(miss.dir(), &scratch.built()).unwrap();

		let mut second = parse();
		let hit = lookup(&root, DEFINITION, &mut second, &scratch.bin()).unwrap();
		assert_eq!(hit, Lookup::Hit(miss.dir().to_path_buf()));
		let relay = second["relaychain"].as_table().unwrap();
		let kept_spec = PathBuf::from(relay["chain_spec_path"].as_str().unwrap());
		let para = second["parachains"].as_array().unwrap()[0].as_table().unwrap();
		for field in ["chain_spec_path", "genesis_state_path", "genesis_wasm_path"] {
			assert!(Path::new(para[field].as_str().unwrap()).is_file(), "{field}");
		}
		// The kept spec is the built one without its boot nodes.
		let kept: serde_json::Value =
			serde_json::from_slice(&fs::read(kept_spec).unwrap()).unwrap();
		assert_eq!(kept["bootNodes"], serde_json::json!([]));
		assert_eq!(kept["genesis"]["raw"]["top"]["0x3a636f6465"], "0x00");
		assert_eq!(fs::read(para["genesis_state_path"].as_str().unwrap()).unwrap(), b"0x1234");
	}

	#[test]
	fn a_rebuilt_binary_or_an_edited_definition_misses() {
		let scratch = Scratch::new("stale");
		let root = scratch.0.join("cache");
		let mut def = parse();
		let first = lookup(&root, DEFINITION, &mut def, &scratch.bin()).unwrap();
		store(first.dir(), &scratch.built()).unwrap();

		fs::write(scratch.0.join("bin/pouw-node"), b"para v2").unwrap();
		let after_rebuild = lookup(&root, DEFINITION, &mut parse(), &scratch.bin()).unwrap();
		assert!(matches!(after_rebuild, Lookup::Miss(_)));
		assert_ne!(after_rebuild.dir(), first.dir());

		fs::write(scratch.0.join("bin/pouw-node"), b"para v1").unwrap();
		let edited = DEFINITION.replace("alice", "dave");
		let after_edit =
			lookup(&root, &edited, &mut edited.parse().unwrap(), &scratch.bin()).unwrap();
		assert!(matches!(after_edit, Lookup::Miss(_)));
		// Back to the same binary and text: the first entry again.
		let again = lookup(&root, DEFINITION, &mut parse(), &scratch.bin()).unwrap();
		assert_eq!(again, Lookup::Hit(first.dir().to_path_buf()));
	}

	#[test]
	fn a_damaged_or_unfinished_entry_is_rebuilt_not_used() {
		let scratch = Scratch::new("damaged");
		let root = scratch.0.join("cache");
		let first = lookup(&root, DEFINITION, &mut parse(), &scratch.bin()).unwrap();
		store(first.dir(), &scratch.built()).unwrap();
		// A truncated spec (a disk that filled up, a killed copy).
		fs::write(first.dir().join(RELAY_SPEC), b"{\"genesis\":").unwrap();
		let mut def = parse();
		let damaged = lookup(&root, DEFINITION, &mut def, &scratch.bin()).unwrap();
		assert!(matches!(damaged, Lookup::Miss(_)));
		assert_eq!(def, parse());
		assert!(!first.dir().exists(), "the damaged entry is removed");

		// Files without the marker: a store that was cut off.
		store(first.dir(), &scratch.built()).unwrap();
		fs::remove_file(first.dir().join(COMPLETE)).unwrap();
		assert!(matches!(
			lookup(&root, DEFINITION, &mut parse(), &scratch.bin()).unwrap(),
			Lookup::Miss(_)
		));
	}

	#[test]
	fn a_spec_that_is_not_raw_is_not_kept() {
		let scratch = Scratch::new("plain");
		let built = scratch.built();
		fs::write(&built.relay_spec, r#"{"genesis":{"runtimeGenesis":{}}}"#).unwrap();
		let dir = scratch.0.join("cache/entry");
		let err = store(&dir, &built).unwrap_err();
		assert!(format!("{err:#}").contains("not a raw chain spec"), "{err:#}");
		assert!(!dir.exists());
		assert!(fs::read_dir(scratch.0.join("cache")).unwrap().next().is_none(), "no leftovers");
	}

	#[test]
	fn a_missing_binary_is_named() {
		let scratch = Scratch::new("missing");
		fs::remove_file(scratch.0.join("bin/polkadot")).unwrap();
		let err =
			lookup(&scratch.0.join("cache"), DEFINITION, &mut parse(), &scratch.bin()).unwrap_err();
		assert!(format!("{err:#}").contains("polkadot not found"), "{err:#}");
	}
}
