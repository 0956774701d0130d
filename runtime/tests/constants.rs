//! Constants, storage prefixes and genesis presets of the runtime.
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
	frame_support::{storage::StoragePrefixedMap, traits::fungible::Inspect},
	sp_io::hashing::twox_128,
	sp_runtime::BuildStorage,
	*,
};
use pouw_primitives::{Reputation, Role};
use pouw_runtime::{configs, genesis_config_presets, Runtime, UNIT};

#[test]
fn payout_shares_leave_the_treasury_a_part() {
	let winner = configs::WinnerShare::get();
	let evaluators = configs::EvaluatorShare::get();
	assert_eq!(winner.deconstruct() + evaluators.deconstruct(), 950_000_000);
}

#[test]
fn reputation_falls_three_times_faster_than_it_rises() {
	assert_eq!(
		configs::ReputationPenalty::get().deconstruct(),
		3 * configs::ReputationGain::get().deconstruct()
	);
	// A new evaluator starts exactly at the eligibility threshold.
	assert_eq!(
		<configs::InitialReputation as pallet_reputation::InitialReputation>::initial(
			Role::Evaluator
		),
		configs::MinEvaluatorReputation::get()
	);
	assert_eq!(
		<configs::InitialReputation as pallet_reputation::InitialReputation>::initial(Role::Worker),
		Reputation::from_percent(50)
	);
}

#[test]
fn storage_prefixes_are_the_pallet_names() {
	fn prefix(pallet: &str, item: &str) -> Vec<u8> {
		[twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
	}
	assert_eq!(
		pallet_task_registry::Tasks::<Runtime>::final_prefix().to_vec(),
		prefix("TaskRegistry", "Tasks")
	);
	assert_eq!(
		pallet_verification::Quorums::<Runtime>::final_prefix().to_vec(),
		prefix("Verification", "Quorums")
	);
	assert_eq!(
		pallet_escrow::TaskHolds::<Runtime>::final_prefix().to_vec(),
		prefix("Escrow", "TaskHolds")
	);
	assert_eq!(
		pallet_reputation::Reputations::<Runtime>::final_prefix().to_vec(),
		prefix("Reputation", "Reputations")
	);
}

#[test]
fn both_presets_build_with_a_funded_treasury() {
	assert_eq!(genesis_config_presets::preset_names().len(), 2);
	for (preset, collators) in [("development", 1), ("local_testnet", 2)] {
		let storage = genesis(preset).build_storage().unwrap();
		polkadot_sdk::sp_io::TestExternalities::new(storage).execute_with(|| {
			assert_eq!(pallet_collator_selection::Invulnerables::<Runtime>::get().len(), collators);
			assert_eq!(
				pouw_runtime::Balances::balance(&configs::TreasuryAccount::get()),
				pouw_runtime::EXISTENTIAL_DEPOSIT
			);
			assert!(
				pouw_runtime::Balances::balance(&account(
					polkadot_sdk::sp_keyring::Sr25519Keyring::Ferdie
				)) > 1_000 * UNIT
			);
			assert_eq!(
				pallet_sudo::Key::<Runtime>::get(),
				Some(account(polkadot_sdk::sp_keyring::Sr25519Keyring::Alice))
			);
			assert_eq!(
				pouw_runtime::ParachainInfo::parachain_id(),
				pouw_runtime::PARACHAIN_ID.into()
			);
		});
	}
}

#[test]
fn a_dev_chain_uses_the_documented_fallback_randomness() {
	new_ext().execute_with(|| {
		assert_eq!(
			pouw_runtime::randomness::RelayRandomness::source(),
			pouw_runtime::randomness::RandomnessSource::DevFallback
		);
	});
}

#[test]
fn a_leaving_evaluator_cannot_withdraw_before_its_last_draw() {
	// It still serves the draws of the tasks posted before it left; the last of those is at most
	// `MaxTaskDuration` after it left.
	assert!(configs::EvaluatorUnbondingPeriod::get() >= configs::MaxTaskDuration::get());
}

#[test]
fn only_the_development_preset_allows_the_predictable_seed() {
	for (preset, allowed) in [("development", true), ("local_testnet", false)] {
		let storage = genesis(preset).build_storage().unwrap();
		polkadot_sdk::sp_io::TestExternalities::new(storage).execute_with(|| {
			assert_eq!(
				pallet_task_registry::PredictableSeedAllowed::<Runtime>::get(),
				allowed,
				"{preset}"
			);
		});
	}
}
