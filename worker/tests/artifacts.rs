//! The artifact store, its HTTP server and the verifying client, over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use pouw_primitives::commitment::content_hash;
use pouw_worker::artifacts::{self, ArtifactStore, FetchError, FetchLimits, Hasher};
use std::time::Duration;

/// The test servers run on loopback, and some tests read files: both allowed here (the
/// policy's own tests turn them off).
fn limits() -> FetchLimits {
	FetchLimits {
		max_bytes: 1 << 20,
		connect_timeout: Duration::from_secs(2),
		timeout: Duration::from_secs(5),
		allow_private: true,
		allow_file: true,
	}
}

/// What a daemon uses for URIs from the chain.
fn chain_policy() -> FetchLimits {
	FetchLimits { allow_private: false, allow_file: false, ..limits() }
}

/// Files left in the store's temporary directory (must be none after any fetch).
fn leftovers(dir: &std::path::Path) -> usize {
	std::fs::read_dir(dir.join("tmp")).unwrap().count()
}

#[test]
fn streaming_hash_is_the_chains_blake2_256() {
	let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
	let mut h = Hasher::new();
	for chunk in bytes.chunks(777) {
		h.update(chunk);
	}
	assert_eq!(h.finish(), content_hash(&bytes));
	assert_eq!(artifacts::parse_hash(&format!("0x{}", hex::encode(h.finish()))), Some(h.finish()));
	assert_eq!(artifacts::parse_hash("0x12"), None);
}

#[test]
fn store_is_content_addressed_and_spots_corruption() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let hash = store.put(b"weights").unwrap();
	assert_eq!(hash, content_hash(b"weights"));
	assert_eq!(store.get(&hash).unwrap().unwrap(), b"weights");
	assert_eq!(store.put(b"weights").unwrap(), hash, "idempotent");
	std::fs::write(store.path(&hash), b"tampered").unwrap();
	assert_eq!(store.get(&hash).unwrap(), None, "a corrupted blob reads as absent");
	assert_eq!(store.get(&[0; 32]).unwrap(), None);
}

#[tokio::test]
async fn serves_and_fetches_with_verification() {
	let served = tempfile::tempdir().unwrap();
	let server_store = ArtifactStore::open(served.path()).unwrap();
	let big = vec![7u8; 300_000];
	let hash = server_store.put(&big).unwrap();
	let (addr, server) =
		artifacts::bind(server_store, "127.0.0.1:0".parse().unwrap()).await.unwrap();
	tokio::spawn(server);
	let url = |h: &str| format!("http://{addr}/blob/{h}");

	// Good download: stored under its hash, nothing left in tmp.
	let mine = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(mine.path()).unwrap();
	let path = artifacts::fetch(&store, &url(&hex::encode(hash)), &hash, limits()).await.unwrap();
	assert_eq!(std::fs::read(&path).unwrap(), big);
	assert_eq!(leftovers(mine.path()), 0);

	// Bytes that do not match the expected hash are deleted and reported.
	let other = tempfile::tempdir().unwrap();
	let store2 = ArtifactStore::open(other.path()).unwrap();
	let wrong = content_hash(b"something else");
	let err =
		artifacts::fetch(&store2, &url(&hex::encode(hash)), &wrong, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::HashMismatch { .. }), "{err}");
	assert!(!store2.contains(&wrong) && !store2.contains(&hash));
	assert_eq!(leftovers(other.path()), 0);

	// Oversize download.
	let small = FetchLimits { max_bytes: 1000, ..limits() };
	let err = artifacts::fetch(&store2, &url(&hex::encode(hash)), &hash, small).await.unwrap_err();
	assert!(matches!(err, FetchError::TooLarge { limit: 1000, .. }), "{err}");
	assert_eq!(leftovers(other.path()), 0);

	// Missing blob, malformed hash.
	let absent = content_hash(b"absent");
	let err =
		artifacts::fetch(&store2, &url(&hex::encode(absent)), &absent, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::Status { status: 404, .. }), "{err}");
	let err = artifacts::fetch(&store2, &url("xyz"), &absent, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::Status { status: 400, .. }), "{err}");
}

