//! The client for URIs read from the chain: a fetch policy (schemes, hosts, redirects, sizes,
//! time), streaming to disk, resuming, and the hash checked before anything is kept.

use futures_util::StreamExt;
use pouw_primitives::Hash256;
use std::{
	io,
	net::SocketAddr,
	path::{Path, PathBuf},
	time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{ArtifactStore, Hasher, CHUNK};

impl FetchError {
	/// Whether the transfer was cut short (a timeout, a lost connection) rather than refused:
	/// then its bytes so far are kept for the next attempt to continue.
	pub fn is_interruption(&self) -> bool {
		matches!(self, FetchError::Timeout { .. } | FetchError::Unreachable { .. })
	}
}

/// Limits on a download.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
	/// Most bytes accepted.
	pub max_bytes: u64,
	/// Time to connect.
	pub connect_timeout: Duration,
	/// Time for the whole transfer.
	pub timeout: Duration,
	/// Whether hosts that resolve to a loopback, private, link-local (cloud metadata),
	/// shared or otherwise non-public address may be fetched from. Off for URIs from the chain:
	/// a stranger's URI must not reach the fetcher's own machine or network (`pouw ... run
	/// --allow-private-hosts` for a local testnet).
	pub allow_private: bool,
	/// Whether `file://` URIs may be read. Off for URIs from the chain: a stranger's URI must
	/// not read the fetcher's files (`--allow-file-uris` when every role runs on one machine).
	pub allow_file: bool,
}

impl Default for FetchLimits {
	fn default() -> Self {
		Self {
			max_bytes: 512 * 1024 * 1024,
			connect_timeout: Duration::from_secs(10),
			timeout: Duration::from_secs(300),
			allow_private: false,
			allow_file: false,
		}
	}
}

/// Whether `ip` is an address of the public internet: not loopback, private, link-local (which
/// holds the cloud metadata address 169.254.169.254), shared (carrier-grade NAT), unspecified,
/// broadcast, multicast, documentation, benchmarking or reserved. An IPv6 address that carries
/// an IPv4 address a gateway would reach is judged by that IPv4 address: IPv4-mapped and
/// -compatible, NAT64 (`64:ff9b::/96`, so `64:ff9b::7f00:1` is 127.0.0.1 behind a NAT64
/// gateway) and 6to4 (`2002::/16`). Local-use NAT64 (`64:ff9b:1::/48`), Teredo (`2001::/32`,
/// its IPv4 address obfuscated), the old site-local range (`fec0::/10`) and the discard prefix
/// (`100::/64`) are never public.
pub fn is_public(ip: std::net::IpAddr) -> bool {
	use std::net::{IpAddr, Ipv4Addr};
	fn v4(ip: Ipv4Addr) -> bool {
		let [a, b, c, _] = ip.octets();
		!(ip.is_loopback()
			|| ip.is_private()
			|| ip.is_link_local()
			|| ip.is_unspecified()
			|| ip.is_broadcast()
			|| ip.is_multicast()
			|| ip.is_documentation()
			|| a == 0 || (a == 100 && (64..128).contains(&b))
			|| (a == 192 && b == 0 && c == 0)
			|| (a == 198 && (18..20).contains(&b))
			|| a >= 240)
	}
	match ip {
		IpAddr::V4(ip) => v4(ip),
		IpAddr::V6(ip) => {
			if let Some(mapped) = ip.to_ipv4() {
				return v4(mapped);
			}
			let seg = ip.segments();
			let embedded = |hi: u16, lo: u16| {
				let [a, b] = hi.to_be_bytes();
				let [c, d] = lo.to_be_bytes();
				v4(Ipv4Addr::new(a, b, c, d))
			};
			if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
				return embedded(seg[6], seg[7]);
			}
			if seg[0] == 0x2002 {
				return embedded(seg[1], seg[2]);
			}
			let first = seg[0];
			!(ip.is_loopback()
				|| ip.is_unspecified()
				|| ip.is_multicast()
				|| (first & 0xfe00) == 0xfc00
				|| (first & 0xffc0) == 0xfe80
				|| (first & 0xffc0) == 0xfec0
				|| seg[..3] == [0x64, 0xff9b, 1]
				|| seg[..4] == [0x100, 0, 0, 0]
				|| first == 0x2001 && (seg[1] == 0x0db8 || seg[1] == 0))
		},
	}
}

