//! The store's HTTP server: `GET /blob/<hex>`, streamed from disk, single ranges, a limit on
//! connections and their time.

use axum::{
	extract::{Path as UrlPath, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use std::{
	io::{self},
	net::SocketAddr,
	time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{parse_hash, ArtifactStore, CHUNK};

/// The part of a blob of `len` bytes a `Range` header asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranged {
	/// No usable range: the whole blob (a server may ignore a range it does not serve, such as
	/// several ranges at once).
	Whole,
	/// Bytes `start..=end`.
	Part {
		/// First byte.
		start: u64,
		/// Last byte (inclusive).
		end: u64,
	},
	/// A range wholly past the end: 416.
	Unsatisfiable,
}

/// Parses a single-range `Range: bytes=...` header for a blob of `len` bytes.
pub fn parse_range(header: Option<&str>, len: u64) -> Ranged {
	let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
		return Ranged::Whole;
	};
	if spec.contains(',') {
		return Ranged::Whole;
	}
	let Some((first, last)) = spec.split_once('-') else { return Ranged::Whole };
	let (first, last) = (first.trim(), last.trim());
	let number = |s: &str| -> Option<u64> {
		(!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
	};
	match (number(first), number(last)) {
		// The last `n` bytes.
		(None, Some(n)) if first.is_empty() => {
			if n == 0 || len == 0 {
				Ranged::Unsatisfiable
			} else {
				Ranged::Part { start: len - n.min(len), end: len - 1 }
			}
		},
		(Some(start), None) if last.is_empty() => {
			if start >= len {
				Ranged::Unsatisfiable
			} else {
				Ranged::Part { start, end: len - 1 }
			}
		},
		(Some(start), Some(end)) if start <= end => {
			if start >= len {
				Ranged::Unsatisfiable
			} else {
				Ranged::Part { start, end: end.min(len - 1) }
			}
		},
		_ => Ranged::Whole,
	}
}

/// `length` bytes of `file` from where it stands, as a body stream in [`CHUNK`]s; the stream
/// ends after a read error.
fn file_stream(
	file: tokio::fs::File,
	length: u64,
) -> impl futures_util::Stream<Item = io::Result<axum::body::Bytes>> {
	let reader = Some(file.take(length));
	futures_util::stream::unfold(reader, |reader| async move {
		let mut reader = reader?;
		let mut buf = vec![0u8; CHUNK];
		match reader.read(&mut buf).await {
			Ok(0) => None,
			Ok(n) => {
				buf.truncate(n);
				Some((Ok(axum::body::Bytes::from(buf)), Some(reader)))
			},
			Err(e) => Some((Err(e), None)),
		}
	})
}

async fn get_blob(
	State(store): State<ArtifactStore>,
	UrlPath(hex): UrlPath<String>,
	headers: axum::http::HeaderMap,
) -> Response {
	let Some(hash) = parse_hash(&hex) else {
		return (StatusCode::BAD_REQUEST, "not a 64-digit hex blake2-256 hash\n").into_response();
	};
	let opened = async {
		let mut file = tokio::fs::File::open(store.path(&hash)).await?;
		let len = file.metadata().await?.len();
		let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
		let ranged = parse_range(range, len);
		if let Ranged::Part { start, .. } = ranged {
			file.seek(io::SeekFrom::Start(start)).await?;
		}
		Ok::<_, io::Error>((file, len, ranged))
	};
	let (file, len, ranged) = match opened.await {
		Ok(found) => found,
		Err(e) if e.kind() == io::ErrorKind::NotFound => {
			return (StatusCode::NOT_FOUND, "no such blob\n").into_response();
		},
		Err(e) => {
			tracing::error!(%e, "reading blob");
			return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read blob\n").into_response();
		},
	};
	let (status, start, length) = match ranged {
		Ranged::Whole => (StatusCode::OK, 0, len),
		Ranged::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
		Ranged::Unsatisfiable => {
			let headers = [(header::CONTENT_RANGE, format!("bytes */{len}"))];
			return (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response();
		},
	};
	let body = axum::body::Body::from_stream(file_stream(file, length));
	let mut response = (status, body).into_response();
	let h = response.headers_mut();
	h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
	h.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
	h.insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
	if status == StatusCode::PARTIAL_CONTENT {
		let value = format!("bytes {start}-{}/{len}", start + length - 1);
		if let Ok(v) = header::HeaderValue::from_str(&value) {
			h.insert(header::CONTENT_RANGE, v);
		}
	}
	response
}

/// The HTTP routes: `GET /blob/<hex>` (200 with the bytes streamed from disk, 206 for a
/// `Range: bytes=...` request, 416 for a range past the end, 400 for a malformed hash, 404 if
/// absent) and `GET /health`.
pub fn router(store: ArtifactStore) -> Router {
	Router::new()
		.route("/blob/{hash}", get(get_blob))
		.route("/health", get(|| async { "ok\n" }))
		.with_state(store)
}

/// What the artifact server allows each client: anyone may connect to a worker's server.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
	/// Connections served at once; further ones wait in the listen queue.
	pub connections: usize,
	/// Time a client has to send a request's headers.
	pub header_timeout: Duration,
	/// Time a connection may stay open in all (a client that reads a blob slowly, or never,
	/// gives up its place after it).
	pub connection_timeout: Duration,
}

impl Default for ServerLimits {
	fn default() -> Self {
		Self {
			connections: 64,
			header_timeout: Duration::from_secs(10),
			connection_timeout: Duration::from_secs(600),
		}
	}
}

/// Binds `addr` and returns the bound address and the server future (port 0 picks a free port),
/// with [`ServerLimits::default`].
pub async fn bind(
	store: ArtifactStore,
	addr: SocketAddr,
) -> io::Result<(SocketAddr, impl std::future::Future<Output = io::Result<()>>)> {
	bind_with(store, addr, ServerLimits::default()).await
}

/// [`bind`] with explicit limits.
pub async fn bind_with(
	store: ArtifactStore,
	addr: SocketAddr,
	limits: ServerLimits,
) -> io::Result<(SocketAddr, impl std::future::Future<Output = io::Result<()>>)> {
	let listener = tokio::net::TcpListener::bind(addr).await?;
	let bound = listener.local_addr()?;
	Ok((bound, serve(listener, router(store), limits)))
}

/// Accepts connections while fewer than `limits.connections` are open, each served by hyper
/// with a header timeout and cut after the connection timeout.
async fn serve(
	listener: tokio::net::TcpListener,
	router: Router,
	limits: ServerLimits,
) -> io::Result<()> {
	let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.connections.max(1)));
	loop {
		let permit = permits.clone().acquire_owned().await.map_err(io::Error::other)?;
		let stream = match listener.accept().await {
			Ok((stream, _)) => stream,
			Err(e) => {
				// Out of file descriptors, say: wait a little rather than spin.
				tracing::warn!(%e, "accepting a connection");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			},
		};
		let service = hyper_util::service::TowerToHyperService::new(router.clone());
		tokio::spawn(async move {
			let _permit = permit;
			let mut builder = hyper::server::conn::http1::Builder::new();
			builder
				.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(limits.header_timeout);
			let connection =
				builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
			match tokio::time::timeout(limits.connection_timeout, connection).await {
				Err(_) => tracing::debug!("connection cut after its time limit"),
				Ok(Err(e)) => tracing::debug!(%e, "connection ended"),
				Ok(Ok(())) => {},
			}
		});
	}
}
