//! Attacks by rational, hostile participants (issue 15): each test plays the attack and asserts
//! that the attacker gains nothing and honest participants lose nothing. Each failed on the
//! rules before protocol v2.

use super::*;
use crate::{Error, Event, FailureReason, TaskStatus};
use pallet_escrow::Escrow as _;
use pouw_primitives::{ReputationProvider, ReputationRecorder, Role};

/// The three evaluators of `ExtBuilder::default().evaluators(3)`: all of them are drawn.
const A: AccountId = 20;
const B: AccountId = 21;
const C: AccountId = 22;

fn entries(task: TaskId, scores: &[Option<Score>]) -> Vec<(SubmissionIndex, Option<Score>)> {
	TaskRegistry::revealed(task).iter().zip(scores).map(|((i, _), s)| (*i, *s)).collect()
}

fn commit_scores(task: TaskId, who: AccountId, scores: &[Option<Score>]) {
	assert_ok!(Verification::commit_scores(
		RuntimeOrigin::signed(who),
		task,
		scores_commitment(&entries(task, scores), &salt(who), &who)
	));
}

fn reveal_scores(task: TaskId, who: AccountId, scores: &[Option<Score>]) -> DispatchResult {
	Verification::reveal_scores(
		RuntimeOrigin::signed(who),
		task,
		entries(task, scores).try_into().unwrap(),
		salt(who),
	)
}

fn staked(who: AccountId) -> Balance {
	Escrow::staked(&who)
}

fn winner(task: TaskId) -> Option<AccountId> {
	crate::Tasks::<Test>::get(task).and_then(|i| i.winner).map(|w| w.worker)
}

/// W1 trains a 0.9 model, W2 (the colluders' friend) a 0.5 one; `A` is honest and reveals,
/// `B` colludes and reveals `b_scores`, `C` is honest but offline. Settles the task.
fn two_revealers(b_scores: &[Option<Score>]) -> (TaskId, DispatchResult) {
	let task = to_evaluation(&[W1, W2]);
	assert_eq!(quorum(task).len(), 3);
	let honest = [acc(0.9), acc(0.5)];
	commit_scores(task, A, &honest);
	commit_scores(task, B, b_scores);
	run_to_block(SCORE_COMMIT_END + 1);
	assert_ok!(reveal_scores(task, A, &honest));
	let refused = reveal_scores(task, B, b_scores);
	run_to_block(SETTLE_AT + 1);
	(task, refused)
}

#[test]
fn colluder_with_an_out_of_range_score_cannot_crown_a_friend() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let huge = Some(Score(10u64.pow(19)));
		let (task, reveal) = two_revealers(&[acc(0.0), huge]);
		assert_eq!(reveal, Err(pallet_verification::Error::<Test>::ScoreOutOfRange.into()));
		// One revealer of three: the quorum is not reached; B never revealed and pays for it.
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::QuorumNotReached));
		assert_eq!(staked(B), STAKE - STAKE / 10);
		assert_ne!(winner(task), Some(W2), "the colluder's friend won");
		assert!(free(W2) <= INITIAL, "the friend was paid");
		assert_eq!(staked(A), STAKE, "the honest evaluator was slashed");
	});
}

#[test]
fn colluder_within_range_cannot_crown_a_friend_against_one_honest_revealer() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let (task, reveal) = two_revealers(&[acc(0.0), acc(1.0)]);
		assert_ok!(reveal);
		// Two revealers who disagree: no strict majority of the three drawn agrees.
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::NoAgreement));
		assert_eq!(Escrow::task_total(task), DEPOSIT);
		assert_eq!(free(W1), INITIAL);
		// The offline evaluator is penalised; nobody else, and nobody is paid as honest.
		assert_eq!(staked(C), STAKE - STAKE / 10);
		assert_eq!(staked(B), STAKE);
		assert_eq!(free(A), INITIAL - STAKE);
		assert_ne!(winner(task), Some(W2), "the colluder's friend won");
		assert!(free(W2) <= INITIAL, "the friend was paid");
		assert_eq!(staked(A), STAKE, "the honest evaluator was slashed");
	});
}

#[test]
fn one_colluder_voting_invalid_cannot_slash_the_best_model() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let (task, reveal) = two_revealers(&[None, acc(0.5)]);
		assert_ok!(reveal);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::NoAgreement));
		assert_ne!(winner(task), Some(W2), "the colluder's friend won");
		assert_eq!(free(W1), INITIAL, "the best worker lost its bond");
		assert_eq!(staked(A), STAKE, "the honest evaluator was slashed");
	});
}

