//! Account keys: `--suri //Alice` for development, or a key file written by
//! `pouw key generate` (an sr25519 secret seed as a `0x` secret URI, mode 0600).

use anyhow::{bail, Context, Result};
use std::{io::Write, path::Path};
use subxt_signer::sr25519::Keypair;

use crate::chain::{account_of, signer_from_suri};

/// 32 bytes from the operating system's random source.
pub fn random_bytes() -> Result<[u8; 32]> {
	let mut bytes = [0u8; 32];
	getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
	Ok(bytes)
}

/// Writes a new random key to `path` (refusing to overwrite one) with mode 0600 and returns
/// its signer.
pub fn generate(path: &Path) -> Result<Keypair> {
	let seed = random_bytes()?;
	let suri = format!("0x{}", hex::encode(seed));
	if let Some(parent) = path.parent() {
		std::fs::create_dir_all(parent)?;
	}
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(path).with_context(|| {
		format!("creating {} (an existing key file is never overwritten)", path.display())
	})?;
	file.write_all(suri.as_bytes())?;
	file.write_all(b"\n")?;
	file.sync_all()?;
	signer_from_suri(&suri)
}

/// Reads a key file; refuses one that other users can read.
pub fn load(path: &Path) -> Result<Keypair> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path)
			.with_context(|| format!("reading {}", path.display()))?
			.permissions()
			.mode();
		if mode & 0o077 != 0 {
			bail!(
				"{} is readable by other users (mode {:o}); run `chmod 600 {}`",
				path.display(),
				mode & 0o777,
				path.display()
			);
		}
	}
	let text =
		std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
	signer_from_suri(text.trim()).with_context(|| format!("{}", path.display()))
}

/// The signer named by exactly one of `--suri` and `--key-file`.
pub fn signer(suri: Option<&str>, key_file: Option<&Path>) -> Result<Keypair> {
	match (suri, key_file) {
		(Some(s), None) => signer_from_suri(s),
		(None, Some(p)) => load(p),
		(Some(_), Some(_)) => bail!("give either --suri or --key-file, not both"),
		(None, None) => bail!("an account is needed: --suri //Alice (development) or --key-file"),
	}
}

/// `{"address": SS58, "public_key": 0x…}` of a signer.
pub fn describe(signer: &Keypair) -> serde_json::Value {
	serde_json::json!({
		"address": account_of(signer).to_string(),
		"public_key": format!("0x{}", hex::encode(signer.public_key().0)),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn generated_key_files_are_private_and_never_overwritten() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("keys/worker.key");
		let signer = generate(&path).unwrap();
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = std::fs::metadata(&path).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
		let loaded = load(&path).unwrap();
		assert_eq!(account_of(&loaded), account_of(&signer));
		let again = generate(&path).unwrap_err();
		assert!(again.to_string().contains("never overwritten"), "{again:#}");
		assert_eq!(account_of(&load(&path).unwrap()), account_of(&signer));
	}

	#[cfg(unix)]
	#[test]
	fn a_key_file_others_can_read_is_refused() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("open.key");
		std::fs::write(&path, "//Alice").unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
		let err = load(&path).unwrap_err();
		assert!(err.to_string().contains("readable by other users"), "{err:#}");
	}

	#[test]
	fn dev_uris_give_the_well_known_accounts() {
		let alice = signer(Some("//Alice"), None).unwrap();
		assert_eq!(
			account_of(&alice).to_string(),
			"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
		);
		assert!(signer(None, None).is_err());
		assert!(signer(Some("//Alice"), Some(Path::new("x"))).is_err());
		assert!(signer(Some("not a uri //"), None).is_err());
	}
}
