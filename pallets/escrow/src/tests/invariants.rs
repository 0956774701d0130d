//! Property test: random sequences of hold, release, refund, slash, stake, unstake and slash
//! over several accounts and tasks. After every operation the invariants hold and total
//! issuance is unchanged; every failed operation leaves the state root exactly as it was; the
//! ledger matches a plain model of what should be held.

use super::*;
use crate::{Escrow as _, HoldReason};
use frame::deps::sp_io;
use pouw_primitives::TaskId;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Proptest cases (each a sequence of up to 24 operations).
const CASES: u32 = 10_000;

const ACCOUNTS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, NOBODY];

#[derive(Clone, Debug)]
enum Op {
	Hold { task: u64, who: usize, bond: bool, amount: Balance },
	Release { task: u64, from: usize, bond: bool, to: usize, amount: Balance },
	Refund { task: u64, who: usize, bond: bool, amount: Balance },
	Slash { task: u64, who: usize, bond: bool, amount: Balance },
	Stake { who: usize, amount: Balance },
	Unstake { who: usize, amount: Balance },
	SlashStake { who: usize, amount: Balance },
}

fn reason(bond: bool) -> HoldReason {
	if bond {
		HoldReason::WorkerBond
	} else {
		HoldReason::TaskBounty
	}
}

fn op() -> impl Strategy<Value = Op> {
	let who = 0..ACCOUNTS.len();
	let task = 1u64..4;
	// Amounts around the interesting edges: zero, below ED, typical, above any balance.
	let amount = prop_oneof![Just(0u64), 1u64..ED, 1u64..400, 900u64..1_100];
	prop_oneof![
		(task.clone(), who.clone(), any::<bool>(), amount.clone())
			.prop_map(|(task, who, bond, amount)| Op::Hold { task, who, bond, amount }),
		(task.clone(), who.clone(), any::<bool>(), who.clone(), amount.clone()).prop_map(
			|(task, from, bond, to, amount)| Op::Release { task, from, bond, to, amount }
		),
		(task.clone(), who.clone(), any::<bool>(), amount.clone())
			.prop_map(|(task, who, bond, amount)| Op::Refund { task, who, bond, amount }),
		(task, who.clone(), any::<bool>(), amount.clone())
			.prop_map(|(task, who, bond, amount)| Op::Slash { task, who, bond, amount }),
		(who.clone(), amount.clone()).prop_map(|(who, amount)| Op::Stake { who, amount }),
		(who.clone(), amount.clone()).prop_map(|(who, amount)| Op::Unstake { who, amount }),
		(who, amount).prop_map(|(who, amount)| Op::SlashStake { who, amount }),
	]
}

/// What the escrow should hold: (task or stake, account, reason) -> amount.
type Model = BTreeMap<(Option<u64>, AccountId, u8), Balance>;

fn key(task: Option<u64>, who: AccountId, r: HoldReason) -> (Option<u64>, AccountId, u8) {
	(task, who, r as u8)
}

fn model_take(model: &mut Model, k: (Option<u64>, AccountId, u8), amount: Balance) -> bool {
	let held = model.get(&k).copied().unwrap_or(0);
	if amount == 0 || amount > held {
		return false;
	}
	if held == amount {
		model.remove(&k);
	} else {
		model.insert(k, held - amount);
	}
	true
}

fn apply(op: &Op, model: &mut Model) -> (DispatchResult, bool) {
	// Returns the pallet's result, and whether the model allows the debit (for debits).
	match *op {
		Op::Hold { task, who, bond, amount } => {
			let r = Escrow::hold(TaskId(task), &ACCOUNTS[who], reason(bond), amount);
			if r.is_ok() {
				*model.entry(key(Some(task), ACCOUNTS[who], reason(bond))).or_default() += amount;
			}
			(r, true)
		},
		Op::Release { task, from, bond, to, amount } => {
			let mut m = model.clone();
			let allowed = model_take(&mut m, key(Some(task), ACCOUNTS[from], reason(bond)), amount);
			let r = Escrow::release_to(
				TaskId(task),
				&ACCOUNTS[from],
				reason(bond),
				&ACCOUNTS[to],
				amount,
			);
			if r.is_ok() {
				*model = m;
			}
			(r, allowed)
		},
		Op::Refund { task, who, bond, amount } => {
			let mut m = model.clone();
			let allowed = model_take(&mut m, key(Some(task), ACCOUNTS[who], reason(bond)), amount);
			let r = Escrow::refund(TaskId(task), &ACCOUNTS[who], reason(bond), amount);
			if r.is_ok() {
				*model = m;
			}
			(r, allowed)
		},
		Op::Slash { task, who, bond, amount } => {
			let mut m = model.clone();
			let allowed = model_take(&mut m, key(Some(task), ACCOUNTS[who], reason(bond)), amount);
			let r = Escrow::slash(TaskId(task), &ACCOUNTS[who], reason(bond), amount);
			if r.is_ok() {
				*model = m;
			}
			(r, allowed)
		},
		Op::Stake { who, amount } => {
			let r = Escrow::stake(&ACCOUNTS[who], amount);
			if r.is_ok() {
				*model.entry(key(None, ACCOUNTS[who], HoldReason::EvaluatorStake)).or_default() +=
					amount;
			}
			(r, true)
		},
		Op::Unstake { who, amount } => {
			let mut m = model.clone();
			let allowed =
				model_take(&mut m, key(None, ACCOUNTS[who], HoldReason::EvaluatorStake), amount);
			let r = Escrow::unstake(&ACCOUNTS[who], amount);
			if r.is_ok() {
				*model = m;
			}
			(r, allowed)
		},
		Op::SlashStake { who, amount } => {
			let mut m = model.clone();
			let allowed =
				model_take(&mut m, key(None, ACCOUNTS[who], HoldReason::EvaluatorStake), amount);
			let r = Escrow::slash_stake(&ACCOUNTS[who], amount);
			if r.is_ok() {
				*model = m;
			}
			(r, allowed)
		},
	}
}

fn state_root() -> Vec<u8> {
	sp_io::storage::root(StateVersion::V1)
}

proptest! {
	#![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

	#[test]
	fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..24)) {
		ExtBuilder::default().build().execute_with(|| {
			let issuance = Balances::total_issuance();
			let mut model = Model::new();
			for op in &ops {
				let before = state_root();
				let (result, allowed) = apply(op, &mut model);
				match result {
					Ok(()) => prop_assert!(allowed, "{op:?} succeeded beyond what was held"),
					Err(_) => prop_assert_eq!(state_root(), before, "failed {:?} changed state", op),
				}
				prop_assert!(Escrow::do_try_state().is_ok(), "invariant broken after {:?}", op);
				prop_assert_eq!(Balances::total_issuance(), issuance);
				for (&(task, who, r), &amount) in &model {
					let held = match task {
						Some(t) => Escrow::held(TaskId(t), &who, [HoldReason::TaskBounty, HoldReason::WorkerBond][r as usize]),
						None => Escrow::staked(&who),
					};
					prop_assert_eq!(held, amount);
				}
			}
			Ok(())
		})?;
	}
}
