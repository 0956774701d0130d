//! Settling a task: every ending pays or refunds everything the task holds.
//!
//! Every escrow operation here is on amounts the task holds, so it cannot fail short of a
//! broken invariant; should one fail anyway, the amount stays on hold and the final sweep
//! refunds it to its owner, so no funds are ever lost or stuck.

use crate::{
	pallet::*, BalanceOf, FailureReason, RejectionReason, Submission, TaskInfo, TaskStatus, Winner,
};
use alloc::vec::Vec;
use frame::prelude::*;
use pallet_escrow::{Escrow, HoldReason};
use pouw_primitives::{
	Outcome, QuorumManager, ReputationRecorder, Role, Score, SubmissionIndex, TaskId,
};

const LOG_TARGET: &str = "runtime::task-registry";

impl<T: Config> Pallet<T> {
	/// Every submission of a task, ascending.
	pub(crate) fn all_submissions(task: TaskId) -> Vec<(SubmissionIndex, Submission<T>)> {
		let mut all: Vec<_> = Submissions::<T>::iter_prefix(task).collect();
		all.sort_by_key(|(index, _)| *index);
		all
	}

	fn reject(
		task: TaskId,
		index: SubmissionIndex,
		worker: &T::AccountId,
		reason: RejectionReason,
	) {
		Self::deposit_event(Event::SubmissionRejected {
			task,
			submission: index,
			worker: worker.clone(),
			reason,
		});
	}

	/// Slashes a bond to the treasury and lowers the worker's reputation.
	fn forfeit_bond(
		task: TaskId,
		index: SubmissionIndex,
		s: &Submission<T>,
		reason: RejectionReason,
	) {
		if let Err(e) = T::Escrow::slash(task, &s.worker, HoldReason::WorkerBond, s.bond) {
			log::error!(target: LOG_TARGET, "bond slash failed for {task:?}: {e:?}");
		}
		T::Reputation::record(&s.worker, Role::Worker, Outcome::Failure);
		Self::reject(task, index, &s.worker, reason);
	}

	/// Refunds a bond whole, slot fee included (endings where no quorum settled anything).
	fn return_bond(task: TaskId, s: &Submission<T>) {
		if let Err(e) = T::Escrow::refund(task, &s.worker, HoldReason::WorkerBond, s.bond) {
			log::error!(target: LOG_TARGET, "bond refund failed for {task:?}: {e:?}");
		}
	}

	/// Pays a bond's slot fee to the treasury and refunds the rest.
	fn return_bond_less_fee(task: TaskId, s: &Submission<T>) {
		if !s.slot_fee.is_zero() {
			if let Err(e) = T::Escrow::slash(task, &s.worker, HoldReason::WorkerBond, s.slot_fee) {
				log::error!(target: LOG_TARGET, "slot fee failed for {task:?}: {e:?}");
			}
		}
		let rest = s.bond.saturating_sub(s.slot_fee);
		if let Err(e) = T::Escrow::refund(task, &s.worker, HoldReason::WorkerBond, rest) {
			log::error!(target: LOG_TARGET, "bond refund failed for {task:?}: {e:?}");
		}
	}

	/// Pays `amount` of the bounty to `to`; returns what was paid.
	fn pay(
		task: TaskId,
		sponsor: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		match T::Escrow::release_to(task, sponsor, HoldReason::TaskBounty, to, amount) {
			Ok(()) => amount,
			Err(e) => {
				log::error!(target: LOG_TARGET, "payout failed for {task:?}: {e:?}");
				Zero::zero()
			},
		}
	}

	/// Pays `part` of the bounty in equal shares to `evaluators`; returns what was paid.
	fn pay_evaluators(
		task: TaskId,
		sponsor: &T::AccountId,
		part: BalanceOf<T>,
		evaluators: &[T::AccountId],
	) -> BalanceOf<T> {
		let count = BalanceOf::<T>::from(u32::try_from(evaluators.len()).unwrap_or(u32::MAX));
		let each = part.checked_div(&count).unwrap_or_default();
		let mut paid: BalanceOf<T> = Zero::zero();
		for evaluator in evaluators {
			paid = paid.saturating_add(Self::pay(task, sponsor, evaluator, each));
		}
		paid
	}

