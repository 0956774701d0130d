//! Property test: random lifecycles. Random workers (commit, reveal or not), evaluators
//! (honest, silent, commit only, outlier), quorum sizes, sponsor behaviour and seeds. After every
//! block every pallet's `try_state` holds and total issuance (the sum of all free and held
//! balances, the treasury's included) is unchanged; at the end nothing is left on hold.

use super::*;
use crate::TaskStatus;
use pallet_escrow::Escrow as _;
use proptest::prelude::*;

/// Proptest cases (each a whole task, block by block).
const CASES: u32 = 1_000;

#[derive(Clone, Copy, Debug)]
enum Worker {
	Reveals,
	Silent,
}

#[derive(Clone, Copy, Debug)]
enum Evaluator {
	Honest,
	Silent,
	CommitsOnly,
	Outlier,
}

fn step_to(n: u64) {
	while System::block_number() < n {
		run_to_block(System::block_number() + 1);
		check_invariants();
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

	#[test]
	fn random_lifecycles_conserve_funds(
		evaluators in 0u64..7,
		quorum_size in 3u32..6,
		workers in prop::collection::vec(prop_oneof![Just(Worker::Reveals), Just(Worker::Silent)], 0..5),
		behaviours in prop::collection::vec(
			prop_oneof![Just(Evaluator::Honest), Just(Evaluator::Silent), Just(Evaluator::CommitsOnly), Just(Evaluator::Outlier)],
			7,
		),
		sponsor_reveals in any::<bool>(),
		seed in any::<[u8; 32]>(),
		score_base in 1u32..100,
	) {
		ExtBuilder::default().evaluators(evaluators).build().execute_with(|| {
			let issuance = Balances::total_issuance();
			RandomSeed::set(&seed);
			let mut s = spec();
			s.quorum = quorum_size;
			if evaluators < u64::from(quorum_size) {
				// A quorum the pool cannot fill is refused; nothing moves.
				assert_noop!(try_create(SPONSOR, s), crate::Error::<Test>::NotEnoughEvaluators);
				return Ok(());
			}
			let task = create_with(SPONSOR, s);
			let ids: Vec<AccountId> = (0..workers.len() as u64).map(|i| W1 + i).collect();
			for w in &ids {
				commit(task, *w);
			}
			step_to(SUBMISSION_END + 1);
			for (w, b) in ids.iter().zip(&workers) {
				if matches!(b, Worker::Reveals) {
					assert_ok!(reveal(task, *w));
				}
			}
			step_to(REVEAL_END + 1);
			if sponsor_reveals {
				assert_ok!(reveal_test(task, SPONSOR));
			}
			let members = quorum(task);
			let revealed = TaskRegistry::revealed(task).len();
			let honest = |i: usize| -> Vec<Option<Score>> {
				(0..revealed).map(|j| Some(Score(u64::from(score_base) * 1_000_000 + j as u64 * 7 + i as u64))).collect()
			};
			let entries = |scores: &[Option<Score>]| -> Vec<(SubmissionIndex, Option<Score>)> {
				TaskRegistry::revealed(task).iter().zip(scores).map(|((i, _), s)| (*i, *s)).collect()
			};
			let plan: Vec<(AccountId, Evaluator, Vec<Option<Score>>)> = members.iter().enumerate().map(|(i, who)| {
				let b = behaviours[(*who - 20) as usize];
				let scores = match b {
					Evaluator::Outlier => (0..revealed).map(|_| Some(Score(999_000_000))).collect(),
					_ => honest(i),
				};
				(*who, b, scores)
			}).collect();
			for (who, b, scores) in &plan {
				if !matches!(b, Evaluator::Silent) {
					assert_ok!(Verification::commit_scores(
						RuntimeOrigin::signed(*who), task, scores_commitment(&entries(scores), &salt(*who), who)));
				}
			}
			step_to(SCORE_COMMIT_END + 1);
			for (who, b, scores) in &plan {
				if matches!(b, Evaluator::Honest | Evaluator::Outlier) {
					assert_ok!(Verification::reveal_scores(
						RuntimeOrigin::signed(*who), task, entries(scores).try_into().unwrap(), salt(*who)));
				}
			}
			step_to(SETTLE_AT + 1);
			prop_assert!(status(task) != TaskStatus::Active, "task still active");
			prop_assert_eq!(Escrow::task_total(task), DEPOSIT);
			prop_assert_eq!(Balances::total_issuance(), issuance);
			// Nobody but the treasury, the winner and the evaluators ends richer than it began.
			prop_assert!(free(SPONSOR) <= INITIAL);
			Ok(())
		})?;
	}
}
