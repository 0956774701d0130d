//! Mock runtime with the real escrow, reputation and verification pallets, and helpers.

use crate as pallet_task_registry;
use frame::{deps::frame_support::traits::fungible::Inspect, testing_prelude::*};
use polkadot_sdk::pallet_balances;
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment},
	Activation, DataShape, DatasetFormat, DatasetRef, Hash256, Metric, ModelSpec,
	Reputation as Rep, Score, SubmissionIndex, TaskId, TaskSpec, Uri, Windows,
};

mod appeals;
mod attacks;
mod commit_reveal;
mod failures;
mod lifecycle;
mod random;

pub type AccountId = u64;
pub type Balance = u64;

pub const SPONSOR: AccountId = 1;
pub const SPONSOR2: AccountId = 2;
/// Workers are 10..=19, evaluators 20..=29.
pub const W1: AccountId = 10;
pub const W2: AccountId = 11;
pub const W3: AccountId = 12;
pub const TREASURY: AccountId = 99;
pub const INITIAL: Balance = 1_000_000;
pub const BOUNTY: Balance = 100_000;
pub const BOND: Balance = 1_000;
/// Commitments without a slot fee.
pub const FREE_SLOTS: u32 = 4;
/// The creation deposit, held from creation until the task is pruned.
pub const DEPOSIT: Balance = 500;
pub const STAKE: Balance = 10_000;
pub const ED: Balance = 1;
/// The evaluators' unbonding period, as long as the longest task (as in the runtime).
pub const UNBONDING: u64 = 1_000;

// Windows of a task created at block 1.
pub const SUBMISSION_END: u64 = 10;
pub const REVEAL_END: u64 = 20;
pub const TEST_REVEAL_END: u64 = 30;
pub const SCORE_COMMIT_END: u64 = 40;
pub const EVALUATION_END: u64 = 50;
/// Blocks after `evaluation_end` in which the evaluation may be appealed.
pub const APPEAL_WINDOW: u64 = 3;
/// The first block at which an unappealed task is due.
pub const SETTLE_AT: u64 = EVALUATION_END + APPEAL_WINDOW + 1;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
		Reputation: pallet_reputation,
		Verification: pallet_verification,
		TaskRegistry: pallet_task_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type PostInherents = TaskRegistry;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub const ScoreTolerance: pouw_primitives::ScoreTolerance =
		pouw_primitives::ScoreTolerance::absolute(10_000_000);
	pub const Treasury: AccountId = TREASURY;
	pub const WorkerBondRatio: Perbill = Perbill::from_percent(1);
	pub const MaxGate: Rep = Rep::from_percent(90);
	pub const MinEvaluatorReputation: Rep = Rep::from_percent(50);
	pub const OutlierSlash: Perbill = Perbill::from_percent(10);
	pub const WinnerShare: Perbill = Perbill::from_percent(80);
	/// Positions 5 to 8 of a task hold 10 % of the bounty per position past the fourth: 100 %
	/// for all of them, more than the winner's 80 %.
	pub const SlotFee: Perbill = Perbill::from_percent(10);
	pub const EvaluatorShare: Perbill = Perbill::from_percent(15);
	pub const AppealBond: Perbill = Perbill::from_percent(10);
	/// The randomness the tests control.
	pub storage RandomSeed: [u8; 32] = [0; 32];
	/// Blocks without randomness (a relay chain whose proof carries none).
	pub storage RandomnessMissing: bool = false;
	pub storage MaxAutoFinalize: u32 = 4;
	pub storage MaxPerSponsor: u32 = 8;
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Treasury = Treasury;
	type WeightInfo = ();
}

#[derive_impl(pallet_reputation::config_preludes::TestDefaultConfig)]
impl pallet_reputation::Config for Test {}

impl pallet_verification::Config for Test {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Tasks = TaskRegistry;
	type MinEvaluatorStake = ConstU64<STAKE>;
	type MinEvaluatorReputation = MinEvaluatorReputation;
	type MaxEvaluators = ConstU32<32>;
	type MaxQuorum = ConstU32<9>;
	type MaxSubmissionsPerTask = ConstU32<8>;
	type ScoreTolerance = ScoreTolerance;
	type OutlierSlash = OutlierSlash;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarking::VerificationBenchmarkHelper<Test>;
}

/// Randomness from [`RandomSeed`], mixed with the subject; none while [`RandomnessMissing`],
/// and none before the block's inherents were applied: on a parachain the relay chain's
/// randomness comes with the `set_validation_data` inherent.
pub struct TestRandomness;
impl pouw_primitives::SeedSource for TestRandomness {
	fn seed(subject: &[u8]) -> Option<[u8; 32]> {
		if RandomnessMissing::get() || !System::inherents_applied() {
			return None;
		}
		Some(blake2_256(&(RandomSeed::get(), subject).encode()))
	}
}