	/// The sponsor is at fault (it kept its test set, or revealed an unusable one): `amount` of
	/// the bounty is split among the workers who revealed, their bonds come back, what is left
	/// of the bounty (rounding dust, or the part no revealer gets) goes to the treasury rather
	/// than back to the sponsor, and the sponsor's reputation falls.
	/// No quorum validated the models, so the workers gain no reputation (else a sponsor with
	/// sybil workers farms it for them).
	fn split_among_revealers(
		task: TaskId,
		sponsor: &T::AccountId,
		amount: BalanceOf<T>,
		revealers: &[(SubmissionIndex, Submission<T>)],
	) {
		T::Reputation::record(sponsor, Role::Sponsor, Outcome::Failure);
		let count = BalanceOf::<T>::from(u32::try_from(revealers.len()).unwrap_or(u32::MAX));
		let share = amount.checked_div(&count).unwrap_or_default();
		for (_, s) in revealers {
			Self::return_bond_less_fee(task, s);
			Self::pay(task, sponsor, &s.worker, share);
		}
		let dust = T::Escrow::held(task, sponsor, HoldReason::TaskBounty);
		Self::pay(task, sponsor, &T::Treasury::get(), dust);
	}

	/// Pays the evaluators' part of the bounty to the honest ones; returns what was paid. With
	/// no appeal round they share it equally. After one, each honest member of the first
	/// quorum is paid its seat's share (`part / quorum`, what it would have earned had the
	/// whole quorum been honest), and the appeal quorum's honest members share the rest (the
	/// seats of the first quorum's outliers and no-shows).
	fn pay_quorums(
		task: TaskId,
		info: &TaskInfo<T>,
		verdict: &pouw_primitives::Verdict<T::AccountId>,
	) -> BalanceOf<T> {
		let part = T::EvaluatorShare::get().mul_floor(info.bounty);
		let sponsor = &info.sponsor;
		if !info.appeal.as_ref().is_some_and(|a| a.drawn) {
			return Self::pay_evaluators(task, sponsor, part, &verdict.honest);
		}
		let seat = part.checked_div(&BalanceOf::<T>::from(info.spec.quorum)).unwrap_or_default();
		let mut paid: BalanceOf<T> = Zero::zero();
		for evaluator in &verdict.honest {
			paid = paid.saturating_add(Self::pay(task, sponsor, evaluator, seat));
		}
		let rest = part.saturating_sub(paid);
		paid.saturating_add(Self::pay_evaluators(task, sponsor, rest, &verdict.appeal_honest))
	}

	/// Settles the appeal bond: refunded when the appeal changed the finding (or nothing was
	/// found, or the appeal was not drawn), paid to the appeal quorum's honest evaluators
	/// when it changed nothing (dust to the treasury).
	fn settle_appeal(
		task: TaskId,
		info: &TaskInfo<T>,
		verdict: &pouw_primitives::Verdict<T::AccountId>,
	) {
		let Some(appeal) = &info.appeal else { return };
		let upheld = if appeal.drawn { verdict.appeal_upheld } else { None };
		let who = &appeal.appellant;
		if upheld == Some(false) && !verdict.appeal_honest.is_empty() {
			let count = BalanceOf::<T>::from(
				u32::try_from(verdict.appeal_honest.len()).unwrap_or(u32::MAX),
			);
			let each = appeal.bond.checked_div(&count).unwrap_or_default();
			for evaluator in &verdict.appeal_honest {
				if each.is_zero() {
					break;
				}
				if let Err(e) =
					T::Escrow::release_to(task, who, HoldReason::AppealBond, evaluator, each)
				{
					log::error!(target: LOG_TARGET, "appeal payout failed for {task:?}: {e:?}");
				}
			}
			let dust = T::Escrow::held(task, who, HoldReason::AppealBond);
			if !dust.is_zero() {
				let _ = T::Escrow::slash(task, who, HoldReason::AppealBond, dust);
			}
		}
		// Otherwise the final sweep refunds it.
		Self::deposit_event(Event::AppealSettled { task, upheld });
	}

