//! The [`Escrow`] trait and its implementation by the pallet.

use crate::{pallet::*, BalanceOf};
use frame::{
	deps::frame_support::storage::with_storage_layer,
	prelude::*,
	token::{fungible::MutateHold, tokens::Restriction, Fortitude, Precision},
};
use pouw_primitives::TaskId;

/// Escrow operations for the other pouw pallets.
///
/// Each call is atomic: on error it returns a named error of this pallet and changes nothing.
pub trait Escrow<AccountId> {
	/// The balance type.
	type Balance;

	/// Put `amount` of `who`'s free balance on hold for `task` under `reason`
	/// ([`HoldReason::TaskBounty`] or [`HoldReason::WorkerBond`]).
	fn hold(
		task: TaskId,
		who: &AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult;

	/// Pay `amount` of what `from` holds for `task` under `reason` to `to`'s free balance.
	fn release_to(
		task: TaskId,
		from: &AccountId,
		reason: HoldReason,
		to: &AccountId,
		amount: Self::Balance,
	) -> DispatchResult;

	/// Give `amount` of what `who` holds for `task` under `reason` back to `who`'s free balance.
	fn refund(
		task: TaskId,
		who: &AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult;

	/// Move `amount` of what `who` holds for `task` under `reason` to the treasury account.
	fn slash(
		task: TaskId,
		who: &AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult;

	/// What `who` holds for `task` under `reason`.
	fn held(task: TaskId, who: &AccountId, reason: HoldReason) -> Self::Balance;

	/// Everything held for `task`.
	fn task_total(task: TaskId) -> Self::Balance;

	/// Add `amount` of `who`'s free balance to its evaluator stake.
	fn stake(who: &AccountId, amount: Self::Balance) -> DispatchResult;

	/// Give `amount` of `who`'s evaluator stake back to its free balance.
	fn unstake(who: &AccountId, amount: Self::Balance) -> DispatchResult;

	/// Move `amount` of `who`'s evaluator stake to the treasury account.
	fn slash_stake(who: &AccountId, amount: Self::Balance) -> DispatchResult;

	/// `who`'s evaluator stake.
	fn staked(who: &AccountId) -> Self::Balance;
}

impl<T: Config> Pallet<T> {
	fn runtime_reason(reason: HoldReason) -> T::RuntimeHoldReason {
		reason.into()
	}

	fn ensure_task_reason(reason: HoldReason) -> DispatchResult {
		match reason {
			HoldReason::TaskBounty
			| HoldReason::WorkerBond
			| HoldReason::TaskDeposit
			| HoldReason::AppealBond => Ok(()),
			HoldReason::EvaluatorStake => Err(Error::<T>::WrongReason.into()),
		}
	}

	/// Removes `amount` from the ledger entry of a task hold; the caller then moves the funds.
	fn debit_task_ledger(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		Self::ensure_task_reason(reason)?;
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let key = (task, who.clone(), reason);
		let held = TaskHolds::<T>::get(&key).unwrap_or_default();
		let left = held.checked_sub(&amount).ok_or(Error::<T>::InsufficientHeld)?;
		let total = TaskTotals::<T>::get(task).unwrap_or_default();
		// The ledger invariant makes this infallible; stay defensive anyway.
		let total_left = total.checked_sub(&amount).ok_or(Error::<T>::InsufficientHeld)?;
		if left.is_zero() {
			TaskHolds::<T>::remove(&key);
		} else {
			TaskHolds::<T>::insert(&key, left);
		}
		if total_left.is_zero() {
			TaskTotals::<T>::remove(task);
		} else {
			TaskTotals::<T>::insert(task, total_left);
		}
		Ok(())
	}

	/// Moves held funds of `who` to `to`'s free balance, exactly.
	fn transfer_held(
		who: &T::AccountId,
		reason: HoldReason,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if who == to {
			T::Currency::release(&Self::runtime_reason(reason), who, amount, Precision::Exact)
				.map_err(|_| Error::<T>::InsufficientHeld)?;
		} else {
			T::Currency::transfer_on_hold(
				&Self::runtime_reason(reason),
				who,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.map_err(|_| Error::<T>::CannotReceive)?;
		}
		Ok(())
	}

	/// Removes `amount` from `who`'s stake in the ledger.
	fn debit_stake(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let staked = Stakes::<T>::get(who).unwrap_or_default();
		let left = staked.checked_sub(&amount).ok_or(Error::<T>::InsufficientHeld)?;
		if left.is_zero() {
			Stakes::<T>::remove(who);
		} else {
			Stakes::<T>::insert(who, left);
		}
		Ok(())
	}

	pub(crate) fn do_hold(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			Self::ensure_task_reason(reason)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let key = (task, who.clone(), reason);
			let held = TaskHolds::<T>::get(&key).unwrap_or_default();
			let held = held.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			let total = TaskTotals::<T>::get(task).unwrap_or_default();
			let total = total.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&Self::runtime_reason(reason), who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			TaskHolds::<T>::insert(&key, held);
			TaskTotals::<T>::insert(task, total);
			Self::deposit_event(Event::Held { task, who: who.clone(), reason, amount });
			Ok(())
		})
	}

	pub(crate) fn do_release_to(
		task: TaskId,
		from: &T::AccountId,
		reason: HoldReason,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			Self::debit_task_ledger(task, from, reason, amount)?;
			Self::transfer_held(from, reason, to, amount)?;
			Self::deposit_event(Event::Released {
				task,
				from: from.clone(),
				to: to.clone(),
				reason,
				amount,
			});
			Ok(())
		})
	}

