//! Appeals (issue 15, a colluding third of the evaluator stake): a quorum is drawn at random, so
//! a colluding minority of the pool sometimes holds a majority of a task's seats and can crown
//! a friend within the metric's range. Before appeals, nothing could undo that. Now anyone may
//! appeal; a larger quorum outside the first scores again, decides, and judges the first.

use super::*;
use crate::{Error, Event, TaskStatus};
use pallet_escrow::Escrow as _;
use pouw_primitives::{ReputationProvider, Role};

/// `members` commit `scores_of(who)` now and reveal them once `commit_end` has passed.
fn score_round(
	task: TaskId,
	members: &[AccountId],
	commit_end: u64,
	scores_of: impl Fn(AccountId) -> Vec<Option<Score>>,
) {
	let entries = |scores: &[Option<Score>]| -> Vec<(SubmissionIndex, Option<Score>)> {
		TaskRegistry::revealed(task).iter().zip(scores).map(|((i, _), s)| (*i, *s)).collect()
	};
	for who in members {
		assert_ok!(Verification::commit_scores(
			RuntimeOrigin::signed(*who),
			task,
			scores_commitment(&entries(&scores_of(*who)), &salt(*who), who)
		));
	}
	run_to_block(commit_end + 1);
	for who in members {
		assert_ok!(Verification::reveal_scores(
			RuntimeOrigin::signed(*who),
			task,
			entries(&scores_of(*who)).try_into().unwrap(),
			salt(*who)
		));
	}
}

fn appeal_quorum(task: TaskId) -> Vec<AccountId> {
	pallet_verification::AppealQuorums::<Test>::get(task).unwrap().members.to_vec()
}

const APPEAL_BOND: Balance = BOUNTY / 10;
const EVALUATORS_PART: Balance = BOUNTY * 15 / 100;

/// W1 trains a 0.9 model, W2 (the colluders' friend) a 0.5 one. Two of the three drawn
/// evaluators collude and reveal 0 for W1 and 1.0 for W2; the third is honest. Returns the
/// task at the end of its evaluation, with the colluders.
fn colluded_evaluation() -> (TaskId, [AccountId; 2], AccountId) {
	let task = to_evaluation(&[W1, W2]);
	let members = quorum(task);
	let colluders = [members[0], members[1]];
	score_round(task, &members, SCORE_COMMIT_END, |who| {
		if colluders.contains(&who) {
			vec![acc(0.0), acc(1.0)]
		} else {
			vec![acc(0.9), acc(0.5)]
		}
	});
	run_to_block(EVALUATION_END + 1);
	(task, colluders, members[2])
}

#[test]
fn a_colluding_majority_of_the_quorum_crowns_its_friend_when_nobody_appeals() {
	// The attack itself: it still works where nobody looks (the worker daemon appeals).
	ExtBuilder::default().evaluators(10).build_and_execute(|| {
		let (task, _, _) = colluded_evaluation();
		run_to_block(SETTLE_AT);
		assert_eq!(status(task), TaskStatus::Finalized);
		let winner = crate::Tasks::<Test>::get(task).unwrap().winner.unwrap();
		assert_eq!(winner.worker, W2);
	});
}

#[test]
fn an_appeal_overturns_a_colluding_majority_and_slashes_it() {
	ExtBuilder::default().evaluators(10).build_and_execute(|| {
		let (task, colluders, honest) = colluded_evaluation();
		let w1_before = free(W1);
		let honest_before = free(honest);
		let stake_before = Escrow::staked(&colluders[0]);
		assert_ok!(TaskRegistry::appeal(RuntimeOrigin::signed(W1), task));
		assert_eq!(free(W1), w1_before - APPEAL_BOND);
		assert!(events().contains(&Event::Appealed {
			task,
			appellant: W1,
			bond: APPEAL_BOND,
			draw_at: SETTLE_AT
		}));
		assert_eq!(TaskRegistry::phase(task, System::block_number()), Some(crate::Phase::Appeal));

		// The appeal quorum is drawn at the block after the appeal window: every evaluator
		// outside the first quorum (seven here; at least 2 * 3 + 1, at most MaxQuorum).
		run_to_block(SETTLE_AT);
		let appeal = appeal_quorum(task);
		assert_eq!(appeal.len(), 7);
		assert!(appeal.iter().all(|m| !quorum(task).contains(m)));
		assert_eq!(status(task), TaskStatus::Active);
		assert_eq!(
			TaskRegistry::phase(task, System::block_number()),
			Some(crate::Phase::AppealScoreCommit)
		);
		// The first quorum cannot score again.
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(honest), task, [0; 32]),
			pallet_verification::Error::<Test>::CommitWindowClosed
		);

		let (commit_end, evaluation_end) = TaskRegistry::appeal_windows(&spec());
		score_round(task, &appeal, commit_end, |_| vec![acc(0.9), acc(0.5)]);
		run_to_block(evaluation_end + 1);

		// The honest model wins; the appellant has its bonds (appeal and model) back and the
		// winner's share.
		assert_eq!(status(task), TaskStatus::Finalized);
		let winner = crate::Tasks::<Test>::get(task).unwrap().winner.unwrap();
		assert_eq!(winner.worker, W1);
		assert_eq!(free(W1), w1_before + BOND + BOUNTY * 80 / 100);
		assert!(events().contains(&Event::AppealSettled { task, upheld: Some(true) }));
		// The colluders are outliers: slashed, reputation down, unpaid.
		for c in colluders {
			assert_eq!(Escrow::staked(&c), stake_before - STAKE / 10);
			assert_eq!(Reputation::reputation(&c, Role::Evaluator), Rep::from_percent(47));
		}
		// The honest member of the first quorum earns its seat's share, as if all three had
		// been honest; the appeal quorum shares the colluders' seats.
		assert_eq!(free(honest), honest_before + EVALUATORS_PART / 3);
		let appeal_share = (EVALUATORS_PART - EVALUATORS_PART / 3) / 7;
		assert_eq!(free(appeal[0]), INITIAL - STAKE + appeal_share);
	});
}

