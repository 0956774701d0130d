//! # Reputation pallet
//!
//! ## Overview
//!
//! One reputation score per (account, [`Role`]): worker, evaluator, sponsor. Scores are
//! fixed point ([`Reputation`] = `Permill`, so `0` to `1` in millionths; no floats).
//!
//! - **Asymmetric**: a success adds [`Config::SuccessGain`], a failure takes
//!   [`Config::FailurePenalty`] (about three times the gain in the runtime), so reputation
//!   rises slowly and falls fast.
//! - **Decay**: every [`Config::DecayPeriod`] blocks, a score moves [`Config::DecayPerPeriod`] of
//!   its distance toward [`Config::Neutral`]. Decay is computed lazily from the block of the last
//!   update when a score is read or changed (O(1): one `saturating_pow`), so no hook ever scans
//!   accounts.
//! - **Bootstrapping**: an account never seen has its role's initial value
//!   ([`Config::InitialReputation`]), so a fresh identity cannot pass a task's minimum unless the
//!   runtime chooses to let it.
//!
//! ## Terminology
//!
//! - **Neutral**: the value scores decay toward.
//! - **Period**: a span of [`Config::DecayPeriod`] blocks; decay is applied once per whole period
//!   boundary crossed since the last update.
//!
//! ## Interface
//!
//! No dispatchable calls. Other pallets use the traits from `pouw-primitives`:
//! - [`ReputationProvider::reputation`] / [`ReputationProvider::meets`]: read, decay applied;
//! - [`ReputationRecorder::record`]: apply decay, then a success or a failure; emits
//!   [`Event::ReputationUpdated`].
//!
//! ## Invariants
//!
//! Checked by `do_try_state`: no record was updated after the current block.
#![cfg_attr(not(feature = "std"), no_std)]
// Runtime code may not panic or overflow (see [workspace.lints]); test builds may, and FRAME's
// macros expand test-only code that calls `expect`.
#![cfg_attr(
	test,
	allow(
		clippy::unwrap_used,
		clippy::expect_used,
		clippy::panic,
		clippy::indexing_slicing,
		clippy::arithmetic_side_effects
	)
)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use pouw_primitives::{Outcome, Reputation, ReputationProvider, ReputationRecorder, Role};
pub use weights::WeightInfo;

use frame::prelude::*;

/// A stored score and the block it was last brought up to date.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct ReputationRecord<BlockNumber> {
	/// The score as of `updated_at`.
	pub score: Reputation,
	/// The block of the last update.
	pub updated_at: BlockNumber,
}

// FRAME's macros expand `expect` calls on facts the runtime's construction guarantees (a
// pallet's name in `PalletInfo`); the lint stays on for our logic, which lives in `impls.rs`.
#[allow(clippy::expect_used)]
#[frame::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Defaults for a test runtime: `#[derive_impl(config_preludes::TestDefaultConfig)]` gives
	/// neutral 50 %, +1 % per success, -3 % per failure, 5 % of the distance to neutral every
	/// 10,000 blocks, and every role starting at neutral; override what a test needs.
	pub mod config_preludes {
		use super::*;
		use frame::deps::frame_support::{derive_impl, parameter_types, register_default_impl};

		/// The test defaults.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		parameter_types! {
			/// 50 %.
			pub const TestNeutral: Reputation = Reputation::from_percent(50);
			/// 1 %.
			pub const TestGain: Reputation = Reputation::from_percent(1);
			/// 3 %.
			pub const TestPenalty: Reputation = Reputation::from_percent(3);
			/// 5 %.
			pub const TestDecayPerPeriod: Reputation = Reputation::from_percent(5);
		}

		#[register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type InitialReputation = TestNeutral;
			type Neutral = TestNeutral;
			type SuccessGain = TestGain;
			type FailurePenalty = TestPenalty;
			type DecayPeriod = frame::traits::ConstU64<10_000>;
			type DecayPerPeriod = TestDecayPerPeriod;
			type WeightInfo = ();
		}
	}

	/// Configuration of reputation.
	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The initial reputation of an account never seen, per role.
		type InitialReputation: InitialReputation;

		/// The value scores decay toward.
		#[pallet::constant]
		type Neutral: Get<Reputation>;

		/// Added for a success (saturating at 100 %).
		#[pallet::constant]
		type SuccessGain: Get<Reputation>;

		/// Taken for a failure (saturating at 0); about three times the gain.
		#[pallet::constant]
		type FailurePenalty: Get<Reputation>;

		/// Length of a decay period in blocks; zero disables decay.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type DecayPeriod: Get<BlockNumberFor<Self>>;

		/// Fraction of the distance to neutral removed per period.
		#[pallet::constant]
		type DecayPerPeriod: Get<Reputation>;

		/// Weights of this pallet's operations.
		type WeightInfo: WeightInfo;
	}

	/// Scores of the accounts that have had an outcome recorded.
	#[pallet::storage]
	pub type Reputations<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		Role,
		ReputationRecord<BlockNumberFor<T>>,
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An outcome changed an account's reputation in a role. `before` is the value with
		/// decay applied up to this block, just before the outcome.
		ReputationUpdated {
			/// The account.
			who: T::AccountId,
			/// The role.
			role: Role,
			/// What happened.
			outcome: Outcome,
			/// Reputation before the outcome (decayed to now).
			before: Reputation,
			/// Reputation after the outcome.
			after: Reputation,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Never returned: reputation operations cannot fail. Kept so the metadata lists an
		/// error enum for the pallet.
		Unreachable,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), DispatchError> {
			Self::do_try_state()
		}
	}
}

/// The initial reputation per role of an account never seen.
pub trait InitialReputation {
	/// The initial value for `role`.
	fn initial(role: Role) -> Reputation;
}
