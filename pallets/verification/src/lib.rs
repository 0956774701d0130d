//! # Verification pallet
//!
//! ## Overview
//!
//! Staked evaluators re-score every revealed model of a task on the test set the sponsor kept
//! secret until the deadline. When the sponsor reveals the test set, the task registry asks this
//! pallet (through [`QuorumManager`]) to draw a quorum: `quorum` distinct evaluators, weighted by
//! stake times reputation, from those eligible, using a seed nobody could predict when the task
//! was created. Each drawn evaluator commits to its scores, then reveals them. When the task is
//! settled, [`QuorumManager::conclude`] takes the median per submission, penalises evaluators who
//! did not commit, did not reveal, or were off a median by more than [`Config::ScoreTolerance`]
//! (reputation down, [`Config::OutlierSlash`] of their stake to the treasury), and tells the
//! registry which evaluators were honest (they share the evaluators' part of the bounty).
//!
//! ## Terminology
//!
//! - **Eligible evaluator**: registered and active, or leaving since the task was posted (it
//!   still serves the tasks posted before it left); stake on hold, a seat free, reputation at
//!   least [`Config::MinEvaluatorReputation`], and neither the task's sponsor nor one of its
//!   workers.
//! - **Score**: a fixed-point metric value ([`Score`]), or `None` for a submission the evaluator
//!   found invalid (weights that do not download, match their hash or fit the model spec).
//! - **Median**: of the `Some` scores; with an even count, the floor of the mean of the two
//!   middle values. It counts only when a strict majority of the *drawn* quorum revealed a score
//!   within [`Config::ScoreTolerance`] of it; a submission is invalid only when a strict majority
//!   of the drawn quorum says so. Otherwise there is no agreement ([`Event::NoAgreement`]) and
//!   the task fails with nobody judged honest.
//! - **Quorum reached**: at least two thirds of the drawn evaluators revealed.
//! - **Seat**: every [`Config::MinEvaluatorStake`] staked backs one seat; an evaluator sits in at
//!   most as many unsettled first quorums as it has seats, and a penalty slashes
//!   [`Config::OutlierSlash`] of one seat's stake. Appeal quorums take no seat: an appeal draws
//!   from every eligible evaluator outside the first quorum, so appeals cannot use up the
//!   seats a later appeal (or a new task's draw) needs.
//! - **Appeal**: when the registry's appeal window finds a task appealed, an appeal quorum
//!   (larger, and sharing no member with the first) is drawn ([`QuorumManager::draw_appeal`])
//!   and scores the task again in its own windows. Its finding decides; the first quorum is
//!   judged against it (a colluding majority of the first quorum becomes outliers), and the
//!   verdict says whether the appeal changed the finding.
//! - **Range**: a revealed score must be a value of the task's metric (accuracy at most 1),
//!   else the reveal fails with [`Error::ScoreOutOfRange`].
//!
//! ## Interface
//!
//! Calls:
//! - [`Pallet::register_evaluator`]: stake (or add stake) and join the pool.
//! - [`Pallet::unregister_evaluator`]: leave; the stake stays on hold and the evaluator can still
//!   be drawn for the tasks posted before (the runtime's unbonding period is at least the
//!   longest task, so every such draw happens before it can withdraw).
//! - [`Pallet::withdraw_stake`]: after [`Config::UnbondingPeriod`], and once every task the
//!   evaluator was drawn into is settled, the stake comes back and it leaves the pool.
//! - [`Pallet::commit_scores`], [`Pallet::reveal_scores`]: drawn evaluators only (of the
//!   first quorum in the task's evaluation windows, of the appeal quorum in the appeal's).
//! - [`Pallet::reveal_unusable`]: a drawn evaluator's verdict *test set unusable* instead of
//!   scores (committed with `unusable_commitment`); a strict majority of the drawn quorum ends
//!   the task with the sponsor at fault.
//!
//! [`QuorumManager`] for the task registry: `draw_quorum`, `eligible` (the creation check),
//! `draw_appeal`, `appeal_eligible`, `conclude`, `prune`.
//!
//! ## Invariants
//!
//! Checked by `do_try_state`:
//! 1. The pool holds exactly the registered evaluators (active and leaving); every registered
//!    evaluator has a stake.
//! 2. Every evaluator's `assignments` equals the number of unconcluded first quorums it is in,
//!    its `appeals` the number of unconcluded appeal quorums.
//! 3. Revealed scores and score commitments exist only for members of the task's quorums.
//! 4. An appeal quorum shares no member with its task's first quorum.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(
	test,
	allow(
		clippy::unwrap_used,
		clippy::expect_used,
		clippy::panic,
		clippy::indexing_slicing,
		clippy::arithmetic_side_effects
	)
)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame::{prelude::*, token::fungible};
use pallet_escrow::Escrow;
use pouw_primitives::{
	Hash256, Reputation, ReputationProvider, ReputationRecorder, Salt, Score, ScoreTolerance,
	SubmissionIndex, TaskId, TaskInspector,
};

