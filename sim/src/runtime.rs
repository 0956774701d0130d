//! The simulated chain: the real balances, escrow, reputation, verification and task-registry
//! pallets, configured with the production runtime's ratios (in a smaller unit).

use frame::testing_prelude::*;
use polkadot_sdk::pallet_balances;
use pouw_primitives::Reputation as Rep;

/// Agents are numbered.
pub type AccountId = u64;
/// Balances in the smaller unit [`UNIT`].
pub type Balance = u64;

/// One unit of the currency.
pub const UNIT: Balance = 1_000_000;
/// The treasury's account.
pub const TREASURY: AccountId = 99;
/// The existential deposit.
pub const ED: Balance = 1;
/// What every agent starts with.
pub const INITIAL: Balance = 1_000_000 * UNIT;
/// The smallest bounty, as in the runtime.
pub const MIN_BOUNTY: Balance = UNIT;
/// The smallest commitment bond, as in the runtime.
pub const WORKER_BOND: Balance = UNIT / 10;
/// The creation deposit, as in the runtime.
pub const TASK_DEPOSIT: Balance = 10 * UNIT;
/// An evaluator's minimum stake, as in the runtime.
pub const MIN_STAKE: Balance = 10 * UNIT;
/// Blocks after an evaluation in which it may be appealed.
pub const APPEAL_WINDOW: u64 = 4;
/// 0.005 of the metric, as in the runtime.
pub const TOLERANCE: u64 = 5_000_000;

type Block = frame_system::mocking::MockBlock<Sim>;

// `construct_runtime!` generates `Sim`, `RuntimeCall` and the other outer types without docs: this
// module exempts only them from `missing_docs`.
#[allow(missing_docs)]
mod generated {
	use super::*;

	construct_runtime!(
		pub enum Sim {
			System: frame_system,
			Balances: pallet_balances,
			Escrow: pallet_escrow,
			Reputation: pallet_reputation,
			Verification: pallet_verification,
			TaskRegistry: pallet_task_registry,
		}
	);
}
pub use generated::*;

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Sim {
	type Block = Block;
	type PostInherents = TaskRegistry;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Sim {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<ED>;
}

parameter_types! {
	/// Scores within 0.005 of the median agree, as in the runtime.
	pub const ScoreTolerance: pouw_primitives::ScoreTolerance =
		pouw_primitives::ScoreTolerance::absolute(TOLERANCE);
	/// Where slashes and the treasury's share go.
	pub const Treasury: AccountId = TREASURY;
	/// A commitment bonds 1 % of the bounty when that is more than [`WORKER_BOND`].
	pub const WorkerBondRatio: Perbill = Perbill::from_percent(1);
	/// A task may demand at most 90 % worker reputation.
	pub const MaxGate: Rep = Rep::from_percent(90);
	/// Reputation decays towards neutral once a day (at 6 s blocks).
	pub const DecayPeriod: u64 = 14_400;
	/// The reputation an evaluator needs to be drawn.
	pub const MinEvaluatorReputation: Rep = Rep::from_percent(50);
	/// The share of its stake an evaluator loses for an outlying score.
	pub const OutlierSlash: Perbill = Perbill::from_percent(10);
	/// The winner's share of the bounty.
	pub const WinnerShare: Perbill = Perbill::from_percent(80);
	/// As in the runtime: 0.06 % of the bounty per position past the eighth.
	pub const SlotFee: Perbill = Perbill::from_parts(600_000);
	/// The quorum's share of the bounty.
	pub const EvaluatorShare: Perbill = Perbill::from_percent(15);
	/// An appeal bonds 10 % of the bounty.
	pub const AppealBond: Perbill = Perbill::from_percent(10);
	/// The relay-chain randomness of the simulated block; [`crate::World`] sets it per block.
	pub storage RandomSeed: [u8; 32] = [0; 32];
}

impl pallet_escrow::Config for Sim {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Treasury = Treasury;
	type WeightInfo = ();
}

#[derive_impl(pallet_reputation::config_preludes::TestDefaultConfig)]
impl pallet_reputation::Config for Sim {
	type DecayPeriod = DecayPeriod;
}

impl pallet_verification::Config for Sim {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Tasks = TaskRegistry;
	type MinEvaluatorStake = ConstU64<MIN_STAKE>;
	type MinEvaluatorReputation = MinEvaluatorReputation;
	type MaxEvaluators = ConstU32<64>;
	type MaxQuorum = ConstU32<16>;
	type MaxSubmissionsPerTask = ConstU32<64>;
	type ScoreTolerance = ScoreTolerance;
	type OutlierSlash = OutlierSlash;
	type UnbondingPeriod = ConstU64<100_000>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = pallet_task_registry::benchmarking::VerificationBenchmarkHelper<Sim>;
}

/// The simulated relay-chain randomness: [`RandomSeed`] mixed with the subject.
pub struct SimRandomness;
impl pouw_primitives::SeedSource for SimRandomness {
	fn seed(subject: &[u8]) -> Option<[u8; 32]> {
		Some(blake2_256(&(RandomSeed::get(), subject).encode()))
	}
}

impl pallet_task_registry::Config for Sim {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Verification = Verification;
	type Randomness = SimRandomness;
	type Treasury = Treasury;
	type MinBounty = ConstU64<MIN_BOUNTY>;
	type WorkerBond = ConstU64<WORKER_BOND>;
	type WorkerBondRatio = WorkerBondRatio;
	type MinTestSamples = ConstU32<100>;
	type FreeSlots = ConstU32<8>;
	type SlotFee = SlotFee;
	type WinnerShare = WinnerShare;
	type EvaluatorShare = EvaluatorShare;
	type MaxSubmissionsPerTask = ConstU32<64>;
	type MaxQuorum = ConstU32<16>;
	type MinQuorum = ConstU32<3>;
	type TaskDeposit = ConstU64<TASK_DEPOSIT>;
	type MaxTasksPerBlock = ConstU32<16>;
	type MaxDrawsPerBlock = ConstU32<4>;
	type MaxAutoFinalizePerBlock = ConstU32<8>;
	type MaxPrunePerBlock = ConstU32<4>;
	type RetentionPeriod = ConstU64<1_000>;
	type MaxLineageDepth = ConstU32<16>;
	type MinPhaseBlocks = ConstU64<4>;
	type MaxDrawDelay = ConstU64<2>;
	type MaxTaskDuration = ConstU64<100_000>;
	type MaxOpenTasksPerSponsor = ConstU32<16>;
	type MaxMinWorkerReputation = MaxGate;
	type AppealWindow = ConstU64<APPEAL_WINDOW>;
	type AppealBond = AppealBond;
	type WeightInfo = ();
}

/// A fresh chain at block 1 in which `accounts` hold [`INITIAL`].
pub fn genesis(accounts: &[AccountId]) -> TestState {
	let mut storage =
		frame_system::GenesisConfig::<Sim>::default().build_storage().unwrap_or_default();
	let mut balances: Vec<(AccountId, Balance)> = accounts.iter().map(|a| (*a, INITIAL)).collect();
	balances.push((TREASURY, ED));
	let _ = pallet_balances::GenesisConfig::<Sim> { balances, ..Default::default() }
		.assimilate_storage(&mut storage);
	let mut ext = TestState::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
