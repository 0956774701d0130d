//! Configuration of the proof-of-useful-work pallets. Every economic constant lives here.

use polkadot_sdk::*;

use frame_support::{parameter_types, traits::ConstU32, PalletId};
use pouw_primitives::{Reputation as Rep, Role};
use sp_runtime::{traits::AccountIdConversion, Perbill};

use super::super::{
	randomness::RelayRandomness, AccountId, Balance, Balances, BlockNumber, Escrow, Reputation,
	Runtime, RuntimeHoldReason, TaskRegistry, Verification, DAYS, MILLI_UNIT, UNIT,
};

parameter_types! {
	/// Where slashes, the treasury's share and rounding dust go. Never burned.
	pub const TreasuryPalletId: PalletId = PalletId(*b"pouw/trs");
	/// The treasury's account, derived from [`TreasuryPalletId`].
	pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
}

impl pallet_escrow::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Treasury = TreasuryAccount;
	type WeightInfo = crate::weights::pallet_escrow::WeightInfo<Runtime>;
}

/// Reputation a new account starts with, per role. Workers and sponsors start neutral; an
/// evaluator starts exactly at the eligibility threshold, so its stake is its Sybil cost and one
/// bad outcome drops it below.
pub struct InitialReputation;
impl pallet_reputation::InitialReputation for InitialReputation {
	fn initial(role: Role) -> Rep {
		match role {
			Role::Worker | Role::Sponsor => NeutralReputation::get(),
			Role::Evaluator => MinEvaluatorReputation::get(),
		}
	}
}

parameter_types! {
	/// Where reputation starts for workers and sponsors, and where it decays back to.
	pub const NeutralReputation: Rep = Rep::from_percent(50);
	/// A success adds 1 %...
	pub const ReputationGain: Rep = Rep::from_percent(1);
	/// ...a failure takes 3 %.
	pub const ReputationPenalty: Rep = Rep::from_percent(3);
	/// Scores move 5 % of their distance to neutral per day.
	pub const ReputationDecayPeriod: BlockNumber = DAYS;
	/// How far a score moves towards neutral each [`ReputationDecayPeriod`].
	pub const ReputationDecayPerPeriod: Rep = Rep::from_percent(5);
}

impl pallet_reputation::Config for Runtime {
	type InitialReputation = InitialReputation;
	type Neutral = NeutralReputation;
	type SuccessGain = ReputationGain;
	type FailurePenalty = ReputationPenalty;
	type DecayPeriod = ReputationDecayPeriod;
	type DecayPerPeriod = ReputationDecayPerPeriod;
	type WeightInfo = crate::weights::pallet_reputation::WeightInfo<Runtime>;
}

/// Upper bound of submissions per task (shared by the registry and verification).
pub type MaxSubmissionsPerTask = ConstU32<64>;
/// Upper bound of a quorum (shared by the registry and verification).
pub type MaxQuorum = ConstU32<16>;

/// A task runs at most 30 days from creation to the end of its evaluation.
const MAX_TASK_DURATION: BlockNumber = 30 * DAYS;

parameter_types! {
	/// What an evaluator must stake to be drawn into quorums.
	pub const MinEvaluatorStake: Balance = 10 * UNIT;
	/// The reputation an evaluator needs to be drawn (its starting value).
	pub const MinEvaluatorReputation: Rep = Rep::from_percent(50);
	/// 0.005 of the metric (`Score` has 9 decimals), or 10^-5 of the score where that is more:
	/// large metric values (an MSE of unnormalised targets) differ between machines in
	/// proportion to their size; measured 2.3e-8 relative between burn and a float64 reference
	/// (`worker/tests/reference_scores.rs`).
	pub const ScoreTolerance: pouw_primitives::ScoreTolerance = pouw_primitives::ScoreTolerance {
		absolute: 5_000_000,
		relative: Perbill::from_parts(10_000),
	};
	/// The share of its stake an evaluator loses for a score outside the tolerance.
	pub const OutlierSlash: Perbill = Perbill::from_percent(10);
	/// As long as the longest task: a leaving evaluator still serves the draws of the tasks
	/// posted before it left, so it must not withdraw before the last of them could draw it.
	pub const EvaluatorUnbondingPeriod: BlockNumber = MAX_TASK_DURATION;
	/// Every phase lasts at least 8 blocks (48 s at 6 s blocks; the dev demo's shortest phase).
	pub const MinPhaseBlocks: BlockNumber = 8;
	/// A task runs at most 30 days from creation to the end of its evaluation.
	pub const MaxTaskDuration: BlockNumber = MAX_TASK_DURATION;
	/// A task may demand at most 90 % worker reputation.
	pub const MaxMinWorkerReputation: Rep = Rep::from_percent(90);
}

