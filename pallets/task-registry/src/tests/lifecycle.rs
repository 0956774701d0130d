//! From post to payout: the happy path, tie-break, lineage, reputation gate, self-evaluation,
//! automatic finalization and pruning.

use super::*;
use crate::{
	Error, Event, FailureReason, Phase, RejectionReason, Submissions, TaskStatus, Tasks, WeightInfo,
};
use pallet_escrow::Escrow as _;
use pouw_primitives::{Outcome, ReputationProvider, ReputationRecorder, Role};

#[test]
fn happy_path_with_three_workers_and_five_evaluators() {
	ExtBuilder::default().evaluators(5).build_and_execute(|| {
		let mut s = spec();
		s.quorum = 5;
		let task = create_with(SPONSOR, s);
		assert_eq!(TaskRegistry::phase(task, 1), Some(Phase::Open));
		for w in [W1, W2, W3] {
			commit(task, w);
		}
		run_to_block(SUBMISSION_END + 1);
		assert_eq!(TaskRegistry::phase(task, SUBMISSION_END + 1), Some(Phase::Reveal));
		for w in [W1, W2, W3] {
			assert_ok!(reveal(task, w));
		}
		run_to_block(REVEAL_END + 1);
		assert_eq!(TaskRegistry::phase(task, REVEAL_END + 1), Some(Phase::TestReveal));
		assert_ok!(reveal_test(task, SPONSOR));
		// The quorum is drawn at the first block after the test-reveal window.
		assert_eq!(TaskRegistry::phase(task, REVEAL_END + 1), Some(Phase::TestReveal));
		run_to_block(TEST_REVEAL_END + 1);
		assert_eq!(TaskRegistry::phase(task, TEST_REVEAL_END + 1), Some(Phase::ScoreCommit));
		let members = quorum(task);
		assert_eq!(members.len(), 5);
		// Honest evaluators, with small float noise between machines.
		evaluate(task, |who| {
			let noise = (who - 20) as f64 * 0.001;
			Some(vec![acc(0.90 + noise), acc(0.95 - noise), acc(0.80)])
		});
		assert_eq!(TaskRegistry::phase(task, SCORE_COMMIT_END + 1), Some(Phase::ScoreReveal));
		run_to_block(EVALUATION_END);
		assert_noop!(
			TaskRegistry::finalize_task(RuntimeOrigin::signed(W3), task),
			Error::<Test>::NotDue
		);
		// The hook finalizes it at the first block past the evaluation window.
		run_to_block(SETTLE_AT);
		assert_eq!(status(task), TaskStatus::Finalized);
		let winner = Tasks::<Test>::get(task).unwrap().winner.unwrap();
		assert_eq!(
			(winner.worker, winner.submission, winner.model_hash),
			(W2, SubmissionIndex(1), model_hash(W2))
		);
		assert_eq!(winner.score, acc(0.948).unwrap());

		// 80 % to the winner, 15 % shared by five honest evaluators, 5 % to the treasury.
		assert_eq!(free(W2), INITIAL + 80_000);
		assert_eq!(free(W1), INITIAL);
		assert_eq!(free(W3), INITIAL);
		for e in 20..25 {
			assert_eq!(free(e), INITIAL - STAKE + 3_000);
		}
		assert_eq!(free(TREASURY), ED + 5_000);
		assert_eq!(free(SPONSOR), INITIAL - BOUNTY - DEPOSIT);
		assert!(events().contains(&Event::TaskFinalized {
			task,
			winner: SubmissionIndex(1),
			worker: W2,
			score: acc(0.948).unwrap(),
			winner_paid: 80_000,
			evaluators_paid: 15_000,
			treasury_paid: 5_000,
		}));
		for (w, i) in [(W1, 0), (W3, 2)] {
			assert!(events().contains(&Event::SubmissionRejected {
				task,
				submission: SubmissionIndex(i),
				worker: w,
				reason: RejectionReason::Outscored
			}));
		}
		// Reputation: the winner twice up; the other revealers only when better than the
		// median of the valid models (W1's 0.90 is that median, W3 below it); evaluators and
		// sponsor up.
		assert_eq!(Reputation::reputation(&W2, Role::Worker), Rep::from_percent(52));
		assert_eq!(Reputation::reputation(&W1, Role::Worker), Rep::from_percent(50));
		assert_eq!(Reputation::reputation(&W3, Role::Worker), Rep::from_percent(50));
		assert_eq!(Reputation::reputation(&20, Role::Evaluator), Rep::from_percent(51));
		assert_eq!(Reputation::reputation(&SPONSOR, Role::Sponsor), Rep::from_percent(51));
		assert_eq!(TaskRegistry::phase(task, 60), Some(Phase::Ended));
		assert_eq!(crate::ActiveTasks::<Test>::get(), 0);
	});
}

