//! Weights for `pallet_escrow`.
//!
//! The escrow has no extrinsics; these are the costs of its [`crate::Escrow`] operations, which
//! the task registry and verification pallets add to their own weights where they call them.
//!
//! These are hand-set defaults (storage access counts exact, read off the code) for the pallet's
//! tests and for a runtime that has not benchmarked it. The pouw runtime uses the figures measured
//! by `scripts/benchmark.sh` (frame-omni-bencher on its wasm): `runtime/src/weights/`.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame::weights_prelude::*;

/// Weight functions needed for `pallet_escrow`.
pub trait WeightInfo {
	fn hold() -> Weight;
	fn release_to() -> Weight;
	fn refund() -> Weight;
	fn slash() -> Weight;
	fn stake() -> Weight;
	fn unstake() -> Weight;
	fn slash_stake() -> Weight;
}

/// Weights for `pallet_escrow` using a runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Escrow::TaskHolds` (r:1 w:1), `Escrow::TaskTotals` (r:1 w:1),
	/// `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1)
	fn hold() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Escrow::TaskHolds` (r:1 w:1), `Escrow::TaskTotals` (r:1 w:1),
	/// `Balances::Holds` (r:1 w:1), `System::Account` (r:2 w:2)
	fn release_to() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Escrow::TaskHolds` (r:1 w:1), `Escrow::TaskTotals` (r:1 w:1),
	/// `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1)
	fn refund() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Escrow::TaskHolds` (r:1 w:1), `Escrow::TaskTotals` (r:1 w:1),
	/// `Balances::Holds` (r:1 w:1), `System::Account` (r:2 w:2)
	fn slash() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Escrow::Stakes` (r:1 w:1), `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1)
	fn stake() -> Weight {
		Weight::from_parts(35_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Escrow::Stakes` (r:1 w:1), `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1)
	fn unstake() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Escrow::Stakes` (r:1 w:1), `Balances::Holds` (r:1 w:1), `System::Account` (r:2 w:2)
	fn slash_stake() -> Weight {
		Weight::from_parts(55_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
}

// For tests and backwards compatibility.
impl WeightInfo for () {
	fn hold() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn release_to() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn refund() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn slash() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn stake() -> Weight {
		Weight::from_parts(35_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn unstake() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn slash_stake() -> Weight {
		Weight::from_parts(55_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
}