#[test]
fn a_quorum_the_sponsor_could_fill_alone_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		for size in [1, 2] {
			let mut s = spec();
			s.quorum = size;
			assert_noop!(
				TaskRegistry::create_task(
					RuntimeOrigin::signed(SPONSOR),
					s,
					test_set_commitment(&TEST_HASH, &TEST_SALT),
					BOUNTY
				),
				Error::<Test>::BadQuorum
			);
		}
	});
}

#[test]
fn one_minimum_stake_cannot_sit_in_two_quorums_at_once() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let first = create();
		let second = create_with(SPONSOR2, spec());
		for task in [first, second] {
			commit(task, W1);
		}
		run_to_block(SUBMISSION_END + 1);
		for task in [first, second] {
			assert_ok!(reveal(task, W1));
		}
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(first, SPONSOR));
		assert_ok!(reveal_test(second, SPONSOR2));
		run_to_block(TEST_REVEAL_END + 1);
		for who in [A, B, C] {
			let seats = pallet_verification::Evaluators::<Test>::get(who).unwrap().assignments;
			assert!(seats <= 1, "evaluator {who} holds {seats} seats on one minimum stake");
		}
		// Every seat is taken by the first task: the second cannot draw a quorum.
		assert_eq!(status(second), TaskStatus::Failed(FailureReason::NotEnoughEvaluators));
		run_to_block(SETTLE_AT + 1);
	});
}

#[test]
fn a_slash_takes_the_seat_stake_not_the_whole_stake() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		// A backs three seats; it misses one task.
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(A), 2 * STAKE));
		let task = to_evaluation(&[W1]);
		for who in [B, C] {
			commit_scores(task, who, &[acc(0.9)]);
		}
		run_to_block(SCORE_COMMIT_END + 1);
		for who in [B, C] {
			assert_ok!(reveal_scores(task, who, &[acc(0.9)]));
		}
		run_to_block(SETTLE_AT + 1);
		assert_eq!(status(task), TaskStatus::Finalized);
		assert_eq!(staked(A), 3 * STAKE - STAKE / 10, "the slash exceeded one seat's share");
		assert_eq!(winner(task), Some(W1));
	});
}

#[test]
fn a_sponsor_gains_no_reputation_when_its_quorum_fails() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		// The sponsor's test set cannot be scored: every drawn evaluator stays silent.
		let task = to_evaluation(&[W1]);
		run_to_block(SETTLE_AT + 1);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::QuorumNotReached));
		assert_eq!(
			Reputation::reputation(&SPONSOR, Role::Sponsor),
			Rep::from_percent(50),
			"the sponsor was rewarded for a failed quorum"
		);
	});
}

#[test]
fn sybils_of_a_sponsor_who_withholds_the_test_set_gain_no_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		for w in [W1, W2, W3] {
			commit(task, w);
		}
		run_to_block(SUBMISSION_END + 1);
		for w in [W1, W2, W3] {
			assert_ok!(reveal(task, w));
		}
		run_to_block(TEST_REVEAL_END + 1);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::SponsorDidNotReveal));
		for w in [W1, W2, W3] {
			assert_eq!(
				Reputation::reputation(&w, Role::Worker),
				Rep::from_percent(50),
				"a revealer gained reputation without a quorum validating its model"
			);
		}
		assert_eq!(Escrow::task_total(task), DEPOSIT);
		assert!(!events().iter().any(|e| matches!(e, Event::TaskFinalized { .. })));
	});
}

/// Steps to `block`, each block with its own randomness, as on a real chain.
fn step_with_randomness(block: u64) {
	while System::block_number() < block {
		let next = System::block_number() + 1;
		RandomSeed::set(&blake2_256(&next.encode()));
		run_to_block(next);
	}
}

#[test]
fn the_sponsor_cannot_choose_its_quorum_by_when_it_reveals() {
	let mut quorums = Vec::new();
	for reveal_at in [REVEAL_END + 1, REVEAL_END + 4, TEST_REVEAL_END] {
		ExtBuilder::default().evaluators(8).build_and_execute(|| {
			let task = create();
			commit(task, W1);
			step_with_randomness(SUBMISSION_END + 1);
			assert_ok!(reveal(task, W1));
			step_with_randomness(reveal_at);
			assert_ok!(reveal_test(task, SPONSOR));
			step_with_randomness(TEST_REVEAL_END + 1);
			quorums.push(quorum(task));
			step_with_randomness(SETTLE_AT + 1);
		});
	}
	assert_eq!(quorums[0].len(), 3);
	assert!(
		quorums.iter().all(|q| *q == quorums[0]),
		"the reveal block moved the draw: {quorums:?}"
	);
}

