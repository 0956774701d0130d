//! Mock runtime (balances, escrow, reputation, verification; tasks mocked) and helpers.

use crate as pallet_verification;
use frame::testing_prelude::*;
use polkadot_sdk::pallet_balances;
use pouw_primitives::{
	commitment::scores_commitment, Reputation as Rep, Score, SubmissionIndex, TaskId, TaskInspector,
};
use std::{cell::RefCell, collections::BTreeMap};

mod aggregate;
mod draw;
mod registration;
mod scores;

pub type AccountId = u64;
pub type Balance = u64;

pub const TREASURY: AccountId = 99;
pub const ED: Balance = 1;
pub const INITIAL: Balance = 10_000;
pub const MIN_STAKE: Balance = 100;
pub const TOLERANCE: u64 = 10_000_000; // 0.01
pub const UNBONDING: u64 = 20;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
		Reputation: pallet_reputation,
		Verification: pallet_verification,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const DecayPeriod: u64 = 1_000;
	pub const MinEvaluatorStake: Balance = MIN_STAKE;
	pub const MinEvaluatorReputation: Rep = Rep::from_percent(50);
	pub const OutlierSlash: Perbill = Perbill::from_percent(10);
	pub const Tolerance: pouw_primitives::ScoreTolerance = pouw_primitives::ScoreTolerance {
		absolute: TOLERANCE,
		relative: Perbill::from_parts(10_000),
	};
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Treasury = Treasury;
	type WeightInfo = ();
}

#[derive_impl(pallet_reputation::config_preludes::TestDefaultConfig)]
impl pallet_reputation::Config for Test {
	type DecayPeriod = DecayPeriod;
}

thread_local! {
	/// task -> (score_commit_end, evaluation_end, revealed submissions)
	static TASKS: RefCell<BTreeMap<TaskId, (u64, u64, Vec<SubmissionIndex>)>> = const { RefCell::new(BTreeMap::new()) };
	/// task -> (commit_end, evaluation_end) of its appeal round
	static APPEALS: RefCell<BTreeMap<TaskId, (u64, u64)>> = const { RefCell::new(BTreeMap::new()) };
	/// task -> the block it was posted at (unset: as if posted now)
	static POSTED: RefCell<BTreeMap<TaskId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// task -> its metric (unset: accuracy)
	static METRICS: RefCell<BTreeMap<TaskId, pouw_primitives::Metric>> = const { RefCell::new(BTreeMap::new()) };
}

