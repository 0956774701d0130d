//! The quorum draw.

use super::*;
use crate::{Evaluators, Event, Quorums};
use pouw_primitives::{Outcome, QuorumError, QuorumManager, ReputationRecorder, Role};

#[test]
fn the_draw_is_deterministic_in_the_seed_and_without_replacement() {
	ExtBuilder.build_and_execute(|| {
		register(1..=10);
		let a = Verification::draw_quorum(TaskId(1), [1; 32], 5, &[]).unwrap();
		let drawn = Quorums::<Test>::get(TaskId(1)).unwrap().members.to_vec();
		for who in &a {
			assert_eq!(Evaluators::<Test>::get(who).unwrap().assignments, 1);
		}
		forget_quorum(TaskId(1));
		let b = Verification::draw_quorum(TaskId(2), [1; 32], 5, &[]).unwrap();
		forget_quorum(TaskId(2));
		let c = Verification::draw_quorum(TaskId(3), [2; 32], 5, &[]).unwrap();
		assert_eq!(a, b);
		assert_ne!(a, c);
		let mut unique = a.clone();
		unique.sort();
		unique.dedup();
		assert_eq!(unique.len(), 5);
		assert_eq!(drawn, a);
		assert!(events().contains(&Event::QuorumDrawn {
			task: TaskId(1),
			members: a,
			seed: [1; 32],
			eligible: 10
		}));
	});
}

#[test]
fn sponsors_and_workers_are_never_drawn() {
	ExtBuilder.build_and_execute(|| {
		register(1..=6);
		for seed in 0..50u8 {
			let drawn =
				Verification::draw_quorum(TaskId(seed as u64), [seed; 32], 3, &[1, 2, 3]).unwrap();
			assert!(drawn.iter().all(|who| *who > 3), "{drawn:?}");
			forget_quorum(TaskId(seed as u64));
		}
		assert_eq!(
			Verification::draw_quorum(TaskId(100), [0; 32], 4, &[1, 2, 3]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 3 })
		);
	});
}

#[test]
fn evaluators_below_the_minimum_reputation_are_not_eligible() {
	ExtBuilder.build_and_execute(|| {
		register(1..=4);
		Reputation::record(&4, Role::Evaluator, Outcome::Failure);
		assert_eq!(
			Verification::draw_quorum(TaskId(1), [0; 32], 4, &[]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 3 })
		);
		assert!(!Quorums::<Test>::contains_key(TaskId(1)));
	});
}

#[test]
fn leaving_evaluators_are_not_drawn_for_tasks_posted_after_they_left() {
	ExtBuilder.build_and_execute(|| {
		register(1..=3);
		run_to_block(5);
		assert_ok!(Verification::unregister_evaluator(RuntimeOrigin::signed(2)));
		MockTasks::post(TaskId(1), 6);
		assert_eq!(Verification::eligible(&[]), 2);
		assert_eq!(
			Verification::draw_quorum(TaskId(1), [0; 32], 3, &[]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 2 })
		);
	});
}

#[test]
fn leaving_evaluators_still_serve_tasks_posted_before_they_left() {
	ExtBuilder.build_and_execute(|| {
		register(1..=3);
		MockTasks::post(TaskId(1), 1);
		MockTasks::open(TaskId(1), 10, 20, 1);
		run_to_block(5);
		assert_ok!(Verification::unregister_evaluator(RuntimeOrigin::signed(2)));
		// Not for a task posted now...
		assert_eq!(Verification::eligible(&[]), 2);
		// ...but for the one posted before it left.
		let members = Verification::draw_quorum(TaskId(1), [0; 32], 3, &[]).unwrap();
		assert!(members.contains(&2));
		assert_eq!(Evaluators::<Test>::get(2).unwrap().assignments, 1);
	});
}

#[test]
fn quorum_size_is_bounded() {
	ExtBuilder.build_and_execute(|| {
		register(1..=10);
		assert_eq!(
			Verification::draw_quorum(TaskId(1), [0; 32], 0, &[]),
			Err(QuorumError::BadQuorumSize)
		);
		assert_eq!(
			Verification::draw_quorum(TaskId(1), [0; 32], 8, &[]),
			Err(QuorumError::BadQuorumSize)
		);
	});
}