impl pallet_verification::Config for Runtime {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Tasks = TaskRegistry;
	type MinEvaluatorStake = MinEvaluatorStake;
	type MinEvaluatorReputation = MinEvaluatorReputation;
	type MaxEvaluators = ConstU32<256>;
	type MaxQuorum = MaxQuorum;
	type MaxSubmissionsPerTask = MaxSubmissionsPerTask;
	type ScoreTolerance = ScoreTolerance;
	type OutlierSlash = OutlierSlash;
	type UnbondingPeriod = EvaluatorUnbondingPeriod;
	type WeightInfo = crate::weights::pallet_verification::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = pallet_task_registry::benchmarking::VerificationBenchmarkHelper<Runtime>;
}

parameter_types! {
	/// The smallest bounty a task may offer.
	pub const MinBounty: Balance = UNIT;
	/// What a commitment bonds at least (see [`WorkerBondRatio`]).
	pub const WorkerBond: Balance = 100 * MILLI_UNIT;
	/// A commitment bonds 1 % of the bounty when that is more than [`WorkerBond`].
	pub const WorkerBondRatio: Perbill = Perbill::from_percent(1);
	/// A test set has at least 100 samples: scores in steps of 1 % at most.
	pub const MinTestSamples: u32 = 100;
	/// The first 8 commitments of a task pay no slot fee...
	pub const FreeSlots: u32 = 8;
	/// ...the one at position k past them 0.06 % of the bounty times (k - 8), paid to the
	/// treasury when a quorum settles the task: all 64 slots cost 95.76 % of the bounty, more
	/// than the winner's 80 %, so squatting every slot to win with a weak model does not pay.
	pub const SlotFee: Perbill = Perbill::from_parts(600_000);
	/// The winner's share of the bounty.
	pub const WinnerShare: Perbill = Perbill::from_percent(80);
	/// The quorum's share of the bounty, split among the evaluators who agreed.
	pub const EvaluatorShare: Perbill = Perbill::from_percent(15);
	/// How long an ended task stays in storage before anyone may prune it.
	pub const TaskRetentionPeriod: BlockNumber = 7 * DAYS;
	/// Held per task from creation until it is pruned, a week after it ended: with at most 16
	/// open tasks per sponsor account it is what a market freeze costs (there is no global cap).
	pub const TaskDeposit: Balance = 10 * UNIT;
	/// Anyone may appeal an evaluation for 20 blocks (2 minutes at 6 s blocks) after it
	/// ends: the worker daemon checks its own model's median at once and appeals a false one.
	pub const AppealWindow: BlockNumber = 20;
	/// An appeal bonds 10 % of the bounty (at least [`WorkerBond`]): it pays the appeal quorum
	/// when the appeal changes nothing.
	pub const AppealBond: Perbill = Perbill::from_percent(10);
}

impl pallet_task_registry::Config for Runtime {
	type Currency = Balances;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Verification = Verification;
	type Randomness = RelayRandomness;
	type Treasury = TreasuryAccount;
	type MinBounty = MinBounty;
	type WorkerBond = WorkerBond;
	type WorkerBondRatio = WorkerBondRatio;
	type MinTestSamples = MinTestSamples;
	type FreeSlots = FreeSlots;
	type SlotFee = SlotFee;
	type WinnerShare = WinnerShare;
	type EvaluatorShare = EvaluatorShare;
	type MaxSubmissionsPerTask = MaxSubmissionsPerTask;
	type MaxQuorum = MaxQuorum;
	type MinQuorum = ConstU32<3>;
	type TaskDeposit = TaskDeposit;
	type MaxTasksPerBlock = ConstU32<16>;
	type MaxDrawsPerBlock = ConstU32<2>;
	type MaxAutoFinalizePerBlock = ConstU32<2>;
	type MaxPrunePerBlock = ConstU32<4>;
	type RetentionPeriod = TaskRetentionPeriod;
	type MaxLineageDepth = ConstU32<32>;
	type MinPhaseBlocks = MinPhaseBlocks;
	/// Half the shortest phase: a draw waits at most 4 blocks for relay randomness.
	type MaxDrawDelay = ConstU32<4>;
	type MaxTaskDuration = MaxTaskDuration;
	type MaxOpenTasksPerSponsor = ConstU32<16>;
	type MaxMinWorkerReputation = MaxMinWorkerReputation;
	type AppealWindow = AppealWindow;
	type AppealBond = AppealBond;
	type WeightInfo = crate::weights::pallet_task_registry::WeightInfo<Runtime>;
}