/// The balance type of the staked currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Revealed scores: one entry per revealed submission, ascending.
pub type ScoresOf<T> =
	BoundedVec<(SubmissionIndex, Option<Score>), <T as Config>::MaxSubmissionsPerTask>;

/// Whether an evaluator is in the pool or leaving it.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum EvaluatorStatus<BlockNumber> {
	/// In the pool: can be drawn.
	Active,
	/// Left the pool at `since`; the stake can be withdrawn after the unbonding period.
	Leaving {
		/// Block of `unregister_evaluator`.
		since: BlockNumber,
	},
}

/// A registered evaluator. The stake itself is on hold in the escrow.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct EvaluatorInfo<BlockNumber> {
	/// In the pool or leaving.
	pub status: EvaluatorStatus<BlockNumber>,
	/// Number of unsettled tasks the evaluator was drawn into (first quorums: each takes a
	/// seat); the stake stays slashable while it is above zero.
	pub assignments: u32,
	/// Number of unsettled appeal rounds the evaluator was drawn into. An appeal draws from
	/// every eligible evaluator whether or not it has a seat free (else appeals lodged on every
	/// task could take every seat and leave a later appeal undrawable); the stake stays
	/// slashable while this is above zero too.
	pub appeals: u32,
}

/// The quorum drawn for a task.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Quorum<T: Config> {
	/// Drawn evaluators, in draw order.
	pub members: BoundedVec<T::AccountId, T::MaxQuorum>,
	/// The seed the draw used.
	pub seed: [u8; 32],
	/// Whether `conclude` has run.
	pub concluded: bool,
}

/// Why an evaluator was penalised.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum PenaltyReason {
	/// Drawn but committed no scores.
	DidNotCommit,
	/// Committed but did not reveal.
	DidNotReveal,
	/// A revealed score was off a median by more than the tolerance, or disagreed with the
	/// consensus on whether a submission is valid.
	Outlier,
}