#[test]
fn an_appeal_that_changes_nothing_pays_its_bond_to_the_appeal_quorum() {
	ExtBuilder::default().evaluators(10).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		let members = quorum(task);
		score_round(task, &members, SCORE_COMMIT_END, |_| vec![acc(0.9), acc(0.5)]);
		run_to_block(EVALUATION_END + 1);
		// A sore loser appeals a correct finding.
		let w2_before = free(W2);
		assert_ok!(TaskRegistry::appeal(RuntimeOrigin::signed(W2), task));
		run_to_block(SETTLE_AT);
		let appeal = appeal_quorum(task);
		let (commit_end, evaluation_end) = TaskRegistry::appeal_windows(&spec());
		score_round(task, &appeal, commit_end, |_| vec![acc(0.9), acc(0.5)]);
		run_to_block(evaluation_end + 1);

		let winner = crate::Tasks::<Test>::get(task).unwrap().winner.unwrap();
		assert_eq!(winner.worker, W1);
		assert!(events().contains(&Event::AppealSettled { task, upheld: Some(false) }));
		// The appeal bond is gone; its model's bond came back (a free slot: no fee).
		assert_eq!(free(W2), w2_before + BOND - APPEAL_BOND);
		// The first quorum is paid as without the appeal; the appeal quorum gets the bond.
		for m in &members {
			assert_eq!(free(*m), INITIAL - STAKE + EVALUATORS_PART / 3);
		}
		for m in &appeal {
			assert_eq!(free(*m), INITIAL - STAKE + APPEAL_BOND / 7);
		}
	});
}

#[test]
fn an_appeal_is_refused_outside_its_window_twice_or_without_enough_evaluators() {
	ExtBuilder::default().evaluators(10).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		let members = quorum(task);
		score_round(task, &members, SCORE_COMMIT_END, |_| vec![acc(0.9), acc(0.5)]);
		assert_noop!(
			TaskRegistry::appeal(RuntimeOrigin::signed(W2), task),
			Error::<Test>::NotAppealPhase
		);
		run_to_block(EVALUATION_END + 1);
		// An account that cannot cover the bond changes nothing.
		assert_noop!(
			TaskRegistry::appeal(RuntimeOrigin::signed(77), task),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(TaskRegistry::appeal(RuntimeOrigin::signed(W2), task));
		assert_noop!(
			TaskRegistry::appeal(RuntimeOrigin::signed(W1), task),
			Error::<Test>::AlreadyAppealed
		);
	});
	ExtBuilder::default().evaluators(10).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		// Unappealed, the task settles at the block after the window.
		run_to_block(EVALUATION_END + APPEAL_WINDOW + 1);
		assert_noop!(
			TaskRegistry::appeal(RuntimeOrigin::signed(W2), task),
			Error::<Test>::TaskNotActive
		);
	});
	// Five evaluators: two outside a quorum of three, fewer than the appeal's seven.
	ExtBuilder::default().evaluators(5).build_and_execute(|| {
		let task = to_evaluation(&[W1, W2]);
		run_to_block(EVALUATION_END + 1);
		assert_noop!(
			TaskRegistry::appeal(RuntimeOrigin::signed(W2), task),
			Error::<Test>::NotEnoughEvaluatorsForAppeal
		);
	});
}
