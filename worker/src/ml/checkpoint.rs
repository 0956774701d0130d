//! Training checkpoints: a training killed at any point (SIGKILL, power loss) resumes from its
//! last finished epoch and ends with the same weights, byte for byte, as a run never interrupted.
//!
//! After every epoch [`super::training::train_with`] writes `epoch-NNNNNN/` under the run's
//! folder: the network's weights (safetensors), the optimiser's state (burn's burnpack, keyed by
//! parameter ids), the best weights so far, and `state.json` (counters, losses as exact bit
//! patterns, the parameter ids in module order, a fingerprint of everything the run depends
//! on). A checkpoint is written to a temporary folder and renamed, so a kill mid-write leaves
//! the previous one whole; the newest `keep` are kept. A checkpoint whose fingerprint differs
//! (other data, spec, hyperparameters, parent or backend) is never resumed from.
//!
//! The batch order needs no saving: it is the seed's SplitMix64 stream, replayed on resume (and
//! checked against the saved generator state).

use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Format version of `state.json`.
pub(crate) const VERSION: u32 = 1;
const STATE: &str = "state.json";
const NETWORK: &str = "network.safetensors";
const BEST: &str = "best.safetensors";
const OPTIMIZER: &str = "optimizer.bpk";

/// Where a run's checkpoints live and how many are kept.
#[derive(Clone, Debug)]
pub struct Checkpoints {
	dir: PathBuf,
	keep: usize,
	identity: Vec<u8>,
}

/// The best epoch so far, as saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedBest {
	/// 1-based epoch.
	pub epoch: usize,
	/// Validation loss, `f64::to_bits`.
	pub loss_bits: u64,
	/// Validation accuracy, `f64::to_bits`.
	pub accuracy_bits: Option<u64>,
}

/// The counters of a run after an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saved {
	/// Format version.
	pub version: u32,
	/// Hex fingerprint of what the run depends on.
	pub fingerprint: String,
	/// Epochs finished.
	pub epoch: usize,
	/// Optimiser steps taken.
	pub step: usize,
	/// Epochs since the best validation loss.
	pub since_best: usize,
	/// Samples trained on so far.
	pub trained_samples: usize,
	/// Mean training loss of the last epoch, `f64::to_bits`.
	pub train_loss_bits: u64,
	/// Seconds of training so far.
	pub seconds: f64,
	/// The best epoch so far (with a validation split).
	pub best: Option<SavedBest>,
	/// Early stopping ended the run at this epoch.
	#[serde(default)]
	pub stopped: bool,
	/// The network's parameter ids in module order: the optimiser's state is keyed by them.
	pub param_ids: Vec<u64>,
	/// The batch-order generator's state after this epoch's shuffle.
	pub rng: u64,
}

/// A checkpoint read back.
pub struct Loaded {
	/// The counters.
	pub saved: Saved,
	/// The network's weights (safetensors).
	pub network: Vec<u8>,
	/// The best weights so far (safetensors), when there is a best epoch.
	pub best: Option<Vec<u8>>,
	/// The optimiser state file.
	pub optimizer: PathBuf,
}

impl Checkpoints {
	/// Checkpoints under `dir`, the newest `keep` (at least 1) kept. `identity` names what the
	/// caller knows the run depends on beyond the spec, hyperparameters and parent (which
	/// training adds): the data's hash and the backend.
	pub fn new(dir: impl Into<PathBuf>, keep: usize, identity: impl AsRef<[u8]>) -> Self {
		Self { dir: dir.into(), keep: keep.max(1), identity: identity.as_ref().to_vec() }
	}

	/// The folder.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// The fingerprint of a run: the caller's identity plus `parts`.
	pub fn fingerprint(&self, parts: &[&[u8]]) -> String {
		let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
		state.update(b"pouw-checkpoint-v1");
		for part in std::iter::once(self.identity.as_slice()).chain(parts.iter().copied()) {
			state.update(&(part.len() as u64).to_le_bytes());
			state.update(part);
		}
		hex::encode(state.finalize().as_bytes())
	}

