//! Weights for `pallet_reputation`.
//!
//! The pallet has no extrinsics; this is the cost of [`pouw_primitives::ReputationRecorder::record`]
//! and of a read, which the protocol pallets add to their own weights per participant.
//!
//! These are hand-set defaults (storage access counts exact, read off the code) for the pallet's
//! tests and for a runtime that has not benchmarked it. The pouw runtime uses the figures measured
//! by `scripts/benchmark.sh` (frame-omni-bencher on its wasm): `runtime/src/weights/`.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame::weights_prelude::*;

/// Weight functions needed for `pallet_reputation`.
pub trait WeightInfo {
	fn record() -> Weight;
	fn reputation() -> Weight;
}

/// Weights for `pallet_reputation` using a runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Reputation::Reputations` (r:1 w:1), `System::Number` (r:1)
	fn record() -> Weight {
		Weight::from_parts(20_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Reputation::Reputations` (r:1)
	fn reputation() -> Weight {
		Weight::from_parts(8_000_000, 3_600).saturating_add(T::DbWeight::get().reads(1_u64))
	}
}

// For tests and backwards compatibility.
impl WeightInfo for () {
	fn record() -> Weight {
		Weight::from_parts(20_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn reputation() -> Weight {
		Weight::from_parts(8_000_000, 3_600).saturating_add(RocksDbWeight::get().reads(1_u64))
	}
}
