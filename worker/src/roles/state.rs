//! A role's durable state: one JSON file per task under `<data-dir>/state/`, written atomically
//! (temporary file, fsync, rename) before anything is submitted, so a daemon restarted at any
//! point knows its salts and commitments and still reveals. Salts are secrets until their
//! reveal, so the directory and its files are readable by their owner only (on Unix), whatever
//! the umask.

use anyhow::{Context, Result};
use serde::{de::DeserializeOwned, Serialize};
use std::{
	io::Write,
	path::{Path, PathBuf},
};

/// The state directory of one role.
#[derive(Clone, Debug)]
pub struct StateDir {
	dir: PathBuf,
}

impl StateDir {
	/// Opens (creating) `<data_dir>/state`, readable by its owner only.
	pub fn open(data_dir: &Path) -> Result<Self> {
		let dir = data_dir.join("state");
		std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
				.with_context(|| format!("restricting {}", dir.display()))?;
		}
		Ok(Self { dir })
	}

	fn path(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.json"))
	}

	/// Reads `name`, if present.
	pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
		let path = self.path(name);
		match std::fs::read(&path) {
			Ok(bytes) => Ok(Some(
				serde_json::from_slice(&bytes)
					.with_context(|| format!("{} is not valid state", path.display()))?,
			)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
		}
	}

	/// Writes `name` atomically and durably.
	pub fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
		let path = self.path(name);
		let tmp = self.dir.join(format!(".{name}.json.tmp"));
		let bytes = serde_json::to_vec_pretty(value)?;
		let mut options = std::fs::OpenOptions::new();
		options.write(true).create(true).truncate(true);
		#[cfg(unix)]
		{
			use std::os::unix::fs::OpenOptionsExt;
			options.mode(0o600);
		}
		let mut file = options.open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
		file.write_all(&bytes)?;
		file.sync_all()?;
		std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
		if let Ok(dir) = std::fs::File::open(&self.dir) {
			let _ = dir.sync_all();
		}
		Ok(())
	}

	/// Removes the record `name` (nothing when there is none).
	pub fn remove(&self, name: &str) -> Result<()> {
		match std::fs::remove_file(self.path(name)) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
			_ => Ok(()),
		}
	}

	/// How long ago the record `name` was last written.
	pub fn age(&self, name: &str) -> Result<std::time::Duration> {
		let modified = std::fs::metadata(self.path(name))?.modified()?;
		Ok(modified.elapsed().unwrap_or_default())
	}

	/// Names of every saved state.
	pub fn names(&self) -> Result<Vec<String>> {
		let mut out = Vec::new();
		for entry in std::fs::read_dir(&self.dir)? {
			let name = entry?.file_name().to_string_lossy().into_owned();
			if let Some(stem) = name.strip_suffix(".json") {
				if !stem.starts_with('.') {
					out.push(stem.to_string());
				}
			}
		}
		out.sort();
		Ok(out)
	}
}

/// `0x`-hex for 32-byte values in state files.
pub mod hex32 {
	use serde::{Deserialize, Deserializer, Serializer};

	/// Serializes as `0x…`.
	pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&format!("0x{}", hex::encode(v)))
	}

	/// Parses `0x…`.
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
		let s = String::deserialize(d)?;
		crate::artifacts::parse_hash(&s)
			.ok_or_else(|| serde::de::Error::custom(format!("not a 32-byte hex value: {s}")))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
	struct S {
		#[serde(with = "hex32")]
		salt: [u8; 32],
		step: String,
	}

	#[test]
	fn saves_loads_and_lists() {
		let dir = tempfile::tempdir().unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		assert_eq!(state.load::<S>("task-1").unwrap(), None);
		let value = S { salt: [7; 32], step: "committed".into() };
		state.save("task-1", &value).unwrap();
		assert_eq!(state.load::<S>("task-1").unwrap(), Some(value));
		assert_eq!(state.names().unwrap(), vec!["task-1".to_string()]);
	}

	#[cfg(unix)]
	#[test]
	fn state_holding_salts_is_readable_by_its_owner_only() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		// A lax directory left by an earlier version is tightened too.
		std::fs::create_dir(dir.path().join("state")).unwrap();
		std::fs::set_permissions(dir.path().join("state"), std::fs::Permissions::from_mode(0o755))
			.unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		state.save("task-3", &S { salt: [9; 32], step: "committed".into() }).unwrap();
		let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode(&dir.path().join("state")), 0o700);
		assert_eq!(mode(&dir.path().join("state/task-3.json")), 0o600);
	}

	#[test]
	fn corrupt_state_is_an_error_not_a_reset() {
		let dir = tempfile::tempdir().unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		std::fs::write(dir.path().join("state/task-2.json"), b"{not json").unwrap();
		let err = state.load::<S>("task-2").unwrap_err();
		assert!(err.to_string().contains("not valid state"), "{err}");
	}
}
