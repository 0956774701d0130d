//! The runtime metadata the `pouw` client's types are generated from (`worker/metadata/pouw.scale`)
//! must be this runtime's. `scripts/refresh-metadata.sh` rewrites the file from the runtime
//! (it runs this test with `POUW_WRITE_METADATA=1`); otherwise a stale file fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use pouw_runtime::Runtime;

/// The metadata version the client is generated from.
const VERSION: u32 = 16;

fn committed_path() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../worker/metadata/pouw.scale")
}

#[test]
fn committed_client_metadata_is_this_runtimes() {
	// Constants read from storage (the para id) take their defaults: empty externalities.
	let metadata = polkadot_sdk::sp_io::TestExternalities::default()
		.execute_with(|| Runtime::metadata_at_version(VERSION))
		.unwrap_or_else(|| panic!("the runtime has no metadata V{VERSION}"));
	let bytes: &[u8] = &metadata;
	let path = committed_path();
	if std::env::var_os("POUW_WRITE_METADATA").is_some() {
		std::fs::create_dir_all(path.parent().unwrap()).unwrap();
		std::fs::write(&path, bytes).unwrap();
		eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
		return;
	}
	let committed = std::fs::read(&path).unwrap_or_else(|e| {
		panic!("cannot read {}: {e}; run scripts/refresh-metadata.sh", path.display())
	});
	assert!(
		committed == bytes,
		"{} is not this runtime's metadata ({} bytes committed, {} now): run \
		 scripts/refresh-metadata.sh and rebuild the worker",
		path.display(),
		committed.len(),
		bytes.len()
	);
}