	pub(crate) fn do_refund(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			Self::debit_task_ledger(task, who, reason, amount)?;
			Self::transfer_held(who, reason, who, amount)?;
			Self::deposit_event(Event::Refunded { task, who: who.clone(), reason, amount });
			Ok(())
		})
	}

	pub(crate) fn do_slash(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			Self::debit_task_ledger(task, who, reason, amount)?;
			Self::transfer_held(who, reason, &T::Treasury::get(), amount)?;
			Self::deposit_event(Event::Slashed { task, who: who.clone(), reason, amount });
			Ok(())
		})
	}

	pub(crate) fn do_stake(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		with_storage_layer(|| {
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let staked = Stakes::<T>::get(who).unwrap_or_default();
			let staked = staked.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&Self::runtime_reason(HoldReason::EvaluatorStake), who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Stakes::<T>::insert(who, staked);
			Self::deposit_event(Event::Staked { who: who.clone(), amount });
			Ok(())
		})
	}

	pub(crate) fn do_unstake(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		with_storage_layer(|| {
			Self::debit_stake(who, amount)?;
			Self::transfer_held(who, HoldReason::EvaluatorStake, who, amount)?;
			Self::deposit_event(Event::Unstaked { who: who.clone(), amount });
			Ok(())
		})
	}

	pub(crate) fn do_slash_stake(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		with_storage_layer(|| {
			Self::debit_stake(who, amount)?;
			Self::transfer_held(who, HoldReason::EvaluatorStake, &T::Treasury::get(), amount)?;
			Self::deposit_event(Event::StakeSlashed { who: who.clone(), amount });
			Ok(())
		})
	}

	/// Checks the pallet's invariants (see the crate docs, `# Invariants`).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), DispatchError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame::token::fungible::InspectHold;

		// 1. Task totals equal the sum of their holds; 3. no zero entries.
		let mut per_task: BTreeMap<TaskId, BalanceOf<T>> = BTreeMap::new();
		let mut per_owner: BTreeMap<(T::AccountId, u8), (HoldReason, BalanceOf<T>)> =
			BTreeMap::new();
		for ((task, who, reason), amount) in TaskHolds::<T>::iter() {
			ensure!(!amount.is_zero(), "escrow: zero task hold stored");
			ensure!(reason != HoldReason::EvaluatorStake, "escrow: stake stored as a task hold");
			let sum = per_task.entry(task).or_default();
			*sum = sum.checked_add(&amount).ok_or("escrow: task sum overflows")?;
			let (_, owned) =
				per_owner.entry((who, reason_index(reason))).or_insert((reason, Zero::zero()));
			*owned = owned.checked_add(&amount).ok_or("escrow: owner sum overflows")?;
		}
		let mut totals = 0usize;
		for (task, total) in TaskTotals::<T>::iter() {
			ensure!(!total.is_zero(), "escrow: zero task total stored");
			ensure!(
				per_task.get(&task) == Some(&total),
				"escrow: task total differs from its holds"
			);
			totals = totals.saturating_add(1);
		}
		ensure!(totals == per_task.len(), "escrow: task holds without a total");
		for (who, staked) in Stakes::<T>::iter() {
			ensure!(!staked.is_zero(), "escrow: zero stake stored");
			per_owner.insert(
				(who, reason_index(HoldReason::EvaluatorStake)),
				(HoldReason::EvaluatorStake, staked),
			);
		}
		// 2. The currency's holds equal the ledger.
		for ((who, _), (reason, amount)) in per_owner {
			ensure!(
				T::Currency::balance_on_hold(&Self::runtime_reason(reason), &who) == amount,
				"escrow: balance on hold differs from the ledger"
			);
		}
		Ok(())
	}
}

/// A stable index of each reason, to key the try-state maps (`HoldReason` is not `Ord`).
#[cfg(any(feature = "try-runtime", feature = "std", test))]
fn reason_index(reason: HoldReason) -> u8 {
	match reason {
		HoldReason::TaskBounty => 0,
		HoldReason::WorkerBond => 1,
		HoldReason::EvaluatorStake => 2,
		HoldReason::TaskDeposit => 3,
		HoldReason::AppealBond => 4,
	}
}

impl<T: Config> Escrow<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn hold(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult {
		Self::do_hold(task, who, reason, amount)
	}

	fn release_to(
		task: TaskId,
		from: &T::AccountId,
		reason: HoldReason,
		to: &T::AccountId,
		amount: Self::Balance,
	) -> DispatchResult {
		Self::do_release_to(task, from, reason, to, amount)
	}

	fn refund(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult {
		Self::do_refund(task, who, reason, amount)
	}

	fn slash(
		task: TaskId,
		who: &T::AccountId,
		reason: HoldReason,
		amount: Self::Balance,
	) -> DispatchResult {
		Self::do_slash(task, who, reason, amount)
	}

	fn held(task: TaskId, who: &T::AccountId, reason: HoldReason) -> Self::Balance {
		TaskHolds::<T>::get((task, who.clone(), reason)).unwrap_or_default()
	}

	fn task_total(task: TaskId) -> Self::Balance {
		TaskTotals::<T>::get(task).unwrap_or_default()
	}

	fn stake(who: &T::AccountId, amount: Self::Balance) -> DispatchResult {
		Self::do_stake(who, amount)
	}

	fn unstake(who: &T::AccountId, amount: Self::Balance) -> DispatchResult {
		Self::do_unstake(who, amount)
	}

	fn slash_stake(who: &T::AccountId, amount: Self::Balance) -> DispatchResult {
		Self::do_slash_stake(who, amount)
	}

	fn staked(who: &T::AccountId) -> Self::Balance {
		Stakes::<T>::get(who).unwrap_or_default()
	}
}