#[test]
fn a_late_reveal_does_not_shorten_the_score_window() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = create();
		commit(task, W1);
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		// The sponsor reveals in the last block of its window.
		run_to_block(TEST_REVEAL_END);
		assert_ok!(reveal_test(task, SPONSOR));
		assert_eq!(TaskRegistry::phase(task, TEST_REVEAL_END), Some(crate::Phase::TestReveal));
		assert!(quorum(task).is_empty());
		run_to_block(TEST_REVEAL_END + 1);
		assert_eq!(TaskRegistry::phase(task, TEST_REVEAL_END + 1), Some(crate::Phase::ScoreCommit));
		assert_eq!(quorum(task).len(), 3);
		// Every drawn evaluator has the whole score-commit window.
		run_to_block(SCORE_COMMIT_END);
		for who in [A, B, C] {
			commit_scores(task, who, &[acc(0.9)]);
		}
		run_to_block(SCORE_COMMIT_END + 1);
		for who in [A, B, C] {
			assert_ok!(reveal_scores(task, who, &[acc(0.9)]));
		}
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
	});
}

/// A task whose only worker, W1, revealed and whose sponsor kept its test set, at the block
/// after the test-reveal window (settled there: `SponsorDidNotReveal`).
fn withheld_with_one_worker() -> TaskId {
	let task = create();
	commit(task, W1);
	run_to_block(SUBMISSION_END + 1);
	assert_ok!(reveal(task, W1));
	run_to_block(TEST_REVEAL_END + 1);
	task
}

#[test]
fn withholding_the_test_set_costs_a_sponsor_with_a_sybil_worker_what_revealing_it_would() {
	// The reputation farmer's saving: with its own sybil as the only worker, an honest ending
	// pays the evaluators and the treasury 20 % of the bounty; keeping the test set paid them
	// nothing and handed the whole bounty to the sybil.
	ExtBuilder::default().build_and_execute(|| {
		let task = withheld_with_one_worker();
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::SponsorDidNotReveal));
		let kept = free(SPONSOR) + free(W1);
		// What the pair keeps when the sponsor reveals and a quorum crowns W1: the winner's
		// 80 %; the other 20 % go to the evaluators and the treasury.
		let revealed = 2 * INITIAL - DEPOSIT - BOUNTY * 20 / 100;
		assert!(kept <= revealed, "withholding saved the sponsor {}", kept - revealed);
	});
}

#[test]
fn a_sponsor_who_keeps_the_test_set_is_settled_at_the_draw() {
	ExtBuilder::default().build_and_execute(|| {
		let task = withheld_with_one_worker();
		// Nobody had to call `finalize_task`: the hook settled it at the draw.
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::SponsorDidNotReveal));
		assert_eq!(free(W1), INITIAL + BOUNTY * 80 / 100);
	});
}

fn create_fails(sponsor: AccountId, s: TaskSpec<u64>, error: Error<Test>) {
	assert_noop!(
		TaskRegistry::create_task(
			RuntimeOrigin::signed(sponsor),
			s,
			test_set_commitment(&TEST_HASH, &TEST_SALT),
			BOUNTY
		),
		error
	);
}

#[test]
fn a_window_too_short_to_act_in_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		// A one-block score window (the griefing sponsor's timing).
		let mut s = spec();
		s.windows.score_commit_end = TEST_REVEAL_END + 1;
		create_fails(SPONSOR, s, Error::<Test>::PhaseTooShort);
		let mut s = spec();
		s.windows.evaluation_end = SCORE_COMMIT_END + 2;
		create_fails(SPONSOR, s, Error::<Test>::PhaseTooShort);
		let mut s = spec();
		s.windows.submission_end = 2;
		create_fails(SPONSOR, s, Error::<Test>::PhaseTooShort);
	});
}

#[test]
fn a_task_that_locks_stakes_for_years_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		// The appeal round counts (funds stay on hold until it ends): it ends at
		// 2 * evaluation_end + APPEAL_WINDOW + commit window - SCORE_COMMIT_END.
		let commit = SCORE_COMMIT_END - TEST_REVEAL_END;
		let longest = (1 + 1_000 + SCORE_COMMIT_END - APPEAL_WINDOW - commit) / 2;
		let mut s = spec();
		s.windows.evaluation_end = longest + 1;
		create_fails(SPONSOR, s, Error::<Test>::TaskTooLong);
		let mut s = spec();
		s.windows.evaluation_end = longest;
		assert_eq!(TaskRegistry::appeal_windows(&s).1, 1 + 1_000);
		assert_ok!(TaskRegistry::create_task(
			RuntimeOrigin::signed(SPONSOR),
			s,
			test_set_commitment(&TEST_HASH, &TEST_SALT),
			BOUNTY
		));
	});
}

#[test]
fn one_sponsor_cannot_fill_the_market() {
	ExtBuilder::default().build_and_execute(|| {
		MaxPerSponsor::set(&2);
		let first = create();
		create();
		create_fails(SPONSOR, spec(), Error::<Test>::TooManyTasksForSponsor);
		// Others can still post; a cancelled task frees its sponsor's slot.
		create_with(SPONSOR2, spec());
		assert_ok!(TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), first));
		create();
	});
}

