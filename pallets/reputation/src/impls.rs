//! Decay, updates and the trait implementations.

use crate::{pallet::*, InitialReputation, Outcome, Reputation, ReputationRecord, Role};
use frame::prelude::*;
use pouw_primitives::{ReputationProvider, ReputationRecorder};

/// More periods than this decay as many: `(1 - d)^n` is already zero in millionths for any
/// `d >= 1 %` long before, and `saturating_pow` stays cheap.
const MAX_DECAY_PERIODS: u32 = 1 << 16;

impl<T: Config> Pallet<T> {
	/// Number of whole period boundaries crossed going from block `from` to block `to`.
	pub(crate) fn periods_between(from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> u32 {
		let period = T::DecayPeriod::get();
		if period.is_zero() || to <= from {
			return 0;
		}
		let start = from.checked_div(&period).unwrap_or_default();
		let end = to.checked_div(&period).unwrap_or_default();
		let crossed = end.saturating_sub(start);
		let crossed: u32 = crossed.try_into().unwrap_or(u32::MAX);
		crossed.min(MAX_DECAY_PERIODS)
	}

	/// `score` after `periods` decay periods toward neutral.
	pub fn decayed(score: Reputation, periods: u32) -> Reputation {
		if periods == 0 {
			return score;
		}
		let neutral = T::Neutral::get();
		let retain = Reputation::one()
			.saturating_sub(T::DecayPerPeriod::get())
			.saturating_pow(periods as usize);
		if score >= neutral {
			let distance = score.saturating_sub(neutral).deconstruct();
			Reputation::from_parts(neutral.deconstruct().saturating_add(retain.mul_floor(distance)))
		} else {
			let distance = neutral.saturating_sub(score).deconstruct();
			Reputation::from_parts(neutral.deconstruct().saturating_sub(retain.mul_floor(distance)))
		}
	}

	/// `who`'s reputation in `role` at block `now`.
	pub fn reputation_at(who: &T::AccountId, role: Role, now: BlockNumberFor<T>) -> Reputation {
		match Reputations::<T>::get(who, role) {
			Some(record) => {
				Self::decayed(record.score, Self::periods_between(record.updated_at, now))
			},
			None => T::InitialReputation::initial(role),
		}
	}

	pub(crate) fn do_record(who: &T::AccountId, role: Role, outcome: Outcome) -> Reputation {
		let now = frame_system::Pallet::<T>::block_number();
		let before = Self::reputation_at(who, role, now);
		let after = match outcome {
			Outcome::Success => before.saturating_add(T::SuccessGain::get()),
			Outcome::Failure => before.saturating_sub(T::FailurePenalty::get()),
		};
		Reputations::<T>::insert(who, role, ReputationRecord { score: after, updated_at: now });
		Self::deposit_event(Event::ReputationUpdated {
			who: who.clone(),
			role,
			outcome,
			before,
			after,
		});
		after
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		for (_, _, record) in Reputations::<T>::iter() {
			ensure!(record.updated_at <= now, "reputation: record updated in the future");
		}
		Ok(())
	}
}

impl<T: Config> ReputationProvider<T::AccountId> for Pallet<T> {
	fn reputation(who: &T::AccountId, role: Role) -> Reputation {
		Self::reputation_at(who, role, frame_system::Pallet::<T>::block_number())
	}
}

impl<T: Config> ReputationRecorder<T::AccountId> for Pallet<T> {
	fn record(who: &T::AccountId, role: Role, outcome: Outcome) -> Reputation {
		Self::do_record(who, role, outcome)
	}
}

/// The same initial value for every role.
impl<V: Get<Reputation>> InitialReputation for V {
	fn initial(_role: Role) -> Reputation {
		V::get()
	}
}
