//! The calls' logic, phases, lineage, the block hook and the invariants.

use crate::{
	pallet::*, BalanceOf, FailureReason, Phase, RevealedModel, Submission, TaskInfo, TaskStatus,
	TestSet, WeightInfo,
};
use alloc::vec::Vec;
use frame::{deps::frame_support::storage::StorageMap as StorageMapApi, prelude::*};
use pallet_escrow::{Escrow, HoldReason};
use pouw_primitives::{
	commitment::{model_commitment, test_set_commitment},
	Hash256, ModelSpecError, QuorumError, QuorumManager, ReputationProvider, Role, Salt,
	SeedSource, SpecError, SubmissionIndex, TaskId, TaskInspector, TaskSpec, Uri,
};

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	fn spec_error(e: SpecError) -> Error<T> {
		match e {
			SpecError::Model(ModelSpecError::TooManyActivations) => Error::<T>::TooManyActivations,
			SpecError::Model(_) => Error::<T>::InvalidModel,
			SpecError::EmptyUri => Error::<T>::EmptyUri,
			SpecError::NoSamples => Error::<T>::NoSamples,
			SpecError::NoTestSamples => Error::<T>::TestSetTooSmall,
			SpecError::InputMismatch => Error::<T>::InputMismatch,
			SpecError::OutputMismatch => Error::<T>::OutputMismatch,
			SpecError::MetricMismatch => Error::<T>::MetricMismatch,
			SpecError::BadWindows => Error::<T>::BadWindows,
			SpecError::ZeroQuorum => Error::<T>::BadQuorum,
		}
	}

	/// The last block in which a task's evaluation may be appealed.
	pub(crate) fn appeal_end(spec: &TaskSpec<BlockNumberFor<T>>) -> BlockNumberFor<T> {
		spec.windows.evaluation_end.saturating_add(T::AppealWindow::get())
	}

	/// The appeal round's `(commit_end, evaluation_end)`: its quorum is drawn at the block after
	/// the appeal window, and commits and reveals for as long as the first quorum could.
	pub fn appeal_windows(
		spec: &TaskSpec<BlockNumberFor<T>>,
	) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		let w = &spec.windows;
		let commit = w.score_commit_end.saturating_sub(w.test_reveal_end);
		let reveal = w.evaluation_end.saturating_sub(w.score_commit_end);
		let commit_end = Self::appeal_end(spec).saturating_add(commit);
		(commit_end, commit_end.saturating_add(reveal))
	}

	/// The blocks at which a task becomes due for the hook, both reserved at creation: the
	/// block after its appeal window (when it was not appealed), and the block after its
	/// appeal round.
	pub(crate) fn deadlines(spec: &TaskSpec<BlockNumberFor<T>>) -> [BlockNumberFor<T>; 2] {
		let (_, appeal_end) = Self::appeal_windows(spec);
		[Self::appeal_end(spec).saturating_add(One::one()), appeal_end.saturating_add(One::one())]
	}

	/// The blocks of a task's draws, both reserved at creation: its quorum's, the first after
	/// its test-reveal window, and its appeal quorum's, the first after its appeal window.
	pub(crate) fn draws(spec: &TaskSpec<BlockNumberFor<T>>) -> [BlockNumberFor<T>; 2] {
		[Self::draw_at(spec), Self::appeal_end(spec).saturating_add(One::one())]
	}

	/// The block at which the hook draws a task's quorum: the first after its test-reveal window.
	pub(crate) fn draw_at(spec: &TaskSpec<BlockNumberFor<T>>) -> BlockNumberFor<T> {
		spec.windows.test_reveal_end.saturating_add(One::one())
	}

	/// Checks the windows against [`Config::MinPhaseBlocks`] and [`Config::MaxTaskDuration`]
	/// (they are already known to be strictly increasing and in the future).
	fn check_durations(
		spec: &TaskSpec<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		let w = &spec.windows;
		let min = T::MinPhaseBlocks::get();
		// The score-commit window runs from the draw, the block after `test_reveal_end`.
		let phases = [
			(now, w.submission_end),
			(w.submission_end, w.reveal_end),
			(w.reveal_end, w.test_reveal_end),
			(w.test_reveal_end, w.score_commit_end),
			(w.score_commit_end, w.evaluation_end),
		];
		for (start, end) in phases {
			ensure!(end.saturating_sub(start) >= min, Error::<T>::PhaseTooShort);
		}
		// The appeal round is part of the task's life: funds stay on hold until it ends.
		let (_, appeal_end) = Self::appeal_windows(spec);
		ensure!(
			appeal_end.saturating_sub(now) <= T::MaxTaskDuration::get(),
			Error::<T>::TaskTooLong
		);
		Ok(())
	}

	/// Removes `task` from the per-block list `S` at `at`, and the entry itself once it is
	/// empty (no empty lists are left in storage).
	fn unlist<S, Bound: Get<u32>>(at: BlockNumberFor<T>, task: TaskId)
	where
		S: StorageMapApi<BlockNumberFor<T>, BoundedVec<TaskId, Bound>>,
	{
		S::mutate_exists(at, |entry| {
			if let Some(list) = entry {
				list.retain(|t| *t != task);
				if list.is_empty() {
					*entry = None;
				}
			}
		});
	}

	pub(crate) fn do_create_task(
		sponsor: T::AccountId,
		spec: TaskSpec<BlockNumberFor<T>>,
		test_set_commitment: Hash256,
		bounty: BalanceOf<T>,
	) -> DispatchResult {
		let now = Self::now();
		spec.validate(&now).map_err(Self::spec_error)?;
		Self::check_durations(&spec, now)?;
		ensure!(spec.test_samples >= T::MinTestSamples::get(), Error::<T>::TestSetTooSmall);
		ensure!(
			spec.min_worker_reputation <= T::MaxMinWorkerReputation::get(),
			Error::<T>::WorkerReputationGateTooHigh
		);
		ensure!(
			spec.quorum >= T::MinQuorum::get() && spec.quorum <= T::MaxQuorum::get(),
			Error::<T>::BadQuorum
		);
		ensure!(bounty >= T::MinBounty::get() && !bounty.is_zero(), Error::<T>::BountyTooLow);
		let active = ActiveTasks::<T>::get();
		let sponsored = SponsorTasks::<T>::get(&sponsor).unwrap_or(0);
		ensure!(sponsored < T::MaxOpenTasksPerSponsor::get(), Error::<T>::TooManyTasksForSponsor);
		// A quorum the pool cannot fill now would fail its draw after the models are public
		// and hand the sponsor its bounty back: free models. (Evaluators who leave later still
		// serve this task's draw.)
		ensure!(
			T::Verification::eligible(core::slice::from_ref(&sponsor)) >= spec.quorum,
			Error::<T>::NotEnoughEvaluators
		);
		let parent_model = match spec.parent {
			None => None,
			Some(parent) => {
				let parent = Tasks::<T>::get(parent).ok_or(Error::<T>::UnknownParent)?;
				let winner = parent.winner.ok_or(Error::<T>::ParentNotFinalized)?;
				ensure!(parent.status == TaskStatus::Finalized, Error::<T>::ParentNotFinalized);
				Some(winner.model_hash)
			},
		};
		let task = NextTaskId::<T>::get();
		let next = task.checked_next().ok_or(Error::<T>::TaskIdOverflow)?;
		// The call is transactional: a later failure undoes these.
		for at in Self::deadlines(&spec) {
			Deadlines::<T>::try_mutate(at, |due| due.try_push(task))
				.map_err(|_| Error::<T>::TooManyTasksEndingAtBlock)?;
		}
		for at in Self::draws(&spec) {
			Draws::<T>::try_mutate(at, |draws| {
				draws.get_or_insert_with(Default::default).try_push(task)
			})
			.map_err(|_| Error::<T>::TooManyDrawsAtBlock)?;
		}
		T::Escrow::hold(task, &sponsor, HoldReason::TaskBounty, bounty)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let deposit = T::TaskDeposit::get();
		if !deposit.is_zero() {
			// The call is transactional: a failure here undoes the bounty's hold too.
			T::Escrow::hold(task, &sponsor, HoldReason::TaskDeposit, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
		}
		let parent = spec.parent;
		Tasks::<T>::insert(
			task,
			TaskInfo {
				sponsor: sponsor.clone(),
				spec,
				bounty,
				test_set_commitment,
				created_at: now,
				status: TaskStatus::Active,
				submissions: 0,
				next_submission: SubmissionIndex(0),
				revealed: 0,
				test_set: None,
				parent_model,
				winner: None,
				deposit,
				appeal: None,
			},
		);
		NextTaskId::<T>::put(next);
		ActiveTasks::<T>::put(active.saturating_add(1));
		SponsorTasks::<T>::insert(&sponsor, sponsored.saturating_add(1));
		Self::deposit_event(Event::TaskCreated { task, sponsor, bounty, parent });
		Ok(())
	}

	fn active_task(task: TaskId) -> Result<TaskInfo<T>, DispatchError> {
		let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(info.status == TaskStatus::Active, Error::<T>::TaskNotActive);
		Ok(info)
	}

	pub(crate) fn do_cancel_task(who: T::AccountId, task: TaskId) -> DispatchResult {
		let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(info.sponsor == who, Error::<T>::NotSponsor);
		ensure!(info.status == TaskStatus::Active, Error::<T>::TaskNotActive);
		ensure!(info.submissions == 0, Error::<T>::HasCommitments);
		T::Escrow::refund(task, &who, HoldReason::TaskBounty, info.bounty)?;
		info.status = TaskStatus::Cancelled;
		Self::end_task(task, info);
		Self::deposit_event(Event::TaskCancelled { task });
		Ok(())
	}

	pub(crate) fn do_commit_model(
		worker: T::AccountId,
		task: TaskId,
		commitment: Hash256,
	) -> DispatchResult {
		let mut info = Self::active_task(task)?;
		ensure!(Self::now() <= info.spec.windows.submission_end, Error::<T>::NotOpen);
		ensure!(worker != info.sponsor, Error::<T>::SponsorCannotSubmit);
		ensure!(
			T::Reputation::meets(&worker, Role::Worker, info.spec.min_worker_reputation),
			Error::<T>::ReputationTooLow
		);
		ensure!(!WorkerSubmission::<T>::contains_key(task, &worker), Error::<T>::AlreadyCommitted);
		// Only a full task's submissions are read: a block holds a few dozen commitments that
		// read 64 submissions each, against hundreds that read none.
		let displaced = if info.submissions < T::MaxSubmissionsPerTask::get() {
			None
		} else {
			Some(
				Self::displaceable(&Self::all_submissions(task), &worker)
					.ok_or(Error::<T>::TooManySubmissions)?,
			)
		};
		// The slot fee prices a slot nobody with a better record wanted: a commitment that
		// displaces a lower reputation pays none (it cost established workers the last
		// position's fee on every squatted task).
		let slot_fee = match displaced {
			Some(_) => Zero::zero(),
			None => Self::slot_fee(info.bounty, info.submissions.saturating_add(1)),
		};
		let bond = Self::bond_for(info.bounty).saturating_add(slot_fee);
		T::Escrow::hold(task, &worker, HoldReason::WorkerBond, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		if let Some((index, old)) = displaced {
			T::Escrow::refund(task, &old.worker, HoldReason::WorkerBond, old.bond)?;
			Submissions::<T>::remove(task, index);
			WorkerSubmission::<T>::remove(task, &old.worker);
			info.submissions = info.submissions.saturating_sub(1);
			Self::deposit_event(Event::SubmissionDisplaced {
				task,
				submission: index,
				worker: old.worker,
				by: worker.clone(),
			});
		}
		// Commit order; indices stay unique when a slot was taken over.
		let submission = info.next_submission;
		info.next_submission = SubmissionIndex(submission.0.saturating_add(1));
		Submissions::<T>::insert(
			task,
			submission,
			Submission {
				worker: worker.clone(),
				commitment,
				bond,
				committed_at: Self::now(),
				model: None,
				slot_fee,
			},
		);
		WorkerSubmission::<T>::insert(task, &worker, submission);
		info.submissions = info.submissions.saturating_add(1);
		Tasks::<T>::insert(task, info);
		Self::deposit_event(Event::ModelCommitted { task, worker, submission });
		Ok(())
	}

	/// The bond of a commitment to a task with `bounty`.
	pub(crate) fn bond_for(bounty: BalanceOf<T>) -> BalanceOf<T> {
		T::WorkerBond::get().max(T::WorkerBondRatio::get().mul_ceil(bounty))
	}

	/// The slot fee of the commitment at `position` (1-based) of a task with `bounty`.
	pub(crate) fn slot_fee(bounty: BalanceOf<T>, position: u32) -> BalanceOf<T> {
		let paid_positions = position.saturating_sub(T::FreeSlots::get());
		T::SlotFee::get().mul_ceil(bounty).saturating_mul(paid_positions.into())
	}

	/// The slot fees of every position of a full task, in parts per billion of the bounty.
	pub(crate) fn all_slot_fees() -> u64 {
		let paid = u64::from(T::MaxSubmissionsPerTask::get().saturating_sub(T::FreeSlots::get()));
		let positions = paid.saturating_mul(paid.saturating_add(1)) / 2;
		u64::from(T::SlotFee::get().deconstruct()).saturating_mul(positions)
	}

	/// The commitment a newcomer `worker` would take the slot of: the lowest worker reputation
	/// (the latest of equals), if strictly below the newcomer's.
	fn displaceable(
		committed: &[(SubmissionIndex, Submission<T>)],
		worker: &T::AccountId,
	) -> Option<(SubmissionIndex, Submission<T>)> {
		let reputation = |who: &T::AccountId| T::Reputation::reputation(who, Role::Worker);
		let mut lowest: Option<(pouw_primitives::Reputation, &(SubmissionIndex, Submission<T>))> =
			None;
		for entry in committed {
			let r = reputation(&entry.1.worker);
			if lowest.is_none_or(|(low, _)| r <= low) {
				lowest = Some((r, entry));
			}
		}
		let (low, entry) = lowest?;
		(reputation(worker) > low).then(|| entry.clone())
	}

	pub(crate) fn do_reveal_model(
		worker: T::AccountId,
		task: TaskId,
		uri: Uri,
		model_hash: Hash256,
		salt: Salt,
	) -> DispatchResult {
		let mut info = Self::active_task(task)?;
		let now = Self::now();
		let windows = &info.spec.windows;
		ensure!(
			now > windows.submission_end && now <= windows.reveal_end,
			Error::<T>::NotRevealPhase
		);
		let index = WorkerSubmission::<T>::get(task, &worker).ok_or(Error::<T>::NotCommitted)?;
		let mut submission = Submissions::<T>::get(task, index).ok_or(Error::<T>::NotCommitted)?;
		ensure!(submission.model.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(!uri.is_empty(), Error::<T>::EmptyUri);
		ensure!(
			model_commitment(&model_hash, &salt, &worker) == submission.commitment,
			Error::<T>::CommitmentMismatch
		);
		submission.model = Some(RevealedModel { uri: uri.clone(), hash: model_hash });
		Submissions::<T>::insert(task, index, submission);
		info.revealed = info.revealed.saturating_add(1);
		Tasks::<T>::insert(task, info);
		Self::deposit_event(Event::ModelRevealed {
			task,
			worker,
			submission: index,
			uri,
			model_hash,
		});
		Ok(())
	}

	/// The quorum seed: the runtime's randomness for a subject naming the task, hashed with the
	/// task id. Where this block has none: the parent block hash if the chain allows that
	/// predictable fallback (emitting [`Event::PredictableSeedUsed`]), else `None`.
	pub(crate) fn quorum_seed(task: TaskId) -> Option<[u8; 32]> {
		let subject = (b"pouw/quorum", task).encode();
		let random = match T::Randomness::seed(&subject) {
			Some(random) => random,
			None if PredictableSeedAllowed::<T>::get() => {
				Self::deposit_event(Event::PredictableSeedUsed { task });
				(frame_system::Pallet::<T>::parent_hash(), &subject).using_encoded(blake2_256)
			},
			None => return None,
		};
		Some((random, task).using_encoded(blake2_256))
	}

	pub(crate) fn do_reveal_test_set(
		who: T::AccountId,
		task: TaskId,
		uri: Uri,
		test_hash: Hash256,
		salt: Salt,
	) -> DispatchResultWithPostInfo {
		let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(info.sponsor == who, Error::<T>::NotSponsor);
		ensure!(info.status == TaskStatus::Active, Error::<T>::TaskNotActive);
		let now = Self::now();
		let windows = &info.spec.windows;
		ensure!(
			now > windows.reveal_end && now <= windows.test_reveal_end,
			Error::<T>::NotTestRevealPhase
		);
		ensure!(info.test_set.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(!uri.is_empty(), Error::<T>::EmptyUri);
		ensure!(
			test_set_commitment(&test_hash, &salt) == info.test_set_commitment,
			Error::<T>::CommitmentMismatch
		);
		info.test_set = Some(TestSet { uri: uri.clone(), hash: test_hash });
		Tasks::<T>::insert(task, info.clone());
		Self::deposit_event(Event::TestSetRevealed { task, uri, test_hash });

		if info.revealed == 0 {
			// Settling is charged in full.
			Self::settle(task, info)?;
			return Ok(().into());
		}
		// Nothing was settled: only the reveal's own weight stays charged.
		Ok(Some(T::WeightInfo::reveal_test_set(info.submissions)).into())
	}

	/// The hook's draw for `task` at the block after its test-reveal window: a quorum from
	/// everyone eligible but the sponsor and the task's workers; too few eligible evaluators
	/// fail the task. A task without a test set by now is due (the sponsor did not reveal), and
	/// goes to the due queue.
	pub(crate) fn draw(task: TaskId) {
		let Some(info) = Tasks::<T>::get(task) else { return };
		if info.status != TaskStatus::Active {
			return;
		}
		if Self::now() > Self::appeal_end(&info.spec) {
			return Self::draw_appeal(task, info);
		}
		if info.test_set.is_none() {
			Self::push_due(task);
			return;
		}
		let excluded = Self::excluded(task, &info);
		let Some(seed) = Self::quorum_seed(task) else {
			Self::defer_draw(task, info);
			return;
		};
		let drawn = T::Verification::draw_quorum(task, seed, info.spec.quorum, &excluded);
		if let Err(QuorumError::NotEnoughEvaluators { .. } | QuorumError::BadQuorumSize) = drawn {
			let _ = Self::fail_with_refunds(task, info, FailureReason::NotEnoughEvaluators);
		}
	}

	/// The hook's appeal draw at the block after the appeal window, when the task was appealed:
	/// every eligible evaluator outside the first quorum, the sponsor and the workers, at most
	/// [`Config::MaxQuorum`], at least [`Pallet::appeal_size`]. As large as the pool allows:
	/// an appeal quorum of `2 * quorum + 1` drawn from the evaluators outside an honest first
	/// quorum holds a larger share of a colluding minority than the pool does, which then
	/// crowned its friend on appeal in about a fifth of the appeals it lodged (the sim's
	/// "appeals all" row: +5090 units). When it cannot be drawn, the first finding stands (the task is due now) and
	/// the bond will be refunded.
	fn draw_appeal(task: TaskId, mut info: TaskInfo<T>) {
		let Some(mut appeal) = info.appeal.clone() else { return };
		let drawn = Self::quorum_seed(task).and_then(|seed| {
			let seed = (b"pouw/appeal", seed).using_encoded(blake2_256);
			let excluded = Self::excluded(task, &info);
			let (min, max) = (Self::appeal_size(&info.spec), T::MaxQuorum::get());
			T::Verification::draw_appeal(task, seed, min, max, &excluded).ok()
		});
		if drawn.is_some() {
			appeal.drawn = true;
		} else {
			Self::deposit_event(Event::AppealNotDrawn { task });
		}
		info.appeal = Some(appeal);
		Tasks::<T>::insert(task, info);
	}

	/// Who may not sit in a task's quorums: its sponsor and its workers.
	fn excluded(task: TaskId, info: &TaskInfo<T>) -> Vec<T::AccountId> {
		let mut excluded: Vec<T::AccountId> = Vec::new();
		excluded.push(info.sponsor.clone());
		for (_, submission) in Submissions::<T>::iter_prefix(task) {
			excluded.push(submission.worker);
		}
		excluded
	}

	/// The least size of an appeal quorum: `2 * quorum + 1`, at most [`Config::MaxQuorum`].
	pub(crate) fn appeal_size(spec: &TaskSpec<BlockNumberFor<T>>) -> u32 {
		spec.quorum.saturating_mul(2).saturating_add(1).min(T::MaxQuorum::get())
	}

	pub(crate) fn do_appeal(who: T::AccountId, task: TaskId) -> DispatchResult {
		let mut info = Self::active_task(task)?;
		let now = Self::now();
		ensure!(
			info.test_set.is_some()
				&& now > info.spec.windows.evaluation_end
				&& now <= Self::appeal_end(&info.spec),
			Error::<T>::NotAppealPhase
		);
		ensure!(info.appeal.is_none(), Error::<T>::AlreadyAppealed);
		let excluded = Self::excluded(task, &info);
		ensure!(
			T::Verification::appeal_eligible(task, &excluded) >= Self::appeal_size(&info.spec),
			Error::<T>::NotEnoughEvaluatorsForAppeal
		);
		let bond = T::WorkerBond::get().max(T::AppealBond::get().mul_ceil(info.bounty));
		T::Escrow::hold(task, &who, HoldReason::AppealBond, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		info.appeal = Some(crate::Appeal { appellant: who.clone(), bond, drawn: false });
		Tasks::<T>::insert(task, info.clone());
		let [_, draw_at] = Self::draws(&info.spec);
		Self::deposit_event(Event::Appealed { task, appellant: who, bond, draw_at });
		Ok(())
	}

	/// No randomness at this block: the draw moves to the next block with room, at most
	/// [`Config::MaxDrawDelay`] blocks after its own; past that the task fails with refunds.
	fn defer_draw(task: TaskId, info: TaskInfo<T>) {
		let now = Self::now();
		let last = Self::draw_at(&info.spec).saturating_add(T::MaxDrawDelay::get());
		let mut at = now.saturating_add(One::one());
		while at <= last {
			let listed = Draws::<T>::try_mutate(at, |draws| {
				draws.get_or_insert_with(Default::default).try_push(task)
			});
			if listed.is_ok() {
				Self::deposit_event(Event::DrawDeferred { task, to: at });
				return;
			}
			at = at.saturating_add(One::one());
		}
		let _ = Self::fail_with_refunds(task, info, FailureReason::NoRandomness);
	}

	/// Whether a task may be settled now.
	pub(crate) fn is_due(info: &TaskInfo<T>, now: BlockNumberFor<T>) -> bool {
		let windows = &info.spec.windows;
		let evaluated = match &info.appeal {
			// An appeal round runs: due after it.
			Some(appeal) if appeal.drawn => now > Self::appeal_windows(&info.spec).1,
			// Nobody appealed, or the appeal could not be drawn (the draw runs before anyone
			// can finalize at that block).
			_ => now > Self::appeal_end(&info.spec),
		};
		evaluated
			|| (now > windows.reveal_end && info.revealed == 0)
			|| (now > windows.test_reveal_end && info.test_set.is_none())
	}

	pub(crate) fn do_finalize_task(task: TaskId) -> DispatchResult {
		let info = Self::active_task(task)?;
		ensure!(Self::is_due(&info, Self::now()), Error::<T>::NotDue);
		Self::settle(task, info)
	}

	/// Marks a task ended: no longer active, off the deadline and draw lists, queued for
	/// pruning.
	pub(crate) fn end_task(task: TaskId, info: TaskInfo<T>) {
		for at in Self::deadlines(&info.spec) {
			Self::unlist::<Deadlines<T>, T::MaxTasksPerBlock>(at, task);
		}
		// A deferred first draw has a test set and models, so nothing ends its task before
		// that draw runs: its reserved entries are the only ones left.
		for at in Self::draws(&info.spec) {
			Self::unlist::<Draws<T>, T::MaxDrawsPerBlock>(at, task);
		}
		// A queued due entry of this task stays: the hook skips ended tasks.
		SponsorTasks::<T>::mutate_exists(&info.sponsor, |count| {
			*count = count.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
		});
		Tasks::<T>::insert(task, info);
		ActiveTasks::<T>::mutate(|n| *n = n.saturating_sub(1));
		let prune_at = Self::now().saturating_add(T::RetentionPeriod::get());
		let (head, tail) = PruneQueueEnds::<T>::get();
		PruneQueue::<T>::insert(tail, (prune_at, task));
		PruneQueueEnds::<T>::put((head, tail.saturating_add(1)));
	}

	/// Queues `task` for the hook to settle.
	fn push_due(task: TaskId) {
		let (head, tail) = DueQueueEnds::<T>::get();
		DueQueue::<T>::insert(tail, task);
		DueQueueEnds::<T>::put((head, tail.saturating_add(1)));
	}

	/// Takes the oldest entry of the due queue.
	fn pop_due() -> Option<TaskId> {
		let (head, tail) = DueQueueEnds::<T>::get();
		if head >= tail {
			return None;
		}
		DueQueueEnds::<T>::put((head.saturating_add(1), tail));
		DueQueue::<T>::take(head)
	}

	/// Takes the oldest entry of the prune queue if its time has come.
	fn pop_prunable(now: BlockNumberFor<T>) -> Option<TaskId> {
		let (head, tail) = PruneQueueEnds::<T>::get();
		if head >= tail {
			return None;
		}
		let entry = PruneQueue::<T>::get(head);
		if entry.is_some_and(|(at, _)| at > now) {
			return None;
		}
		// A missing entry (never written) is stepped over rather than blocking the queue.
		PruneQueue::<T>::remove(head);
		PruneQueueEnds::<T>::put((head.saturating_add(1), tail));
		entry.map(|(_, task)| task)
	}

	/// Removes a settled task's submissions and scores and refunds its creation deposit; a
	/// finalized task keeps its record (its winner is the starting point of its lineage, its
	/// deposit set to zero), any other is removed.
	pub(crate) fn prune(task: TaskId) {
		let limit = T::MaxSubmissionsPerTask::get();
		let _ = Submissions::<T>::clear_prefix(task, limit, None);
		let _ = WorkerSubmission::<T>::clear_prefix(task, limit, None);
		T::Verification::prune(task);
		Tasks::<T>::mutate_exists(task, |entry| {
			let Some(info) = entry else { return };
			if !info.deposit.is_zero() {
				// The deposit was held at creation and nothing else moves it.
				let _ =
					T::Escrow::refund(task, &info.sponsor, HoldReason::TaskDeposit, info.deposit)
						.defensive();
				info.deposit = Zero::zero();
			}
			if info.status != TaskStatus::Finalized {
				*entry = None;
			}
		});
		Self::deposit_event(Event::TaskPruned { task });
	}

	/// The block hook: move newly due tasks into the queue, finalize a bounded number, prune a
	/// bounded number. Returns the weight used.
	pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
		let db = T::DbWeight::get();
		let mut weight = db.reads_writes(4, 1);
		if let Some(draws) = Draws::<T>::take(now) {
			let pool = T::Verification::pool_size();
			for task in draws {
				weight.saturating_accrue(T::WeightInfo::draw_quorum(pool));
				Self::draw(task);
			}
		}
		let newly_due = Deadlines::<T>::take(now);
		for task in newly_due {
			weight.saturating_accrue(db.reads_writes(1, 2));
			Self::push_due(task);
		}
		let mut finalized = 0u32;
		while finalized < T::MaxAutoFinalizePerBlock::get() {
			weight.saturating_accrue(db.reads_writes(2, 2));
			let Some(task) = Self::pop_due() else { break };
			finalized = finalized.saturating_add(1);
			// An appealed task concludes two quorums: charged as one of twice the size
			// (the measured weight is linear in the quorum).
			weight.saturating_accrue(T::WeightInfo::finalize_task(
				T::MaxSubmissionsPerTask::get(),
				T::MaxQuorum::get().saturating_mul(2),
			));
			if let Some(info) = Tasks::<T>::get(task) {
				if info.status == TaskStatus::Active && Self::is_due(&info, now) {
					let _ = Self::settle(task, info);
				}
			}
		}
		let mut pruned = 0u32;
		while pruned < T::MaxPrunePerBlock::get() {
			weight.saturating_accrue(db.reads_writes(2, 2));
			let Some(task) = Self::pop_prunable(now) else { break };
			pruned = pruned.saturating_add(1);
			weight.saturating_accrue(T::WeightInfo::prune_task(T::MaxSubmissionsPerTask::get()));
			// The deposit's refund (the escrow's ledger, total and the account's hold), which
			// the weights in the tree were measured without; the benchmark includes it now.
			weight.saturating_accrue(db.reads_writes(3, 3));
			Self::prune(task);
		}
		weight
	}

	/// The phase of a task at `now`.
	pub fn phase(task: TaskId, now: BlockNumberFor<T>) -> Option<Phase> {
		let info = Tasks::<T>::get(task)?;
		if info.status != TaskStatus::Active {
			return Some(Phase::Ended);
		}
		let w = &info.spec.windows;
		Some(if Self::is_due(&info, now) {
			Phase::Finalizable
		} else if now > w.evaluation_end {
			match &info.appeal {
				Some(appeal) if appeal.drawn => {
					if now <= Self::appeal_windows(&info.spec).0 {
						Phase::AppealScoreCommit
					} else {
						Phase::AppealScoreReveal
					}
				},
				_ => Phase::Appeal,
			}
		} else if now <= w.submission_end {
			Phase::Open
		} else if now <= w.reveal_end {
			Phase::Reveal
		} else if info.test_set.is_none() || now <= w.test_reveal_end {
			// The quorum is drawn at the block after `test_reveal_end`.
			Phase::TestReveal
		} else if now <= w.score_commit_end {
			Phase::ScoreCommit
		} else {
			Phase::ScoreReveal
		})
	}

	/// The ancestors of `task`, nearest first, up to [`Config::MaxLineageDepth`].
	pub fn lineage(task: TaskId) -> Vec<TaskId> {
		let mut ancestors = Vec::new();
		let mut current = Tasks::<T>::get(task).and_then(|info| info.spec.parent);
		while let Some(parent) = current {
			if ancestors.len() >= T::MaxLineageDepth::get() as usize {
				break;
			}
			ancestors.push(parent);
			current = Tasks::<T>::get(parent).and_then(|info| info.spec.parent);
		}
		ancestors
	}

	/// The revealed submissions of a task, ascending.
	pub fn revealed(task: TaskId) -> Vec<(SubmissionIndex, Submission<T>)> {
		Self::all_submissions(task).into_iter().filter(|(_, s)| s.model.is_some()).collect()
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), DispatchError> {
		let mut active = 0u32;
		for (task, info) in Tasks::<T>::iter() {
			let escrow = T::Escrow::task_total(task);
			let submissions: Vec<_> = Submissions::<T>::iter_prefix(task).collect();
			if info.status == TaskStatus::Active {
				active = active.saturating_add(1);
				let appeal_bond = info.appeal.as_ref().map(|a| a.bond).unwrap_or_default();
				let mut expected =
					info.bounty.saturating_add(info.deposit).saturating_add(appeal_bond);
				for (_, s) in &submissions {
					expected = expected.saturating_add(s.bond);
				}
				ensure!(escrow == expected, "registry: escrow differs from bounty + bonds");
				ensure!(
					submissions.len() == info.submissions as usize,
					"registry: submission count differs"
				);
				let revealed = submissions.iter().filter(|(_, s)| s.model.is_some()).count();
				ensure!(revealed == info.revealed as usize, "registry: revealed count differs");
				ensure!(
					submissions.iter().all(|(index, _)| *index < info.next_submission),
					"registry: a submission index at or past the next one"
				);
			} else {
				ensure!(
					escrow == info.deposit,
					"registry: an ended task holds more than its deposit"
				);
			}
			ensure!(
				info.winner.is_some() == (info.status == TaskStatus::Finalized),
				"registry: winner without finalization or the other way round"
			);
		}
		ensure!(active == ActiveTasks::<T>::get(), "registry: active task count differs");
		let mut per_sponsor: alloc::collections::BTreeMap<T::AccountId, u32> = Default::default();
		for (_, info) in Tasks::<T>::iter().filter(|(_, i)| i.status == TaskStatus::Active) {
			let n = per_sponsor.entry(info.sponsor).or_default();
			*n = n.saturating_add(1);
		}
		ensure!(
			SponsorTasks::<T>::iter().collect::<alloc::collections::BTreeMap<_, _>>()
				== per_sponsor,
			"registry: per-sponsor active counts differ"
		);
		ensure!(
			Deadlines::<T>::iter_values().all(|l| !l.is_empty())
				&& Draws::<T>::iter_values().all(|l| !l.is_empty()),
			"registry: an empty per-block list is stored"
		);
		let (head, tail) = DueQueueEnds::<T>::get();
		ensure!(
			DueQueue::<T>::iter_keys().all(|at| at >= head && at < tail)
				&& DueQueue::<T>::iter_keys().count() as u64 == tail.saturating_sub(head),
			"registry: the due queue differs from its ends"
		);
		let (head, tail) = PruneQueueEnds::<T>::get();
		ensure!(
			PruneQueue::<T>::iter_keys().all(|at| at >= head && at < tail)
				&& PruneQueue::<T>::iter_keys().count() as u64 == tail.saturating_sub(head),
			"registry: the prune queue differs from its ends"
		);
		Ok(())
	}
}

impl<T: Config> TaskInspector<BlockNumberFor<T>> for Pallet<T> {
	fn evaluation_windows(task: TaskId) -> Option<(BlockNumberFor<T>, BlockNumberFor<T>)> {
		let info = Tasks::<T>::get(task)?;
		if info.status != TaskStatus::Active || info.test_set.is_none() {
			return None;
		}
		Some((info.spec.windows.score_commit_end, info.spec.windows.evaluation_end))
	}

	fn revealed_submissions(task: TaskId) -> Vec<SubmissionIndex> {
		Self::revealed(task).into_iter().map(|(index, _)| index).collect()
	}

	fn metric(task: TaskId) -> Option<pouw_primitives::Metric> {
		Tasks::<T>::get(task).map(|info| info.spec.metric)
	}

	fn posted_at(task: TaskId) -> Option<BlockNumberFor<T>> {
		Tasks::<T>::get(task).map(|info| info.created_at)
	}

	fn appeal_windows(task: TaskId) -> Option<(BlockNumberFor<T>, BlockNumberFor<T>)> {
		let info = Tasks::<T>::get(task)?;
		if info.status != TaskStatus::Active || !info.appeal.as_ref().is_some_and(|a| a.drawn) {
			return None;
		}
		Some(Self::appeal_windows(&info.spec))
	}
}