/// Posts `n` tasks for `sponsor`, each ending a block later than the one before (the
/// per-block bounds of deadlines and draws are not what this attack is about).
fn spam(sponsor: AccountId, n: u64, first_shift: u64) -> Vec<TaskId> {
	(0..n)
		.map(|i| {
			let shift = first_shift + i;
			let mut s = spec();
			s.windows.test_reveal_end = TEST_REVEAL_END + shift;
			s.windows.score_commit_end = SCORE_COMMIT_END + shift;
			s.windows.evaluation_end = EVALUATION_END + shift;
			create_with(sponsor, s)
		})
		.collect()
}

#[test]
fn many_sponsor_accounts_cannot_freeze_the_market() {
	ExtBuilder::default().build_and_execute(|| {
		MaxPerSponsor::set(&2);
		// Five spammer accounts fill their per-sponsor caps: ten open tasks, more than the
		// global cap of eight that once let them lock everyone else out.
		let spammed: Vec<TaskId> = (3..8).flat_map(|a| spam(a, 2, 2 * a)).collect();
		assert_eq!(spammed.len(), 10);
		// An honest sponsor can still post, and its task runs to a winner.
		let task = to_evaluation(&[W1]);
		evaluate(task, |_| Some(vec![acc(0.9)]));
		run_to_block(SETTLE_AT);
		assert_eq!(status(task), TaskStatus::Finalized);
	});
}

#[test]
fn every_open_task_costs_its_sponsor_a_deposit_until_it_is_pruned() {
	ExtBuilder::default().build_and_execute(|| {
		let spammer = 3;
		let tasks = spam(spammer, 4, 0);
		// Bounty and deposit per task, on hold: the capital a freeze ties up.
		assert_eq!(free(spammer), INITIAL - 4 * (BOUNTY + DEPOSIT));
		assert_eq!(
			<Balances as frame::token::fungible::InspectHold<_>>::balance_on_hold(
				&pallet_escrow::HoldReason::TaskDeposit.into(),
				&spammer
			),
			4 * DEPOSIT
		);
		// Cancelling gives the bounty back at once, the deposit only at pruning.
		for task in &tasks {
			assert_ok!(TaskRegistry::cancel_task(RuntimeOrigin::signed(spammer), *task));
		}
		assert_eq!(free(spammer), INITIAL - 4 * DEPOSIT);
		// Four tasks ended in one block, two are pruned per block: all of them by two blocks
		// after the retention period.
		let ended = System::block_number();
		run_to_block(ended + 100 + 1);
		assert_eq!(free(spammer), INITIAL);
		for task in &tasks {
			assert!(crate::Tasks::<Test>::get(*task).is_none());
			assert_eq!(Escrow::task_total(*task), 0);
		}
	});
}

#[test]
fn a_sponsor_who_cannot_cover_the_deposit_cannot_post() {
	ExtBuilder::default().build_and_execute(|| {
		let poor = 30;
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(29),
			poor,
			BOUNTY + DEPOSIT / 2
		));
		create_fails(poor, spec(), Error::<Test>::InsufficientBalance);
		assert_eq!(free(poor), BOUNTY + DEPOSIT / 2);
	});
}

#[test]
fn a_test_set_too_small_to_rank_models_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		// One test sample scores every model 0 or 1: the winner would be drawn by luck.
		let mut s = spec();
		s.test_samples = 1;
		create_fails(SPONSOR, s.clone(), Error::<Test>::TestSetTooSmall);
		s.test_samples = 0;
		create_fails(SPONSOR, s.clone(), Error::<Test>::TestSetTooSmall);
		s.test_samples = 100;
		create_with(SPONSOR, s);
	});
}

#[test]
fn a_model_whose_activations_would_exhaust_evaluators_memory_is_refused() {
	// Issue 16: within the parameter bound (2.6 M), 256 MiB of activations per sample.
	ExtBuilder::default().build_and_execute(|| {
		let mut s = spec();
		s.dataset.shape.features = 1024 * 1024;
		s.model = ModelSpec::Cnn {
			hidden: Default::default(),
			channels: 1,
			height: 1024,
			width: 1024,
			conv: vec![
				pouw_primitives::ConvLayer { out_channels: 64, kernel: 3, pool: 4 },
				pouw_primitives::ConvLayer { out_channels: 64, kernel: 1, pool: 4 },
			]
			.try_into()
			.unwrap(),
			outputs: 10,
			activation: pouw_primitives::Activation::Relu,
		};
		create_fails(SPONSOR, s, Error::<Test>::TooManyActivations);
	});
}

