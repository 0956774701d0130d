//! Task holds: bounty and bond held, paid out, refunded, slashed.

use super::*;
use crate::{Error, Escrow as _, Event, HoldReason::*, TaskHolds, TaskTotals};
use pouw_primitives::TaskId;

const T1: TaskId = TaskId(1);
const T2: TaskId = TaskId(2);

#[test]
fn hold_moves_free_balance_on_hold_and_records_it() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &ALICE, TaskBounty, 500));
		assert_ok!(Escrow::hold(T1, &BOB, WorkerBond, 20));
		assert_ok!(Escrow::hold(T1, &BOB, WorkerBond, 5));
		assert_eq!(free(ALICE), 500);
		assert_eq!(on_hold(TaskBounty, ALICE), 500);
		assert_eq!(on_hold(WorkerBond, BOB), 25);
		assert_eq!(Escrow::held(T1, &BOB, WorkerBond), 25);
		assert_eq!(Escrow::task_total(T1), 525);
		assert_eq!(Escrow::task_total(T2), 0);
		assert_eq!(
			events(),
			vec![
				Event::Held { task: T1, who: ALICE, reason: TaskBounty, amount: 500 },
				Event::Held { task: T1, who: BOB, reason: WorkerBond, amount: 20 },
				Event::Held { task: T1, who: BOB, reason: WorkerBond, amount: 5 },
			]
		);
	});
}

#[test]
fn holds_of_one_owner_for_two_tasks_are_kept_apart() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &ALICE, TaskBounty, 100));
		assert_ok!(Escrow::hold(T2, &ALICE, TaskBounty, 200));
		assert_eq!(on_hold(TaskBounty, ALICE), 300);
		assert_noop!(Escrow::refund(T1, &ALICE, TaskBounty, 101), Error::<Test>::InsufficientHeld);
		assert_ok!(Escrow::refund(T1, &ALICE, TaskBounty, 100));
		assert_eq!(Escrow::task_total(T1), 0);
		assert_eq!(Escrow::task_total(T2), 200);
		assert!(!TaskTotals::<Test>::contains_key(T1));
		assert!(!TaskHolds::<Test>::contains_key((T1, ALICE, TaskBounty)));
	});
}

#[test]
fn bad_holds_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Escrow::hold(T1, &ALICE, TaskBounty, 0), Error::<Test>::ZeroAmount);
		assert_noop!(Escrow::hold(T1, &ALICE, EvaluatorStake, 10), Error::<Test>::WrongReason);
		// The owner must keep the existential deposit.
		assert_noop!(
			Escrow::hold(T1, &ALICE, TaskBounty, INITIAL),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Escrow::hold(T1, &NOBODY, WorkerBond, 1), Error::<Test>::InsufficientBalance);
		assert_ok!(Escrow::hold(T1, &ALICE, TaskBounty, INITIAL - ED));
		assert_noop!(Escrow::hold(T1, &ALICE, TaskBounty, 1), Error::<Test>::InsufficientBalance);
	});
}

#[test]
fn release_to_pays_a_payee_from_the_hold() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &ALICE, TaskBounty, 500));
		assert_ok!(Escrow::release_to(T1, &ALICE, TaskBounty, &BOB, 400));
		assert_eq!(free(BOB), INITIAL + 400);
		assert_eq!(free(ALICE), 500);
		assert_eq!(on_hold(TaskBounty, ALICE), 100);
		assert_eq!(Escrow::task_total(T1), 100);
		// A payee with no account is created when paid at least the existential deposit.
		assert_ok!(Escrow::release_to(T1, &ALICE, TaskBounty, &NOBODY, 50));
		assert_eq!(free(NOBODY), 50);
		// Paying oneself is a refund.
		assert_ok!(Escrow::release_to(T1, &ALICE, TaskBounty, &ALICE, 50));
		assert_eq!(free(ALICE), 550);
		assert_eq!(Escrow::task_total(T1), 0);
		assert_eq!(
			events().last(),
			Some(&Event::Released {
				task: T1,
				from: ALICE,
				to: ALICE,
				reason: TaskBounty,
				amount: 50
			})
		);
	});
}

#[test]
fn bad_releases_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &ALICE, TaskBounty, 500));
		assert_noop!(
			Escrow::release_to(T1, &ALICE, TaskBounty, &BOB, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Escrow::release_to(T1, &ALICE, TaskBounty, &BOB, 501),
			Error::<Test>::InsufficientHeld
		);
		assert_noop!(
			Escrow::release_to(T2, &ALICE, TaskBounty, &BOB, 1),
			Error::<Test>::InsufficientHeld
		);
		assert_noop!(
			Escrow::release_to(T1, &ALICE, WorkerBond, &BOB, 1),
			Error::<Test>::InsufficientHeld
		);
		assert_noop!(
			Escrow::release_to(T1, &ALICE, EvaluatorStake, &BOB, 1),
			Error::<Test>::WrongReason
		);
		// Below the existential deposit to an account that does not exist.
		assert_noop!(
			Escrow::release_to(T1, &ALICE, TaskBounty, &NOBODY, ED - 1),
			Error::<Test>::CannotReceive
		);
	});
}

#[test]
fn refund_returns_the_hold_to_its_owner() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &BOB, WorkerBond, 30));
		assert_ok!(Escrow::refund(T1, &BOB, WorkerBond, 30));
		assert_eq!(free(BOB), INITIAL);
		assert_eq!(on_hold(WorkerBond, BOB), 0);
		assert_noop!(Escrow::refund(T1, &BOB, WorkerBond, 1), Error::<Test>::InsufficientHeld);
		assert_eq!(
			events().last(),
			Some(&Event::Refunded { task: T1, who: BOB, reason: WorkerBond, amount: 30 })
		);
	});
}

#[test]
fn slash_moves_the_hold_to_the_treasury_never_burns() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &BOB, WorkerBond, 30));
		assert_ok!(Escrow::slash(T1, &BOB, WorkerBond, 12));
		assert_eq!(free(TREASURY), ED + 12);
		assert_eq!(Escrow::held(T1, &BOB, WorkerBond), 18);
		assert_eq!(on_hold(WorkerBond, BOB), 18);
		assert_noop!(Escrow::slash(T1, &BOB, WorkerBond, 19), Error::<Test>::InsufficientHeld);
		assert_noop!(Escrow::slash(T1, &BOB, WorkerBond, 0), Error::<Test>::ZeroAmount);
		assert_eq!(
			events().last(),
			Some(&Event::Slashed { task: T1, who: BOB, reason: WorkerBond, amount: 12 })
		);
	});
}

#[test]
fn slash_to_a_missing_treasury_fails_whole() {
	ExtBuilder { balances: vec![(BOB, INITIAL)] }.build_and_execute(|| {
		assert_ok!(Escrow::hold(T1, &BOB, WorkerBond, 30));
		assert_noop!(Escrow::slash(T1, &BOB, WorkerBond, ED - 1), Error::<Test>::CannotReceive);
		// Enough to create the treasury account works.
		assert_ok!(Escrow::slash(T1, &BOB, WorkerBond, ED));
		assert_eq!(free(TREASURY), ED);
	});
}
