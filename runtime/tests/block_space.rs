//! How many of the busiest transaction fit in one block. Under load (200 tasks in flight,
//! `./scripts/load.sh`) most transactions are workers' commitments: a block that holds few of
//! them makes honest workers miss their windows.
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
use polkadot_sdk::{
	frame_support::traits::fungible::Mutate, sp_core::Pair, sp_keyring::Sr25519Keyring::*,
};
use pouw_primitives::{
	commitment::{model_commitment, test_set_commitment},
	TaskId,
};
use pouw_runtime::{AccountId, Balances, RuntimeCall, UNIT};

/// A funded account of its own for worker `i`.
fn worker(i: u32) -> polkadot_sdk::sp_core::sr25519::Pair {
	let pair =
		polkadot_sdk::sp_core::sr25519::Pair::from_string(&format!("//block-space-{i}"), None)
			.unwrap();
	let account: AccountId = pair.public().into();
	Balances::set_balance(&account, 1_000 * UNIT);
	pair
}

#[test]
fn a_block_holds_a_hundred_commitments_to_tasks_that_are_not_full() {
	new_ext().execute_with(|| {
		for e in [Dave, Eve, Ferdie] {
			submit(
				e,
				RuntimeCall::Verification(pallet_verification::Call::register_evaluator {
					stake: 10 * UNIT,
				}),
			)
			.unwrap();
		}
		// Two tasks: 50 commitments each stay under the 64 slots, so none displaces another.
		for _ in 0..2 {
			submit(
				Alice,
				RuntimeCall::TaskRegistry(pallet_task_registry::Call::create_task {
					spec: spec(),
					test_set_commitment: test_set_commitment(&[7; 32], &[8; 32]),
					bounty: 100 * UNIT,
				}),
			)
			.unwrap();
		}
		run_to_block(2);
		let workers: Vec<_> = (0..100).map(worker).collect();
		let mut included = 0;
		for (i, pair) in workers.iter().enumerate() {
			let task = TaskId(i as u64 % 2);
			let account: AccountId = pair.public().into();
			let commitment = model_commitment(&[i as u8; 32], &[1; 32], &account);
			match apply_signed(
				pair,
				RuntimeCall::TaskRegistry(pallet_task_registry::Call::commit_model {
					task,
					commitment,
				}),
			) {
				Ok(dispatched) => {
					dispatched.unwrap();
					included += 1;
				},
				Err(refused) => panic!(
					"commitment {i} left out of the block after {included} were included: {refused:?}"
				),
			}
		}
		assert_eq!(included, 100);
	});
}
