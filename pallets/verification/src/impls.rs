//! Registration, the quorum draw, score commit-reveal and aggregation.

use crate::{
	pallet::*, BalanceOf, EvaluatorInfo, EvaluatorStatus, PenaltyReason, Quorum, ScoresOf,
};
use alloc::vec::Vec;
use frame::prelude::*;
use pallet_escrow::Escrow;
use pouw_primitives::{
	commitment::{scores_commitment, unusable_commitment},
	Hash256, Outcome, QuorumError, QuorumManager, ReputationProvider, ReputationRecorder, Role,
	Salt, Score, SubmissionIndex, TaskId, TaskInspector, Verdict,
};

const LOG_TARGET: &str = "runtime::verification";

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register(who: &T::AccountId, stake: BalanceOf<T>) -> DispatchResult {
		ensure!(!stake.is_zero(), Error::<T>::StakeTooLow);
		match Evaluators::<T>::get(who) {
			Some(info) => {
				ensure!(info.status == EvaluatorStatus::Active, Error::<T>::EvaluatorLeaving);
			},
			None => {
				ensure!(stake >= T::MinEvaluatorStake::get(), Error::<T>::StakeTooLow);
				Pool::<T>::try_mutate(|pool| pool.try_push(who.clone()))
					.map_err(|_| Error::<T>::PoolFull)?;
				Evaluators::<T>::insert(
					who,
					EvaluatorInfo { status: EvaluatorStatus::Active, assignments: 0 },
				);
			},
		}
		T::Escrow::stake(who, stake).map_err(|_| Error::<T>::InsufficientBalance)?;
		Self::deposit_event(Event::EvaluatorRegistered {
			who: who.clone(),
			added: stake,
			stake: T::Escrow::staked(who),
		});
		Ok(())
	}

	pub(crate) fn do_unregister(who: &T::AccountId) -> DispatchResult {
		let mut info = Evaluators::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(info.status == EvaluatorStatus::Active, Error::<T>::EvaluatorLeaving);
		let now = frame_system::Pallet::<T>::block_number();
		info.status = EvaluatorStatus::Leaving { since: now };
		Evaluators::<T>::insert(who, info);
		// It stays in the pool, drawable only for the tasks posted before it left, until it
		// withdraws: its own evaluators leaving cannot let a sponsor escape a draw.
		Self::deposit_event(Event::EvaluatorUnregistered {
			who: who.clone(),
			unbonds_at: now.saturating_add(T::UnbondingPeriod::get()),
		});
		Ok(())
	}

	pub(crate) fn do_withdraw(who: &T::AccountId) -> DispatchResult {
		let info = Evaluators::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let EvaluatorStatus::Leaving { since } = info.status else {
			return Err(Error::<T>::NotLeaving.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= since.saturating_add(T::UnbondingPeriod::get()), Error::<T>::StillUnbonding);
		ensure!(info.assignments == 0, Error::<T>::StillAssigned);
		let amount = T::Escrow::staked(who);
		if !amount.is_zero() {
			T::Escrow::unstake(who, amount)?;
		}
		Evaluators::<T>::remove(who);
		Pool::<T>::mutate(|pool| pool.retain(|member| member != who));
		Self::deposit_event(Event::StakeWithdrawn { who: who.clone(), amount });
		Ok(())
	}

	/// The quorum of a task still taking scores, checked to contain `who`.
	fn quorum_member(
		who: &T::AccountId,
		task: TaskId,
	) -> Result<(BlockNumberFor<T>, BlockNumberFor<T>), DispatchError> {
		let quorum = Quorums::<T>::get(task).ok_or(Error::<T>::NotInEvaluation)?;
		ensure!(!quorum.concluded, Error::<T>::NotInEvaluation);
		let windows = T::Tasks::evaluation_windows(task).ok_or(Error::<T>::NotInEvaluation)?;
		ensure!(quorum.members.contains(who), Error::<T>::NotInQuorum);
		Ok(windows)
	}

	pub(crate) fn do_commit_scores(
		who: &T::AccountId,
		task: TaskId,
		commitment: Hash256,
	) -> DispatchResult {
		let (commit_end, _) = Self::quorum_member(who, task)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= commit_end, Error::<T>::CommitWindowClosed);
		ensure!(!ScoreCommitments::<T>::contains_key(task, who), Error::<T>::AlreadyCommitted);
		ScoreCommitments::<T>::insert(task, who, commitment);
		Self::deposit_event(Event::ScoresCommitted { task, who: who.clone() });
		Ok(())
	}

	pub(crate) fn do_reveal_scores(
		who: &T::AccountId,
		task: TaskId,
		scores: ScoresOf<T>,
		salt: Salt,
	) -> DispatchResult {
		let commitment = Self::revealable_commitment(who, task)?;
		let metric = T::Tasks::metric(task).ok_or(Error::<T>::NotInEvaluation)?;
		ensure!(
			scores.iter().all(|(_, score)| score.is_none_or(|score| metric.in_range(score))),
			Error::<T>::ScoreOutOfRange
		);
		let expected = T::Tasks::revealed_submissions(task);
		ensure!(
			scores.len() == expected.len()
				&& scores.iter().zip(expected.iter()).all(|((index, _), want)| index == want),
			Error::<T>::ScoresDoNotCoverSubmissions
		);
		ensure!(
			scores_commitment(&scores, &salt, who) == commitment,
			Error::<T>::CommitmentMismatch
		);
		Self::deposit_event(Event::ScoresRevealed {
			task,
			who: who.clone(),
			scores: scores.to_vec(),
		});
		RevealedScores::<T>::insert(task, who, scores);
		Ok(())
	}

	/// The commitment `who` may now reveal for `task` (scores or the *unusable* verdict): a
	/// quorum member, in the reveal window, that committed and has not revealed yet.
	fn revealable_commitment(who: &T::AccountId, task: TaskId) -> Result<Hash256, DispatchError> {
		let (commit_end, evaluation_end) = Self::quorum_member(who, task)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now > commit_end && now <= evaluation_end, Error::<T>::RevealWindowClosed);
		let commitment = ScoreCommitments::<T>::get(task, who).ok_or(Error::<T>::NotCommitted)?;
		ensure!(!Self::has_revealed(task, who), Error::<T>::AlreadyRevealed);
		Ok(commitment)
	}

	fn has_revealed(task: TaskId, who: &T::AccountId) -> bool {
		RevealedScores::<T>::contains_key(task, who)
			|| ReportedUnusable::<T>::contains_key(task, who)
	}

	pub(crate) fn do_reveal_unusable(
		who: &T::AccountId,
		task: TaskId,
		salt: Salt,
	) -> DispatchResult {
		let commitment = Self::revealable_commitment(who, task)?;
		ensure!(unusable_commitment(&salt, who) == commitment, Error::<T>::CommitmentMismatch);
		ReportedUnusable::<T>::insert(task, who, ());
		Self::deposit_event(Event::TestSetReportedUnusable { task, who: who.clone() });
		Ok(())
	}

	/// The draw weight of an eligible evaluator: stake times reputation (in millionths).
	fn draw_weight(who: &T::AccountId) -> u128 {
		let stake: u128 = T::Escrow::staked(who).saturated_into();
		let reputation = T::Reputation::reputation(who, Role::Evaluator);
		stake.saturating_mul(u128::from(reputation.deconstruct()))
	}

	/// A uniform-enough `u128` from the seed and a counter.
	fn random_u128(seed: &[u8; 32], round: u32) -> u128 {
		let hash = (seed, round).using_encoded(blake2_256);
		let mut bytes = [0u8; 16];
		bytes.copy_from_slice(hash.get(..16).unwrap_or(&[0u8; 16]));
		u128::from_le_bytes(bytes)
	}

	/// Median of a non-empty sorted slice; with an even count, the floor of the mean of the two
	/// middle values.
	pub(crate) fn median(sorted: &[u64]) -> Option<u64> {
		let len = sorted.len();
		let mid = len.checked_div(2)?;
		let upper = *sorted.get(mid)?;
		if len % 2 == 1 {
			return Some(upper);
		}
		let lower = *sorted.get(mid.checked_sub(1)?)?;
		// floor((a + b) / 2) without overflow.
		Some(
			(lower / 2)
				.saturating_add(upper / 2)
				.saturating_add((lower % 2).saturating_add(upper % 2) / 2),
		)
	}

	/// Per submission, the median of the revealed scores and who is off it; `None` when some
	/// submission has no agreeing strict majority of the `members` drawn. A score agrees when
	/// it lies within [`Config::ScoreTolerance`] of the median; a submission is invalid only
	/// when a strict majority of the drawn quorum says so. Counting the drawn quorum, not only
	/// those who revealed, means two revealers out of three must agree with each other: one
	/// colluder next to one honest revealer decides nothing.
	#[allow(clippy::type_complexity)]
	fn aggregate(
		submissions: &[SubmissionIndex],
		revealed: &[(T::AccountId, ScoresOf<T>)],
		members: usize,
	) -> Option<(Vec<(SubmissionIndex, Option<Score>)>, Vec<bool>)> {
		let tolerance = T::ScoreTolerance::get();
		let majority = (members / 2).saturating_add(1);
		let mut medians = Vec::new();
		let mut outlier = alloc::vec![false; revealed.len()];
		for (position, submission) in submissions.iter().enumerate() {
			let entries: Vec<Option<Score>> = revealed
				.iter()
				.map(|(_, scores)| match scores.get(position) {
					Some((index, score)) if index == submission => *score,
					_ => None,
				})
				.collect();
			let mut valid: Vec<u64> = entries.iter().flatten().map(|s| s.0).collect();
			valid.sort_unstable();
			let median = Self::median(&valid).map(Score);
			let agreeing = entries
				.iter()
				.flatten()
				.filter(|score| median.is_some_and(|m| score.abs_diff(m) <= tolerance))
				.count();
			let invalid = entries.iter().filter(|entry| entry.is_none()).count();
			let consensus = if agreeing >= majority {
				median
			} else if invalid >= majority {
				None
			} else {
				return None;
			};
			for (i, entry) in entries.iter().enumerate() {
				let off = match (consensus, entry) {
					(Some(median), Some(score)) => score.abs_diff(median) > tolerance,
					(None, None) => false,
					_ => true,
				};
				if off {
					if let Some(flag) = outlier.get_mut(i) {
						*flag = true;
					}
				}
			}
			medians.push((*submission, consensus));
		}
		Some((medians, outlier))
	}

	/// How many quorums `who` may sit in at once: one per [`Config::MinEvaluatorStake`] staked.
	pub fn seats(who: &T::AccountId) -> u32 {
		let stake = T::Escrow::staked(who);
		let seats = stake.checked_div(&T::MinEvaluatorStake::get()).unwrap_or_default();
		seats.saturated_into()
	}

	/// The evaluators a quorum of a task posted at `posted` may be drawn from, with their draw
	/// weights: in the pool and active, or leaving since the task was posted (`None`: a task
	/// posted now, so active only); reputation at least the minimum; a seat free; not excluded.
	fn candidates(
		excluded: &[T::AccountId],
		posted: Option<BlockNumberFor<T>>,
	) -> Vec<(T::AccountId, u128)> {
		let minimum = T::MinEvaluatorReputation::get();
		Pool::<T>::get()
			.into_iter()
			.filter(|who| !excluded.contains(who))
			.filter(|who| {
				// One read of the evaluator for both its status and its seats.
				Evaluators::<T>::get(who).is_some_and(|info| {
					let serves = match info.status {
						EvaluatorStatus::Active => true,
						EvaluatorStatus::Leaving { since } => posted.is_some_and(|at| since >= at),
					};
					serves && info.assignments < Self::seats(who)
				})
			})
			.filter(|who| T::Reputation::meets(who, Role::Evaluator, minimum))
			.map(|who| {
				let weight = Self::draw_weight(&who);
				(who, weight)
			})
			.filter(|(_, weight)| *weight > 0)
			.collect()
	}

	/// Slashes [`Config::OutlierSlash`] of one seat's stake (the minimum stake, or what is left
	/// when less), so one misbehaving seat never costs the stake that backs the others.
	fn penalise(task: TaskId, who: &T::AccountId, reason: PenaltyReason) {
		let seat = T::Escrow::staked(who).min(T::MinEvaluatorStake::get());
		let slashed = T::OutlierSlash::get().mul_floor(seat);
		let slashed = if slashed.is_zero() {
			slashed
		} else {
			match T::Escrow::slash_stake(who, slashed) {
				Ok(()) => slashed,
				Err(e) => {
					log::error!(target: LOG_TARGET, "slashing {who:?} for {task:?} failed: {e:?}");
					Zero::zero()
				},
			}
		};
		T::Reputation::record(who, Role::Evaluator, Outcome::Failure);
		Self::deposit_event(Event::EvaluatorPenalised { task, who: who.clone(), reason, slashed });
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), DispatchError> {
		use alloc::collections::btree_map::BTreeMap;
		let pool = Pool::<T>::get();
		for member in pool.iter() {
			ensure!(
				Evaluators::<T>::contains_key(member),
				"verification: pool member not registered"
			);
		}
		let mut pending: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (task, quorum) in Quorums::<T>::iter() {
			if !quorum.concluded {
				for member in quorum.members.iter() {
					let n = pending.entry(member.clone()).or_default();
					*n = n.saturating_add(1);
				}
			}
			for (who, _) in ScoreCommitments::<T>::iter_prefix(task) {
				ensure!(quorum.members.contains(&who), "verification: commitment from non-member");
			}
			for (who, _) in RevealedScores::<T>::iter_prefix(task) {
				ensure!(quorum.members.contains(&who), "verification: scores from non-member");
				ensure!(
					!ReportedUnusable::<T>::contains_key(task, &who),
					"verification: both scores and an unusable verdict"
				);
			}
			for (who, _) in ReportedUnusable::<T>::iter_prefix(task) {
				ensure!(quorum.members.contains(&who), "verification: verdict from non-member");
			}
		}
		for (who, info) in Evaluators::<T>::iter() {
			ensure!(!T::Escrow::staked(&who).is_zero(), "verification: evaluator without stake");
			ensure!(
				pending.get(&who).copied().unwrap_or(0) == info.assignments,
				"verification: assignments differ from pending quorums"
			);
			// Leaving evaluators stay in the pool until they withdraw.
			ensure!(pool.contains(&who), "verification: registered evaluator not in pool");
		}
		Ok(())
	}
}