#[test]
fn a_gate_no_worker_can_pass_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let mut s = spec();
		s.min_worker_reputation = Rep::from_percent(100);
		create_fails(SPONSOR, s, Error::<Test>::WorkerReputationGateTooHigh);
	});
}

#[test]
fn an_ended_task_leaves_no_empty_per_block_lists() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		let info = crate::Tasks::<Test>::get(task).unwrap();
		// Both deadlines and both draws (the appeal's) are reserved at creation.
		let deadlines = TaskRegistry::deadlines(&info.spec);
		let draws = TaskRegistry::draws(&info.spec);
		assert_eq!(deadlines[0], SETTLE_AT);
		assert_eq!(draws, [TEST_REVEAL_END + 1, SETTLE_AT]);
		for at in deadlines {
			assert!(crate::Deadlines::<Test>::contains_key(at));
		}
		for at in draws {
			assert!(crate::Draws::<Test>::contains_key(at));
		}
		assert_ok!(TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), task));
		for at in deadlines {
			assert!(!crate::Deadlines::<Test>::contains_key(at));
		}
		for at in draws {
			assert!(!crate::Draws::<Test>::contains_key(at));
		}
		assert!(!crate::SponsorTasks::<Test>::contains_key(SPONSOR));
	});
}

fn report_unusable(task: TaskId, who: AccountId) {
	assert_ok!(Verification::commit_scores(
		RuntimeOrigin::signed(who),
		task,
		pouw_primitives::commitment::unusable_commitment(&salt(who), &who)
	));
}

#[test]
fn a_sponsor_who_reveals_an_unusable_test_set_pays_and_harms_no_evaluator() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		// The test set matches its commitment but cannot be used: every drawn evaluator says so.
		let task = to_evaluation(&[W1, W2]);
		for who in [A, B, C] {
			report_unusable(task, who);
		}
		run_to_block(SCORE_COMMIT_END + 1);
		for who in [A, B, C] {
			assert_ok!(Verification::reveal_unusable(RuntimeOrigin::signed(who), task, salt(who)));
		}
		assert_noop!(
			Verification::reveal_unusable(RuntimeOrigin::signed(A), task, salt(A)),
			pallet_verification::Error::<Test>::AlreadyRevealed
		);
		run_to_block(SETTLE_AT + 1);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::TestSetUnusable));
		assert_eq!(Escrow::task_total(task), DEPOSIT);
		// The reporters are paid the evaluators' 15 % and keep their stake; the workers share
		// the rest; the sponsor gets nothing back and loses reputation.
		let each = BOUNTY * 15 / 100 / 3;
		for who in [A, B, C] {
			assert_eq!(staked(who), STAKE);
			assert_eq!(free(who), INITIAL - STAKE + each);
		}
		let rest = (BOUNTY - 3 * each) / 2;
		assert_eq!(free(W1), INITIAL + rest);
		assert_eq!(free(W2), INITIAL + rest);
		assert_eq!(free(SPONSOR), INITIAL - BOUNTY - DEPOSIT);
		assert_eq!(Reputation::reputation(&SPONSOR, Role::Sponsor), Rep::from_percent(47));
		assert_eq!(Reputation::reputation(&A, Role::Evaluator), Rep::from_percent(51));
		assert_eq!(Reputation::reputation(&W1, Role::Worker), Rep::from_percent(50));
	});
}

#[test]
fn a_false_unusable_verdict_from_a_minority_is_penalised() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = to_evaluation(&[W1]);
		commit_scores(task, A, &[acc(0.9)]);
		commit_scores(task, B, &[acc(0.9)]);
		report_unusable(task, C);
		run_to_block(SCORE_COMMIT_END + 1);
		assert_ok!(reveal_scores(task, A, &[acc(0.9)]));
		assert_ok!(reveal_scores(task, B, &[acc(0.9)]));
		// Scores against an unusable commitment, or a verdict against a scores commitment, fail.
		assert_noop!(
			Verification::reveal_unusable(RuntimeOrigin::signed(A), task, salt(A)),
			pallet_verification::Error::<Test>::AlreadyRevealed
		);
		assert_noop!(
			reveal_scores(task, C, &[acc(0.9)]),
			pallet_verification::Error::<Test>::CommitmentMismatch
		);
		assert_ok!(Verification::reveal_unusable(RuntimeOrigin::signed(C), task, salt(C)));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
		assert_eq!(staked(C), STAKE - STAKE / 10);
		assert_eq!(staked(A), STAKE);
	});
}

/// Eight fresh sybils (accounts 12 to 19) take every slot of `task` in its first block; the
/// fresh `newcomer` then finds it full (ties keep the earlier commitment).
fn squat(task: TaskId, newcomer: AccountId) -> Vec<AccountId> {
	let sybils: Vec<AccountId> = (12..20).collect();
	for s in &sybils {
		commit(task, *s);
	}
	assert_noop!(try_commit(newcomer, task, [1; 32]), Error::<Test>::TooManySubmissions);
	sybils
}

