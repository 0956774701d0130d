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

/// One round's answers (the first quorum's, or the appeal quorum's).
pub(crate) struct Round<T: Config> {
	/// How many were drawn.
	members: usize,
	/// Who revealed scores, with them.
	revealed: Vec<(T::AccountId, ScoresOf<T>)>,
	/// Who revealed the verdict *test set unusable*.
	reporters: Vec<T::AccountId>,
}

/// What a round found.
pub(crate) enum Finding {
	/// Fewer than two thirds of the drawn members answered.
	NoQuorum,
	/// A strict majority reported the test set unusable.
	Unusable,
	/// A strict majority agreed on every submission: the medians (`None`: invalid).
	Scores(Vec<(SubmissionIndex, Option<Score>)>),
	/// Enough answered, but some submission had no agreeing strict majority.
	NoAgreement,
}

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
					EvaluatorInfo { status: EvaluatorStatus::Active, assignments: 0, appeals: 0 },
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
		ensure!(info.assignments == 0 && info.appeals == 0, Error::<T>::StillAssigned);
		let amount = T::Escrow::staked(who);
		if !amount.is_zero() {
			T::Escrow::unstake(who, amount)?;
		}
		Evaluators::<T>::remove(who);
		Pool::<T>::mutate(|pool| pool.retain(|member| member != who));
		Self::deposit_event(Event::StakeWithdrawn { who: who.clone(), amount });
		Ok(())
	}

	/// The windows `(commit_end, evaluation_end)` in which `who` scores `task`: those of the
	/// task's evaluation for a member of its first quorum, those of its appeal round for a
	/// member of its appeal quorum.
	fn quorum_member(
		who: &T::AccountId,
		task: TaskId,
	) -> Result<(BlockNumberFor<T>, BlockNumberFor<T>), DispatchError> {
		let quorum = Quorums::<T>::get(task).ok_or(Error::<T>::NotInEvaluation)?;
		ensure!(!quorum.concluded, Error::<T>::NotInEvaluation);
		if quorum.members.contains(who) {
			return T::Tasks::evaluation_windows(task).ok_or(Error::<T>::NotInEvaluation.into());
		}
		let appeal = AppealQuorums::<T>::get(task).ok_or(Error::<T>::NotInQuorum)?;
		ensure!(appeal.members.contains(who), Error::<T>::NotInQuorum);
		T::Tasks::appeal_windows(task).ok_or(Error::<T>::NotInEvaluation.into())
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

	/// Per submission, the median of the revealed scores; `None` when some submission has no
	/// agreeing strict majority of the `members` drawn. A score agrees when it lies within
	/// [`Config::ScoreTolerance`] of the median; a submission is invalid only when a strict
	/// majority of the drawn quorum says so. Counting the drawn quorum, not only those who
	/// revealed, means two revealers out of three must agree with each other: one colluder next
	/// to one honest revealer decides nothing.
	fn aggregate(
		submissions: &[SubmissionIndex],
		revealed: &[(T::AccountId, ScoresOf<T>)],
		members: usize,
	) -> Option<Vec<(SubmissionIndex, Option<Score>)>> {
		let tolerance = T::ScoreTolerance::get();
		let majority = (members / 2).saturating_add(1);
		let mut medians = Vec::new();
		for (position, submission) in submissions.iter().enumerate() {
			let entries: Vec<Option<Score>> = revealed
				.iter()
				.map(|(_, scores)| Self::entry(scores, position, *submission))
				.collect();
			let mut valid: Vec<u64> = entries.iter().flatten().map(|s| s.0).collect();
			valid.sort_unstable();
			let median = pouw_primitives::median(&valid).map(Score);
			let agreeing = entries
				.iter()
				.flatten()
				.filter(|score| median.is_some_and(|m| tolerance.agree(**score, m)))
				.count();
			let invalid = entries.iter().filter(|entry| entry.is_none()).count();
			let consensus = if agreeing >= majority {
				median
			} else if invalid >= majority {
				None
			} else {
				return None;
			};
			medians.push((*submission, consensus));
		}
		Some(medians)
	}

	/// An evaluator's score for the submission at `position` of the revealed ones (`None`:
	/// invalid, or missing).
	fn entry(scores: &ScoresOf<T>, position: usize, submission: SubmissionIndex) -> Option<Score> {
		match scores.get(position) {
			Some((index, score)) if *index == submission => *score,
			_ => None,
		}
	}

	/// Whether `scores` are off the consensus `medians` anywhere: a score beyond the tolerance
	/// of its median, or a different verdict on validity.
	fn disagrees(scores: &ScoresOf<T>, medians: &[(SubmissionIndex, Option<Score>)]) -> bool {
		let tolerance = T::ScoreTolerance::get();
		medians.iter().enumerate().any(|(position, (submission, consensus))| {
			match (consensus, Self::entry(scores, position, *submission)) {
				(Some(median), Some(score)) => !tolerance.agree(score, *median),
				(None, None) => false,
				_ => true,
			}
		})
	}

	/// Whether two findings agree: both *unusable*, or the same validity and medians within
	/// the tolerance for every submission.
	fn same_finding(a: &Finding, b: &Finding) -> bool {
		let tolerance = T::ScoreTolerance::get();
		match (a, b) {
			(Finding::Unusable, Finding::Unusable) => true,
			(Finding::Scores(a), Finding::Scores(b)) => {
				a.len() == b.len()
					&& a.iter().zip(b.iter()).all(|((i, x), (j, y))| {
						i == j
							&& match (x, y) {
								(Some(x), Some(y)) => tolerance.agree(*x, *y),
								(None, None) => true,
								_ => false,
							}
					})
			},
			_ => false,
		}
	}

	/// The answers of one round's `members`; those who answered nothing are penalised
	/// ([`PenaltyReason::DidNotCommit`] or [`PenaltyReason::DidNotReveal`]) into `penalised`.
	fn gather(
		task: TaskId,
		members: &[T::AccountId],
		penalised: &mut Vec<T::AccountId>,
	) -> Round<T> {
		let mut round =
			Round { members: members.len(), revealed: Vec::new(), reporters: Vec::new() };
		for who in members {
			if ReportedUnusable::<T>::contains_key(task, who) {
				round.reporters.push(who.clone());
				continue;
			}
			match RevealedScores::<T>::get(task, who) {
				Some(scores) => round.revealed.push((who.clone(), scores)),
				None => {
					let reason = if ScoreCommitments::<T>::contains_key(task, who) {
						PenaltyReason::DidNotReveal
					} else {
						PenaltyReason::DidNotCommit
					};
					Self::penalise(task, who, reason);
					penalised.push(who.clone());
				},
			}
		}
		round
	}

	/// What one round found: two thirds of its drawn members must have answered, then a strict
	/// majority of them reporting the test set unusable, or agreeing on every submission.
	fn find(round: &Round<T>, submissions: &[SubmissionIndex]) -> Finding {
		let answered = round.revealed.len().saturating_add(round.reporters.len());
		if answered.saturating_mul(3) < round.members.saturating_mul(2) {
			return Finding::NoQuorum;
		}
		let majority = (round.members / 2).saturating_add(1);
		if round.reporters.len() >= majority {
			return Finding::Unusable;
		}
		match Self::aggregate(submissions, &round.revealed, round.members) {
			Some(medians) => Finding::Scores(medians),
			None => Finding::NoAgreement,
		}
	}

	/// Judges one round's answers against `finding` (its own, or the appeal round's): those who
	/// answered as it found are honest (reputation up) into `honest`, the others outliers. A
	/// finding of nothing judges nobody.
	fn judge(
		task: TaskId,
		round: Round<T>,
		finding: &Finding,
		honest: &mut Vec<T::AccountId>,
		penalised: &mut Vec<T::AccountId>,
	) {
		let (right, wrong): (Vec<_>, Vec<_>) = match finding {
			Finding::Unusable => {
				(round.reporters, round.revealed.into_iter().map(|(who, _)| who).collect())
			},
			Finding::Scores(medians) => {
				let (off, on): (Vec<_>, Vec<_>) = round
					.revealed
					.into_iter()
					.partition(|(_, scores)| Self::disagrees(scores, medians));
				// A minority's *unusable* is false when the others scored the test set.
				let mut wrong = round.reporters;
				wrong.extend(off.into_iter().map(|(who, _)| who));
				(on.into_iter().map(|(who, _)| who).collect(), wrong)
			},
			Finding::NoQuorum | Finding::NoAgreement => return,
		};
		for who in right {
			T::Reputation::record(&who, Role::Evaluator, Outcome::Success);
			honest.push(who);
		}
		for who in wrong {
			Self::penalise(task, &who, PenaltyReason::Outlier);
			penalised.push(who);
		}
	}

	/// Frees one assignment (a first quorum's seat, or `appeal`: an appeal round) of each of
	/// `members`.
	fn release(members: &[T::AccountId], appeal: bool) {
		for who in members {
			Evaluators::<T>::mutate(who, |info| {
				if let Some(info) = info {
					let count = if appeal { &mut info.appeals } else { &mut info.assignments };
					*count = count.saturating_sub(1);
				}
			});
		}
	}

	/// Draws as many evaluators for `task` as are eligible (not `excluded`), at most `max` and
	/// at least `min`, and takes a seat of each; returns them with the number that were
	/// eligible.
	fn draw(
		task: TaskId,
		seed: &[u8; 32],
		(min, max): (u32, u32),
		excluded: &[T::AccountId],
		appeal: bool,
	) -> Result<(BoundedVec<T::AccountId, T::MaxQuorum>, u32), QuorumError> {
		if min == 0 || min > max || max > T::MaxQuorum::get() {
			return Err(QuorumError::BadQuorumSize);
		}
		let posted = T::Tasks::posted_at(task);
		let mut candidates = Self::candidates(excluded, posted, !appeal);
		let eligible = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
		if eligible < min {
			return Err(QuorumError::NotEnoughEvaluators { eligible });
		}
		let size = eligible.min(max);
		let mut members: BoundedVec<T::AccountId, T::MaxQuorum> = BoundedVec::new();
		for round in 0..size {
			let total = candidates.iter().fold(0u128, |sum, (_, w)| sum.saturating_add(*w));
			let mut pick = Self::random_u128(seed, round).checked_rem(total).unwrap_or(0);
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
					let count = if appeal { &mut info.appeals } else { &mut info.assignments };
					*count = count.saturating_add(1);
				}
			});
		}
		Ok((members, eligible))
	}

	/// `excluded` and the members of `task`'s first quorum.
	fn appeal_excluded(task: TaskId, excluded: &[T::AccountId]) -> Vec<T::AccountId> {
		let mut all = excluded.to_vec();
		if let Some(quorum) = Quorums::<T>::get(task) {
			all.extend(quorum.members);
		}
		all
	}

	/// How many quorums `who` may sit in at once: one per [`Config::MinEvaluatorStake`] staked.
	pub fn seats(who: &T::AccountId) -> u32 {
		let stake = T::Escrow::staked(who);
		let seats = stake.checked_div(&T::MinEvaluatorStake::get()).unwrap_or_default();
		seats.saturated_into()
	}

	/// The evaluators a quorum of a task posted at `posted` may be drawn from, with their draw
	/// weights: in the pool and active, or leaving since the task was posted (`None`: a task
	/// posted now, so active only); reputation at least the minimum; a seat free when `seated`
	/// (a first quorum; an appeal quorum takes no seat); not excluded.
	fn candidates(
		excluded: &[T::AccountId],
		posted: Option<BlockNumberFor<T>>,
		seated: bool,
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
					serves && (!seated || info.assignments < Self::seats(who))
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
		let mut appealing: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (task, quorum) in Quorums::<T>::iter() {
			let appeal = AppealQuorums::<T>::get(task);
			let mut members = quorum.members.to_vec();
			if !quorum.concluded {
				for member in quorum.members.iter() {
					let n = pending.entry(member.clone()).or_default();
					*n = n.saturating_add(1);
				}
			}
			for round in appeal.iter().filter(|a| !a.concluded) {
				for member in round.members.iter() {
					let n = appealing.entry(member.clone()).or_default();
					*n = n.saturating_add(1);
				}
			}
			if let Some(appeal) = &appeal {
				ensure!(
					appeal.members.iter().all(|m| !quorum.members.contains(m)),
					"verification: an appeal quorum shares a member with the first"
				);
				members.extend(appeal.members.iter().cloned());
			}
			for (who, _) in ScoreCommitments::<T>::iter_prefix(task) {
				ensure!(members.contains(&who), "verification: commitment from non-member");
			}
			for (who, _) in RevealedScores::<T>::iter_prefix(task) {
				ensure!(members.contains(&who), "verification: scores from non-member");
				ensure!(
					!ReportedUnusable::<T>::contains_key(task, &who),
					"verification: both scores and an unusable verdict"
				);
			}
			for (who, _) in ReportedUnusable::<T>::iter_prefix(task) {
				ensure!(members.contains(&who), "verification: verdict from non-member");
			}
		}
		for (who, info) in Evaluators::<T>::iter() {
			ensure!(!T::Escrow::staked(&who).is_zero(), "verification: evaluator without stake");
			ensure!(
				pending.get(&who).copied().unwrap_or(0) == info.assignments,
				"verification: assignments differ from pending quorums"
			);
			ensure!(
				appealing.get(&who).copied().unwrap_or(0) == info.appeals,
				"verification: appeals differ from pending appeal quorums"
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
		let (members, eligible) = Self::draw(task, &seed, (size, size), excluded, false)?;
		let drawn = members.to_vec();
		Self::deposit_event(Event::QuorumDrawn { task, members: drawn.clone(), seed, eligible });
		Quorums::<T>::insert(task, Quorum { members, seed, concluded: false });
		Ok(drawn)
	}

	fn eligible(excluded: &[T::AccountId]) -> u32 {
		u32::try_from(Self::candidates(excluded, None, true).len()).unwrap_or(u32::MAX)
	}

	fn pool_size() -> u32 {
		u32::try_from(Pool::<T>::decode_len().unwrap_or(0)).unwrap_or(u32::MAX)
	}

	fn pool_bound() -> u32 {
		T::MaxEvaluators::get()
	}

	fn draw_appeal(
		task: TaskId,
		seed: [u8; 32],
		min: u32,
		max: u32,
		excluded: &[T::AccountId],
	) -> Result<Vec<T::AccountId>, QuorumError> {
		let first = Quorums::<T>::get(task).filter(|q| !q.concluded);
		if first.is_none() || AppealQuorums::<T>::contains_key(task) {
			// Only a task under evaluation, and only once.
			return Err(QuorumError::NotEnoughEvaluators { eligible: 0 });
		}
		let excluded = Self::appeal_excluded(task, excluded);
		let (members, eligible) = Self::draw(task, &seed, (min, max), &excluded, true)?;
		let drawn = members.to_vec();
		Self::deposit_event(Event::AppealQuorumDrawn {
			task,
			members: drawn.clone(),
			seed,
			eligible,
		});
		AppealQuorums::<T>::insert(task, Quorum { members, seed, concluded: false });
		Ok(drawn)
	}

	fn appeal_eligible(task: TaskId, excluded: &[T::AccountId]) -> u32 {
		let excluded = Self::appeal_excluded(task, excluded);
		let posted = T::Tasks::posted_at(task);
		u32::try_from(Self::candidates(&excluded, posted, false).len()).unwrap_or(u32::MAX)
	}

	fn conclude(task: TaskId, submissions: &[SubmissionIndex]) -> Verdict<T::AccountId> {
		let mut verdict = Verdict {
			quorum_reached: false,
			agreed: false,
			test_set_unusable: false,
			medians: Vec::new(),
			honest: Vec::new(),
			penalised: Vec::new(),
			appeal_upheld: None,
			appeal_honest: Vec::new(),
		};
		let Some(mut quorum) = Quorums::<T>::get(task) else { return verdict };
		if quorum.concluded {
			return verdict;
		}
		let first = Self::gather(task, &quorum.members, &mut verdict.penalised);
		let appeal = AppealQuorums::<T>::get(task).filter(|q| !q.concluded);
		let finding = match appeal {
			None => {
				let finding = Self::find(&first, submissions);
				Self::judge(task, first, &finding, &mut verdict.honest, &mut verdict.penalised);
				finding
			},
			Some(mut appeal) => {
				// The appeal round decides; the first quorum is judged against it.
				let second = Self::gather(task, &appeal.members, &mut verdict.penalised);
				let before = Self::find(&first, submissions);
				let after = Self::find(&second, submissions);
				if !matches!(after, Finding::NoQuorum | Finding::NoAgreement) {
					verdict.appeal_upheld = Some(!Self::same_finding(&before, &after));
				}
				Self::judge(
					task,
					second,
					&after,
					&mut verdict.appeal_honest,
					&mut verdict.penalised,
				);
				Self::judge(task, first, &after, &mut verdict.honest, &mut verdict.penalised);
				Self::release(&appeal.members, true);
				appeal.concluded = true;
				AppealQuorums::<T>::insert(task, appeal);
				after
			},
		};
		match finding {
			Finding::NoQuorum => {},
			Finding::Unusable => {
				verdict.quorum_reached = true;
				verdict.test_set_unusable = true;
			},
			Finding::NoAgreement => {
				verdict.quorum_reached = true;
				// No majority of the drawn quorum agrees: nobody can be told honest from
				// dishonest among those who revealed.
				Self::deposit_event(Event::NoAgreement { task });
			},
			Finding::Scores(medians) => {
				verdict.quorum_reached = true;
				verdict.agreed = true;
				verdict.medians = medians;
			},
		}
		Self::release(&quorum.members, false);
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
		// Both rounds' members: at most two quorums.
		let limit = T::MaxQuorum::get().saturating_mul(2);
		let _ = ScoreCommitments::<T>::clear_prefix(task, limit, None);
		let _ = RevealedScores::<T>::clear_prefix(task, limit, None);
		let _ = ReportedUnusable::<T>::clear_prefix(task, limit, None);
		Quorums::<T>::remove(task);
		AppealQuorums::<T>::remove(task);
		Medians::<T>::remove(task);
	}
}
