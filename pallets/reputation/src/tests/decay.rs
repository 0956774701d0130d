//! Lazy decay toward neutral.

use super::*;
use crate::{Outcome::*, Pallet, ReputationProvider, ReputationRecorder, Reputations};
use proptest::prelude::*;

fn record_at(block: u64, who: AccountId, outcome: crate::Outcome, times: u32) {
	run_to_block(block);
	for _ in 0..times {
		Reputation::record(&who, Role::Worker, outcome);
	}
}

#[test]
fn decay_moves_toward_neutral_per_whole_period() {
	ExtBuilder.build_and_execute(|| {
		// 50 % + 10 x 1 % = 60 % at block 150.
		record_at(150, ALICE, Success, 10);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(60));
		// Within the same period (100..=199): no decay.
		run_to_block(199);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(60));
		// One boundary crossed: distance 10 % x 0.9 = 9 %.
		run_to_block(200);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(59));
		// Two: 10 % x 0.81 = 8.1 %.
		run_to_block(300);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), ppm(581_000));
		// Reading did not write.
		assert_eq!(Reputations::<Test>::get(ALICE, Role::Worker).unwrap().updated_at, 150);
	});
}

#[test]
fn scores_below_neutral_recover_toward_it() {
	ExtBuilder.build_and_execute(|| {
		// 50 % - 5 x 3 % = 35 %.
		record_at(10, BOB, Failure, 5);
		assert_eq!(Reputation::reputation(&BOB, Role::Worker), pct(35));
		run_to_block(100);
		// 50 % - 15 % x 0.9 = 36.5 %.
		assert_eq!(Reputation::reputation(&BOB, Role::Worker), ppm(365_000));
	});
}

#[test]
fn an_outcome_applies_after_decay() {
	ExtBuilder.build_and_execute(|| {
		record_at(150, ALICE, Success, 10);
		run_to_block(200);
		// 59 % after decay, then the failure: 56 %.
		assert_eq!(Reputation::record(&ALICE, Role::Worker, Failure), pct(56));
		let stored = Reputations::<Test>::get(ALICE, Role::Worker).unwrap();
		assert_eq!((stored.score, stored.updated_at), (pct(56), 200));
	});
}

#[test]
fn a_long_absence_decays_to_neutral() {
	ExtBuilder.build_and_execute(|| {
		record_at(5, ALICE, Success, 30);
		// Block numbers far beyond the period cap still cost one saturating_pow.
		System::set_block_number(u64::MAX / 2);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(50));
	});
}

#[test]
fn a_zero_period_disables_decay() {
	ExtBuilder.build_and_execute(|| {
		DecayPeriod::set(&0);
		record_at(5, ALICE, Success, 10);
		System::set_block_number(1_000_000);
		assert_eq!(Reputation::reputation(&ALICE, Role::Worker), pct(60));
	});
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

	/// Decay never overshoots neutral, never moves away from it, and is monotone in time.
	#[test]
	fn decay_approaches_neutral_monotonically(parts in 0u32..=1_000_000, a in 0u32..50, b in 0u32..50) {
		ExtBuilder.build().execute_with(|| {
			let score = ppm(parts);
			let neutral = pct(50);
			let (near, far) = (a.min(b), a.max(b));
			let x = Pallet::<Test>::decayed(score, near);
			let y = Pallet::<Test>::decayed(score, far);
			if score >= neutral {
				prop_assert!(neutral <= y && y <= x && x <= score);
			} else {
				prop_assert!(score <= x && x <= y && y <= neutral);
			}
			Ok(())
		})?;
	}
}