	/// Refunds whatever the task still holds to its owners.
	fn sweep(task: TaskId, info: &TaskInfo<T>, submissions: &[(SubmissionIndex, Submission<T>)]) {
		let left = T::Escrow::held(task, &info.sponsor, HoldReason::TaskBounty);
		if !left.is_zero() {
			let _ = T::Escrow::refund(task, &info.sponsor, HoldReason::TaskBounty, left);
		}
		if let Some(appeal) = &info.appeal {
			let left = T::Escrow::held(task, &appeal.appellant, HoldReason::AppealBond);
			if !left.is_zero() {
				let _ = T::Escrow::refund(task, &appeal.appellant, HoldReason::AppealBond, left);
			}
		}
		for (_, s) in submissions {
			let left = T::Escrow::held(task, &s.worker, HoldReason::WorkerBond);
			if !left.is_zero() {
				let _ = T::Escrow::refund(task, &s.worker, HoldReason::WorkerBond, left);
			}
		}
	}

	/// Ends the task with `status`, refunding what is left, and emits `TaskFailed` for failures.
	fn close(
		task: TaskId,
		mut info: TaskInfo<T>,
		status: TaskStatus,
		submissions: &[(SubmissionIndex, Submission<T>)],
	) -> DispatchResult {
		Self::sweep(task, &info, submissions);
		info.status = status;
		Self::end_task(task, info);
		if let TaskStatus::Failed(reason) = status {
			Self::deposit_event(Event::TaskFailed { task, reason });
		}
		Ok(())
	}

	/// Non-revealers forfeit their bonds; returns the revealers, ascending.
	fn settle_non_revealers(
		task: TaskId,
		submissions: &[(SubmissionIndex, Submission<T>)],
	) -> Vec<(SubmissionIndex, Submission<T>)> {
		let mut revealers = Vec::new();
		for (index, s) in submissions {
			if s.model.is_some() {
				revealers.push((*index, s.clone()));
			} else {
				Self::forfeit_bond(task, *index, s, RejectionReason::NotRevealed);
			}
		}
		revealers
	}

	/// The draw could not happen (too few evaluators, or no randomness): the bounty and the
	/// revealers' bonds are refunded, unrevealed bonds forfeit. No quorum validated any model,
	/// so no worker gains reputation.
	pub(crate) fn fail_with_refunds(
		task: TaskId,
		info: TaskInfo<T>,
		reason: FailureReason,
	) -> DispatchResult {
		let submissions = Self::all_submissions(task);
		let revealers = Self::settle_non_revealers(task, &submissions);
		for (_, s) in &revealers {
			Self::return_bond(task, s);
		}
		Self::close(task, info, TaskStatus::Failed(reason), &submissions)
	}