#[test]
fn the_draw_is_weighted_by_stake() {
	ExtBuilder.build_and_execute(|| {
		register(1..=2);
		// Evaluator 1 has 9x the stake of evaluator 2.
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(1), 8 * MIN_STAKE));
		let mut first = 0;
		for seed in 0..200u8 {
			let drawn = Verification::draw_quorum(TaskId(seed as u64), [seed; 32], 1, &[]).unwrap();
			forget_quorum(TaskId(seed as u64));
			if drawn == vec![1] {
				first += 1;
			}
		}
		// Expect about 180 of 200; a uniform draw would give about 100.
		assert!(first > 160, "evaluator 1 drawn {first} times of 200");
	});
}

#[test]
fn an_evaluator_sits_in_at_most_one_quorum_per_minimum_stake() {
	ExtBuilder.build_and_execute(|| {
		register(1..=3);
		// Evaluator 1 backs two seats.
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(1), MIN_STAKE));
		assert_eq!(Verification::seats(&1), 2);
		assert_eq!(Verification::draw_quorum(TaskId(1), [1; 32], 3, &[]).unwrap().len(), 3);
		// Only 1 has a seat left.
		assert_eq!(
			Verification::draw_quorum(TaskId(2), [1; 32], 2, &[]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 1 })
		);
		assert_eq!(Verification::draw_quorum(TaskId(3), [1; 32], 1, &[]), Ok(vec![1]));
		assert_eq!(Evaluators::<Test>::get(1).unwrap().assignments, 2);
		assert_eq!(
			Verification::draw_quorum(TaskId(4), [1; 32], 1, &[]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 0 })
		);
	});
}

#[test]
fn an_appeal_quorum_shares_no_member_with_the_first_and_is_drawn_once() {
	ExtBuilder.build_and_execute(|| {
		register(1..=10);
		let task = TaskId(1);
		// Only a task with a first quorum can be appealed.
		assert!(Verification::draw_appeal(task, [3; 32], 5, 5, &[]).is_err());
		let first = Verification::draw_quorum(task, [1; 32], 3, &[]).unwrap();
		let outsider = (1..=10).find(|w| !first.contains(w)).unwrap();
		assert_eq!(Verification::appeal_eligible(task, &[outsider]), 6);
		for seed in 0..20u8 {
			// As many as are eligible, at most 7: the six outside the first quorum and the
			// outsider.
			let appeal = Verification::draw_appeal(task, [seed; 32], 5, 7, &[outsider]).unwrap();
			assert_eq!(appeal.len(), 6);
			assert!(appeal.iter().all(|m| !first.contains(m) && *m != outsider));
			// Once per task.
			assert!(Verification::draw_appeal(task, [seed; 32], 5, 7, &[outsider]).is_err());
			for who in &appeal {
				Evaluators::<Test>::mutate(who, |i| i.as_mut().unwrap().appeals -= 1);
			}
			crate::AppealQuorums::<Test>::remove(task);
		}
		// Six outside the first quorum and the outsider: an appeal of seven cannot be drawn.
		assert_eq!(
			Verification::draw_appeal(task, [0; 32], 7, 7, &[outsider]),
			Err(QuorumError::NotEnoughEvaluators { eligible: 6 })
		);
	});
}

#[test]
fn appeals_take_no_seat_so_busy_evaluators_cannot_starve_an_appeal() {
	// Appeals lodged on every task took every free seat at the appeal draws, so the appeal an
	// honest worker lodged on the task a colluding majority had decided could not be drawn,
	// and the false finding stood (the sim's "appeals all" row).
	ExtBuilder.build_and_execute(|| {
		register(1..=10); // one seat each
		let first = Verification::draw_quorum(TaskId(1), [1; 32], 3, &[]).unwrap();
		let outside: Vec<AccountId> = (1..=10).filter(|w| !first.contains(w)).collect();
		// Other tasks' quorums take six of the seven outside evaluators' only seats.
		Verification::draw_quorum(TaskId(2), [2; 32], 3, &first).unwrap();
		let mut busy = first.clone();
		busy.extend(Quorums::<Test>::get(TaskId(2)).unwrap().members);
		Verification::draw_quorum(TaskId(3), [3; 32], 3, &busy).unwrap();
		assert_eq!(Verification::eligible(&[]), 1);
		// The appeal of task 1 still draws all seven.
		assert_eq!(Verification::appeal_eligible(TaskId(1), &[]), 7);
		let mut appeal = Verification::draw_appeal(TaskId(1), [4; 32], 7, 7, &[]).unwrap();
		appeal.sort();
		assert_eq!(appeal, outside);
		for who in &appeal {
			assert_eq!(Evaluators::<Test>::get(who).unwrap().appeals, 1);
		}
		// They took no seat: new tasks still find the free one.
		assert_eq!(Verification::eligible(&[]), 1);
	});
}
