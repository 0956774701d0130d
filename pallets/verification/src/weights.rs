//! Weights for `pallet_verification`.
//!
//! These are hand-set defaults (storage access counts exact, read off the code) for the pallet's
//! tests and for a runtime that has not benchmarked it. The pouw runtime uses the figures measured
//! by `scripts/benchmark.sh` (frame-omni-bencher on its wasm): `runtime/src/weights/`.
//! Components: `p` pool size, `q` quorum size, `s` submissions.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame::{deps::frame_support::weights::RuntimeDbWeight, weights_prelude::*};

/// Weight functions needed for `pallet_verification`.
pub trait WeightInfo {
	fn register_evaluator(p: u32) -> Weight;
	fn unregister_evaluator(p: u32) -> Weight;
	fn withdraw_stake() -> Weight;
	fn commit_scores(q: u32) -> Weight;
	fn reveal_scores(q: u32, s: u32) -> Weight;
}

fn register(p: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(45_000_000, 4_000)
		.saturating_add(Weight::from_parts(60_000, 32).saturating_mul(p.into()))
		.saturating_add(db.reads(5_u64))
		.saturating_add(db.writes(5_u64))
}
fn unregister(p: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(25_000_000, 3_600)
		.saturating_add(Weight::from_parts(80_000, 32).saturating_mul(p.into()))
		.saturating_add(db.reads(2_u64))
		.saturating_add(db.writes(2_u64))
}
fn withdraw(db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(45_000_000, 4_000)
		.saturating_add(db.reads(4_u64))
		.saturating_add(db.writes(4_u64))
}
fn commit(q: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(20_000_000, 3_600)
		.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(q.into()))
		.saturating_add(db.reads(3_u64))
		.saturating_add(db.writes(1_u64))
}
fn reveal(q: u32, s: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(30_000_000, 3_600)
		.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(q.into()))
		.saturating_add(Weight::from_parts(150_000, 45).saturating_mul(s.into()))
		.saturating_add(db.reads(6_u64))
		.saturating_add(db.writes(1_u64))
}

/// Weights for `pallet_verification` using a runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_evaluator(p: u32) -> Weight {
		register(p, T::DbWeight::get())
	}
	fn unregister_evaluator(p: u32) -> Weight {
		unregister(p, T::DbWeight::get())
	}
	fn withdraw_stake() -> Weight {
		withdraw(T::DbWeight::get())
	}
	fn commit_scores(q: u32) -> Weight {
		commit(q, T::DbWeight::get())
	}
	fn reveal_scores(q: u32, s: u32) -> Weight {
		reveal(q, s, T::DbWeight::get())
	}
}

// For tests and backwards compatibility.
impl WeightInfo for () {
	fn register_evaluator(p: u32) -> Weight {
		register(p, RocksDbWeight::get())
	}
	fn unregister_evaluator(p: u32) -> Weight {
		unregister(p, RocksDbWeight::get())
	}
	fn withdraw_stake() -> Weight {
		withdraw(RocksDbWeight::get())
	}
	fn commit_scores(q: u32) -> Weight {
		commit(q, RocksDbWeight::get())
	}
	fn reveal_scores(q: u32, s: u32) -> Weight {
		reveal(q, s, RocksDbWeight::get())
	}
}
