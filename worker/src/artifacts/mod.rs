//! Content-addressed artifacts: a store in the data dir (`blobs/<blake2-256 hex>`), an HTTP server
//! for it (`GET /blob/<hex>`), and a client for `http(s)://` and `file://` URIs that streams the
//! bytes, stops at a size limit and a timeout, and verifies the hash before anything is kept:
//! bytes that do not match are deleted and reported.

mod fetch;
mod server;
mod store;

pub use fetch::{
	fetch, fetch_bytes, fetch_many, is_public, FetchError, FetchLimits, MAX_REDIRECTS,
};
pub use server::{bind, bind_with, parse_range, router, Ranged, ServerLimits};
pub use store::ArtifactStore;

use pouw_primitives::Hash256;

/// Bytes a blob is read, sent and hashed in.
const CHUNK: usize = 64 * 1024;

/// An incremental blake2-256, the same function as the chain's `blake2_256`.
pub struct Hasher(blake2b_simd::State);

impl Hasher {
	/// A fresh hasher.
	pub fn new() -> Self {
		Self(blake2b_simd::Params::new().hash_length(32).to_state())
	}
	/// Feeds bytes.
	pub fn update(&mut self, bytes: &[u8]) {
		self.0.update(bytes);
	}
	/// The digest.
	pub fn finish(&self) -> Hash256 {
		let mut out = [0u8; 32];
		out.copy_from_slice(self.0.finalize().as_bytes());
		out
	}
}

impl Default for Hasher {
	fn default() -> Self {
		Self::new()
	}
}

/// Parses a 64-digit hex hash, with or without `0x`.
pub fn parse_hash(s: &str) -> Option<Hash256> {
	let s = s.strip_prefix("0x").unwrap_or(s);
	let mut out = [0u8; 32];
	hex::decode_to_slice(s, &mut out).ok()?;
	Some(out)
}