impl<T: Config> QuorumManager<T::AccountId> for Pallet<T> {
	fn draw_quorum(
		task: TaskId,
		seed: [u8; 32],
		size: u32,
		excluded: &[T::AccountId],
	) -> Result<Vec<T::AccountId>, QuorumError> {
		if size == 0 || size > T::MaxQuorum::get() {
			return Err(QuorumError::BadQuorumSize);
		}
		let posted = T::Tasks::posted_at(task);
		let mut candidates = Self::candidates(excluded, posted);
		let eligible = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
		if eligible < size {
			return Err(QuorumError::NotEnoughEvaluators { eligible });
		}
		let mut members: BoundedVec<T::AccountId, T::MaxQuorum> = BoundedVec::new();
		for round in 0..size {
			let total = candidates.iter().fold(0u128, |sum, (_, w)| sum.saturating_add(*w));
			let mut pick = Self::random_u128(&seed, round).checked_rem(total).unwrap_or(0);
			let mut chosen = 0usize;
			for (i, (_, weight)) in candidates.iter().enumerate() {
				if pick < *weight {
					chosen = i;
					break;
				}
				pick = pick.saturating_sub(*weight);
			}
			if chosen >= candidates.len() {
				return Err(QuorumError::NotEnoughEvaluators { eligible });
			}
			let (who, _) = candidates.swap_remove(chosen);
			members.try_push(who).map_err(|_| QuorumError::BadQuorumSize)?;
		}
		for who in members.iter() {
			Evaluators::<T>::mutate(who, |info| {
				if let Some(info) = info {
					info.assignments = info.assignments.saturating_add(1);
				}
			});
		}
		Self::deposit_event(Event::QuorumDrawn { task, members: members.to_vec(), seed, eligible });
		let drawn = members.to_vec();
		Quorums::<T>::insert(task, Quorum { members, seed, concluded: false });
		Ok(drawn)
	}