	/// Settles a due task (or one whose test-set reveal found no model revealed).
	pub(crate) fn settle(task: TaskId, mut info: TaskInfo<T>) -> DispatchResult {
		let submissions = Self::all_submissions(task);
		let revealers = Self::settle_non_revealers(task, &submissions);
		let sponsor = info.sponsor.clone();

		if revealers.is_empty() {
			return Self::close(
				task,
				info,
				TaskStatus::Failed(FailureReason::NoModelRevealed),
				&submissions,
			);
		}

		if info.test_set.is_none() {
			// The revealers share the winner's part; the rest goes to the treasury, so keeping
			// the test set never costs the sponsor less than an honest ending (else a sponsor
			// whose sybils are the only workers saves the evaluators' and treasury's parts).
			let reason = FailureReason::SponsorDidNotReveal;
			let part = T::WinnerShare::get().mul_floor(info.bounty);
			Self::split_among_revealers(task, &sponsor, part, &revealers);
			return Self::close(task, info, TaskStatus::Failed(reason), &submissions);
		}

		let indices: Vec<SubmissionIndex> = revealers.iter().map(|(index, _)| *index).collect();
		let verdict = T::Verification::conclude(task, &indices);
		Self::settle_appeal(task, &info, &verdict);
		if verdict.test_set_unusable {
			// The reporters did their part; the workers get the rest, as if the sponsor had
			// kept its test set.
			let paid = Self::pay_quorums(task, &info, &verdict);
			let rest = info.bounty.saturating_sub(paid);
			Self::split_among_revealers(task, &sponsor, rest, &revealers);
			let reason = FailureReason::TestSetUnusable;
			return Self::close(task, info, TaskStatus::Failed(reason), &submissions);
		}
		if !verdict.quorum_reached || !verdict.agreed {
			// No quorum validated anything: bonds back, no reputation for anyone, and none
			// for the sponsor, whose test set may be why.
			for (_, s) in &revealers {
				Self::return_bond(task, s);
			}
			let reason = if verdict.quorum_reached {
				FailureReason::NoAgreement
			} else {
				FailureReason::QuorumNotReached
			};
			return Self::close(task, info, TaskStatus::Failed(reason), &submissions);
		}
		T::Reputation::record(&sponsor, Role::Sponsor, Outcome::Success);

		// Invalid models forfeit their bonds; valid ones compete.
		let metric = info.spec.metric;
		let mut valid: Vec<(SubmissionIndex, Submission<T>, Score)> = Vec::new();
		for (index, s) in &revealers {
			match verdict.medians.iter().find(|(i, _)| i == index).and_then(|(_, m)| *m) {
				Some(score) => valid.push((*index, s.clone(), score)),
				None => Self::forfeit_bond(task, *index, s, RejectionReason::InvalidModel),
			}
		}
		// Only models better than the median of the valid ones gain reputation (and the winner,
		// always): sybils revealing weak models of the right shape next to a real one farmed
		// it, one point per sybil per task.
		let mut sorted: Vec<u64> = valid.iter().map(|(_, _, score)| score.0).collect();
		sorted.sort_unstable();
		let median = pouw_primitives::median(&sorted).map(Score);
		let mut gained: Vec<SubmissionIndex> = Vec::new();
		let mut winner: Option<(SubmissionIndex, Submission<T>, Score)> = None;
		for (index, s, score) in &valid {
			Self::return_bond_less_fee(task, s);
			let meets = info.spec.min_score.is_none_or(|min| metric.meets(*score, min));
			if !meets {
				// Valid but not what the sponsor asked for: the bond back, no reputation.
				Self::reject(task, *index, &s.worker, RejectionReason::BelowMinimum);
				continue;
			}
			if median.is_some_and(|m| metric.is_better(*score, m)) {
				T::Reputation::record(&s.worker, Role::Worker, Outcome::Success);
				gained.push(*index);
			}
			// Ascending order: a later submission wins only when strictly better.
			let better = match &winner {
				None => true,
				Some((_, _, best)) => metric.is_better(*score, *best),
			};
			if better {
				if let Some((lost, loser, _)) = winner.take() {
					Self::reject(task, lost, &loser.worker, RejectionReason::Outscored);
				}
				winner = Some((*index, s.clone(), *score));
			} else {
				Self::reject(task, *index, &s.worker, RejectionReason::Outscored);
			}
		}

		// Honest evaluators share their part in every ending with a reached quorum.
		let evaluators_paid = Self::pay_quorums(task, &info, &verdict);

		let Some((index, s, score)) = winner else {
			let reason = if valid.is_empty() {
				FailureReason::NoValidModel
			} else {
				FailureReason::NoModelMetMinimum
			};
			return Self::close(task, info, TaskStatus::Failed(reason), &submissions);
		};
		let winner_paid =
			Self::pay(task, &sponsor, &s.worker, T::WinnerShare::get().mul_floor(info.bounty));
		// The winner gains twice, whether or not it beat the median (a lone model does not).
		if !gained.contains(&index) {
			T::Reputation::record(&s.worker, Role::Worker, Outcome::Success);
		}
		T::Reputation::record(&s.worker, Role::Worker, Outcome::Success);
		let rest = T::Escrow::held(task, &sponsor, HoldReason::TaskBounty);
		let treasury_paid = Self::pay(task, &sponsor, &T::Treasury::get(), rest);
		let model = s.model.clone().unwrap_or_else(|| crate::RevealedModel {
			uri: Default::default(),
			hash: Default::default(),
		});
		info.winner = Some(Winner {
			submission: index,
			worker: s.worker.clone(),
			model_uri: model.uri,
			model_hash: model.hash,
			score,
		});
		Self::deposit_event(Event::TaskFinalized {
			task,
			winner: index,
			worker: s.worker.clone(),
			score,
			winner_paid,
			evaluators_paid,
			treasury_paid,
		});
		Self::close(task, info, TaskStatus::Finalized, &submissions)
	}
}