/// Two successes: `who` ranks above a fresh account.
fn give_a_record(who: AccountId) {
	for _ in 0..2 {
		Reputation::record(&who, Role::Worker, pouw_primitives::Outcome::Success);
	}
}

#[test]
fn squatters_cannot_hold_the_slots_against_a_better_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		squat(task, W2);
		// A worker with a record takes the latest sybil's slot; that sybil's bond comes back.
		give_a_record(W1);
		commit(task, W1);
		assert!(events().contains(&Event::SubmissionDisplaced {
			task,
			submission: SubmissionIndex(7),
			worker: 19,
			by: W1
		}));
		assert_eq!(free(19), INITIAL);
		assert!(crate::WorkerSubmission::<Test>::get(task, 19).is_none());
		assert_eq!(crate::WorkerSubmission::<Test>::get(task, W1), Some(SubmissionIndex(8)));
		assert_eq!(crate::Tasks::<Test>::get(task).unwrap().submissions, 8);
		// The displaced sybil may not come back at its old reputation.
		assert_noop!(try_commit(19, task, [1; 32]), Error::<Test>::TooManySubmissions);
	});
}

#[test]
fn a_worker_with_a_record_takes_a_squatted_slot_without_paying_its_slot_fee() {
	// The slot fee prices a slot nobody with a better record wanted. A displacing commitment
	// paid the fee of the last position (40 % of the bounty here, 3.36 % on the runtime's 64
	// slots), so a squatter cost every established worker that fee on every task it squatted
	// (the simulation's late squatter: honest loss).
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		squat(task, W2);
		give_a_record(W1);
		let before = free(W1);
		commit(task, W1);
		let bond = TaskRegistry::bond_for(BOUNTY);
		let mine = crate::Submissions::<Test>::get(task, SubmissionIndex(8)).unwrap();
		assert_eq!((mine.slot_fee, mine.bond), (0, bond));
		assert_eq!(free(W1), before - bond);
		// The displaced sybil's fee came back with its bond.
		assert_eq!(free(19), INITIAL);
	});
}

#[test]
fn squatting_every_slot_to_win_with_a_weak_model_costs_more_than_it_wins() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		// The sybils' first model is weak, the other seven junk that still counts as valid.
		let sybils = squat(task, W1);
		run_to_block(SUBMISSION_END + 1);
		for s in &sybils {
			assert_ok!(reveal(task, *s));
		}
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(task, SPONSOR));
		run_to_block(TEST_REVEAL_END + 1);
		let weak_and_junk: Vec<Option<Score>> =
			(0..8).map(|i| if i == 0 { acc(0.6) } else { acc(0.1) }).collect();
		evaluate(task, |_| Some(weak_and_junk.clone()));
		run_to_block(SETTLE_AT);
		assert_eq!(winner(task), Some(12));
		// The winner's 80 % against slot fees of 10 % of the bounty for position 5, 20 % for
		// position 6, ... 40 % for position 8: the sybils together end 20 % of the bounty down.
		let net: i64 = sybils.iter().map(|s| free(*s) as i64 - INITIAL as i64).sum();
		assert_eq!(net, -(BOUNTY as i64) / 5);
		// The first four positions paid nothing.
		assert_eq!(free(13), INITIAL);
	});
}

#[test]
fn the_bond_grows_with_the_bounty() {
	ExtBuilder::default().build_and_execute(|| {
		let id = crate::NextTaskId::<Test>::get();
		assert_ok!(TaskRegistry::create_task(
			RuntimeOrigin::signed(SPONSOR),
			spec(),
			test_set_commitment(&TEST_HASH, &TEST_SALT),
			500_000
		));
		commit(id, W1);
		// 1 % of the bounty, above the floor of `BOND`.
		assert_eq!(free(W1), INITIAL - 5_000);
		assert_eq!(crate::Submissions::<Test>::get(id, SubmissionIndex(0)).unwrap().bond, 5_000);
	});
}

#[test]
fn a_model_below_the_sponsors_minimum_earns_no_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		let mut s = spec();
		s.min_score = acc(0.8);
		let task = to_evaluation_with(s, &[W1, W2]);
		evaluate(task, |_| Some(vec![acc(0.9), acc(0.1)]));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
		assert_eq!(Reputation::reputation(&W2, Role::Worker), Rep::from_percent(50));
		assert_eq!(free(W2), INITIAL, "a valid model keeps its bond");
	});
}