/// Tasks in evaluation, as the tests set them.
pub struct MockTasks;
impl MockTasks {
	pub fn post(task: TaskId, at: u64) {
		POSTED.with(|p| p.borrow_mut().insert(task, at));
	}
	pub fn open(task: TaskId, commit_end: u64, evaluation_end: u64, submissions: u32) {
		TASKS.with(|t| {
			t.borrow_mut().insert(
				task,
				(commit_end, evaluation_end, (0..submissions).map(SubmissionIndex).collect()),
			)
		});
	}
	pub fn close(task: TaskId) {
		TASKS.with(|t| t.borrow_mut().remove(&task));
		APPEALS.with(|a| a.borrow_mut().remove(&task));
	}
	/// Scores `task` with `metric` instead of accuracy.
	pub fn set_metric(task: TaskId, metric: pouw_primitives::Metric) {
		METRICS.with(|m| m.borrow_mut().insert(task, metric));
	}
	/// Opens `task`'s appeal round with these windows (its first round's windows stay).
	pub fn open_appeal(task: TaskId, commit_end: u64, evaluation_end: u64) {
		APPEALS.with(|a| a.borrow_mut().insert(task, (commit_end, evaluation_end)));
	}
}
impl TaskInspector<u64> for MockTasks {
	fn evaluation_windows(task: TaskId) -> Option<(u64, u64)> {
		TASKS.with(|t| t.borrow().get(&task).map(|(c, e, _)| (*c, *e)))
	}
	fn revealed_submissions(task: TaskId) -> Vec<SubmissionIndex> {
		TASKS.with(|t| t.borrow().get(&task).map(|(_, _, s)| s.clone()).unwrap_or_default())
	}
	fn metric(task: TaskId) -> Option<pouw_primitives::Metric> {
		let metric = METRICS.with(|m| m.borrow().get(&task).copied());
		TASKS.with(|t| {
			t.borrow().get(&task).map(|_| metric.unwrap_or(pouw_primitives::Metric::Accuracy))
		})
	}
	fn posted_at(task: TaskId) -> Option<u64> {
		POSTED.with(|p| p.borrow().get(&task).copied())
	}
	fn appeal_windows(task: TaskId) -> Option<(u64, u64)> {
		APPEALS.with(|a| a.borrow().get(&task).copied())
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for MockTasks {
	fn open_evaluation(task: TaskId, submissions: u32) -> (u64, u64) {
		let now = System::block_number();
		MockTasks::open(task, now + 10, now + 20, submissions);
		(now + 10, now + 20)
	}
}

impl pallet_verification::Config for Test {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Tasks = MockTasks;
	type MinEvaluatorStake = MinEvaluatorStake;
	type MinEvaluatorReputation = MinEvaluatorReputation;
	type MaxEvaluators = ConstU32<16>;
	type MaxQuorum = ConstU32<7>;
	type MaxSubmissionsPerTask = ConstU32<8>;
	type ScoreTolerance = Tolerance;
	type OutlierSlash = OutlierSlash;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockTasks;
}

/// Accounts 1..=20 hold [`INITIAL`]; the treasury exists.
#[derive(Default)]
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build(self) -> TestState {
		TASKS.with(|t| t.borrow_mut().clear());
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut balances: Vec<(AccountId, Balance)> = (1..=20).map(|a| (a, INITIAL)).collect();
		balances.push((TREASURY, ED));
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = TestState::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks every pallet's invariants and that issuance is unchanged.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			let issuance = Balances::total_issuance();
			test();
			Verification::do_try_state().unwrap();
			Escrow::do_try_state().unwrap();
			Reputation::do_try_state().unwrap();
			assert_eq!(Balances::total_issuance(), issuance);
		})
	}
}

#[allow(dead_code)]
pub fn new_test_ext() -> TestState {
	ExtBuilder.build()
}

pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

pub fn events() -> Vec<pallet_verification::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Verification(e) = r.event { Some(e) } else { None })
		.collect()
}

pub fn register(accounts: impl IntoIterator<Item = AccountId>) {
	for who in accounts {
		assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(who), MIN_STAKE));
	}
}

/// Drops a drawn quorum and frees its seats, so tests of the draw's statistics can draw again
/// and again from the same evaluators (each holds one seat per minimum stake).
pub fn forget_quorum(task: TaskId) {
	if let Some(quorum) = crate::Quorums::<Test>::take(task) {
		for who in quorum.members.iter() {
			crate::Evaluators::<Test>::mutate(who, |info| {
				if let Some(info) = info {
					info.assignments -= 1;
				}
			});
		}
	}
}

pub fn score(x: f64) -> Option<Score> {
	Some(Score::from_f64(x).unwrap())
}

pub fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

/// Commits `scores` for `who` on `task` (block must be in the commit window).
pub fn commit(task: TaskId, who: AccountId, scores: &[Option<Score>]) {
	let entries: Vec<_> =
		scores.iter().enumerate().map(|(i, s)| (SubmissionIndex(i as u32), *s)).collect();
	assert_ok!(Verification::commit_scores(
		RuntimeOrigin::signed(who),
		task,
		scores_commitment(&entries, &salt(who), &who)
	));
}

/// Reveals what [`commit`] committed.
pub fn reveal(task: TaskId, who: AccountId, scores: &[Option<Score>]) -> DispatchResult {
	let entries: Vec<_> =
		scores.iter().enumerate().map(|(i, s)| (SubmissionIndex(i as u32), *s)).collect();
	Verification::reveal_scores(
		RuntimeOrigin::signed(who),
		task,
		entries.try_into().unwrap(),
		salt(who),
	)
}
