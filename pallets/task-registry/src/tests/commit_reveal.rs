//! Creating, cancelling, committing and revealing: the rules and the bad input.

use super::*;
use crate::{Error, Event, TaskStatus};
use pallet_escrow::Escrow as _;

#[test]
fn create_holds_the_bounty() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_eq!(free(SPONSOR), INITIAL - BOUNTY - DEPOSIT);
		assert_eq!(Escrow::task_total(task), BOUNTY + DEPOSIT);
		assert_eq!(
			events(),
			vec![Event::TaskCreated { task, sponsor: SPONSOR, bounty: BOUNTY, parent: None }]
		);
	});
}

#[test]
fn bad_tasks_are_refused_and_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let post = |s: TaskSpec<u64>, bounty| {
			TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR), s, [0; 32], bounty)
		};
		let mut s = spec();
		s.model = ModelSpec::Linear { inputs: 0, outputs: 10 };
		assert_noop!(post(s, BOUNTY), Error::<Test>::InvalidModel);
		let mut s = spec();
		s.dataset.uri = Default::default();
		assert_noop!(post(s, BOUNTY), Error::<Test>::EmptyUri);
		let mut s = spec();
		s.dataset.shape.samples = 0;
		assert_noop!(post(s, BOUNTY), Error::<Test>::NoSamples);
		let mut s = spec();
		s.dataset.shape.features = 65;
		assert_noop!(post(s, BOUNTY), Error::<Test>::InputMismatch);
		let mut s = spec();
		s.dataset.shape.classes = 3;
		assert_noop!(post(s, BOUNTY), Error::<Test>::OutputMismatch);
		let mut s = spec();
		s.dataset.shape.classes = 0;
		assert_noop!(post(s, BOUNTY), Error::<Test>::MetricMismatch);
		let mut s = spec();
		s.windows.reveal_end = s.windows.submission_end;
		assert_noop!(post(s, BOUNTY), Error::<Test>::BadWindows);
		let mut s = spec();
		s.quorum = 0;
		assert_noop!(post(s, BOUNTY), Error::<Test>::BadQuorum);
		let mut s = spec();
		s.quorum = 10;
		assert_noop!(post(s, BOUNTY), Error::<Test>::BadQuorum);
		assert_noop!(post(spec(), 999), Error::<Test>::BountyTooLow);
		assert_noop!(post(spec(), INITIAL), Error::<Test>::InsufficientBalance);
		run_to_block(SUBMISSION_END);
		assert_noop!(post(spec(), BOUNTY), Error::<Test>::BadWindows);
	});
}

#[test]
fn tasks_ending_and_drawn_per_block_are_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		for _ in 0..4 {
			create();
		}
		// Four tasks already end at the same block.
		assert_noop!(
			TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR), spec(), [0; 32], 1_000),
			Error::<Test>::TooManyTasksEndingAtBlock
		);
		// Four tasks already have their quorum drawn at the same block.
		let mut s = spec();
		s.windows.evaluation_end = EVALUATION_END + 10;
		assert_noop!(
			TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR), s.clone(), [0; 32], 1_000),
			Error::<Test>::TooManyDrawsAtBlock
		);
		for i in 0..4 {
			s.windows.test_reveal_end = TEST_REVEAL_END + 1 + i;
			s.windows.evaluation_end = EVALUATION_END + 1 + i;
			assert_ok!(TaskRegistry::create_task(
				RuntimeOrigin::signed(SPONSOR2),
				s.clone(),
				[0; 32],
				1_000
			));
		}
		// Nine tasks are open, more than the old global cap of eight: there is none now (a
		// spammer could fill one); the per-sponsor cap and the deposit bound them.
		s.windows.evaluation_end = EVALUATION_END + 10;
		assert_ok!(TaskRegistry::create_task(RuntimeOrigin::signed(SPONSOR2), s, [0; 32], 1_000));
		assert_eq!(crate::ActiveTasks::<Test>::get(), 9);
	});
}

#[test]
fn cancel_rules() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_noop!(
			TaskRegistry::cancel_task(RuntimeOrigin::signed(W1), task),
			Error::<Test>::NotSponsor
		);
		assert_noop!(
			TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), TaskId(9)),
			Error::<Test>::UnknownTask
		);
		assert_ok!(TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), task));
		assert_eq!(free(SPONSOR), INITIAL - DEPOSIT);
		assert_eq!(status(task), TaskStatus::Cancelled);
		assert!(events().contains(&Event::TaskCancelled { task }));
		assert_noop!(
			TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), task),
			Error::<Test>::TaskNotActive
		);
		// Once a model is committed, the sponsor can no longer walk away.
		let task = create();
		commit(task, W1);
		assert_noop!(
			TaskRegistry::cancel_task(RuntimeOrigin::signed(SPONSOR), task),
			Error::<Test>::HasCommitments
		);
		// A cancelled task takes no commitments.
		let cancelled = TaskId(0);
		let c = model_commitment(&model_hash(W2), &salt(W2), &W2);
		assert_noop!(try_commit(W2, cancelled, c), Error::<Test>::TaskNotActive);
	});
}