#[tokio::test]
async fn unreachable_unsupported_and_file_uris() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let h = content_hash(b"x");
	// Nothing listens on a port we just bound and closed.
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let err = artifacts::fetch(&store, &format!("http://127.0.0.1:{port}/blob/00"), &h, limits())
		.await
		.unwrap_err();
	assert!(matches!(err, FetchError::Unreachable { .. }), "{err}");
	let err = artifacts::fetch(&store, "ftp://example/x", &h, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::UnsupportedUri(_)), "{err}");
	let err = artifacts::fetch(&store, "file:///nonexistent/pouw", &h, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::Unreachable { .. }), "{err}");

	let file = dir.path().join("data.csv");
	std::fs::write(&file, b"a,label\n1,0\n").unwrap();
	let good = content_hash(b"a,label\n1,0\n");
	let uri = format!("file://{}", file.display());
	let bytes = artifacts::fetch_bytes(&store, &uri, &good, limits()).await.unwrap();
	assert_eq!(bytes, b"a,label\n1,0\n");
	assert_eq!(leftovers(dir.path()), 0);
}

#[tokio::test]
async fn a_server_that_stalls_times_out() {
	// A listener that accepts and never answers.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((s, _)) = listener.accept().await {
			held.push(s);
		}
	});
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let quick = FetchLimits { timeout: Duration::from_millis(500), ..limits() };
	let err = artifacts::fetch(&store, &format!("http://{addr}/blob/00"), &[0; 32], quick)
		.await
		.unwrap_err();
	assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
	assert_eq!(leftovers(dir.path()), 0);
}

#[tokio::test]
async fn many_stalling_servers_are_waited_for_together_within_the_bound() {
	// A listener that accepts, counts and never answers: 16 models "served" by it.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let count = accepted.clone();
	tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((s, _)) = listener.accept().await {
			count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
			held.push(s);
		}
	});
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let quick = FetchLimits { timeout: Duration::from_millis(800), ..limits() };
	let requests: Vec<_> =
		(0u8..16).map(|i| (format!("http://{addr}/blob/{i:02x}"), [i; 32], quick)).collect();
	let fetching = tokio::spawn({
		let store = store.clone();
		async move { artifacts::fetch_many(&store, requests, 8).await }
	});
	// Before, one fetch after another: a single connection at a time, 16 timeouts in a row.
	tokio::time::sleep(Duration::from_millis(400)).await;
	assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 8, "8 fetches at once, no more");
	let results = fetching.await.unwrap();
	assert_eq!(results.len(), 16);
	assert!(results.iter().all(|r| matches!(r, Err(FetchError::Timeout { .. }))));
	assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 16);
	assert_eq!(leftovers(dir.path()), 0);
}

/// A server on `host` that answers `GET /to?where=URL` with a 302 to `URL` and `GET /blob` with
/// `bytes`, counting every request it gets.
async fn redirecting_server(
	host: &str,
	bytes: Vec<u8>,
) -> (std::net::SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
	use axum::{extract::Query, response::Redirect, routing::get, Router};
	use std::sync::{atomic::Ordering, Arc};
	let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let (to_hits, blob_hits) = (hits.clone(), hits.clone());
	let app = Router::new()
		.route(
			"/to",
			get(move |Query(q): Query<std::collections::HashMap<String, String>>| async move {
				to_hits.fetch_add(1, Ordering::SeqCst);
				Redirect::to(&q["where"])
			}),
		)
		.route(
			"/blob",
			get(move || async move {
				blob_hits.fetch_add(1, Ordering::SeqCst);
				bytes
			}),
		);
	let listener = tokio::net::TcpListener::bind(format!("{host}:0")).await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move { axum::serve(listener, app).await });
	(addr, hits)
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused_before_any_request_reaches_it() {
	let bytes = b"the real test set".to_vec();
	let hash = content_hash(&bytes);
	// The "other host" (another loopback address) serves exactly the expected bytes, so only
	// the redirect policy stands between a chain URI and a machine it does not name.
	let (other, other_hits) = redirecting_server("127.0.0.2", bytes.clone()).await;
	let (named, _) = redirecting_server("127.0.0.1", bytes.clone()).await;
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();

	let away = format!("http://{named}/to?where=http://{other}/blob");
	let err = artifacts::fetch(&store, &away, &hash, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::RedirectRefused { .. }), "{err}");
	assert_eq!(other_hits.load(std::sync::atomic::Ordering::SeqCst), 0);
	assert_eq!(leftovers(dir.path()), 0);
	assert!(store.get(&hash).unwrap().is_none());

	// Within the named origin a redirect is followed.
	let near = format!("http://{named}/to?where=/blob");
	artifacts::fetch(&store, &near, &hash, limits()).await.unwrap();
	assert_eq!(store.get(&hash).unwrap().unwrap(), bytes);
}

