//! Initial values, successes, failures, events, thresholds.

use super::*;
use crate::{Event, Outcome::*, ReputationProvider, ReputationRecorder, Reputations};

#[test]
fn unseen_accounts_have_their_roles_initial_value() {
	ExtBuilder.build_and_execute(|| {
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(50));
		assert_eq!(Reputation::reputation(&ALICE, Role::Evaluator), pct(60));
		assert_eq!(Reputation::reputation(&ALICE, Role::Sponsor), pct(50));
		// Reading stores nothing.
		assert_eq!(Reputations::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_fresh_identity_cannot_pass_a_minimum_above_the_initial_value() {
	ExtBuilder.build_and_execute(|| {
		assert!(!Reputation::meets(&BOB, Role::Worker, pct(51)));
		assert!(Reputation::meets(&BOB, Role::Worker, pct(50)));
		assert!(Reputation::meets(&BOB, Role::Worker, pct(0)));
	});
}

#[test]
fn success_rises_slowly_and_failure_falls_three_times_as_fast() {
	ExtBuilder.build_and_execute(|| {
		assert_eq!(Reputation::record(&ALICE, Role::Worker, Success), pct(51));
		assert_eq!(Reputation::record(&ALICE, Role::Worker, Success), pct(52));
		assert_eq!(Reputation::record(&ALICE, Role::Worker, Failure), pct(49));
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(49));
		// Other roles and accounts are untouched.
		assert_eq!(Reputation::reputation(&ALICE, Role::Evaluator), pct(60));
		assert_eq!(Reputation::reputation(&BOB, Role::Worker), pct(50));
		assert_eq!(
			events(),
			vec![
				Event::ReputationUpdated {
					who: ALICE,
					role: Role::Worker,
					outcome: Success,
					before: pct(50),
					after: pct(51)
				},
				Event::ReputationUpdated {
					who: ALICE,
					role: Role::Worker,
					outcome: Success,
					before: pct(51),
					after: pct(52)
				},
				Event::ReputationUpdated {
					who: ALICE,
					role: Role::Worker,
					outcome: Failure,
					before: pct(52),
					after: pct(49)
				},
			]
		);
	});
}

#[test]
fn one_failure_drops_a_new_evaluator_below_its_threshold() {
	ExtBuilder.build_and_execute(|| {
		assert!(Reputation::meets(&ALICE, Role::Evaluator, pct(60)));
		Reputation::record(&ALICE, Role::Evaluator, Failure);
		assert!(!Reputation::meets(&ALICE, Role::Evaluator, pct(60)));
		assert_eq!(Reputation::reputation(&ALICE, Role::Evaluator), pct(57));
	});
}

#[test]
fn scores_saturate_at_zero_and_one() {
	ExtBuilder.build_and_execute(|| {
		for _ in 0..20 {
			Reputation::record(&ALICE, Role::Worker, Failure);
		}
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(0));
		for _ in 0..120 {
			Reputation::record(&BOB, Role::Worker, Success);
		}
		assert_eq!(Reputation::reputation(&BOB, Role::Worker), pct(100));
	});
}