	fn eligible(excluded: &[T::AccountId]) -> u32 {
		u32::try_from(Self::candidates(excluded, None).len()).unwrap_or(u32::MAX)
	}

	fn conclude(task: TaskId, submissions: &[SubmissionIndex]) -> Verdict<T::AccountId> {
		let mut verdict = Verdict {
			quorum_reached: false,
			agreed: false,
			test_set_unusable: false,
			medians: Vec::new(),
			honest: Vec::new(),
			penalised: Vec::new(),
		};
		let Some(mut quorum) = Quorums::<T>::get(task) else { return verdict };
		if quorum.concluded {
			return verdict;
		}
		// Who revealed, and the scores of each, aligned with `submissions`.
		let mut revealed: Vec<(T::AccountId, ScoresOf<T>)> = Vec::new();
		let mut reporters: Vec<T::AccountId> = Vec::new();
		for who in quorum.members.iter() {
			if ReportedUnusable::<T>::contains_key(task, who) {
				reporters.push(who.clone());
				continue;
			}
			match RevealedScores::<T>::get(task, who) {
				Some(scores) => revealed.push((who.clone(), scores)),
				None => {
					let reason = if ScoreCommitments::<T>::contains_key(task, who) {
						PenaltyReason::DidNotReveal
					} else {
						PenaltyReason::DidNotCommit
					};
					Self::penalise(task, who, reason);
					verdict.penalised.push(who.clone());
				},
			}
		}
		let members = quorum.members.len();
		let answered = revealed.len().saturating_add(reporters.len());
		verdict.quorum_reached = answered.saturating_mul(3) >= members.saturating_mul(2);
		let majority = (members / 2).saturating_add(1);

		if verdict.quorum_reached && reporters.len() >= majority {
			// The sponsor's test set could not be used: the reporters are right, and those who
			// revealed scores against them are outliers.
			verdict.test_set_unusable = true;
			for who in reporters.drain(..) {
				T::Reputation::record(&who, Role::Evaluator, Outcome::Success);
				verdict.honest.push(who);
			}
			for (who, _) in revealed.drain(..) {
				Self::penalise(task, &who, PenaltyReason::Outlier);
				verdict.penalised.push(who);
			}
		}

		if verdict.quorum_reached && !verdict.test_set_unusable {
			match Self::aggregate(submissions, &revealed, members) {
				Some((medians, outlier)) => {
					verdict.agreed = true;
					verdict.medians = medians;
					// The others scored the test set: a minority's *unusable* is false.
					for who in reporters.drain(..) {
						Self::penalise(task, &who, PenaltyReason::Outlier);
						verdict.penalised.push(who);
					}
					for ((who, _), off) in revealed.iter().zip(outlier) {
						if off {
							Self::penalise(task, who, PenaltyReason::Outlier);
							verdict.penalised.push(who.clone());
						} else {
							T::Reputation::record(who, Role::Evaluator, Outcome::Success);
							verdict.honest.push(who.clone());
						}
					}
				},
				// No majority of the drawn quorum agrees: nobody can be told honest from
				// dishonest among those who revealed.
				None => Self::deposit_event(Event::NoAgreement { task }),
			}
		}

		for who in quorum.members.iter() {
			Evaluators::<T>::mutate(who, |info| {
				if let Some(info) = info {
					info.assignments = info.assignments.saturating_sub(1);
				}
			});
		}
		quorum.concluded = true;
		Quorums::<T>::insert(task, quorum);
		if verdict.agreed {
			let medians: BoundedVec<_, T::MaxSubmissionsPerTask> = verdict
				.medians
				.iter()
				.copied()
				.take(T::MaxSubmissionsPerTask::get() as usize)
				.collect::<Vec<_>>()
				.try_into()
				.unwrap_or_default();
			Medians::<T>::insert(task, medians);
		}
		Self::deposit_event(Event::ScoresAggregated {
			task,
			quorum_reached: verdict.quorum_reached,
			medians: verdict.medians.clone(),
		});
		verdict
	}

	fn prune(task: TaskId) {
		let limit = T::MaxQuorum::get();
		let _ = ScoreCommitments::<T>::clear_prefix(task, limit, None);
		let _ = RevealedScores::<T>::clear_prefix(task, limit, None);
		let _ = ReportedUnusable::<T>::clear_prefix(task, limit, None);
		Quorums::<T>::remove(task);
		Medians::<T>::remove(task);
	}
}
