//! The whole task lifecycle on the real runtime, through signed extrinsics that pay fees:
//! three evaluators register, a sponsor posts a task, two workers commit and reveal, the sponsor
//! reveals the test set, the quorum scores, and the block hook finalizes and pays.
// Tests may unwrap, index and do plain arithmetic.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::panic
)]

mod common;

use common::*;
use polkadot_sdk::{frame_support::traits::fungible::Inspect, sp_keyring::Sr25519Keyring::*};
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment},
	Reputation, Score, SubmissionIndex, TaskId,
};
use pouw_runtime::{configs::TreasuryAccount, Balances, Runtime, RuntimeCall, TaskRegistry, UNIT};

fn total(who: &pouw_runtime::AccountId) -> u128 {
	Balances::total_balance(who)
}

#[test]
fn a_task_goes_from_post_to_payout_through_signed_extrinsics() {
	new_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		let sponsor = account(Alice);
		let (bob, charlie) = (account(Bob), account(Charlie));
		let evaluators = [Dave, Eve, Ferdie];
		let treasury = TreasuryAccount::get();
		let evaluator_accounts: Vec<_> = evaluators.iter().map(|e| account(*e)).collect();
		let before: Vec<u128> = [&sponsor, &bob, &charlie]
			.into_iter()
			.chain(evaluator_accounts.iter())
			.map(total)
			.collect();
		let treasury_before = total(&treasury);

		for e in evaluators {
			submit(
				e,
				RuntimeCall::Verification(pallet_verification::Call::register_evaluator {
					stake: 10 * UNIT,
				}),
			)
			.unwrap();
		}
		let (test_hash, test_salt) = ([0x7e; 32], [0x5a; 32]);
		submit(
			Alice,
			RuntimeCall::TaskRegistry(pallet_task_registry::Call::create_task {
				spec: spec(),
				test_set_commitment: test_set_commitment(&test_hash, &test_salt),
				bounty: 100 * UNIT,
			}),
		)
		.unwrap();
		let task = TaskId(0);

		run_to_block(2);
		for (who, key) in [(&bob, Bob), (&charlie, Charlie)] {
			let hash = [key as u8; 32];
			submit(
				key,
				RuntimeCall::TaskRegistry(pallet_task_registry::Call::commit_model {
					task,
					commitment: model_commitment(&hash, &[1; 32], who),
				}),
			)
			.unwrap();
		}
		run_to_block(10);
		for key in [Bob, Charlie] {
			submit(
				key,
				RuntimeCall::TaskRegistry(pallet_task_registry::Call::reveal_model {
					task,
					model_uri: uri("http://127.0.0.1:9000/blob/model"),
					model_hash: [key as u8; 32],
					salt: [1; 32],
				}),
			)
			.unwrap();
		}
		run_to_block(18);
		submit(
			Alice,
			RuntimeCall::TaskRegistry(pallet_task_registry::Call::reveal_test_set {
				task,
				uri: uri("http://127.0.0.1:8000/blob/test"),
				test_hash,
				salt: test_salt,
			}),
		)
		.unwrap();
		// The hook draws the quorum at the first block after the test-reveal window.
		assert!(pallet_verification::Quorums::<Runtime>::get(task).is_none());
		run_to_block(26);
		let quorum = pallet_verification::Quorums::<Runtime>::get(task).unwrap().members.to_vec();
		assert_eq!(quorum.len(), 3);

		// Charlie's model is better.
		let scores = vec![
			(SubmissionIndex(0), Some(Score::from_f64(0.91).unwrap())),
			(SubmissionIndex(1), Some(Score::from_f64(0.95).unwrap())),
		];
		run_to_block(26);
		for e in evaluators {
			let who = account(e);
			submit(
				e,
				RuntimeCall::Verification(pallet_verification::Call::commit_scores {
					task,
					commitment: scores_commitment(&scores, &[2; 32], &who),
				}),
			)
			.unwrap();
		}
		run_to_block(34);
		for e in evaluators {
			submit(
				e,
				RuntimeCall::Verification(pallet_verification::Call::reveal_scores {
					task,
					scores: scores.clone().try_into().unwrap(),
					salt: [2; 32],
				}),
			)
			.unwrap();
		}
		// The hook settles the task at the first block after the appeal window (nobody
		// appealed), `AppealWindow` blocks after the evaluation window.
		run_to_block(42 + pouw_runtime::configs::AppealWindow::get());
		let info = pallet_task_registry::Tasks::<Runtime>::get(task).unwrap();
		assert_eq!(info.status, pallet_task_registry::TaskStatus::Finalized);
		assert_eq!(info.winner.unwrap().worker, charlie);

		// Exact payouts from the runtime constants (80 / 15 / 5), net of each account's fees.
		let fee = |who: &pouw_runtime::AccountId| fees_paid(who);
		assert_eq!(total(&sponsor), before[0] - 100 * UNIT - fee(&sponsor));
		assert_eq!(total(&bob), before[1] - fee(&bob));
		assert_eq!(total(&charlie), before[2] + 80 * UNIT - fee(&charlie));
		for (i, e) in evaluators.iter().enumerate() {
			let who = account(*e);
			assert_eq!(total(&who), before[3 + i] + 5 * UNIT - fee(&who));
		}
		assert_eq!(total(&treasury), treasury_before + 5 * UNIT);
		// Fees are the only thing that left circulation.
		let all_fees: u128 = [&sponsor, &bob, &charlie]
			.into_iter()
			.map(fee)
			.chain(evaluators.iter().map(|e| fee(&account(*e))))
			.sum();
		assert!(all_fees > 0);
		assert_eq!(Balances::total_issuance(), issuance - all_fees);

		// Reputation moved for everyone who took part.
		let rep = |who, role| {
			<pouw_runtime::Reputation as pouw_primitives::ReputationProvider<_>>::reputation(
				who, role,
			)
		};
		assert_eq!(rep(&charlie, pouw_primitives::Role::Worker), Reputation::from_percent(52));
		// Bob's model is valid but not better than the median of the two: no gain.
		assert_eq!(rep(&bob, pouw_primitives::Role::Worker), Reputation::from_percent(50));
		assert_eq!(rep(&sponsor, pouw_primitives::Role::Sponsor), Reputation::from_percent(51));
		assert_eq!(
			rep(&account(Dave), pouw_primitives::Role::Evaluator),
			Reputation::from_percent(51)
		);
		assert_eq!(TaskRegistry::lineage(task), vec![]);
	});
}

#[test]
fn a_failed_call_reports_its_named_error_and_still_pays_the_fee() {
	new_ext().execute_with(|| {
		let before = total(&account(Bob));
		let err = submit(
			Bob,
			RuntimeCall::TaskRegistry(pallet_task_registry::Call::cancel_task { task: TaskId(7) }),
		)
		.unwrap_err();
		assert_eq!(err, pallet_task_registry::Error::<Runtime>::UnknownTask.into());
		assert_eq!(total(&account(Bob)), before - fees_paid(&account(Bob)));
	});
}
