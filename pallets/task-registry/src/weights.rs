//! Weights for `pallet_task_registry`.
//!
//! These are hand-set defaults (storage access counts exact, read off the code) for the pallet's
//! tests and for a runtime that has not benchmarked it. The pouw runtime uses the figures measured
//! by `scripts/benchmark.sh` (frame-omni-bencher on its wasm): `runtime/src/weights/`.
//! Components: `s` submissions, `q` quorum size.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame::{deps::frame_support::weights::RuntimeDbWeight, weights_prelude::*};

/// Weight functions needed for `pallet_task_registry`.
pub trait WeightInfo {
	/// `p` evaluators in the pool (counted for the quorum).
	fn create_task(p: u32) -> Weight;
	fn cancel_task() -> Weight;
	/// A commitment to a task with a free slot.
	fn commit_model() -> Weight;
	/// A commitment to a full task that displaces the lowest reputation (reads every submission
	/// and each one's worker reputation).
	fn commit_model_displacing() -> Weight;
	fn reveal_model() -> Weight;
	fn reveal_test_set(s: u32) -> Weight;
	/// The hook's quorum draw over a pool of `p` evaluators for a full task.
	fn draw_quorum(p: u32) -> Weight;
	fn finalize_task(s: u32, q: u32) -> Weight;
	fn prune_task(s: u32) -> Weight;
}

fn create(p: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(80_000_000, 6_000)
		.saturating_add(Weight::from_parts(1_000_000, 2_600).saturating_mul(p.into()))
		.saturating_add(db.reads(9_u64.saturating_add(u64::from(p) * 3)))
		.saturating_add(db.writes(8))
}
fn cancel(db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(70_000_000, 6_000).saturating_add(db.reads(8)).saturating_add(db.writes(8))
}
fn commit(db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(70_000_000, 6_000).saturating_add(db.reads(8)).saturating_add(db.writes(7))
}
fn commit_displacing(db: RuntimeDbWeight) -> Weight {
	// 64 submissions and their workers' reputations, the displaced bond's refund.
	Weight::from_parts(300_000_000, 190_000)
		.saturating_add(db.reads(140))
		.saturating_add(db.writes(10))
}
fn reveal(db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(40_000_000, 5_000).saturating_add(db.reads(3)).saturating_add(db.writes(2))
}
// Includes the quorum draw over the evaluator pool.
fn reveal_test(s: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(150_000_000, 12_000)
		.saturating_add(Weight::from_parts(2_000_000, 600).saturating_mul(s.into()))
		.saturating_add(db.reads(300))
		.saturating_add(db.writes(20))
}
fn draw(p: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(150_000_000, 200_000)
		.saturating_add(Weight::from_parts(1_000_000, 2_600).saturating_mul(p.into()))
		.saturating_add(db.reads(80_u64.saturating_add(u64::from(p) * 3)))
		.saturating_add(db.writes(4))
}
fn finalize(s: u32, q: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(150_000_000, 12_000)
		.saturating_add(Weight::from_parts(120_000_000, 8_000).saturating_mul(s.into()))
		.saturating_add(Weight::from_parts(100_000_000, 8_000).saturating_mul(q.into()))
		.saturating_add(Weight::from_parts(500_000, 0).saturating_mul(s.saturating_mul(q).into()))
		.saturating_add(
			db.reads(10_u64.saturating_add(u64::from(s) * 8).saturating_add(u64::from(q) * 8)),
		)
		.saturating_add(
			db.writes(10_u64.saturating_add(u64::from(s) * 8).saturating_add(u64::from(q) * 6)),
		)
}
fn prune(s: u32, db: RuntimeDbWeight) -> Weight {
	Weight::from_parts(30_000_000, 3_000)
		.saturating_add(Weight::from_parts(2_000_000, 100).saturating_mul(s.into()))
		.saturating_add(db.reads(2_u64.saturating_add(u64::from(s) * 2)))
		.saturating_add(db.writes(2_u64.saturating_add(u64::from(s) * 2)))
}

/// Weights for `pallet_task_registry` using a runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_task(p: u32) -> Weight {
		create(p, T::DbWeight::get())
	}
	fn cancel_task() -> Weight {
		cancel(T::DbWeight::get())
	}
	fn commit_model() -> Weight {
		commit(T::DbWeight::get())
	}
	fn commit_model_displacing() -> Weight {
		commit_displacing(T::DbWeight::get())
	}
	fn reveal_model() -> Weight {
		reveal(T::DbWeight::get())
	}
	fn reveal_test_set(s: u32) -> Weight {
		reveal_test(s, T::DbWeight::get())
	}
	fn draw_quorum(p: u32) -> Weight {
		draw(p, T::DbWeight::get())
	}
	fn finalize_task(s: u32, q: u32) -> Weight {
		finalize(s, q, T::DbWeight::get())
	}
	fn prune_task(s: u32) -> Weight {
		prune(s, T::DbWeight::get())
	}
}

// For tests and backwards compatibility.
impl WeightInfo for () {
	fn create_task(p: u32) -> Weight {
		create(p, RocksDbWeight::get())
	}
	fn cancel_task() -> Weight {
		cancel(RocksDbWeight::get())
	}
	fn commit_model() -> Weight {
		commit(RocksDbWeight::get())
	}
	fn commit_model_displacing() -> Weight {
		commit_displacing(RocksDbWeight::get())
	}
	fn reveal_model() -> Weight {
		reveal(RocksDbWeight::get())
	}
	fn reveal_test_set(s: u32) -> Weight {
		reveal_test(s, RocksDbWeight::get())
	}
	fn draw_quorum(p: u32) -> Weight {
		draw(p, RocksDbWeight::get())
	}
	fn finalize_task(s: u32, q: u32) -> Weight {
		finalize(s, q, RocksDbWeight::get())
	}
	fn prune_task(s: u32) -> Weight {
		prune(s, RocksDbWeight::get())
	}
}