/// Why a download failed. Nothing is kept in any case.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	/// The URI is neither `http(s)://` nor `file://`.
	#[error("unsupported URI '{0}': use http://, https:// or file://")]
	UnsupportedUri(String),
	/// A `file://` URI while they are not allowed ([`FetchLimits::allow_file`]).
	#[error("{0}: file:// URIs are refused (a URI from the chain must not read local files; --allow-file-uris when every role runs on this machine)")]
	FileRefused(String),
	/// The host resolves to a non-public address while those are not allowed
	/// ([`FetchLimits::allow_private`]).
	#[error("{uri}: {host} resolves to {addr}, not a public address (refused; --allow-private-hosts on a local testnet)")]
	PrivateAddress {
		/// The URI.
		uri: String,
		/// Its host.
		host: String,
		/// The address it resolved to.
		addr: std::net::IpAddr,
	},
	/// The server could not be reached, or the file opened.
	#[error("cannot reach {uri}: {reason}")]
	Unreachable {
		/// The URI.
		uri: String,
		/// Why.
		reason: String,
	},
	/// The server redirected to another origin (scheme, host or port), or more than
	/// [`MAX_REDIRECTS`] times: a URI from the chain must not steer us to a machine it does not
	/// name (a redirect to 127.0.0.1 or a cloud metadata address, say).
	#[error("{uri}: redirect refused ({reason})")]
	RedirectRefused {
		/// The URI.
		uri: String,
		/// Where it tried to send us, or why not.
		reason: String,
	},
	/// The server answered with an error status.
	#[error("{uri} answered {status}")]
	Status {
		/// The URI.
		uri: String,
		/// HTTP status.
		status: u16,
	},
	/// More bytes than the limit.
	#[error("{uri} is larger than the {limit}-byte limit")]
	TooLarge {
		/// The URI.
		uri: String,
		/// The limit.
		limit: u64,
	},
	/// The transfer did not finish in time.
	#[error("{uri} timed out")]
	Timeout {
		/// The URI.
		uri: String,
	},
	/// The bytes do not hash to the expected value; they were deleted.
	#[error("{uri}: hash mismatch, expected {expected}, got {actual}; the bytes were deleted")]
	HashMismatch {
		/// The URI.
		uri: String,
		/// Expected, hex.
		expected: String,
		/// Actual, hex.
		actual: String,
	},
	/// A local I/O error while storing.
	#[error("I/O error: {0}")]
	Io(#[from] io::Error),
}

/// Streams `uri` into a temporary file of `store`, hashing as it goes, within `limits`; keeps it
/// as a blob only if it hashes to `expected`, and returns the blob's path. Already-stored blobs
/// are returned without a download. A download cut short (a timeout, a lost connection) keeps
/// its bytes, and the next fetch of the same hash asks an `http(s)` server only for the rest
/// (`Range`); the hash is checked over the whole, so a wrong prefix costs one more download.
pub async fn fetch(
	store: &ArtifactStore,
	uri: &str,
	expected: &Hash256,
	limits: FetchLimits,
) -> Result<PathBuf, FetchError> {
	if store.get(expected)?.is_some() {
		return Ok(store.path(expected));
	}
	let tmp = store.temp_path();
	// Taken by a rename, so two fetches of the same hash never share a file.
	let resume = std::fs::rename(store.partial_path(expected), &tmp).is_ok();
	let result = tokio::time::timeout(limits.timeout, download(uri, &tmp, limits, resume)).await;
	let outcome = match result {
		Err(_) => Err(FetchError::Timeout { uri: uri.into() }),
		Ok(Err(e)) => Err(e),
		Ok(Ok(actual)) if &actual != expected => Err(FetchError::HashMismatch {
			uri: uri.into(),
			expected: hex::encode(expected),
			actual: hex::encode(actual),
		}),
		Ok(Ok(_)) => {
			tokio::fs::rename(&tmp, store.path(expected)).await?;
			return Ok(store.path(expected));
		},
	};
	let kept = match &outcome {
		Err(e) if e.is_interruption() && uri.starts_with("http") => {
			let has_bytes = tokio::fs::metadata(&tmp).await.is_ok_and(|m| m.len() > 0);
			has_bytes && tokio::fs::rename(&tmp, store.partial_path(expected)).await.is_ok()
		},
		_ => false,
	};
	if !kept {
		let _ = tokio::fs::remove_file(&tmp).await;
	}
	outcome
}

