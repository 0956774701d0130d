//! # Escrow pallet
//!
//! ## Overview
//!
//! Every unit of value the pouw protocol holds, a sponsor's bounty, a worker's bond and an
//! evaluator's stake, stays on its owner's account, **on hold** through
//! [`fungible::MutateHold`](frame::token::fungible::MutateHold), under this pallet's composite
//! [`HoldReason`]. Nothing is pooled in a pallet account, so a failed or cancelled task can always
//! give everything back, and `polkadot.js` shows each hold on the owner's account.
//!
//! The pallet keeps a ledger of what it holds for each task and for each staker, and offers it to
//! the other pouw pallets through the [`Escrow`] trait. It has no extrinsics of its own: value
//! moves only as the protocol pallets decide (task registry, verification).
//!
//! ## Terminology
//!
//! - **Hold**: funds moved from the owner's free balance into a hold for a [`HoldReason`].
//! - **Task hold**: a hold tied to a task: the sponsor's bounty ([`HoldReason::TaskBounty`]) and
//!   creation deposit ([`HoldReason::TaskDeposit`]), a worker's bond
//!   ([`HoldReason::WorkerBond`]), or an appellant's bond ([`HoldReason::AppealBond`]).
//! - **Stake**: an evaluator's hold ([`HoldReason::EvaluatorStake`]), tied to the account, not to
//!   a task.
//! - **Release to**: held funds move to a payee's free balance (payout).
//! - **Refund**: held funds go back to the owner's free balance.
//! - **Slash**: held funds move to the treasury account ([`Config::Treasury`]); never burned.
//!
//! ## Interface
//!
//! No dispatchable calls. The [`Escrow`] trait (implemented by [`Pallet`]):
//! - [`Escrow::hold`], [`Escrow::release_to`], [`Escrow::refund`], [`Escrow::slash`],
//!   [`Escrow::held`], [`Escrow::task_total`] for task holds;
//! - [`Escrow::stake`], [`Escrow::unstake`], [`Escrow::slash_stake`], [`Escrow::staked`] for
//!   evaluator stakes.
//!
//! Each operation is atomic: it either succeeds whole or returns a named [`Error`] and changes
//! nothing (storage, balances and events alike). Each emits one event.
//!
//! ## Invariants
//!
//! Checked by `do_try_state` (under `try-runtime` and in every test):
//! 1. For every task, [`TaskTotals`] equals the sum of its entries in [`TaskHolds`], and no task
//!    has holds without a total.
//! 2. For every account and reason, the balance on hold under that reason equals the ledger: the
//!    sum of its [`TaskHolds`] entries, plus its [`Stakes`] entry for
//!    [`HoldReason::EvaluatorStake`].
//! 3. No ledger entry is zero (zero entries are removed).
//!
//! And, by construction (tested): total issuance never changes; slashes go to the treasury.
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

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod tests;
pub mod weights;

pub use impls::Escrow;
pub use pallet::*;
pub use weights::WeightInfo;

use frame::prelude::*;
use frame::token::fungible;
use pouw_primitives::TaskId;

/// The balance type of the currency the escrow holds.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

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

	/// Configuration of the escrow.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency whose funds are held.
		type Currency: fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason, which includes this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The account slashed funds go to. It must exist (hold at least the existential
		/// deposit), or slashes smaller than the existential deposit fail.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Weights of the escrow operations, for the pallets that call them.
		type WeightInfo: WeightInfo;
	}

	/// Why the escrow holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A sponsor's bounty for a task.
		TaskBounty,
		/// A worker's bond for a model commitment.
		WorkerBond,
		/// An evaluator's stake.
		EvaluatorStake,
		/// A sponsor's creation deposit for a task: it pays for the task's storage and is
		/// refunded when the task is pruned, after its retention period.
		TaskDeposit,
		/// An appellant's bond for a task's appeal round: refunded when the appeal changed the
		/// finding, paid to the appeal round's honest evaluators when it did not.
		AppealBond,
	}

	/// Total held for each task (bounty, deposit and bonds).
	#[pallet::storage]
	pub type TaskTotals<T: Config> = StorageMap<_, Twox64Concat, TaskId, BalanceOf<T>, OptionQuery>;

	/// What is held for each (task, account, reason).
	#[pallet::storage]
	pub type TaskHolds<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, TaskId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, HoldReason>,
		),
		BalanceOf<T>,
		OptionQuery,
	>;

	/// Each evaluator's stake.
	#[pallet::storage]
	pub type Stakes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Funds were put on hold for a task.
		Held {
			/// The task the funds are for.
			task: TaskId,
			/// The owner of the funds.
			who: T::AccountId,
			/// What the funds are held for.
			reason: HoldReason,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// Held funds were paid to a payee's free balance.
		Released {
			/// The task the funds are for.
			task: TaskId,
			/// Whose held funds were paid.
			from: T::AccountId,
			/// Who was paid.
			to: T::AccountId,
			/// What the funds are held for.
			reason: HoldReason,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// Held funds went back to their owner's free balance.
		Refunded {
			/// The task the funds are for.
			task: TaskId,
			/// The owner of the funds.
			who: T::AccountId,
			/// What the funds are held for.
			reason: HoldReason,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// Held funds were moved to the treasury account.
		Slashed {
			/// The task the funds are for.
			task: TaskId,
			/// The owner of the funds.
			who: T::AccountId,
			/// What the funds are held for.
			reason: HoldReason,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// An evaluator's stake was increased.
		Staked {
			/// The evaluator.
			who: T::AccountId,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// Part of an evaluator's stake went back to its free balance.
		Unstaked {
			/// The evaluator.
			who: T::AccountId,
			/// How much moved.
			amount: BalanceOf<T>,
		},
		/// Part of an evaluator's stake was moved to the treasury account.
		StakeSlashed {
			/// The evaluator.
			who: T::AccountId,
			/// How much moved.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// The owner's free balance cannot cover the hold (the account must also keep the
		/// existential deposit).
		InsufficientBalance,
		/// The amount exceeds what the escrow holds for this owner, task and reason.
		InsufficientHeld,
		/// An evaluator stake cannot be used as a task hold, and the other way round.
		WrongReason,
		/// The payee or the treasury cannot receive the amount (for example: it does not exist
		/// and the amount is below the existential deposit).
		CannotReceive,
		/// A ledger total would overflow.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), DispatchError> {
			Self::do_try_state()
		}
	}
}