#[test]
fn a_tie_goes_to_the_earliest_commitment() {
	ExtBuilder::default().build_and_execute(|| {
		let task = to_evaluation(&[W3, W1]);
		evaluate(task, |_| Some(vec![acc(0.9), acc(0.9)]));
		run_to_block(SETTLE_AT);
		let winner = Tasks::<Test>::get(task).unwrap().winner.unwrap();
		assert_eq!((winner.worker, winner.submission), (W3, SubmissionIndex(0)));
	});
}

#[test]
fn lower_is_better_for_mean_squared_error() {
	ExtBuilder::default().build_and_execute(|| {
		let mut s = spec();
		s.metric = pouw_primitives::Metric::MeanSquaredError;
		s.dataset.shape.classes = 0;
		s.model = ModelSpec::Linear { inputs: 64, outputs: 1 };
		let task = to_evaluation_with(s, &[W1, W2]);
		evaluate(task, |_| Some(vec![acc(0.30), acc(0.10)]));
		run_to_block(SETTLE_AT);
		assert_eq!(Tasks::<Test>::get(task).unwrap().winner.unwrap().worker, W2);
	});
}

fn finalize_with_winner(sponsor: AccountId, parent: Option<TaskId>, winner: AccountId) -> TaskId {
	let start = System::block_number();
	let mut s = spec();
	s.parent = parent;
	let w = &mut s.windows;
	w.submission_end += start;
	w.reveal_end += start;
	w.test_reveal_end += start;
	w.score_commit_end += start;
	w.evaluation_end += start;
	let windows = *w;
	let task = create_with(sponsor, s);
	commit(task, winner);
	run_to_block(windows.submission_end + 1);
	assert_ok!(reveal(task, winner));
	run_to_block(windows.reveal_end + 1);
	assert_ok!(reveal_test(task, sponsor));
	run_to_block(windows.test_reveal_end + 1);
	let members = quorum(task);
	let entries = vec![(SubmissionIndex(0), acc(0.9))];
	for who in &members {
		assert_ok!(Verification::commit_scores(
			RuntimeOrigin::signed(*who),
			task,
			scores_commitment(&entries, &salt(*who), who)
		));
	}
	run_to_block(windows.score_commit_end + 1);
	for who in &members {
		assert_ok!(Verification::reveal_scores(
			RuntimeOrigin::signed(*who),
			task,
			entries.clone().try_into().unwrap(),
			salt(*who)
		));
	}
	run_to_block(windows.evaluation_end + APPEAL_WINDOW + 1);
	assert_eq!(status(task), TaskStatus::Finalized);
	task
}

#[test]
fn lineage_records_the_parent_winner_and_reads_back() {
	ExtBuilder::default().build_and_execute(|| {
		let a = finalize_with_winner(SPONSOR, None, W1);
		let b = finalize_with_winner(SPONSOR2, Some(a), W2);
		assert_eq!(Tasks::<Test>::get(b).unwrap().parent_model, Some(model_hash(W1)));
		let c = finalize_with_winner(SPONSOR, Some(b), W3);
		assert_eq!(Tasks::<Test>::get(c).unwrap().parent_model, Some(model_hash(W2)));
		assert_eq!(TaskRegistry::lineage(c), vec![b, a]);
		assert_eq!(TaskRegistry::lineage(a), Vec::<TaskId>::new());

		let mut s = spec();
		let now = System::block_number();
		s.windows.submission_end = now + 10;
		s.windows.reveal_end = now + 20;
		s.windows.test_reveal_end = now + 30;
		s.windows.score_commit_end = now + 40;
		s.windows.evaluation_end = now + 50;
		s.parent = Some(TaskId(77));
		assert_noop!(
			TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR), s.clone(), [0; 32], BOUNTY),
			Error::<Test>::UnknownParent
		);
		// An active (not finalized) parent.
		s.parent = None;
		let d = create_with(SPONSOR, s.clone());
		s.parent = Some(d);
		assert_noop!(
			TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR), s, [0; 32], BOUNTY),
			Error::<Test>::ParentNotFinalized
		);
	});
}