#[tokio::test]
async fn a_uri_to_a_private_address_is_refused_before_any_request_unless_allowed() {
	let bytes = b"the real test set".to_vec();
	let hash = content_hash(&bytes);
	let (server, hits) = redirecting_server("127.0.0.1", bytes.clone()).await;
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	// By address and by name (localhost resolves to loopback).
	for uri in [format!("http://{server}/blob"), format!("http://localhost:{}/blob", server.port())]
	{
		let err = artifacts::fetch(&store, &uri, &hash, chain_policy()).await.unwrap_err();
		assert!(matches!(err, FetchError::PrivateAddress { .. }), "{err}");
	}
	assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
	assert_eq!(leftovers(dir.path()), 0);
	// A local testnet passes --allow-private-hosts.
	let allowed = FetchLimits { allow_private: true, ..chain_policy() };
	artifacts::fetch(&store, &format!("http://{server}/blob"), &hash, allowed).await.unwrap();
	assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_file_uri_is_refused_unless_allowed() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let secret = dir.path().join("id_rsa");
	std::fs::write(&secret, b"secret").unwrap();
	let hash = content_hash(b"secret");
	let uri = format!("file://{}", secret.display());
	let err = artifacts::fetch(&store, &uri, &hash, chain_policy()).await.unwrap_err();
	assert!(matches!(err, FetchError::FileRefused(_)), "{err}");
	assert!(store.get(&hash).unwrap().is_none());
	let allowed = FetchLimits { allow_file: true, ..chain_policy() };
	assert_eq!(artifacts::fetch_bytes(&store, &uri, &hash, allowed).await.unwrap(), b"secret");
}

#[test]
fn only_public_addresses_are_public() {
	let public = |s: &str| artifacts::is_public(s.parse().unwrap());
	for private in [
		"127.0.0.1",
		"10.1.2.3",
		"172.16.0.1",
		"192.168.1.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
		"255.255.255.255",
		"224.0.0.1",
		"198.18.0.1",
		"240.0.0.1",
		"::1",
		"::",
		"fc00::1",
		"fd12:3456::1",
		"fe80::1",
		"::ffff:127.0.0.1",
		"::ffff:169.254.169.254",
		"2001:db8::1",
		// IPv4 behind a gateway: NAT64 and 6to4 carry loopback and the metadata address.
		"64:ff9b::7f00:1",
		"64:ff9b::a9fe:a9fe",
		"64:ff9b::a00:1",
		"2002:7f00:1::1",
		"2002:a9fe:a9fe::",
		"2002:c0a8:101::1",
		"64:ff9b:1::808:808",
		"2001:0:4136:e378::1",
		"fec0::1",
		"100::1",
	] {
		assert!(!public(private), "{private} counted as public");
	}
	for ok in [
		"8.8.8.8",
		"1.1.1.1",
		"151.101.1.69",
		"2606:4700:4700::1111",
		"2a00:1450::1",
		"64:ff9b::808:808",
		"2002:808:808::1",
	] {
		assert!(public(ok), "{ok} counted as private");
	}
}