#[test]
fn commit_rules() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		let c = |w: AccountId| model_commitment(&model_hash(w), &salt(w), &w);
		assert_noop!(try_commit(SPONSOR, task, c(SPONSOR)), Error::<Test>::SponsorCannotSubmit);
		assert_noop!(try_commit(W1, TaskId(5), c(W1)), Error::<Test>::UnknownTask);
		commit(task, W1);
		assert_eq!(free(W1), INITIAL - BOND);
		assert_noop!(try_commit(W1, task, c(W1)), Error::<Test>::AlreadyCommitted);
		for w in 11..18 {
			commit(task, w);
		}
		assert_noop!(try_commit(18, task, c(18)), Error::<Test>::TooManySubmissions);
		let other = create();
		// An account that cannot cover the bond.
		assert_noop!(try_commit(500, other, c(500)), Error::<Test>::InsufficientBalance);
		run_to_block(SUBMISSION_END + 1);
		assert_noop!(try_commit(W2, other, c(W2)), Error::<Test>::NotOpen);
	});
}

#[test]
fn a_copied_commitment_fails_at_reveal() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		commit(task, W1);
		// W2 copies W1's commitment from the chain.
		assert_ok!(TaskRegistry::commit_model(
			RuntimeOrigin::signed(W2),
			task,
			model_commitment(&model_hash(W1), &salt(W1), &W1)
		));
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		// Even with W1's revealed hash and salt, the commitment is bound to W1's account.
		assert_noop!(
			TaskRegistry::reveal_model(
				RuntimeOrigin::signed(W2),
				task,
				uri("http://x/y"),
				model_hash(W1),
				salt(W1)
			),
			Error::<Test>::CommitmentMismatch
		);
	});
}

#[test]
fn reveal_rules() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		commit(task, W1);
		assert_noop!(reveal(task, W1), Error::<Test>::NotRevealPhase);
		run_to_block(SUBMISSION_END + 1);
		assert_noop!(
			TaskRegistry::reveal_model(
				RuntimeOrigin::signed(W1),
				task,
				uri("http://x/y"),
				model_hash(W1),
				[0; 32]
			),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			TaskRegistry::reveal_model(
				RuntimeOrigin::signed(W1),
				task,
				uri("http://x/y"),
				[1; 32],
				salt(W1)
			),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			TaskRegistry::reveal_model(
				RuntimeOrigin::signed(W1),
				task,
				Default::default(),
				model_hash(W1),
				salt(W1)
			),
			Error::<Test>::EmptyUri
		);
		assert_noop!(reveal(task, W2), Error::<Test>::NotCommitted);
		assert_ok!(reveal(task, W1));
		assert_noop!(reveal(task, W1), Error::<Test>::AlreadyRevealed);
		commit_late_is_refused(task);
		run_to_block(REVEAL_END + 1);
		assert_noop!(reveal(task, W1), Error::<Test>::NotRevealPhase);
	});
}

fn commit_late_is_refused(task: TaskId) {
	assert_noop!(try_commit(W3, task, [0; 32]), Error::<Test>::NotOpen);
}

#[test]
fn test_set_reveal_rules() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		commit(task, W1);
		run_to_block(SUBMISSION_END + 1);
		assert_ok!(reveal(task, W1));
		assert_noop!(reveal_test(task, SPONSOR), Error::<Test>::NotTestRevealPhase);
		run_to_block(REVEAL_END + 1);
		assert_noop!(reveal_test(task, W1), Error::<Test>::NotSponsor);
		assert_noop!(
			TaskRegistry::reveal_test_set(
				RuntimeOrigin::signed(SPONSOR),
				task,
				uri("http://t"),
				TEST_HASH,
				[0; 32]
			),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			TaskRegistry::reveal_test_set(
				RuntimeOrigin::signed(SPONSOR),
				task,
				uri("http://t"),
				[0; 32],
				TEST_SALT
			),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			TaskRegistry::reveal_test_set(
				RuntimeOrigin::signed(SPONSOR),
				task,
				Default::default(),
				TEST_HASH,
				TEST_SALT
			),
			Error::<Test>::EmptyUri
		);
		assert_ok!(reveal_test(task, SPONSOR));
		assert_noop!(reveal_test(task, SPONSOR), Error::<Test>::AlreadyRevealed);
		assert!(events().contains(&Event::TestSetRevealed {
			task,
			uri: uri("http://127.0.0.1:8000/blob/test"),
			test_hash: TEST_HASH
		}));
		// Too late: the hook settled the task at the draw, the block after its window.
		let late = create_late();
		run_to_block(System::block_number() + 40);
		assert_noop!(reveal_test(late, SPONSOR), Error::<Test>::TaskNotActive);
	});
}

fn create_late() -> TaskId {
	let now = System::block_number();
	let mut s = spec();
	s.windows.submission_end = now + 3;
	s.windows.reveal_end = now + 6;
	s.windows.test_reveal_end = now + 9;
	s.windows.score_commit_end = now + 60;
	s.windows.evaluation_end = now + 70;
	create_with(SPONSOR, s)
}