	/// Finished checkpoints, newest first.
	fn epochs(&self) -> Vec<(usize, PathBuf)> {
		let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
		let mut found: Vec<(usize, PathBuf)> = entries
			.filter_map(|e| e.ok())
			.filter_map(|e| {
				let name = e.file_name();
				let epoch = name.to_str()?.strip_prefix("epoch-")?.parse().ok()?;
				Some((epoch, e.path()))
			})
			.collect();
		found.sort_by_key(|e| std::cmp::Reverse(e.0));
		found
	}

	/// The newest readable checkpoint with this fingerprint, if any. Unreadable or foreign ones
	/// are skipped with a log line (an older one may still serve).
	pub fn latest(&self, fingerprint: &str) -> Option<Loaded> {
		for (epoch, path) in self.epochs() {
			match read(&path) {
				Ok(loaded) if loaded.saved.version != VERSION => {
					tracing::warn!(epoch, dir = %path.display(), "checkpoint of another format");
				},
				Ok(loaded) if loaded.saved.fingerprint != fingerprint => {
					tracing::warn!(
						epoch,
						dir = %path.display(),
						"checkpoint of another run (data, model, hyperparameters or backend differ); not resumed from"
					);
				},
				Ok(loaded) => return Some(loaded),
				Err(e) => {
					tracing::warn!(epoch, dir = %path.display(), "unreadable checkpoint: {e:#}")
				},
			}
		}
		None
	}

	/// Writes the checkpoint of `saved.epoch` (the optimiser by `write_optimizer`, given the file
	/// to write) and drops the oldest beyond `keep`.
	pub fn save(
		&self,
		saved: &Saved,
		network: &[u8],
		best: Option<&[u8]>,
		write_optimizer: impl FnOnce(&Path) -> Result<()>,
	) -> Result<()> {
		create_private_dir(&self.dir)?;
		let name = format!("epoch-{:06}", saved.epoch);
		let tmp = self.dir.join(format!(".{name}.tmp"));
		let _ = std::fs::remove_dir_all(&tmp);
		create_private_dir(&tmp)?;
		write_synced(&tmp.join(NETWORK), network)?;
		if let Some(best) = best {
			write_synced(&tmp.join(BEST), best)?;
		}
		write_optimizer(&tmp.join(OPTIMIZER))?;
		write_synced(&tmp.join(STATE), &serde_json::to_vec_pretty(saved)?)?;
		let path = self.dir.join(&name);
		let _ = std::fs::remove_dir_all(&path);
		std::fs::rename(&tmp, &path)
			.with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
		if let Ok(dir) = std::fs::File::open(&self.dir) {
			let _ = dir.sync_all();
		}
		for (_, old) in self.epochs().into_iter().skip(self.keep) {
			let _ = std::fs::remove_dir_all(old);
		}
		Ok(())
	}

	/// Removes the checkpoints folder `dir` of a run (once its result is safely stored
	/// elsewhere); a folder that is not there is fine.
	pub fn remove(dir: &Path) -> Result<()> {
		match std::fs::remove_dir_all(dir) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				Err(e).with_context(|| format!("removing {}", dir.display()))
			},
			_ => Ok(()),
		}
	}
}

fn read(dir: &Path) -> Result<Loaded> {
	let state = std::fs::read(dir.join(STATE))?;
	let saved: Saved = serde_json::from_slice(&state).context("state.json")?;
	let network = std::fs::read(dir.join(NETWORK)).context(NETWORK)?;
	let best = match saved.best {
		Some(_) => Some(std::fs::read(dir.join(BEST)).context(BEST)?),
		None => None,
	};
	let optimizer = dir.join(OPTIMIZER);
	if !optimizer.is_file() {
		return Err(anyhow!("{OPTIMIZER} is missing"));
	}
	Ok(Loaded { saved, network, best, optimizer })
}

