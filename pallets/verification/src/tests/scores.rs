//! Score commit and reveal.

use super::*;
use crate::{Error, RevealedScores};
use pouw_primitives::QuorumManager;

const T1: TaskId = TaskId(1);

/// Quorum {drawn} of 3 among 1..=3 for T1 with 2 submissions; commit until 10, reveal until 20.
fn setup() -> Vec<AccountId> {
	register(1..=3);
	MockTasks::open(T1, 10, 20, 2);
	Verification::draw_quorum(T1, [0; 32], 3, &[]).unwrap()
}

#[test]
fn commit_then_reveal_in_their_windows() {
	ExtBuilder.build_and_execute(|| {
		setup();
		let scores = [score(0.9), None];
		commit(T1, 1, &scores);
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(1), T1, [0; 32]),
			Error::<Test>::AlreadyCommitted
		);
		// Revealing during the commit window is refused.
		assert_noop!(reveal(T1, 1, &scores), Error::<Test>::RevealWindowClosed);
		run_to_block(11);
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(2), T1, [0; 32]),
			Error::<Test>::CommitWindowClosed
		);
		assert_ok!(reveal(T1, 1, &scores));
		assert_eq!(RevealedScores::<Test>::get(T1, 1).unwrap().len(), 2);
		assert_noop!(reveal(T1, 1, &scores), Error::<Test>::AlreadyRevealed);
		run_to_block(21);
		assert_noop!(reveal(T1, 2, &scores), Error::<Test>::RevealWindowClosed);
	});
}

#[test]
fn only_quorum_members_of_a_task_in_evaluation_act() {
	ExtBuilder.build_and_execute(|| {
		setup();
		register([4]);
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(4), T1, [0; 32]),
			Error::<Test>::NotInQuorum
		);
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(1), TaskId(9), [0; 32]),
			Error::<Test>::NotInEvaluation
		);
		MockTasks::close(T1);
		assert_noop!(
			Verification::commit_scores(RuntimeOrigin::signed(1), T1, [0; 32]),
			Error::<Test>::NotInEvaluation
		);
	});
}

#[test]
fn a_reveal_must_match_the_commitment_and_cover_every_submission() {
	ExtBuilder.build_and_execute(|| {
		setup();
		commit(T1, 1, &[score(0.9), score(0.8)]);
		commit(T1, 2, &[score(0.9)]);
		run_to_block(11);
		// Other scores than committed.
		assert_noop!(reveal(T1, 1, &[score(0.9), score(0.7)]), Error::<Test>::CommitmentMismatch);
		// Another's salt.
		let entries: Vec<_> =
			vec![(SubmissionIndex(0), score(0.9)), (SubmissionIndex(1), score(0.8))];
		assert_noop!(
			Verification::reveal_scores(
				RuntimeOrigin::signed(1),
				T1,
				entries.try_into().unwrap(),
				salt(2)
			),
			Error::<Test>::CommitmentMismatch
		);
		// Too few entries, even when they match the commitment.
		assert_noop!(reveal(T1, 2, &[score(0.9)]), Error::<Test>::ScoresDoNotCoverSubmissions);
		// Wrong order.
		let swapped: Vec<_> =
			vec![(SubmissionIndex(1), score(0.8)), (SubmissionIndex(0), score(0.9))];
		assert_noop!(
			Verification::reveal_scores(
				RuntimeOrigin::signed(1),
				T1,
				swapped.try_into().unwrap(),
				salt(1)
			),
			Error::<Test>::ScoresDoNotCoverSubmissions
		);
		assert_noop!(reveal(T1, 3, &[score(0.9), score(0.8)]), Error::<Test>::NotCommitted);
		assert_ok!(reveal(T1, 1, &[score(0.9), score(0.8)]));
	});
}
