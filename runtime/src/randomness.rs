//! Randomness for the quorum draw.
//!
//! On a real network the seed comes from the relay chain: the relay parent's block randomness
//! (BABE VRF output, `CURRENT_BLOCK_RANDOMNESS`), else the randomness of one epoch ago, read out of
//! the relay-chain state proof that every parachain block carries and that validators check. Nobody
//! can know it when a task is created.
//!
//! Where the proof carries neither, or carries the dev node's mock of it (a dev chain's relay data
//! is made up by cumulus' `MockValidationDataInherentDataProvider`, whose "randomness" is the para
//! block number followed by 24 zero bytes), there is no seed: the task registry defers the draw a
//! block (at most `MaxDrawDelay`), unless the chain's genesis allows the parent-block-hash
//! fallback (`taskRegistry.allowPredictableSeed`, set by the `development` preset only):
//! **predictable by the block author, for development only**, and each use emits
//! `TaskRegistry.PredictableSeedUsed`. The source in use is visible through the
//! `PouwApi::randomness_source` runtime API and a log line.

use crate::{ParachainInfo, Runtime, System};
use codec::{Decode, Encode};
use polkadot_sdk::{
	cumulus_pallet_parachain_system::{RelayChainStateProof, RelayStateProof, ValidationData},
	cumulus_primitives_core::relay_chain::well_known_keys,
	sp_io::hashing::blake2_256,
};
use pouw_primitives::SeedSource;
use scale_info::TypeInfo;

/// Where the quorum randomness comes from at this block.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum RandomnessSource {
	/// The relay parent's block randomness (BABE VRF).
	RelayBlock,
	/// The relay chain's randomness of one epoch ago.
	RelayEpoch,
	/// The parent block hash: predictable, for development chains only (their genesis allows
	/// it).
	DevFallback,
	/// None: draws wait for the next block (a chain whose genesis does not allow the fallback).
	Unavailable,
}

/// Whether `value` is the dev node's mocked relay randomness: 8 bytes of a block number, then
/// zeros. A real BABE output ends in 24 zero bytes with probability 2^-192.
fn is_mocked(value: &[u8; 32]) -> bool {
	value.iter().skip(8).all(|byte| *byte == 0)
}

/// Relay-chain randomness with a documented dev fallback.
pub struct RelayRandomness;

impl RelayRandomness {
	/// The relay chain's randomness in this block's state proof, if any.
	pub fn relay_value() -> Option<(RandomnessSource, [u8; 32])> {
		let proof = RelayStateProof::<Runtime>::get()?;
		let validation = ValidationData::<Runtime>::get()?;
		let state = RelayChainStateProof::new(
			ParachainInfo::parachain_id(),
			validation.relay_parent_storage_root,
			proof,
		)
		.ok()?;
		if let Ok(Some(Some(value))) =
			state.read_optional_entry::<Option<[u8; 32]>>(well_known_keys::CURRENT_BLOCK_RANDOMNESS)
		{
			if !is_mocked(&value) {
				return Some((RandomnessSource::RelayBlock, value));
			}
		}
		if let Ok(Some(value)) =
			state.read_optional_entry::<[u8; 32]>(well_known_keys::ONE_EPOCH_AGO_RANDOMNESS)
		{
			if !is_mocked(&value) {
				return Some((RandomnessSource::RelayEpoch, value));
			}
		}
		None
	}

	/// Which source a draw at this block uses.
	pub fn source() -> RandomnessSource {
		match Self::relay_value() {
			Some((source, _)) => source,
			None if pallet_task_registry::PredictableSeedAllowed::<Runtime>::get() => {
				RandomnessSource::DevFallback
			},
			None => RandomnessSource::Unavailable,
		}
	}
}

impl SeedSource for RelayRandomness {
	fn seed(subject: &[u8]) -> Option<[u8; 32]> {
		let now = System::block_number();
		let value = Self::relay_value();
		let source = value.map(|(source, _)| source).unwrap_or_else(Self::source);
		log::info!(target: "runtime::pouw", "quorum randomness from {source:?} at block {now}");
		let (_, value) = value?;
		Some(blake2_256(&(subject, value).encode()))
	}
}

#[cfg(test)]
mod tests {
	use super::is_mocked;

	#[test]
	fn the_dev_nodes_mocked_relay_randomness_is_recognised() {
		// cumulus' mock: the para block number, big endian, then 24 zero bytes.
		let mut mocked = [0u8; 32];
		mocked[..8].copy_from_slice(&42u64.to_be_bytes());
		assert!(is_mocked(&mocked));
		assert!(is_mocked(&[0u8; 32]));
		let mut real = mocked;
		real[31] = 1;
		assert!(!is_mocked(&real));
		assert!(!is_mocked(&polkadot_sdk::sp_io::hashing::blake2_256(b"babe vrf output")));
	}
}