impl pallet_task_registry::Config for Test {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Verification = Verification;
	type Randomness = TestRandomness;
	type Treasury = Treasury;
	type MinBounty = ConstU64<1_000>;
	type WorkerBond = ConstU64<BOND>;
	type WorkerBondRatio = WorkerBondRatio;
	type MinTestSamples = ConstU32<100>;
	type FreeSlots = ConstU32<FREE_SLOTS>;
	type SlotFee = SlotFee;
	type WinnerShare = WinnerShare;
	type EvaluatorShare = EvaluatorShare;
	type MaxSubmissionsPerTask = ConstU32<8>;
	type MaxQuorum = ConstU32<9>;
	type MinQuorum = ConstU32<3>;
	type TaskDeposit = ConstU64<DEPOSIT>;
	type MaxTasksPerBlock = ConstU32<4>;
	type MaxDrawsPerBlock = ConstU32<4>;
	type MaxAutoFinalizePerBlock = MaxAutoFinalize;
	type MaxPrunePerBlock = ConstU32<2>;
	type RetentionPeriod = ConstU64<100>;
	type MaxLineageDepth = ConstU32<16>;
	type MinPhaseBlocks = ConstU64<3>;
	type MaxDrawDelay = ConstU64<2>;
	type MaxTaskDuration = ConstU64<UNBONDING>;
	type MaxOpenTasksPerSponsor = MaxPerSponsor;
	type MaxMinWorkerReputation = MaxGate;
	type AppealWindow = ConstU64<APPEAL_WINDOW>;
	type AppealBond = AppealBond;
	type WeightInfo = ();
}

/// Accounts 1..=29 hold [`INITIAL`]; evaluators `20..20+evaluators` are registered with
/// [`STAKE`]; the treasury exists.
pub struct ExtBuilder {
	evaluators: u64,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { evaluators: 5 }
	}
}

impl ExtBuilder {
	pub fn evaluators(mut self, n: u64) -> Self {
		self.evaluators = n;
		self
	}

	pub fn build(self) -> TestState {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut balances: Vec<(AccountId, Balance)> = (1..=29).map(|a| (a, INITIAL)).collect();
		balances.push((TREASURY, ED));
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = TestState::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			for who in 20..20 + self.evaluators {
				assert_ok!(Verification::register_evaluator(RuntimeOrigin::signed(who), STAKE));
			}
		});
		ext
	}

	/// Runs `test`, then checks every pallet's invariants, and that the sum of all free and
	/// held balances (total issuance) did not change.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			let issuance = Balances::total_issuance();
			test();
			check_invariants();
			assert_eq!(Balances::total_issuance(), issuance, "total issuance changed");
		})
	}
}

pub fn check_invariants() {
	TaskRegistry::do_try_state().unwrap();
	Verification::do_try_state().unwrap();
	Escrow::do_try_state().unwrap();
	Reputation::do_try_state().unwrap();
}

#[allow(dead_code)]
pub fn new_test_ext() -> TestState {
	ExtBuilder::default().build()
}

pub fn run_to_block(n: u64) {
	// As the executive does: `on_initialize`, the inherents (none here), then what follows
	// them (the registry's hook).
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default()
			.before_initialize(|_| frame_system::InherentsApplied::<Test>::kill())
			.after_initialize(|_| {
			System::note_inherents_applied();
			<<Test as frame_system::Config>::PostInherents as frame::deps::frame_support::traits::PostInherents>::post_inherents()
		}),
	);
}

pub fn events() -> Vec<pallet_task_registry::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::TaskRegistry(e) = r.event { Some(e) } else { None })
		.collect()
}

