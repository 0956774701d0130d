//! Every way a task can fail, and evaluators who misbehave.

use super::*;
use crate::{Error, Event, FailureReason, RejectionReason, TaskStatus};
use pallet_escrow::Escrow as _;
use pouw_primitives::{ReputationProvider, Role};

fn failed_with(task: TaskId, reason: FailureReason) {
	assert_eq!(status(task), TaskStatus::Failed(reason));
	assert!(events().contains(&Event::TaskFailed { task, reason }));
	assert_eq!(Escrow::task_total(task), DEPOSIT);
}

#[test]
fn sponsor_never_reveals_the_bounty_goes_to_the_revealers() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		for w in [W1, W2, W3] {
			commit(task, w);
		}
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		assert_ok!(reveal(task, W2));
		run_to_block(TEST_REVEAL_END);
		assert_noop!(
			TaskRegistry::finalize_task(RuntimeOrigin::signed(W1), task),
			Error::<Test>::NotDue
		);
		run_to_block(TEST_REVEAL_END + 1);
		// Due before the evaluation window ends: the hook settles it at the draw.
		assert_noop!(
			TaskRegistry::finalize_task(RuntimeOrigin::signed(W1), task),
			Error::<Test>::TaskNotActive
		);
		failed_with(task, FailureReason::SponsorDidNotReveal);
		// The winner's share, split; the rest to the treasury.
		assert_eq!(free(W1), INITIAL + BOUNTY * 80 / 100 / 2);
		assert_eq!(free(W2), INITIAL + BOUNTY * 80 / 100 / 2);
		// W3 never revealed: bond to the treasury.
		assert_eq!(free(W3), INITIAL - BOND);
		assert_eq!(free(TREASURY), ED + BOND + BOUNTY * 20 / 100);
		assert_eq!(free(SPONSOR), INITIAL - BOUNTY - DEPOSIT);
		assert_eq!(Reputation::reputation(&SPONSOR, Role::Sponsor), Rep::from_percent(47));
		assert_eq!(Reputation::reputation(&W3, Role::Worker), Rep::from_percent(47));
		// Paid, but no quorum validated the model: no reputation for it.
		assert_eq!(Reputation::reputation(&W1, Role::Worker), Rep::from_percent(50));
		assert!(events().contains(&Event::SubmissionRejected {
			task,
			submission: SubmissionIndex(2),
			worker: W3,
			reason: RejectionReason::NotRevealed
		}));
		// The hook later skips it.
		run_to_block(SETTLE_AT + 1);
		assert_eq!(status(task), TaskStatus::Failed(FailureReason::SponsorDidNotReveal));
	});
}

#[test]
fn bounty_dust_from_an_uneven_split_goes_to_the_treasury() {
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
		assert_eq!(free(W1), INITIAL + 26_666);
		// The 20 % no revealer gets, and the rounding dust of 80 000 / 3.
		assert_eq!(free(TREASURY), ED + 20_000 + 2);
	});
}

#[test]
fn no_model_revealed_refunds_the_bounty_and_slashes_the_bonds() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		commit(task, W1);
		run_to_block(REVEAL_END + 1);
		assert_ok!(TaskRegistry::finalize_task(RuntimeOrigin::signed(W2), task));
		failed_with(task, FailureReason::NoModelRevealed);
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
		assert_eq!(free(W1), INITIAL - BOND);
		assert_eq!(free(TREASURY), ED + BOND);
	});
}

#[test]
fn revealing_the_test_set_with_no_model_revealed_ends_the_task() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(task, SPONSOR));
		failed_with(task, FailureReason::NoModelRevealed);
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
	});
}

#[test]
fn too_few_evaluators_at_the_draw_fails_with_full_refunds() {
	// Enough at creation; one falls below the reputation minimum before the draw (a penalty in
	// another task), which nobody else can cause.
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = create();
		for w in [W1, W2] {
			commit(task, w);
		}
		<Reputation as pouw_primitives::ReputationRecorder<AccountId>>::record(
			&20,
			pouw_primitives::Role::Evaluator,
			pouw_primitives::Outcome::Failure,
		);
		run_to_block(SUBMISSION_END + 1);
		for w in [W1, W2] {
			assert_ok!(reveal(task, w));
		}
		run_to_block(REVEAL_END + 1);
		assert_ok!(reveal_test(task, SPONSOR));
		run_to_block(TEST_REVEAL_END + 1);
		failed_with(task, FailureReason::NotEnoughEvaluators);
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
		assert_eq!(free(W1), INITIAL);
		assert_eq!(free(W2), INITIAL);
		assert!(quorum(task).is_empty());
	});
}

#[test]
fn an_evaluator_that_never_reveals_is_penalised_and_unpaid() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		let silent = quorum(task)[0];
		evaluate(task, |who| if who == silent { None } else { Some(vec![acc(0.9), acc(0.8)]) });
		run_to_block(SETTLE_AT);
		assert_eq!(status(task), TaskStatus::Finalized);
		assert_eq!(free(silent), INITIAL - STAKE);
		assert_eq!(Escrow::staked(&silent), STAKE - STAKE / 10);
		assert_eq!(Reputation::reputation(&silent, Role::Evaluator), Rep::from_percent(47));
		for e in quorum(task).into_iter().filter(|e| *e != silent) {
			assert_eq!(free(e), INITIAL - STAKE + 7_500);
		}
		assert_eq!(free(TREASURY), ED + STAKE / 10 + 5_000);
	});
}