#[allow(clippy::expect_used)] // FRAME's expansion; our logic is in impls.rs
#[frame::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of verification.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The staked currency.
		type Currency: fungible::Mutate<Self::AccountId>;
		/// Holds and slashes stakes.
		type Escrow: Escrow<Self::AccountId, Balance = BalanceOf<Self>>;
		/// Evaluator reputation.
		type Reputation: ReputationProvider<Self::AccountId> + ReputationRecorder<Self::AccountId>;
		/// The task registry's view of tasks.
		type Tasks: TaskInspector<BlockNumberFor<Self>>;

		/// The least stake an evaluator registers with.
		#[pallet::constant]
		type MinEvaluatorStake: Get<BalanceOf<Self>>;
		/// The least reputation an evaluator needs to be drawn.
		#[pallet::constant]
		type MinEvaluatorReputation: Get<Reputation>;
		/// Upper bound of the evaluator pool.
		#[pallet::constant]
		type MaxEvaluators: Get<u32>;
		/// Upper bound of a quorum.
		#[pallet::constant]
		type MaxQuorum: Get<u32>;
		/// Upper bound of submissions per task (the length of a score reveal).
		#[pallet::constant]
		type MaxSubmissionsPerTask: Get<u32>;
		/// How far a score may be off the median before the evaluator is an outlier: an
		/// absolute part (in [`Score`] units, `10^9` per metric unit) or a share of the larger
		/// score, whichever allows more ([`ScoreTolerance`]).
		#[pallet::constant]
		type ScoreTolerance: Get<ScoreTolerance>;
		/// Fraction of its stake a penalised evaluator loses to the treasury.
		#[pallet::constant]
		type OutlierSlash: Get<Perbill>;
		/// Blocks between leaving the pool and withdrawing the stake.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Weights.
		type WeightInfo: WeightInfo;

		/// Sets up tasks in evaluation for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<BlockNumberFor<Self>>;
	}

	/// Registered evaluators.
	#[pallet::storage]
	pub type Evaluators<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		EvaluatorInfo<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Every registered evaluator, in registration order: the active ones, and the leaving ones
	/// until they withdraw (drawable only for tasks posted before they left).
	#[pallet::storage]
	pub type Pool<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxEvaluators>, ValueQuery>;

	/// The quorum of each task whose test set was revealed.
	#[pallet::storage]
	pub type Quorums<T: Config> = StorageMap<_, Twox64Concat, TaskId, Quorum<T>, OptionQuery>;

	/// The appeal quorum of each appealed task, drawn from evaluators outside its first quorum:
	/// its members commit and reveal in the appeal round's windows, and its finding decides.
	#[pallet::storage]
	pub type AppealQuorums<T: Config> = StorageMap<_, Twox64Concat, TaskId, Quorum<T>, OptionQuery>;

	/// Score commitments: `scores_commitment(scores, salt, evaluator)` (of both rounds: the
	/// appeal quorum never shares a member with the first).
	#[pallet::storage]
	pub type ScoreCommitments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		Hash256,
		OptionQuery,
	>;

	/// Revealed scores.
	#[pallet::storage]
	pub type RevealedScores<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		ScoresOf<T>,
		OptionQuery,
	>;

	/// Evaluators who revealed the verdict *test set unusable* instead of scores.
	#[pallet::storage]
	pub type ReportedUnusable<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, (), OptionQuery>;

	/// Median per submission of each concluded task with a reached quorum (kept until pruned).
	#[pallet::storage]
	pub type Medians<T: Config> = StorageMap<
		_,
		Twox64Concat,
		TaskId,
		BoundedVec<(SubmissionIndex, Option<Score>), T::MaxSubmissionsPerTask>,
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An evaluator registered, or added stake.
		EvaluatorRegistered {
			/// The evaluator.
			who: T::AccountId,
			/// Stake added now.
			added: BalanceOf<T>,
			/// Total stake.
			stake: BalanceOf<T>,
		},
		/// An evaluator left the pool; its stake unbonds.
		EvaluatorUnregistered {
			/// The evaluator.
			who: T::AccountId,
			/// First block at which the stake may be withdrawn (if no task is pending).
			unbonds_at: BlockNumberFor<T>,
		},
		/// An evaluator withdrew its stake and is no longer registered.
		StakeWithdrawn {
			/// The evaluator.
			who: T::AccountId,
			/// Stake returned.
			amount: BalanceOf<T>,
		},
		/// A quorum was drawn for a task.
		QuorumDrawn {
			/// The task.
			task: TaskId,
			/// Drawn evaluators, in draw order.
			members: Vec<T::AccountId>,
			/// The seed of the draw.
			seed: [u8; 32],
			/// How many evaluators were eligible.
			eligible: u32,
		},
		/// An appeal quorum was drawn for a task (none of its members in the first quorum).
		AppealQuorumDrawn {
			/// The task.
			task: TaskId,
			/// Drawn evaluators, in draw order.
			members: Vec<T::AccountId>,
			/// The seed of the draw.
			seed: [u8; 32],
			/// How many evaluators were eligible.
			eligible: u32,
		},
		/// A drawn evaluator committed its scores.
		ScoresCommitted {
			/// The task.
			task: TaskId,
			/// The evaluator.
			who: T::AccountId,
		},
		/// A drawn evaluator revealed its scores.
		ScoresRevealed {
			/// The task.
			task: TaskId,
			/// The evaluator.
			who: T::AccountId,
			/// The scores.
			scores: Vec<(SubmissionIndex, Option<Score>)>,
		},
		/// The scores of a task were aggregated.
		ScoresAggregated {
			/// The task.
			task: TaskId,
			/// Whether two thirds of the quorum revealed.
			quorum_reached: bool,
			/// Median per submission (`None`: invalid by consensus).
			medians: Vec<(SubmissionIndex, Option<Score>)>,
		},
		/// An evaluator revealed the verdict *test set unusable*.
		TestSetReportedUnusable {
			/// The task.
			task: TaskId,
			/// The evaluator.
			who: T::AccountId,
		},
		/// The quorum revealed, but for some submission no strict majority of the drawn quorum
		/// agreed on a score or on it being invalid: nobody is paid or penalised as honest or
		/// outlier, and the task fails.
		NoAgreement {
			/// The task.
			task: TaskId,
		},
		/// An evaluator was penalised: reputation down, part of one seat's stake to the treasury.
		EvaluatorPenalised {
			/// The task.
			task: TaskId,
			/// The evaluator.
			who: T::AccountId,
			/// Why.
			reason: PenaltyReason,
			/// Stake moved to the treasury.
			slashed: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The stake is below the minimum.
		StakeTooLow,
		/// The evaluator pool (active and leaving evaluators until they withdraw) is full.
		PoolFull,
		/// The caller is not a registered evaluator.
		NotRegistered,
		/// The evaluator is leaving; it cannot add stake or be drawn.
		EvaluatorLeaving,
		/// The evaluator has not left the pool.
		NotLeaving,
		/// The unbonding period has not passed.
		StillUnbonding,
		/// The evaluator is in the quorum of a task not yet settled.
		StillAssigned,
		/// The task has no quorum, or it is no longer taking scores.
		NotInEvaluation,
		/// The caller is not in the task's quorum.
		NotInQuorum,
		/// The score-commit window has passed.
		CommitWindowClosed,
		/// The caller already committed scores for this task.
		AlreadyCommitted,
		/// The score-reveal window is not open (it opens after the commit window).
		RevealWindowClosed,
		/// The caller committed no scores for this task.
		NotCommitted,
		/// The caller already revealed its scores.
		AlreadyRevealed,
		/// The revealed scores do not cover exactly the revealed submissions, ascending.
		ScoresDoNotCoverSubmissions,
		/// The revealed scores and salt do not match the commitment.
		CommitmentMismatch,
		/// A revealed score lies outside its metric's range (accuracy above 1).
		ScoreOutOfRange,
		/// The escrow refused the stake operation (balance too low).
		InsufficientBalance,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), DispatchError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Stake `stake` and join the evaluator pool, or add `stake` to an active evaluator's
		/// stake.
		///
		/// - Origin: signed, the evaluator.
		/// - Emits [`Event::EvaluatorRegistered`].
		/// - Errors: [`Error::StakeTooLow`] (a first stake below the minimum, or zero),
		///   [`Error::PoolFull`], [`Error::EvaluatorLeaving`], [`Error::InsufficientBalance`].
		/// - Complexity: O(P) in the pool size (the pool is read and written).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_evaluator(T::MaxEvaluators::get()))]
		pub fn register_evaluator(origin: OriginFor<T>, stake: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(&who, stake)
		}

		/// Leave the pool. The stake stays on hold (and slashable for pending tasks) until
		/// [`Pallet::withdraw_stake`]; until then the evaluator can still be drawn for the tasks
		/// posted before it left (so a sponsor's own evaluators cannot leave to fail its draw),
		/// never for later ones. The runtime's unbonding period is at least the longest task.
		///
		/// - Origin: signed, a registered active evaluator.
		/// - Emits [`Event::EvaluatorUnregistered`].
		/// - Errors: [`Error::NotRegistered`], [`Error::EvaluatorLeaving`].
		/// - Complexity: O(P).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unregister_evaluator(T::MaxEvaluators::get()))]
		pub fn unregister_evaluator(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unregister(&who)
		}

		/// Withdraw the whole stake after the unbonding period, once no task the evaluator was
		/// drawn into is pending.
		///
		/// - Origin: signed, a leaving evaluator.
		/// - Emits [`Event::StakeWithdrawn`].
		/// - Errors: [`Error::NotRegistered`], [`Error::NotLeaving`], [`Error::StillUnbonding`],
		///   [`Error::StillAssigned`].
		/// - Complexity: O(P): the evaluator leaves the pool here. Charged as the measured
		///   withdrawal plus the measured pool removal of `unregister_evaluator`, which did it
		///   before.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_stake()
			.saturating_add(T::WeightInfo::unregister_evaluator(T::MaxEvaluators::get())))]
		pub fn withdraw_stake(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(&who)
		}

		/// Commit to scores for `task`: `commitment = scores_commitment(scores, salt, caller)`
		/// (see `pouw_primitives::commitment`).
		///
		/// - Origin: signed, a member of the task's quorum.
		/// - When: after the quorum is drawn, until the task's `score_commit_end`.
		/// - Emits [`Event::ScoresCommitted`].
		/// - Errors: [`Error::NotInEvaluation`], [`Error::NotInQuorum`],
		///   [`Error::CommitWindowClosed`], [`Error::AlreadyCommitted`].
		/// - Complexity: O(Q) in the quorum size.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::commit_scores(T::MaxQuorum::get()))]
		pub fn commit_scores(
			origin: OriginFor<T>,
			task: TaskId,
			commitment: Hash256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_scores(&who, task, commitment)
		}

		/// Reveal the committed scores: one entry per revealed submission of the task,
		/// ascending; `None` marks a submission found invalid.
		///
		/// - Origin: signed, a quorum member that committed.
		/// - When: after `score_commit_end`, until `evaluation_end`.
		/// - Emits [`Event::ScoresRevealed`].
		/// - Errors: [`Error::NotInEvaluation`], [`Error::NotInQuorum`],
		///   [`Error::RevealWindowClosed`], [`Error::NotCommitted`], [`Error::AlreadyRevealed`],
		///   [`Error::ScoresDoNotCoverSubmissions`], [`Error::CommitmentMismatch`].
		/// - Complexity: O(Q + S) in the quorum size and the submissions.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::reveal_scores(
			T::MaxQuorum::get(),
			T::MaxSubmissionsPerTask::get()
		))]
		pub fn reveal_scores(
			origin: OriginFor<T>,
			task: TaskId,
			scores: ScoresOf<T>,
			salt: Salt,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_scores(&who, task, scores, salt)
		}

		/// Reveal the verdict *test set unusable* instead of scores: the sponsor's test set
		/// could not be fetched, did not match its hash or did not have the committed shape.
		/// The commitment must be `unusable_commitment(salt, who)`. When a strict majority of the
		/// drawn quorum reveals this verdict, the task fails with the sponsor at fault and the
		/// reporters are paid as honest; a minority that reports it while the others agree on
		/// scores is penalised as outliers.
		///
		/// - Origin: signed, a quorum member that committed.
		/// - When: after `score_commit_end`, until `evaluation_end`.
		/// - Emits [`Event::TestSetReportedUnusable`].
		/// - Errors: [`Error::NotInEvaluation`], [`Error::NotInQuorum`],
		///   [`Error::RevealWindowClosed`], [`Error::NotCommitted`], [`Error::AlreadyRevealed`],
		///   [`Error::CommitmentMismatch`].
		/// - Complexity: O(Q) in the quorum size.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::reveal_scores(T::MaxQuorum::get(), 0))]
		pub fn reveal_unusable(origin: OriginFor<T>, task: TaskId, salt: Salt) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_unusable(&who, task, salt)
		}
	}
}

/// Sets up the state the benchmarks need, in a runtime where the task registry provides
/// [`Config::Tasks`].
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<BlockNumber> {
	/// Makes `task` a task with `submissions` revealed submissions whose test set is revealed,
	/// with the score-commit window open at the current block; returns
	/// `(score_commit_end, evaluation_end)`.
	fn open_evaluation(task: TaskId, submissions: u32) -> (BlockNumber, BlockNumber);
}