/// Reputation farming, slot-squatter shape: sybils revealing weak but valid models (the right
/// shape, accuracy 0.1) next to a real one each gained reputation, which later lets them
/// displace honest workers from full tasks. Only models better than the median of the valid
/// ones (and the winner) gain now.
#[test]
fn sybils_with_junk_models_earn_no_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		let sybils = [W2, W3, 13];
		let mut workers = vec![W1];
		workers.extend(sybils);
		let task = to_evaluation(&workers);
		evaluate(task, |_| Some(vec![acc(0.9), acc(0.1), acc(0.1), acc(0.1)]));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
		for sybil in sybils {
			assert_eq!(
				Reputation::reputation(&sybil, Role::Worker),
				Rep::from_percent(50),
				"a junk model earned reputation"
			);
			assert_eq!(free(sybil), INITIAL, "a valid model keeps its bond");
		}
		assert!(Reputation::reputation(&W1, Role::Worker) > Rep::from_percent(50));
	});
}

#[test]
fn a_runner_up_better_than_the_median_still_earns_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		let task = to_evaluation(&[W1, W2, W3, 13]);
		evaluate(task, |_| Some(vec![acc(0.9), acc(0.85), acc(0.1), acc(0.1)]));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
		// The median of the valid models is 0.475: W2 is above it, W3 and 13 are not.
		assert_eq!(Reputation::reputation(&W2, Role::Worker), Rep::from_percent(51));
		assert_eq!(Reputation::reputation(&W3, Role::Worker), Rep::from_percent(50));
		assert_eq!(Reputation::reputation(&13, Role::Worker), Rep::from_percent(50));
	});
}

/// Free models, first shape: a quorum the pool cannot fill. Before, the task was accepted, the
/// workers revealed, the draw failed and the sponsor got its whole bounty back with every model
/// public.
#[test]
fn a_quorum_the_pool_cannot_fill_is_refused_at_creation() {
	ExtBuilder::default().evaluators(2).build_and_execute(|| {
		assert_noop!(try_create(SPONSOR, spec()), Error::<Test>::NotEnoughEvaluators);
		// The sponsor does not count for its own task.
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(SPONSOR), STAKE));
		assert_noop!(try_create(SPONSOR, spec()), Error::<Test>::NotEnoughEvaluators);
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(SPONSOR2), STAKE));
		create();
	});
}

/// Free models, second shape: the sponsor's own evaluators fill the pool when it posts, then
/// leave before the draw. Before, the draw found too few and the sponsor was refunded in full
/// after the workers had revealed. Evaluators who leave still serve the tasks posted before
/// they left, and cannot withdraw before any of those could have drawn them.
#[test]
fn evaluators_who_leave_after_a_task_is_posted_still_serve_its_draw() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = create();
		for who in [A, B, C] {
			assert_ok!(Verification::unregister_evaluator(RuntimeOrigin::signed(who)));
		}
		// A task posted after they left cannot count on them.
		assert_noop!(try_create(SPONSOR2, spec()), Error::<Test>::NotEnoughEvaluators);
		commit(task, W1);
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(task, SPONSOR));
		run_to_block(TEST_REVEAL_END + 1);
		assert_eq!(status(task), TaskStatus::Active, "the draw failed");
		assert_eq!(quorum(task).len(), 3);
		evaluate(task, |_| Some(vec![acc(0.9)]));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
		assert_eq!(free(SPONSOR), INITIAL - BOUNTY - DEPOSIT, "the sponsor got its bounty back");
		// Their obligations met and the unbonding period over, they withdraw.
		run_to_block(1 + UNBONDING);
		for who in [A, B, C] {
			assert_ok!(Verification::withdraw_stake(RuntimeOrigin::signed(who)));
		}
	});
}

/// Posts a task with one revealed model and runs to its draw block without randomness.
fn to_evaluation_missing_randomness() -> TaskId {
	let task = create();
	commit(task, W1);
	run_to_block(SUBMISSION_END + 1);
	assert_ok!(reveal(task, W1));
	run_to_block(REVEAL_END + 1);
	assert_ok!(reveal_test(task, SPONSOR));
	RandomnessMissing::set(&true);
	run_to_block(TEST_REVEAL_END + 1);
	task
}

/// Seed grinding by the block author: where a block has no unpredictable randomness, the draw
/// used the parent block hash, which the author of the draw block chooses. Now it waits.
#[test]
fn the_quorum_is_drawn_with_the_randomness_the_blocks_inherents_bring() {
	// On a parachain the relay chain's randomness arrives with the `set_validation_data`
	// inherent (the mock's randomness too). Drawn in `on_initialize`, before it, every draw on a
	// relay chain was deferred and the task failed `NoRandomness` (zombienet, this session).
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		commit(task, W1);
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(task, SPONSOR));
		run_to_block(TEST_REVEAL_END + 1);
		assert_eq!(quorum(task).len(), 3);
		assert!(!events().iter().any(|e| matches!(e, Event::DrawDeferred { .. })));
	});
}

