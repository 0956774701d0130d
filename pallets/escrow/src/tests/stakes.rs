//! Evaluator stakes.

use super::*;
use crate::{Error, Escrow as _, Event, HoldReason::*, Stakes};

#[test]
fn stake_unstake_and_slash() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::stake(&CHARLIE, 300));
		assert_ok!(Escrow::stake(&CHARLIE, 100));
		assert_eq!(Escrow::staked(&CHARLIE), 400);
		assert_eq!(on_hold(EvaluatorStake, CHARLIE), 400);
		assert_eq!(free(CHARLIE), 600);
		assert_ok!(Escrow::slash_stake(&CHARLIE, 40));
		assert_eq!(free(TREASURY), ED + 40);
		assert_ok!(Escrow::unstake(&CHARLIE, 360));
		assert_eq!(free(CHARLIE), 960);
		assert!(!Stakes::<Test>::contains_key(CHARLIE));
		assert_eq!(
			events(),
			vec![
				Event::Staked { who: CHARLIE, amount: 300 },
				Event::Staked { who: CHARLIE, amount: 100 },
				Event::StakeSlashed { who: CHARLIE, amount: 40 },
				Event::Unstaked { who: CHARLIE, amount: 360 },
			]
		);
	});
}

#[test]
fn bad_stake_operations_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Escrow::stake(&CHARLIE, 0), Error::<Test>::ZeroAmount);
		assert_noop!(Escrow::stake(&CHARLIE, INITIAL), Error::<Test>::InsufficientBalance);
		assert_noop!(Escrow::unstake(&CHARLIE, 1), Error::<Test>::InsufficientHeld);
		assert_ok!(Escrow::stake(&CHARLIE, 100));
		assert_noop!(Escrow::unstake(&CHARLIE, 101), Error::<Test>::InsufficientHeld);
		assert_noop!(Escrow::slash_stake(&CHARLIE, 101), Error::<Test>::InsufficientHeld);
		assert_noop!(Escrow::unstake(&CHARLIE, 0), Error::<Test>::ZeroAmount);
	});
}

#[test]
fn stake_and_task_holds_do_not_mix() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::stake(&CHARLIE, 100));
		assert_ok!(Escrow::hold(pouw_primitives::TaskId(7), &CHARLIE, WorkerBond, 50));
		assert_noop!(Escrow::unstake(&CHARLIE, 150), Error::<Test>::InsufficientHeld);
		assert_noop!(
			Escrow::refund(pouw_primitives::TaskId(7), &CHARLIE, WorkerBond, 100),
			Error::<Test>::InsufficientHeld
		);
		assert_eq!(on_hold(EvaluatorStake, CHARLIE), 100);
		assert_eq!(on_hold(WorkerBond, CHARLIE), 50);
	});
}
