//! The content-addressed store: `blobs/<blake2-256 hex>` under the data dir.

use pouw_primitives::{commitment::content_hash, Hash256};
use std::{
	io::{self, Write},
	path::{Path, PathBuf},
	sync::atomic::{AtomicU64, Ordering},
};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A content-addressed blob store under a directory.
#[derive(Clone, Debug)]
pub struct ArtifactStore {
	root: PathBuf,
}

impl ArtifactStore {
	/// Opens (creating if needed) the store under `dir`.
	pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
		let root = dir.into();
		std::fs::create_dir_all(root.join("blobs"))?;
		std::fs::create_dir_all(root.join("tmp"))?;
		Ok(Self { root })
	}

	/// Where the blob with `hash` lives (whether or not it is there).
	pub fn path(&self, hash: &Hash256) -> PathBuf {
		self.root.join("blobs").join(hex::encode(hash))
	}

	/// Whether the blob is stored.
	pub fn contains(&self, hash: &Hash256) -> bool {
		self.path(hash).is_file()
	}

	/// A fresh temporary path inside the store (same filesystem, so a rename is atomic).
	pub(super) fn temp_path(&self) -> PathBuf {
		let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
		let nanos = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.subsec_nanos())
			.unwrap_or(0);
		self.root.join("tmp").join(format!("{}-{n}-{nanos}", std::process::id()))
	}

	/// Where the bytes of an interrupted download of `hash` wait for the next attempt.
	pub(super) fn partial_path(&self, hash: &Hash256) -> PathBuf {
		self.root.join("tmp").join(format!("partial-{}", hex::encode(hash)))
	}

	/// Stores `bytes` and returns their hash. Atomic: a crash leaves either the whole blob or none.
	pub fn put(&self, bytes: &[u8]) -> io::Result<Hash256> {
		let hash = content_hash(bytes);
		if !self.contains(&hash) {
			let tmp = self.temp_path();
			let mut f = std::fs::File::create(&tmp)?;
			f.write_all(bytes)?;
			f.sync_all()?;
			std::fs::rename(&tmp, self.path(&hash))?;
		}
		Ok(hash)
	}

	/// Stores a copy of the file at `path` and returns its hash.
	pub fn put_file(&self, path: &Path) -> io::Result<Hash256> {
		self.put(&std::fs::read(path)?)
	}

	/// The blob's bytes, re-verified against its name (a corrupted file reads as absent).
	pub fn get(&self, hash: &Hash256) -> io::Result<Option<Vec<u8>>> {
		match std::fs::read(self.path(hash)) {
			Ok(bytes) => Ok((&content_hash(&bytes) == hash).then_some(bytes)),
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e),
		}
	}
}