/// One HTTP/1.1 request over a plain socket; the status, the headers (lower-case names) and
/// the body.
async fn raw_get(
	addr: std::net::SocketAddr,
	path: &str,
	extra: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
	let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
	socket.write_all(request.as_bytes()).await.unwrap();
	let mut raw = Vec::new();
	socket.read_to_end(&mut raw).await.unwrap();
	let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
	let head = String::from_utf8(raw[..split].to_vec()).unwrap();
	let mut lines = head.split("\r\n");
	let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
	let headers = lines
		.filter_map(|l| l.split_once(':'))
		.map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
		.collect();
	(status, headers, raw[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
	headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn the_server_streams_blobs_and_answers_range_requests() {
	let served = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(served.path()).unwrap();
	// Several body chunks long, and not a multiple of one.
	let blob: Vec<u8> = (0..200_003u32).map(|i| (i % 253) as u8).collect();
	let hash = store.put(&blob).unwrap();
	let (addr, server) = artifacts::bind(store, "127.0.0.1:0".parse().unwrap()).await.unwrap();
	tokio::spawn(server);
	let path = format!("/blob/{}", hex::encode(hash));

	let (status, headers, body) = raw_get(addr, &path, "").await;
	assert_eq!(status, 200);
	assert_eq!(body, blob);
	assert_eq!(header(&headers, "accept-ranges"), Some("bytes"));
	assert_eq!(header(&headers, "content-length"), Some("200003"));

	let cases: [(&str, std::ops::Range<usize>, &str); 4] = [
		("bytes=10-19", 10..20, "bytes 10-19/200003"),
		("bytes=199990-", 199_990..200_003, "bytes 199990-200002/200003"),
		("bytes=-5", 199_998..200_003, "bytes 199998-200002/200003"),
		// An end past the blob is cut to the blob.
		("bytes=100000-999999", 100_000..200_003, "bytes 100000-200002/200003"),
	];
	for (range, expected, content_range) in cases {
		let (status, headers, body) = raw_get(addr, &path, &format!("Range: {range}\r\n")).await;
		assert_eq!(status, 206, "{range}");
		assert_eq!(body, blob[expected], "{range}");
		assert_eq!(header(&headers, "content-range"), Some(content_range), "{range}");
	}
	// Past the end: 416 with the blob's length; a range it does not serve: the whole blob.
	let (status, headers, body) = raw_get(addr, &path, "Range: bytes=200003-\r\n").await;
	assert_eq!((status, header(&headers, "content-range")), (416, Some("bytes */200003")));
	assert!(body.is_empty());
	let (status, _, body) = raw_get(addr, &path, "Range: bytes=0-1,5-6\r\n").await;
	assert_eq!((status, body.len()), (200, blob.len()));
}

#[test]
fn range_headers_parse_as_rfc_9110_says() {
	use artifacts::{parse_range, Ranged};
	let part = |start, end| Ranged::Part { start, end };
	assert_eq!(parse_range(None, 10), Ranged::Whole);
	assert_eq!(parse_range(Some("bytes=0-0"), 10), part(0, 0));
	assert_eq!(parse_range(Some("bytes=-20"), 10), part(0, 9));
	assert_eq!(parse_range(Some("bytes=-0"), 10), Ranged::Unsatisfiable);
	assert_eq!(parse_range(Some("bytes=10-"), 10), Ranged::Unsatisfiable);
	assert_eq!(parse_range(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
	for ignored in ["bytes=5-2", "bytes=a-b", "items=0-1", "bytes=-", "bytes=1-2,3-4", "bytes=+1-2"]
	{
		assert_eq!(parse_range(Some(ignored), 10), Ranged::Whole, "{ignored}");
	}
}

#[tokio::test]
async fn a_client_that_never_sends_its_request_is_cut_off() {
	use tokio::io::AsyncReadExt;
	let served = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(served.path()).unwrap();
	let limits = artifacts::ServerLimits {
		header_timeout: Duration::from_millis(200),
		..Default::default()
	};
	let (addr, server) =
		artifacts::bind_with(store, "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
	tokio::spawn(server);
	let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
	let mut buf = [0u8; 256];
	// The server closes the connection (possibly after a 408) instead of waiting forever.
	let closed = tokio::time::timeout(Duration::from_secs(10), async {
		loop {
			match idle.read(&mut buf).await {
				Ok(0) | Err(_) => break,
				Ok(_) => {},
			}
		}
	})
	.await;
	assert!(closed.is_ok(), "an idle connection was kept open");
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_place() {
	let served = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(served.path()).unwrap();
	let limits = artifacts::ServerLimits { connections: 2, ..Default::default() };
	let (addr, server) =
		artifacts::bind_with(store, "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
	tokio::spawn(server);
	// Two clients that connect and say nothing hold both places.
	let first = tokio::net::TcpStream::connect(addr).await.unwrap();
	let _second = tokio::net::TcpStream::connect(addr).await.unwrap();
	let third = tokio::spawn(raw_get(addr, "/health", ""));
	tokio::time::sleep(Duration::from_millis(500)).await;
	assert!(!third.is_finished(), "a third connection was served beside two");
	drop(first);
	let (status, _, body) =
		tokio::time::timeout(Duration::from_secs(10), third).await.unwrap().unwrap();
	assert_eq!((status, body.as_slice()), (200, b"ok\n".as_slice()));
}

#[tokio::test]
async fn a_connection_that_reads_too_slowly_is_cut_after_its_time_limit() {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let served = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(served.path()).unwrap();
	// Far more than the socket buffers hold: the server must wait for the client to read.
	let blob = vec![3u8; 32 << 20];
	let hash = store.put(&blob).unwrap();
	let limits = artifacts::ServerLimits {
		connection_timeout: Duration::from_millis(300),
		..Default::default()
	};
	let (addr, server) =
		artifacts::bind_with(store, "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
	tokio::spawn(server);
	let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
	let request = format!("GET /blob/{} HTTP/1.1\r\nHost: t\r\n\r\n", hex::encode(hash));
	socket.write_all(request.as_bytes()).await.unwrap();
	// The client reads nothing for a while, then everything it can.
	tokio::time::sleep(Duration::from_secs(1)).await;
	let mut received = Vec::new();
	let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut received));
	let _ = read.await.expect("the server ended the connection");
	assert!(received.len() < blob.len(), "the whole blob went to a client past its time");
}

/// A server that answers its first request with half the body and hangs up, then answers with
/// the rest when asked for a `Range`, and the whole otherwise; it records each request's
/// `Range` header and counts the body bytes it sent.
async fn flaky_server(
	blob: Vec<u8>,
) -> (std::net::SocketAddr, std::sync::Arc<std::sync::Mutex<(Vec<Option<String>>, usize)>>) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	let seen = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), 0usize)));
	let log = seen.clone();
	tokio::spawn(async move {
		for n in 0.. {
			let (mut socket, _) = listener.accept().await.unwrap();
			let mut head = Vec::new();
			let mut byte = [0u8; 1];
			while !head.ends_with(b"\r\n\r\n") {
				socket.read_exact(&mut byte).await.unwrap();
				head.push(byte[0]);
			}
			let head = String::from_utf8(head).unwrap();
			let range = head
				.lines()
				.find_map(|l| l.strip_prefix("range: ").or_else(|| l.strip_prefix("Range: ")))
				.map(str::to_string);
			let from = range
				.as_deref()
				.and_then(|r| r.strip_prefix("bytes="))
				.and_then(|r| r.strip_suffix('-'))
				.and_then(|r| r.parse::<usize>().ok());
			let len = blob.len();
			let (status, body, extra) = match from {
				Some(from) => (
					"206 Partial Content",
					&blob[from..],
					format!("Content-Range: bytes {from}-{}/{len}\r\n", len - 1),
				),
				None => ("200 OK", &blob[..], String::new()),
			};
			let header = format!(
				"HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
				body.len()
			);
			socket.write_all(header.as_bytes()).await.unwrap();
			// The first answer stops halfway and the connection drops.
			let sent = if n == 0 { &body[..body.len() / 2] } else { body };
			socket.write_all(sent).await.unwrap();
			let mut log = log.lock().unwrap();
			log.0.push(range);
			log.1 += sent.len();
		}
	});
	(addr, seen)
}

#[tokio::test]
async fn an_interrupted_download_continues_where_it_stopped() {
	let blob: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 256) as u8).collect();
	let hash = content_hash(&blob);
	let (addr, seen) = flaky_server(blob.clone()).await;
	let uri = format!("http://{addr}/blob/{}", hex::encode(hash));
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();

	// Cut at half: an error, and half the bytes wait in the store's tmp folder.
	let err = artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap_err();
	assert!(err.is_interruption(), "{err}");
	assert_eq!(leftovers(dir.path()), 1);
	assert!(!store.contains(&hash));

	// The next fetch asks for the rest only and verifies the whole.
	let path = artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), blob);
	assert_eq!(leftovers(dir.path()), 0);
	let (ranges, sent) = seen.lock().unwrap().clone();
	assert_eq!(ranges, vec![None, Some("bytes=250000-".to_string())]);
	assert_eq!(sent, blob.len(), "no byte was sent twice");

	// Once stored, never fetched again.
	artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap();
	assert_eq!(seen.lock().unwrap().0.len(), 2);
}

#[tokio::test]
async fn a_kept_prefix_that_is_wrong_costs_one_download_not_a_wrong_blob() {
	let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
	let hash = content_hash(&blob);
	let (addr, seen) = flaky_server(blob.clone()).await;
	let uri = format!("http://{addr}/blob/{}", hex::encode(hash));
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap_err();
	// Another server (or a disk error) had put different bytes in the kept prefix.
	let partial = std::fs::read_dir(dir.path().join("tmp")).unwrap().next().unwrap().unwrap();
	std::fs::write(partial.path(), vec![0u8; 150_000]).unwrap();
	// The continued download does not hash to the blob: refused, nothing kept...
	let err = artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap_err();
	assert!(matches!(err, FetchError::HashMismatch { .. }), "{err}");
	assert_eq!(leftovers(dir.path()), 0);
	// ...and the next fetch starts from the first byte.
	let path = artifacts::fetch(&store, &uri, &hash, limits()).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), blob);
	assert_eq!(seen.lock().unwrap().0.last().unwrap(), &None);
}