/// Creates `dir` (and its parents), readable by its owner only on Unix: a model not yet
/// committed is worth copying.
fn create_private_dir(dir: &Path) -> Result<()> {
	let mut builder = std::fs::DirBuilder::new();
	builder.recursive(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::DirBuilderExt;
		builder.mode(0o700);
	}
	builder.create(dir).with_context(|| format!("creating {}", dir.display()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
	use std::io::Write;
	let mut file =
		std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
	file.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
	file.sync_all().with_context(|| format!("syncing {}", path.display()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn saved(epoch: usize, fingerprint: &str) -> Saved {
		Saved {
			version: VERSION,
			fingerprint: fingerprint.into(),
			epoch,
			step: epoch * 10,
			since_best: 0,
			trained_samples: epoch * 100,
			train_loss_bits: 0.5f64.to_bits(),
			seconds: 1.0,
			best: None,
			stopped: false,
			param_ids: vec![1, 2],
			rng: 7,
		}
	}

	fn write(cp: &Checkpoints, s: &Saved) {
		cp.save(s, b"net", None, |p| Ok(std::fs::write(p, b"opt")?)).unwrap();
	}

	#[test]
	fn the_newest_matching_checkpoint_is_found_and_old_ones_are_dropped() {
		let dir = tempfile::tempdir().unwrap();
		let cp = Checkpoints::new(dir.path().join("run"), 2, b"data");
		let fp = cp.fingerprint(&[b"spec"]);
		assert_eq!(fp, cp.fingerprint(&[b"spec"]));
		assert_ne!(fp, cp.fingerprint(&[b"spec2"]), "the parts count");
		assert_ne!(fp, Checkpoints::new(dir.path(), 2, b"other").fingerprint(&[b"spec"]));
		// Length-prefixed: moving a byte between parts changes it.
		assert_ne!(cp.fingerprint(&[b"ab", b"c"]), cp.fingerprint(&[b"a", b"bc"]));
		assert!(cp.latest(&fp).is_none(), "nothing yet");
		for epoch in 1..=3 {
			write(&cp, &saved(epoch, &fp));
		}
		let loaded = cp.latest(&fp).unwrap();
		assert_eq!(loaded.saved, saved(3, &fp));
		assert_eq!(loaded.network, b"net");
		assert!(loaded.best.is_none());
		assert_eq!(cp.epochs().iter().map(|e| e.0).collect::<Vec<_>>(), vec![3, 2], "keep 2");
		// A checkpoint of another run is never resumed from.
		assert!(cp.latest("other").is_none());
		Checkpoints::remove(cp.dir()).unwrap();
		assert!(!cp.dir().exists());
		Checkpoints::remove(cp.dir()).unwrap();
	}

	#[test]
	fn a_half_written_or_damaged_checkpoint_falls_back_to_the_one_before() {
		let dir = tempfile::tempdir().unwrap();
		let cp = Checkpoints::new(dir.path(), 3, b"data");
		write(&cp, &saved(1, "f"));
		write(&cp, &saved(2, "f"));
		// Killed mid-write: the temporary folder of epoch 3 is not a checkpoint.
		std::fs::create_dir(dir.path().join(".epoch-000003.tmp")).unwrap();
		assert_eq!(cp.latest("f").unwrap().saved.epoch, 2);
		// Epoch 2's state damaged on disk: epoch 1 serves.
		std::fs::write(dir.path().join("epoch-000002").join(STATE), b"{").unwrap();
		assert_eq!(cp.latest("f").unwrap().saved.epoch, 1);
		// A best epoch whose weights are missing is unreadable too.
		let mut with_best = saved(4, "f");
		with_best.best = Some(SavedBest { epoch: 4, loss_bits: 0, accuracy_bits: None });
		write(&cp, &with_best);
		assert_eq!(cp.latest("f").unwrap().saved.epoch, 1);
		// Saving again over a stale temporary folder works.
		write(&cp, &saved(3, "f"));
		assert_eq!(cp.latest("f").unwrap().saved.epoch, 3);
	}

	#[cfg(unix)]
	#[test]
	fn checkpoints_are_readable_by_their_owner_only() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let cp = Checkpoints::new(dir.path().join("a/b"), 1, b"");
		write(&cp, &saved(1, "f"));
		for d in [cp.dir().to_path_buf(), cp.dir().join("epoch-000001")] {
			let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
			assert_eq!(mode, 0o700, "{}", d.display());
		}
	}
}