#[test]
fn a_draw_without_randomness_waits_for_a_block_with_it() {
	ExtBuilder::default().build_and_execute(|| {
		let task = to_evaluation_missing_randomness();
		assert!(quorum(task).is_empty(), "drawn from a predictable seed");
		assert!(events().contains(&Event::DrawDeferred { task, to: TEST_REVEAL_END + 2 }));
		RandomnessMissing::set(&false);
		run_to_block(TEST_REVEAL_END + 2);
		assert_eq!(quorum(task).len(), 3);
		evaluate(task, |_| Some(vec![acc(0.9)]));
		run_to_block(SETTLE_AT + 1);
		assert_eq!(winner(task), Some(W1));
	});
}

#[test]
fn a_draw_that_never_gets_randomness_fails_with_refunds() {
	ExtBuilder::default().build_and_execute(|| {
		let task = to_evaluation_missing_randomness();
		// Tried at the draw block and at the `MaxDrawDelay` (2) blocks after it.
		run_to_block(TEST_REVEAL_END + 2);
		assert_eq!(status(task), TaskStatus::Active);
		run_to_block(TEST_REVEAL_END + 3);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::NoRandomness));
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
		assert_eq!(free(W1), INITIAL);
		assert!(crate::Draws::<Test>::iter().next().is_none());
	});
}

#[test]
fn the_predictable_seed_is_used_only_where_genesis_allows_it_and_says_so() {
	ExtBuilder::default().build_and_execute(|| {
		crate::PredictableSeedAllowed::<Test>::put(true);
		let task = to_evaluation_missing_randomness();
		assert_eq!(quorum(task).len(), 3);
		assert!(events().contains(&Event::PredictableSeedUsed { task }));
		run_to_block(SETTLE_AT + 1);
	});
}

/// Storage spam: a task nobody committed to, cancelled or failed, kept its record forever, paid
/// for by nothing but a fee. After the retention period only finalized tasks (lineage needs
/// their winners) keep one.
#[test]
fn tasks_that_ended_without_a_winner_leave_no_record_after_retention() {
	ExtBuilder::default().build_and_execute(|| {
		let cancelled = create();
		assert_ok!(TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), cancelled));
		let failed = create_with(SPONSOR2, spec());
		run_to_block(REVEAL_END + 1);
		assert_ok!(TaskRegistry::finalize_task(RuntimeOrigin::signed(W1), failed));
		assert_eq!(status(failed), TaskStatus::Failed(FailureReason::NoModelRevealed));
		run_to_block(REVEAL_END + 1 + 100);
		assert!(crate::Tasks::<Test>::get(cancelled).is_none());
		assert!(crate::Tasks::<Test>::get(failed).is_none());
		assert!(events().contains(&Event::TaskPruned { task: failed }));
	});
}

#[test]
fn only_a_displacing_commitment_keeps_the_weight_of_reading_every_submission() {
	// Charged for the worst case and never refunded, a commitment took the block space of one
	// that reads every submission: a block held 40 (the runtime test `block_space`), and under
	// 200 tasks in flight honest workers' commitments and reveals missed their windows.
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		let call = crate::Call::<Test>::commit_model { task, commitment: [1; 32] };
		let charged = call.get_dispatch_info().call_weight;
		let light = <() as crate::weights::WeightInfo>::commit_model();
		let heavy = <() as crate::weights::WeightInfo>::commit_model_displacing();
		assert_eq!(charged, light.max(heavy));
		assert!(light.proof_size() < heavy.proof_size() / 10);
		let free_slot =
			TaskRegistry::commit_model(RuntimeOrigin::signed(W1), task, [1; 32]).unwrap();
		assert_eq!(free_slot.actual_weight, Some(light));
		for sybil in 13..20 {
			commit(task, sybil);
		}
		give_a_record(W2);
		let displacing =
			TaskRegistry::commit_model(RuntimeOrigin::signed(W2), task, [2; 32]).unwrap();
		assert_eq!(displacing.actual_weight, None, "charged in full");
		assert!(events().iter().any(|e| matches!(e, Event::SubmissionDisplaced { by: W2, .. })));
		// A refused commitment to a task with a free slot read no submission either: a late one
		// (`NotOpen`) keeps the small weight, so a crowd of them cannot fill a block.
		let open = create();
		let windows = crate::Tasks::<Test>::get(open).unwrap().spec.windows;
		System::set_block_number(windows.submission_end + 1);
		let late =
			TaskRegistry::commit_model(RuntimeOrigin::signed(W3), open, [3; 32]).unwrap_err();
		assert_eq!(late.error, Error::<Test>::NotOpen.into());
		assert_eq!(late.post_info.actual_weight, Some(light));
	});
}