/// [`fetch`] of each request, `at_once` at a time (at least one), results in the requests' order:
/// a few stalling servers cost one timeout, not one each (an evaluator fetching 64 revealed
/// models one after another from servers that stall could spend hours on them).
pub async fn fetch_many(
	store: &ArtifactStore,
	requests: Vec<(String, Hash256, FetchLimits)>,
	at_once: usize,
) -> Vec<Result<PathBuf, FetchError>> {
	use futures_util::stream::{self, StreamExt};
	stream::iter(requests)
		.map(|(uri, hash, limits)| async move { fetch(store, &uri, &hash, limits).await })
		.buffered(at_once.max(1))
		.collect()
		.await
}

/// Like [`fetch`], returning the verified bytes.
pub async fn fetch_bytes(
	store: &ArtifactStore,
	uri: &str,
	expected: &Hash256,
	limits: FetchLimits,
) -> Result<Vec<u8>, FetchError> {
	let path = fetch(store, uri, expected, limits).await?;
	Ok(tokio::fs::read(path).await?)
}

/// Redirects a download follows at most, all within the URI's own origin.
pub const MAX_REDIRECTS: usize = 5;

/// Follows a redirect only to the first URI's origin (scheme, host and port), at most
/// [`MAX_REDIRECTS`] times.
fn same_origin_redirects() -> reqwest::redirect::Policy {
	reqwest::redirect::Policy::custom(|attempt| {
		let first = attempt.previous().first().map(|u| u.origin());
		if attempt.previous().len() > MAX_REDIRECTS {
			let message = format!("more than {MAX_REDIRECTS} redirects");
			attempt.error(message)
		} else if first.is_some_and(|origin| origin == attempt.url().origin()) {
			attempt.follow()
		} else {
			let message = format!("to another origin: {}", attempt.url());
			attempt.error(message)
		}
	})
}

/// `dest`'s bytes so far (a download to continue), hashed, and the file open for appending.
async fn continue_file(dest: &Path) -> io::Result<(tokio::fs::File, Hasher, u64)> {
	let mut file = tokio::fs::OpenOptions::new().read(true).write(true).open(dest).await?;
	let mut hasher = Hasher::new();
	let mut length = 0u64;
	let mut buf = vec![0u8; CHUNK];
	loop {
		let n = file.read(&mut buf).await?;
		if n == 0 {
			break;
		}
		hasher.update(&buf[..n]);
		length += n as u64;
	}
	Ok((file, hasher, length))
}

/// Whether `response` (to a request for the bytes from `from` on) continues them: a 206 whose
/// `Content-Range` starts there.
fn continues_at(response: &reqwest::Response, from: u64) -> bool {
	response.status() == reqwest::StatusCode::PARTIAL_CONTENT
		&& response
			.headers()
			.get(reqwest::header::CONTENT_RANGE)
			.and_then(|v| v.to_str().ok())
			.and_then(|v| v.strip_prefix("bytes "))
			.and_then(|v| v.split_once('-'))
			.is_some_and(|(start, _)| start.trim() == from.to_string())
}