pub fn uri(s: &str) -> Uri {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// A digits-like task: 64 features, 10 classes, an MLP, accuracy, quorum 3, windows from
/// block 1 as in the constants above.
pub fn spec() -> TaskSpec<u64> {
	TaskSpec {
		dataset: DatasetRef {
			uri: uri("http://127.0.0.1:8000/blob/train"),
			hash: [9; 32],
			format: DatasetFormat::Csv { label_column: b"label".to_vec().try_into().unwrap() },
			shape: DataShape { samples: 1437, features: 64, classes: 10 },
		},
		test_samples: 360,
		model: ModelSpec::Mlp {
			inputs: 64,
			hidden: vec![32].try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		},
		metric: Metric::Accuracy,
		min_score: None,
		windows: Windows {
			submission_end: SUBMISSION_END,
			reveal_end: REVEAL_END,
			test_reveal_end: TEST_REVEAL_END,
			score_commit_end: SCORE_COMMIT_END,
			evaluation_end: EVALUATION_END,
		},
		quorum: 3,
		min_worker_reputation: Rep::zero(),
		parent: None,
	}
}

pub const TEST_HASH: Hash256 = [0x7e; 32];
pub const TEST_SALT: [u8; 32] = [0x5a; 32];

pub fn model_hash(worker: AccountId) -> Hash256 {
	[worker as u8; 32]
}

pub fn salt(who: AccountId) -> [u8; 32] {
	[(who as u8).wrapping_add(100); 32]
}

/// `create_task` of `spec` by `sponsor` with the tests' commitment and bounty.
pub fn try_create(sponsor: AccountId, spec: TaskSpec<u64>) -> DispatchResult {
	TaskRegistry::create_task(
		RuntimeOrigin::signed(sponsor),
		spec,
		test_set_commitment(&TEST_HASH, &TEST_SALT),
		BOUNTY,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

/// Posts `spec` for `sponsor` and returns its id.
pub fn create_with(sponsor: AccountId, spec: TaskSpec<u64>) -> TaskId {
	let id = crate::NextTaskId::<Test>::get();
	assert_ok!(try_create(sponsor, spec));
	id
}

pub fn create() -> TaskId {
	create_with(SPONSOR, spec())
}

/// `commit_model`'s outcome without its post-dispatch weight (a refused commitment reports the
/// weight it used), for `assert_noop!`.
pub fn try_commit(who: AccountId, task: TaskId, commitment: Hash256) -> DispatchResult {
	TaskRegistry::commit_model(RuntimeOrigin::signed(who), task, commitment)
		.map(|_| ())
		.map_err(|e| e.error)
}

pub fn commit(task: TaskId, worker: AccountId) {
	assert_ok!(TaskRegistry::commit_model(
		RuntimeOrigin::signed(worker),
		task,
		model_commitment(&model_hash(worker), &salt(worker), &worker)
	));
}

pub fn reveal(task: TaskId, worker: AccountId) -> DispatchResult {
	TaskRegistry::reveal_model(
		RuntimeOrigin::signed(worker),
		task,
		uri("http://127.0.0.1:9000/blob/model"),
		model_hash(worker),
		salt(worker),
	)
}

pub fn reveal_test(task: TaskId, sponsor: AccountId) -> DispatchResult {
	TaskRegistry::reveal_test_set(
		RuntimeOrigin::signed(sponsor),
		task,
		uri("http://127.0.0.1:8000/blob/test"),
		TEST_HASH,
		TEST_SALT,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

pub fn quorum(task: TaskId) -> Vec<AccountId> {
	pallet_verification::Quorums::<Test>::get(task).map(|q| q.members.to_vec()).unwrap_or_default()
}

pub fn acc(x: f64) -> Option<Score> {
	Some(Score::from_f64(x).unwrap())
}

/// Drawn evaluators commit (now) and reveal (after the commit window) the scores `scores_of`
/// gives them; those given `None` stay silent.
pub fn evaluate(task: TaskId, scores_of: impl Fn(AccountId) -> Option<Vec<Option<Score>>>) {
	let members = quorum(task);
	let submissions = TaskRegistry::revealed(task);
	let entries = |scores: &[Option<Score>]| -> Vec<(SubmissionIndex, Option<Score>)> {
		submissions.iter().zip(scores).map(|((i, _), s)| (*i, *s)).collect()
	};
	for who in &members {
		if let Some(scores) = scores_of(*who) {
			assert_ok!(Verification::commit_scores(
				RuntimeOrigin::signed(*who),
				task,
				scores_commitment(&entries(&scores), &salt(*who), who)
			));
		}
	}
	run_to_block(SCORE_COMMIT_END + 1);
	for who in &members {
		if let Some(scores) = scores_of(*who) {
			assert_ok!(Verification::reveal_scores(
				RuntimeOrigin::signed(*who),
				task,
				entries(&scores).try_into().unwrap(),
				salt(*who)
			));
		}
	}
}

/// Runs a task with `workers` committing and revealing, the test set revealed at
/// `REVEAL_END + 1`; returns it at `TEST_REVEAL_END + 1`, its quorum drawn, in the score-commit
/// phase.
pub fn to_evaluation(workers: &[AccountId]) -> TaskId {
	to_evaluation_with(spec(), workers)
}

/// [`to_evaluation`] for a given spec (whose windows are the constants above).
pub fn to_evaluation_with(spec: TaskSpec<u64>, workers: &[AccountId]) -> TaskId {
	let task = create_with(SPONSOR, spec);
	for w in workers {
		commit(task, *w);
	}
	run_to_block(SUBMISSION_END + 1);
	for w in workers {
		assert_ok!(reveal(task, *w));
	}
	run_to_block(REVEAL_END + 1);
	assert_ok!(reveal_test(task, SPONSOR));
	// The hook draws the quorum at the first block after the test-reveal window.
	run_to_block(TEST_REVEAL_END + 1);
	task
}

pub fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

pub fn status(task: TaskId) -> crate::TaskStatus {
	crate::Tasks::<Test>::get(task).unwrap().status
}
