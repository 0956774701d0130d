//! Joining, leaving and withdrawing.

use super::*;
use crate::{Error, EvaluatorStatus, Evaluators, Event, Pool};
use pallet_escrow::Escrow as _;
use pouw_primitives::QuorumManager;

#[test]
fn register_stakes_and_joins_the_pool() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(1), MIN_STAKE));
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(1), 50));
		assert_eq!(Escrow::staked(&1), MIN_STAKE + 50);
		assert_eq!(Pool::<Test>::get().to_vec(), vec![1]);
		assert_eq!(
			events(),
			vec![
				Event::EvaluatorRegistered { who: 1, added: MIN_STAKE, stake: MIN_STAKE },
				Event::EvaluatorRegistered { who: 1, added: 50, stake: MIN_STAKE + 50 },
			]
		);
	});
}

#[test]
fn bad_registrations_change_nothing() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(1), MIN_STAKE - 1),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(1), 0),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(1), INITIAL),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(50), MIN_STAKE),
			Error::<Test>::InsufficientBalance
		);
		register(1..=16);
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(17), MIN_STAKE),
			Error::<Test>::PoolFull
		);
	});
}

#[test]
fn leaving_waits_the_unbonding_period() {
	ExtBuilder.build_and_execute(|| {
		register([1, 2]);
		assert_noop!(
			Verification::withdraw_stake(RuntimeOrigin::signed(1)),
			Error::<Test>::NotLeaving
		);
		assert_ok!(Verification::unregister_evaluator(RuntimeOrigin::signed(1)));
		// It stays in the pool (for the tasks posted before it left) until it withdraws.
		assert_eq!(Pool::<Test>::get().to_vec(), vec![1, 2]);
		assert_eq!(
			Evaluators::<Test>::get(1).unwrap().status,
			EvaluatorStatus::Leaving { since: 1 }
		);
		assert_noop!(
			Verification::unregister_evaluator(RuntimeOrigin::signed(1)),
			Error::<Test>::EvaluatorLeaving
		);
		assert_noop!(
			Verification::register_evaluator(RuntimeOrigin::signed(1), 10),
			Error::<Test>::EvaluatorLeaving
		);
		run_to_block(UNBONDING);
		assert_noop!(
			Verification::withdraw_stake(RuntimeOrigin::signed(1)),
			Error::<Test>::StillUnbonding
		);
		run_to_block(1 + UNBONDING);
		let free_before = Balances::free_balance(1);
		assert_ok!(Verification::withdraw_stake(RuntimeOrigin::signed(1)));
		assert_eq!(Balances::free_balance(1), free_before + MIN_STAKE);
		assert!(!Evaluators::<Test>::contains_key(1));
		assert_eq!(Pool::<Test>::get().to_vec(), vec![2]);
		assert_noop!(
			Verification::withdraw_stake(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Verification::unregister_evaluator(RuntimeOrigin::signed(3)),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn stake_stays_slashable_while_drawn_into_a_pending_task() {
	ExtBuilder.build_and_execute(|| {
		register([1, 2, 3]);
		MockTasks::open(TaskId(1), 10, 20, 1);
		assert_ok!(Verification::draw_quorum(TaskId(1), [0; 32], 3, &[]));
		assert_ok!(Verification::unregister_evaluator(RuntimeOrigin::signed(1)));
		run_to_block(1 + UNBONDING);
		assert_noop!(
			Verification::withdraw_stake(RuntimeOrigin::signed(1)),
			Error::<Test>::StillAssigned
		);
		// The task settles: evaluator 1 never committed and is slashed, then may leave.
		let verdict = Verification::conclude(TaskId(1), &[SubmissionIndex(0)]);
		assert!(verdict.penalised.contains(&1));
		assert_eq!(Escrow::staked(&1), MIN_STAKE - MIN_STAKE / 10);
		assert_ok!(Verification::withdraw_stake(RuntimeOrigin::signed(1)));
	});
}