/// Copies `uri` to `dest` and returns the hash of what was written. With `resume`, `dest`
/// holds the first bytes already and an `http(s)` server is asked for the rest.
async fn download(
	uri: &str,
	dest: &Path,
	limits: FetchLimits,
	resume: bool,
) -> Result<Hash256, FetchError> {
	let too_large = || FetchError::TooLarge { uri: uri.into(), limit: limits.max_bytes };
	let (mut out, mut hasher, mut written) = match resume {
		true if uri.starts_with("http") => continue_file(dest).await?,
		_ => (tokio::fs::File::create(dest).await?, Hasher::new(), 0),
	};
	if let Some(path) = uri.strip_prefix("file://") {
		if !limits.allow_file {
			return Err(FetchError::FileRefused(uri.into()));
		}
		let mut file = tokio::fs::File::open(path)
			.await
			.map_err(|e| FetchError::Unreachable { uri: uri.into(), reason: e.to_string() })?;
		let mut buf = vec![0u8; 64 * 1024];
		loop {
			let n = file.read(&mut buf).await?;
			if n == 0 {
				break;
			}
			written += n as u64;
			if written > limits.max_bytes {
				return Err(too_large());
			}
			hasher.update(&buf[..n]);
			tokio::io::AsyncWriteExt::write_all(&mut out, &buf[..n]).await?;
		}
	} else if uri.starts_with("http://") || uri.starts_with("https://") {
		let unreachable = |reason: String| FetchError::Unreachable { uri: uri.into(), reason };
		let url = reqwest::Url::parse(uri).map_err(|e| unreachable(e.to_string()))?;
		let host = url.host_str().ok_or_else(|| unreachable("no host".into()))?.to_owned();
		let port = url.port_or_known_default().ok_or_else(|| unreachable("no port".into()))?;
		// Resolve once, check every address, and connect only to those (no second lookup
		// that a rebinding DNS server could answer differently). Redirects stay on this
		// origin, so this host.
		let bare = host.trim_start_matches('[').trim_end_matches(']');
		let addrs: Vec<SocketAddr> =
			tokio::time::timeout(limits.connect_timeout, tokio::net::lookup_host((bare, port)))
				.await
				.map_err(|_| FetchError::Timeout { uri: uri.into() })?
				.map_err(|e| unreachable(format!("resolving {host}: {e}")))?
				.collect();
		if !limits.allow_private {
			if let Some(private) = addrs.iter().find(|a| !is_public(a.ip())) {
				return Err(FetchError::PrivateAddress {
					uri: uri.into(),
					host,
					addr: private.ip(),
				});
			}
		}
		let client = reqwest::Client::builder()
			.connect_timeout(limits.connect_timeout)
			.timeout(limits.timeout)
			.redirect(same_origin_redirects())
			.resolve_to_addrs(bare, &addrs)
			.build()
			.map_err(|e| unreachable(e.to_string()))?;
		let send_error = |e: reqwest::Error| {
			if e.is_redirect() {
				let reason = std::error::Error::source(&e)
					.map_or_else(|| e.to_string(), |inner| inner.to_string());
				FetchError::RedirectRefused { uri: uri.into(), reason }
			} else if e.is_timeout() {
				FetchError::Timeout { uri: uri.into() }
			} else {
				FetchError::Unreachable { uri: uri.into(), reason: e.to_string() }
			}
		};
		let mut request = client.get(uri);
		if written > 0 {
			request = request.header(reqwest::header::RANGE, format!("bytes={written}-"));
		}
		let mut response = request.send().await.map_err(send_error)?;
		if written > 0 && !continues_at(&response, written) {
			// The server sends the whole (it ignores ranges) or cannot continue (416: what we
			// hold is not a prefix of what it has): start over.
			tracing::debug!(uri, status = %response.status(), "cannot continue the download");
			let partial = response.status() == reqwest::StatusCode::PARTIAL_CONTENT;
			if partial || !response.status().is_success() {
				response = client.get(uri).send().await.map_err(send_error)?;
			}
			out.set_len(0).await?;
			out.seek(io::SeekFrom::Start(0)).await?;
			hasher = Hasher::new();
			written = 0;
		}
		if !response.status().is_success() {
			return Err(FetchError::Status { uri: uri.into(), status: response.status().as_u16() });
		}
		if response.content_length().is_some_and(|n| written.saturating_add(n) > limits.max_bytes) {
			return Err(too_large());
		}
		let mut body = response.bytes_stream();
		while let Some(chunk) = body.next().await {
			let chunk = chunk.map_err(|e| {
				if e.is_timeout() {
					FetchError::Timeout { uri: uri.into() }
				} else {
					FetchError::Unreachable { uri: uri.into(), reason: e.to_string() }
				}
			})?;
			written += chunk.len() as u64;
			if written > limits.max_bytes {
				return Err(too_large());
			}
			hasher.update(&chunk);
			tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await?;
		}
	} else {
		return Err(FetchError::UnsupportedUri(uri.into()));
	}
	tokio::io::AsyncWriteExt::flush(&mut out).await?;
	out.sync_all().await?;
	Ok(hasher.finish())
}