#[test]
fn an_outlier_evaluator_is_penalised_and_the_median_holds() {
	ExtBuilder::default().evaluators(5).build_and_execute(|| {
		let mut s = spec();
		s.quorum = 5;
		let task = to_evaluation_with(s, &[W1, W2]);
		let outlier = quorum(task)[2];
		evaluate(task, |who| {
			if who == outlier {
				Some(vec![acc(0.5), acc(0.99)])
			} else {
				Some(vec![acc(0.9), acc(0.8)])
			}
		});
		run_to_block(SETTLE_AT);
		let info = crate::Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.winner.unwrap().worker, W1);
		assert_eq!(Escrow::staked(&outlier), STAKE - STAKE / 10);
		assert_eq!(free(outlier), INITIAL - STAKE);
		// The four honest ones share 15 %.
		for e in quorum(task).into_iter().filter(|e| *e != outlier) {
			assert_eq!(free(e), INITIAL - STAKE + 3_750);
		}
	});
}

#[test]
fn a_colluding_minority_of_two_in_seven_cannot_change_the_winner() {
	ExtBuilder::default().evaluators(7).build_and_execute(|| {
		let mut s = spec();
		s.quorum = 7;
		let task = to_evaluation_with(s, &[W1, W2]);
		let members = quorum(task);
		let colluders = [members[0], members[1]];
		// The colluders push W2 (their friend) over W1.
		evaluate(task, |who| {
			if colluders.contains(&who) {
				Some(vec![acc(0.10), acc(0.99)])
			} else {
				Some(vec![acc(0.90), acc(0.85)])
			}
		});
		run_to_block(SETTLE_AT);
		let info = crate::Tasks::<Test>::get(task).unwrap();
		let winner = info.winner.unwrap();
		assert_eq!((winner.worker, winner.score), (W1, acc(0.90).unwrap()));
		for c in colluders {
			assert_eq!(Escrow::staked(&c), STAKE - STAKE / 10);
			assert_eq!(Reputation::reputation(&c, Role::Evaluator), Rep::from_percent(47));
		}
	});
}

#[test]
fn quorum_not_reached_refunds_the_bounty() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = to_evaluation(&[W1]);
		let only = quorum(task)[0];
		evaluate(task, |who| if who == only { Some(vec![acc(0.9)]) } else { None });
		run_to_block(SETTLE_AT);
		failed_with(task, FailureReason::QuorumNotReached);
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
		assert_eq!(free(W1), INITIAL);
		// The one who revealed is neither paid nor penalised; the two others are penalised.
		assert_eq!(free(only), INITIAL - STAKE);
		assert_eq!(Escrow::staked(&only), STAKE);
		for e in quorum(task).into_iter().filter(|e| *e != only) {
			assert_eq!(Escrow::staked(&e), STAKE - STAKE / 10);
		}
	});
}

#[test]
fn no_model_meeting_the_minimum_pays_the_evaluators_and_refunds_the_rest() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let mut s = spec();
		s.min_score = acc(0.95);
		let task = to_evaluation_with(s, &[W1]);
		evaluate(task, |_| Some(vec![acc(0.90)]));
		run_to_block(SETTLE_AT);
		failed_with(task, FailureReason::NoModelMetMinimum);
		assert_eq!(free(SPONSOR), INITIAL - 15_000 - DEPOSIT);
		assert_eq!(free(W1), INITIAL);
		for e in quorum(task) {
			assert_eq!(free(e), INITIAL - STAKE + 5_000);
		}
		assert!(events().contains(&Event::SubmissionRejected {
			task,
			submission: SubmissionIndex(0),
			worker: W1,
			reason: RejectionReason::BelowMinimum
		}));
	});
}

#[test]
fn an_invalid_model_forfeits_its_bond() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		evaluate(task, |_| Some(vec![None, acc(0.7)]));
		run_to_block(SETTLE_AT);
		assert_eq!(crate::Tasks::<Test>::get(task).unwrap().winner.unwrap().worker, W2);
		assert_eq!(free(W1), INITIAL - BOND);
		assert!(events().contains(&Event::SubmissionRejected {
			task,
			submission: SubmissionIndex(0),
			worker: W1,
			reason: RejectionReason::InvalidModel
		}));
	});
}

#[test]
fn every_model_invalid_fails_the_task() {
	ExtBuilder::default().evaluators(3).build_and_execute(|| {
		let task = to_evaluation(&[W1]);
		evaluate(task, |_| Some(vec![None]));
		run_to_block(SETTLE_AT);
		failed_with(task, FailureReason::NoValidModel);
		assert_eq!(free(SPONSOR), INITIAL - 15_000 - DEPOSIT);
	});
}