#[test]
fn the_minimum_worker_reputation_gates_commitments() {
	ExtBuilder::default().build_and_execute(|| {
		let mut s = spec();
		s.min_worker_reputation = Rep::from_percent(51);
		let task = create_with(SPONSOR, s);
		let commitment = model_commitment(&model_hash(W1), &salt(W1), &W1);
		assert_noop!(try_commit(W1, task, commitment), Error::<Test>::ReputationTooLow);
		Reputation::record(&W1, Role::Worker, Outcome::Success);
		assert_ok!(TaskRegistry::commit_model(RuntimeOrigin::signed(W1), task, commitment));
	});
}

#[test]
fn nobody_evaluates_a_task_they_sponsor_or_submitted_to() {
	// Evaluators 20..=24; 24 sponsors, 20 submits: the quorum of 3 must be 21, 22, 23.
	for seed in 0..4u8 {
		ExtBuilder::default().evaluators(5).build_and_execute(|| {
			RandomSeed::set(&[seed; 32]);
			let task = create_with(24, spec());
			commit(task, 20);
			run_to_block(SUBMISSION_END + 1);
			assert_ok!(reveal(task, 20));
			run_to_block(REVEAL_END + 1);
			assert_ok!(reveal_test(task, 24));
			run_to_block(TEST_REVEAL_END + 1);
			let mut members = quorum(task);
			members.sort();
			assert_eq!(members, vec![21, 22, 23]);
		});
	}
}

#[test]
fn automatic_finalization_stays_under_the_per_block_bound() {
	ExtBuilder::default().build_and_execute(|| {
		MaxAutoFinalize::set(&2);
		// No model and no test set: all three are due at their draw.
		let tasks: Vec<TaskId> = (0..3).map(|_| create()).collect();
		run_to_block(TEST_REVEAL_END);
		System::set_block_number(TEST_REVEAL_END + 1);
		let weight = TaskRegistry::on_block(TEST_REVEAL_END + 1);
		let settled = tasks.iter().filter(|t| status(**t) != TaskStatus::Active).count();
		assert_eq!(settled, 2);
		let one = <Test as crate::Config>::WeightInfo::finalize_task(8, 9);
		assert!(weight.all_gte(one.saturating_mul(2)));
		run_to_block(TEST_REVEAL_END + 3);
		for t in &tasks {
			assert_eq!(status(*t), TaskStatus::Failed(FailureReason::NoModelRevealed));
		}
		// Each deposit stays on hold until its task is pruned.
		assert_eq!(free(SPONSOR), INITIAL - 3 * DEPOSIT);
	});
}

#[test]
fn settled_tasks_are_pruned_after_the_retention_period_but_keep_their_record() {
	ExtBuilder::default().build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		evaluate(task, |_| Some(vec![acc(0.9), acc(0.8)]));
		run_to_block(SETTLE_AT);
		assert_eq!(Submissions::<Test>::iter_prefix(task).count(), 2);
		// The creation deposit stays on hold through the retention period.
		assert_eq!(Escrow::task_total(task), DEPOSIT);
		let sponsor_free = free(SPONSOR);
		run_to_block(SETTLE_AT + 100);
		assert_eq!(Submissions::<Test>::iter_prefix(task).count(), 0);
		assert_eq!(Escrow::task_total(task), 0);
		assert_eq!(free(SPONSOR), sponsor_free + DEPOSIT);
		assert!(quorum(task).is_empty());
		assert!(events().contains(&Event::TaskPruned { task }));
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.status, TaskStatus::Finalized);
		assert_eq!(info.winner.unwrap().worker, W1);
		assert_eq!(info.deposit, 0);
	});
}

#[test]
fn the_uri_bound_is_in_the_metadata_constants() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(TaskRegistry::max_uri_len(), 256);
		let names: Vec<_> =
			TaskRegistry::pallet_constants_metadata().into_iter().map(|c| c.name).collect();
		assert!(names.contains(&"MaxUriLen"));
		assert!(names.contains(&"WinnerShare"));
	});
}
