//! # Task registry pallet
//!
//! ## Overview
//!
//! The life of a pouw task on chain, from post to payout:
//!
//! ```text
//! Open --submission_end--> Reveal --reveal_end--> TestReveal --test_reveal_end-->
//!     ScoreCommit --score_commit_end--> ScoreReveal --evaluation_end--> Appeal
//!     --appeal window--> Finalizable --> Finalized
//! Appeal --appealed--> AppealScoreCommit --> AppealScoreReveal --> Finalizable --> Finalized
//! ```
//!
//! A sponsor posts a [`TaskSpec`] with a bounty (on hold through the escrow) and a commitment
//! to a secret test set. Workers commit to their trained model (`model_commitment(model_hash,
//! salt, worker)`, so a copied commitment cannot be revealed by anyone else), with a bond on
//! hold, then reveal it. The sponsor reveals the test set; at the first block after the
//! test-reveal window the block hook has the verification pallet draw the evaluator quorum from a
//! seed out of [`Config::Randomness`] mixed with the task id (a fixed height, so when the sponsor
//! reveals cannot move the seed), and the score-commit window begins. A block without
//! unpredictable randomness defers the draw a block, at most [`Config::MaxDrawDelay`] blocks
//! ([`Event::DrawDeferred`], then [`FailureReason::NoRandomness`]); only a chain whose genesis
//! sets [`PredictableSeedAllowed`] (a dev chain) draws from the parent block hash instead
//! ([`Event::PredictableSeedUsed`]). A task whose quorum the evaluator pool cannot fill when it
//! is posted is refused ([`Error::NotEnoughEvaluators`]).
//! Evaluators score every revealed model; when the evaluation window has passed, the task is
//! finalized by anyone ([`Pallet::finalize_task`]) or by the block hook (a bounded number per
//! block): the best median meeting the task's minimum wins [`Config::WinnerShare`] of the bounty,
//! honest evaluators share [`Config::EvaluatorShare`], the treasury gets the rest. Ties go to the
//! earliest commitment.
//!
//! Every other ending is a [`TaskStatus::Failed`] with a named [`FailureReason`] in
//! [`Event::TaskFailed`]; every submission that does not win gets an
//! [`Event::SubmissionRejected`] with its [`RejectionReason`]. Funds are never lost: each ending
//! leaves only the sponsor's creation deposit on hold for the task, and pruning refunds it.
//!
//! ## Terminology
//!
//! - **Slots**: at most [`Config::MaxSubmissionsPerTask`] commitments; when they are full, a
//!   worker with a higher reputation than the lowest committed one takes its slot (its bond
//!   returned, [`Event::SubmissionDisplaced`]; ties keep the earlier commitment).
//! - **Bond**: the larger of [`Config::WorkerBond`] and [`Config::WorkerBondRatio`] of the
//!   bounty, held per commitment; refunded to workers who revealed a
//!   valid model, slashed to the treasury otherwise.
//! - **Slot fee**: past the first [`Config::FreeSlots`] commitments, each holds a fee growing
//!   with its position ([`Config::SlotFee`]) with its bond, paid to the treasury when the bond
//!   comes back: filling every slot of a task costs more than its winner earns. A commitment
//!   that displaces a lower reputation pays none.
//! - **Deposit**: [`Config::TaskDeposit`], held on the sponsor's account from creation until
//!   the task is pruned. There is no global cap on open tasks: a market freeze would need
//!   [`Config::MaxOpenTasksPerSponsor`] tasks' bounties and deposits per sponsor account, for
//!   as many accounts as it takes to fill the per-block bounds of every block honest sponsors
//!   could choose.
//! - **Due**: a task may be finalized once its appeal window has passed unappealed (or its
//!   appeal round has, or its appeal could not be drawn), or earlier when its
//!   outcome is already certain: no model revealed after the reveal window, or no test set after
//!   the test-reveal window.
//! - **Appeal**: after the evaluation, anyone may appeal for [`Config::AppealWindow`] blocks
//!   with a bond ([`Pallet::appeal`]); a quorum of every eligible evaluator outside the first
//!   (at most [`Config::MaxQuorum`], at least `2 * quorum + 1`) is drawn at the block after
//!   the window and scores
//!   the task again in windows as long as the first round's ([`Pallet::appeal_windows`]). Its
//!   finding decides, and the first quorum is judged against it: a majority of the first
//!   quorum that scored falsely (a colluding minority of the pool that happened to hold the
//!   seats) is slashed as outliers. The first quorum's honest members are paid their seat's
//!   share of [`Config::EvaluatorShare`] (`1 / quorum` each), the appeal quorum's honest members
//!   the rest; the bond is refunded when the appeal changed the finding, and pays the appeal
//!   quorum when not. Every task reserves its appeal round's draw and deadline at creation, so
//!   nobody can crowd an appeal out.
//! - **Lineage**: a task may name a finalized parent; the parent winner's model hash is recorded
//!   as the starting point ([`TaskInfo::parent_model`]), and [`Pallet::lineage`] reads the chain
//!   of ancestors back.
//!
//! ## Interface
//!
//! Calls: [`Pallet::create_task`], [`Pallet::cancel_task`], [`Pallet::commit_model`],
//! [`Pallet::reveal_model`], [`Pallet::reveal_test_set`], [`Pallet::finalize_task`],
//! [`Pallet::appeal`].
//! Hook (run after the block's inherents, as the runtime's `PostInherents`): draws the quorums
//! of the tasks whose test-reveal window ended (at most [`Config::MaxDrawsPerBlock`]), finalizes up to [`Config::MaxAutoFinalizePerBlock`] due tasks
//! and prunes up to [`Config::MaxPrunePerBlock`] settled tasks past [`Config::RetentionPeriod`].
//! [`TaskInspector`] for the verification pallet.
//!
//! ## Invariants
//!
//! Checked by `do_try_state`:
//! 1. For every active task, the escrow holds exactly its bounty, its deposit, the bonds of
//!    its submissions and its appeal bond; for every ended task, its deposit until it is pruned, then nothing.
//! 2. [`ActiveTasks`] equals the number of active tasks.
//! 3. A task's `submissions` and `revealed` counts match its stored submissions (until pruned),
//!    and every stored submission's index is below its `next_submission`.
//! 4. Every finalized task has a winner; no other task has one.
//! 5. [`SponsorTasks`] counts each sponsor's active tasks, at most
//!    [`Config::MaxOpenTasksPerSponsor`].
//! 6. No empty list is stored in [`Deadlines`] or [`Draws`].
//! 7. [`DueQueue`] and [`PruneQueue`] hold exactly the positions between their ends.
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
pub mod benchmarking;
mod impls;
mod settle;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame::{prelude::*, token::fungible};
use pallet_escrow::Escrow;
use pouw_primitives::{
	Hash256, QuorumManager, ReputationProvider, ReputationRecorder, Salt, SeedSource,
	SubmissionIndex, TaskId, TaskSpec, Uri,
};

/// The balance type of the bounty and bond currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

#[allow(clippy::expect_used)] // FRAME's expansion; our logic is in impls.rs and settle.rs
#[frame::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version. 2: the due and prune queues became unbounded storage
	/// queues and tasks record their creation deposit (no chain holds version 1 data: the
	/// dev chain and zombienet start from genesis, so there is no migration).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the task registry.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of bounties and bonds.
		type Currency: fungible::Mutate<Self::AccountId>;
		/// Holds, pays, refunds and slashes.
		type Escrow: Escrow<Self::AccountId, Balance = BalanceOf<Self>>;
		/// Worker and sponsor reputation.
		type Reputation: ReputationProvider<Self::AccountId> + ReputationRecorder<Self::AccountId>;
		/// Draws quorums and aggregates scores.
		type Verification: QuorumManager<Self::AccountId>;
		/// The randomness the quorum seed comes from (relay-chain randomness in the runtime).
		/// Where a block has none, the draw waits (see [`Config::MaxDrawDelay`]), unless the
		/// chain's genesis allowed the predictable fallback ([`PredictableSeedAllowed`]).
		type Randomness: SeedSource;
		/// The most blocks a draw waits for randomness after its block; then the task fails
		/// with [`FailureReason::NoRandomness`] and everything is refunded. Below
		/// [`Config::MinPhaseBlocks`], so the score-commit window keeps most of its length.
		#[pallet::constant]
		type MaxDrawDelay: Get<BlockNumberFor<Self>>;
		/// The account that receives the treasury's share.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// The fewest samples a task's test set may have: on fewer, a score says little about a
		/// model (one sample makes accuracy 0 or 1), and the winner would be drawn by luck.
		#[pallet::constant]
		type MinTestSamples: Get<u32>;
		/// The least bounty a task may offer.
		#[pallet::constant]
		type MinBounty: Get<BalanceOf<Self>>;
		/// The least bond a worker holds per commitment.
		#[pallet::constant]
		type WorkerBond: Get<BalanceOf<Self>>;
		/// The bond as a share of the bounty, when that is more than [`Config::WorkerBond`]: a
		/// richer task costs more to squat.
		#[pallet::constant]
		type WorkerBondRatio: Get<Perbill>;
		/// Commitments that pay no slot fee: the first this many of a task.
		#[pallet::constant]
		type FreeSlots: Get<u32>;
		/// The slot fee per position past [`Config::FreeSlots`], as a share of the bounty: the
		/// commitment at position `k` (1-based) holds `SlotFee * bounty * (k - FreeSlots)` on
		/// top of its bond, paid to the treasury when a quorum settles the task; one that
		/// displaces a lower reputation pays none. A few workers pay nothing; taking every slot
		/// of a task costs more than the winner's share (checked by `integrity_test`), so
		/// squatting all the slots to win with a weak model does not pay.
		#[pallet::constant]
		type SlotFee: Get<Perbill>;
		/// The winner's share of the bounty.
		#[pallet::constant]
		type WinnerShare: Get<Perbill>;
		/// The honest evaluators' share of the bounty, split equally among them.
		#[pallet::constant]
		type EvaluatorShare: Get<Perbill>;
		/// Upper bound of commitments per task.
		#[pallet::constant]
		type MaxSubmissionsPerTask: Get<u32>;
		/// Upper bound of a task's quorum.
		#[pallet::constant]
		type MaxQuorum: Get<u32>;
		/// Lower bound of a task's quorum, at least 3: a smaller quorum can be filled, or
		/// outvoted, by one evaluator.
		#[pallet::constant]
		type MinQuorum: Get<u32>;
		/// What a sponsor holds per task, besides the bounty, from creation until the task is
		/// pruned ([`Config::RetentionPeriod`] after it ended): it pays for the task's storage
		/// and makes every open task cost its sponsor capital for its whole life. There is no
		/// global cap on open tasks (one could be filled by a rich spammer, freezing the
		/// market); [`Config::MaxOpenTasksPerSponsor`] and this deposit bound them instead.
		#[pallet::constant]
		type TaskDeposit: Get<BalanceOf<Self>>;
		/// Upper bound of tasks whose evaluation window ends at the same block.
		#[pallet::constant]
		type MaxTasksPerBlock: Get<u32>;
		/// Upper bound of quorums the hook draws in one block. Each draw reads the whole
		/// evaluator pool, so this bound keeps the block's weight and proof size in budget.
		#[pallet::constant]
		type MaxDrawsPerBlock: Get<u32>;
		/// Due tasks the hook finalizes per block.
		#[pallet::constant]
		type MaxAutoFinalizePerBlock: Get<u32>;
		/// Settled tasks the hook prunes per block.
		#[pallet::constant]
		type MaxPrunePerBlock: Get<u32>;
		/// Blocks a settled task keeps its submissions and scores before they are pruned.
		#[pallet::constant]
		type RetentionPeriod: Get<BlockNumberFor<Self>>;
		/// Upper bound of ancestors [`Pallet::lineage`] walks.
		#[pallet::constant]
		type MaxLineageDepth: Get<u32>;
		/// The fewest blocks every phase lasts (from creation to `submission_end`, and between
		/// consecutive window ends; the score-commit window starts at the draw, the block after
		/// `test_reveal_end`): nobody can be handed a window too short to act in.
		#[pallet::constant]
		type MinPhaseBlocks: Get<BlockNumberFor<Self>>;
		/// The most blocks from creation to `evaluation_end`: nobody's bounty, bond or stake is
		/// locked for longer.
		#[pallet::constant]
		type MaxTaskDuration: Get<BlockNumberFor<Self>>;
		/// Upper bound of one sponsor's active tasks.
		#[pallet::constant]
		type MaxOpenTasksPerSponsor: Get<u32>;
		/// The highest minimum worker reputation a task may demand: a task no worker can join
		/// would only sit in a slot.
		#[pallet::constant]
		type MaxMinWorkerReputation: Get<pouw_primitives::Reputation>;

		/// Blocks after `evaluation_end` in which anyone may appeal the evaluation
		/// ([`Pallet::appeal`]); the task settles after them when nobody did. At least
		/// [`Config::MinPhaseBlocks`].
		#[pallet::constant]
		type AppealWindow: Get<BlockNumberFor<Self>>;
		/// The appeal bond as a share of the bounty (at least [`Config::WorkerBond`]): it pays
		/// the appeal quorum when the appeal changes nothing.
		#[pallet::constant]
		type AppealBond: Get<Perbill>;

		/// Weights.
		type WeightInfo: WeightInfo;
	}

	/// The id the next task gets.
	#[pallet::storage]
	pub type NextTaskId<T: Config> = StorageValue<_, TaskId, ValueQuery>;

	/// Every task; after the retention period only finalized ones stay (compactly, without
	/// submissions: lineage needs their winners).
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskInfo<T>, OptionQuery>;

	/// Submissions of each task, by index (commit order).
	#[pallet::storage]
	pub type Submissions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		SubmissionIndex,
		Submission<T>,
		OptionQuery,
	>;

	/// Each worker's submission to a task (one per worker per task).
	#[pallet::storage]
	pub type WorkerSubmission<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		SubmissionIndex,
		OptionQuery,
	>;

	/// Number of active tasks.
	#[pallet::storage]
	pub type ActiveTasks<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Tasks that become due at a block (the block after their evaluation window).
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<TaskId, T::MaxTasksPerBlock>,
		ValueQuery,
	>;

	/// Tasks whose quorum is drawn at a block: the first block after their test-reveal window,
	/// whenever the sponsor revealed, so the sponsor's timing cannot choose the seed.
	#[pallet::storage]
	pub type Draws<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<TaskId, T::MaxDrawsPerBlock>,
		OptionQuery,
	>;

	/// Whether a block without unpredictable randomness may seed a draw from the parent block
	/// hash, which its author can predict: set at genesis, for development chains only; each use
	/// emits [`Event::PredictableSeedUsed`].
	#[pallet::storage]
	pub type PredictableSeedAllowed<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// Each sponsor's number of active tasks.
	#[pallet::storage]
	pub type SponsorTasks<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// Due tasks waiting for the hook to finalize them, by queue position, oldest first
	/// (positions [`DueQueueEnds`]). One entry per task, so no bound on the number of active
	/// tasks is needed; a task settled meanwhile is skipped when its turn comes.
	#[pallet::storage]
	pub type DueQueue<T: Config> = StorageMap<_, Twox64Concat, u64, TaskId, OptionQuery>;

	/// The positions `(head, tail)` of [`DueQueue`]: its entries are at `head..tail`.
	#[pallet::storage]
	pub type DueQueueEnds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Ended tasks waiting to be pruned, `(prune at, task)` by queue position; tasks end in
	/// block order and all wait [`Config::RetentionPeriod`], so the queue is in `prune at`
	/// order (positions [`PruneQueueEnds`]).
	#[pallet::storage]
	pub type PruneQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (BlockNumberFor<T>, TaskId), OptionQuery>;

	/// The positions `(head, tail)` of [`PruneQueue`]: its entries are at `head..tail`.
	#[pallet::storage]
	pub type PruneQueueEnds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Allow the predictable draw seed (development chains only).
		pub allow_predictable_seed: bool,
		/// Carries the config type; holds no data.
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			PredictableSeedAllowed::<T>::put(self.allow_predictable_seed);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A task was posted; its bounty is on hold.
		TaskCreated {
			/// The task.
			task: TaskId,
			/// Its sponsor.
			sponsor: T::AccountId,
			/// The bounty.
			bounty: BalanceOf<T>,
			/// The parent task (lineage), if any.
			parent: Option<TaskId>,
		},
		/// The sponsor cancelled the task; the bounty was refunded.
		TaskCancelled {
			/// The task.
			task: TaskId,
		},
		/// A worker committed to a model; its bond is on hold.
		ModelCommitted {
			/// The task.
			task: TaskId,
			/// The worker.
			worker: T::AccountId,
			/// Its submission.
			submission: SubmissionIndex,
		},
		/// A worker revealed its model.
		ModelRevealed {
			/// The task.
			task: TaskId,
			/// The worker.
			worker: T::AccountId,
			/// Its submission.
			submission: SubmissionIndex,
			/// Where the weights are.
			uri: Uri,
			/// blake2-256 of the weights.
			model_hash: Hash256,
		},
		/// The sponsor revealed the test set.
		TestSetRevealed {
			/// The task.
			task: TaskId,
			/// Where the test set is.
			uri: Uri,
			/// blake2-256 of the test set.
			test_hash: Hash256,
		},
		/// A submission did not win.
		SubmissionRejected {
			/// The task.
			task: TaskId,
			/// The submission.
			submission: SubmissionIndex,
			/// Its worker.
			worker: T::AccountId,
			/// Why.
			reason: RejectionReason,
		},
		/// The task was finalized and paid.
		TaskFinalized {
			/// The task.
			task: TaskId,
			/// The winning submission.
			winner: SubmissionIndex,
			/// Its worker.
			worker: T::AccountId,
			/// Its median score.
			score: pouw_primitives::Score,
			/// Paid to the winner.
			winner_paid: BalanceOf<T>,
			/// Paid to the honest evaluators together.
			evaluators_paid: BalanceOf<T>,
			/// Paid to the treasury.
			treasury_paid: BalanceOf<T>,
		},
		/// The task ended without a winner.
		TaskFailed {
			/// The task.
			task: TaskId,
			/// Why.
			reason: FailureReason,
		},
		/// A task's slots were full and a worker with a higher reputation took the slot of the
		/// lowest; the displaced worker's bond was returned.
		SubmissionDisplaced {
			/// The task.
			task: TaskId,
			/// The displaced submission.
			submission: SubmissionIndex,
			/// Its worker.
			worker: T::AccountId,
			/// The worker that took the slot.
			by: T::AccountId,
		},
		/// This block had no unpredictable randomness, and the chain allows the predictable
		/// fallback (a development chain): the task's quorum was drawn from the parent block
		/// hash, which the block author could predict.
		PredictableSeedUsed {
			/// The task.
			task: TaskId,
		},
		/// This block had no unpredictable randomness: the task's draw waits for the next block.
		DrawDeferred {
			/// The task.
			task: TaskId,
			/// The block the draw is tried again at.
			to: BlockNumberFor<T>,
		},
		/// The task's evaluation was appealed; the appeal quorum is drawn at `draw_at`.
		Appealed {
			/// The task.
			task: TaskId,
			/// Who appealed.
			appellant: T::AccountId,
			/// The appeal bond on hold.
			bond: BalanceOf<T>,
			/// The block of the appeal draw.
			draw_at: BlockNumberFor<T>,
		},
		/// The appeal quorum could not be drawn (too few eligible evaluators, or no
		/// randomness): the first finding stands and the appeal bond is refunded at settlement.
		AppealNotDrawn {
			/// The task.
			task: TaskId,
		},
		/// An appealed task settled: `upheld` says whether the appeal changed the finding
		/// (bond refunded) or not (bond paid to the appeal quorum's honest evaluators); `None`
		/// when the appeal round found nothing or was not drawn (bond refunded).
		AppealSettled {
			/// The task.
			task: TaskId,
			/// Whether the appeal changed the finding.
			upheld: Option<bool>,
		},
		/// A settled task's submissions and scores were removed after the retention period.
		TaskPruned {
			/// The task.
			task: TaskId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No task with this id.
		UnknownTask,
		/// The model spec is invalid (a zero or oversized layer, bad convolution, too many
		/// parameters).
		InvalidModel,
		/// A URI is empty.
		EmptyUri,
		/// The dataset declares no samples.
		NoSamples,
		/// The test set declares fewer samples than [`Config::MinTestSamples`].
		TestSetTooSmall,
		/// The model's input size differs from the dataset's features.
		InputMismatch,
		/// The model's outputs differ from the dataset's classes (or from 1 for regression).
		OutputMismatch,
		/// The metric does not fit the data (accuracy or cross-entropy on regression data).
		MetricMismatch,
		/// The windows are not strictly increasing or the first has already ended.
		BadWindows,
		/// The quorum is below [`Config::MinQuorum`] or above [`Config::MaxQuorum`].
		BadQuorum,
		/// The bounty is below [`Config::MinBounty`].
		BountyTooLow,
		/// [`Config::MaxTasksPerBlock`] tasks already end their evaluation at this block.
		TooManyTasksEndingAtBlock,
		/// [`Config::MaxDrawsPerBlock`] tasks already have their quorum drawn at the block after
		/// this task's test-reveal window.
		TooManyDrawsAtBlock,
		/// A phase is shorter than [`Config::MinPhaseBlocks`].
		PhaseTooShort,
		/// `evaluation_end` is more than [`Config::MaxTaskDuration`] blocks away.
		TaskTooLong,
		/// The sponsor already has [`Config::MaxOpenTasksPerSponsor`] active tasks.
		TooManyTasksForSponsor,
		/// The minimum worker reputation is above [`Config::MaxMinWorkerReputation`].
		WorkerReputationGateTooHigh,
		/// Fewer evaluators than the quorum are eligible now (active, reputation at least the
		/// minimum, a seat free; the sponsor does not count).
		NotEnoughEvaluators,
		/// The parent task does not exist.
		UnknownParent,
		/// The parent task is not finalized with a winner.
		ParentNotFinalized,
		/// The account cannot cover the bounty and the creation deposit, or the bond (it must
		/// keep the existential deposit).
		InsufficientBalance,
		/// The task id space is exhausted.
		TaskIdOverflow,
		/// Only the task's sponsor may do this.
		NotSponsor,
		/// The task has ended.
		TaskNotActive,
		/// A model was already committed, so the task can no longer be cancelled.
		HasCommitments,
		/// Not in the Open phase (commitments end at `submission_end`).
		NotOpen,
		/// The sponsor cannot submit to its own task.
		SponsorCannotSubmit,
		/// The worker's reputation is below the task's minimum.
		ReputationTooLow,
		/// The worker already committed to this task.
		AlreadyCommitted,
		/// [`Config::MaxSubmissionsPerTask`] commitments were already made, none by a worker with a
		/// lower reputation than the caller's.
		TooManySubmissions,
		/// Not in the Reveal phase (after `submission_end`, until `reveal_end`).
		NotRevealPhase,
		/// The caller has no commitment for this task.
		NotCommitted,
		/// Already revealed.
		AlreadyRevealed,
		/// The revealed values do not match the commitment (for a model: it is bound to the
		/// committing account, so a copied commitment fails here).
		CommitmentMismatch,
		/// Not in the TestReveal phase (after `reveal_end`, until `test_reveal_end`).
		NotTestRevealPhase,
		/// The task is not due yet.
		NotDue,
		/// Not in the appeal window (after `evaluation_end`, for [`Config::AppealWindow`]
		/// blocks), or the task has no quorum to appeal.
		NotAppealPhase,
		/// The task was already appealed.
		AlreadyAppealed,
		/// Fewer evaluators outside the first quorum are eligible than the appeal quorum.
		NotEnoughEvaluatorsForAppeal,
		/// One sample's activations through the model exceed `pouw_primitives::MAX_ACTIVATIONS`
		/// (what scoring holds in memory per sample): evaluators could not score it.
		TooManyActivations,
	}

	/// The registry's block hook, run after the block's inherents (the runtime's
	/// `frame_system::Config::PostInherents`) and before its transactions: the quorum draws,
	/// then the tasks due, then pruning. On a parachain the relay chain's randomness is read
	/// from the state proof that the `set_validation_data` inherent stores, and
	/// `on_initialize` runs before it (parachain-system clears the previous block's validation
	/// data there): drawn in `on_initialize`, every draw on a relay chain found no randomness
	/// and the task failed `NoRandomness` (`./scripts/zombienet.sh --smoke`). The evaluator
	/// pool is still the one the previous block left: no transaction of this block runs
	/// before the draw. Its weight is registered as mandatory, as `on_initialize`'s is.
	impl<T: Config> frame::deps::frame_support::traits::PostInherents for Pallet<T> {
		fn post_inherents() {
			let weight = Self::on_block(frame_system::Pallet::<T>::block_number());
			frame_system::Pallet::<T>::register_extra_weight_unchecked(
				weight,
				DispatchClass::Mandatory,
			);
		}
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// Upper bound of a URI (dataset, model, test set) in bytes.
		#[pallet::constant_name(MaxUriLen)]
		pub fn max_uri_len() -> u32 {
			pouw_primitives::MAX_URI_LEN
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::WinnerShare::get()
					.deconstruct()
					.saturating_add(T::EvaluatorShare::get().deconstruct())
					<= Perbill::one().deconstruct(),
				"WinnerShare + EvaluatorShare must not exceed 100 %"
			);
			assert!(T::MinQuorum::get() >= 3, "MinQuorum must be at least 3");
			assert!(T::MinTestSamples::get() >= 1, "MinTestSamples must be at least 1");
			assert!(T::MinQuorum::get() <= T::MaxQuorum::get(), "MinQuorum above MaxQuorum");
			assert!(
				T::MaxAutoFinalizePerBlock::get() > 0,
				"MaxAutoFinalizePerBlock must be positive"
			);
			assert!(
				T::MaxDrawDelay::get() < T::MinPhaseBlocks::get(),
				"MaxDrawDelay must be below MinPhaseBlocks"
			);
			assert!(
				T::AppealWindow::get() >= T::MinPhaseBlocks::get(),
				"AppealWindow must be at least MinPhaseBlocks"
			);
			assert!(
				Pallet::<T>::all_slot_fees() > T::WinnerShare::get().deconstruct().into(),
				"taking every slot must cost more than the winner's share (SlotFee, FreeSlots)"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), DispatchError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Post a task: validate `spec`, put `bounty` and [`Config::TaskDeposit`] on hold and
		/// commit to the secret test set (`test_set_commitment = test_set_commitment(test_hash,
		/// salt)`). The bounty is paid out or refunded when the task ends; the deposit is
		/// refunded when it is pruned, [`Config::RetentionPeriod`] blocks later.
		///
		/// - Origin: signed, the sponsor.
		/// - Emits [`Event::TaskCreated`].
		/// - Errors: spec errors ([`Error::InvalidModel`], [`Error::TooManyActivations`],
		///   [`Error::EmptyUri`],
		///   [`Error::NoSamples`], [`Error::TestSetTooSmall`], [`Error::InputMismatch`],
		///   [`Error::OutputMismatch`],
		///   [`Error::MetricMismatch`], [`Error::BadWindows`], [`Error::BadQuorum`]),
		///   [`Error::BountyTooLow`], [`Error::PhaseTooShort`],
		///   [`Error::TaskTooLong`], [`Error::TooManyTasksForSponsor`],
		///   [`Error::WorkerReputationGateTooHigh`], [`Error::NotEnoughEvaluators`],
		///   [`Error::TooManyTasksEndingAtBlock`],
		///   [`Error::TooManyDrawsAtBlock`], [`Error::UnknownParent`],
		///   [`Error::ParentNotFinalized`], [`Error::InsufficientBalance`].
		/// - Complexity: O(P) in the evaluator pool, counted for [`Error::NotEnoughEvaluators`].
		///   Charged for a full pool; the rest is refunded for the pool there is.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_task(T::Verification::pool_bound()))]
		pub fn create_task(
			origin: OriginFor<T>,
			spec: TaskSpec<BlockNumberFor<T>>,
			test_set_commitment: Hash256,
			bounty: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let sponsor = ensure_signed(origin)?;
			let pool = T::Verification::pool_size();
			Self::do_create_task(sponsor, spec, test_set_commitment, bounty)?;
			Ok(Some(T::WeightInfo::create_task(pool)).into())
		}

		/// Cancel a task no worker has committed to; the bounty is refunded.
		///
		/// - Origin: signed, the sponsor.
		/// - Emits [`Event::TaskCancelled`].
		/// - Errors: [`Error::UnknownTask`], [`Error::NotSponsor`], [`Error::TaskNotActive`],
		///   [`Error::HasCommitments`].
		/// - Complexity: O(1).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel_task())]
		pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_task(who, task)
		}

		/// Commit to a model: `commitment = model_commitment(model_hash, salt, worker)`. Holds
		/// [`Config::WorkerBond`].
		///
		/// - Origin: signed, the worker (not the sponsor), with at least the task's minimum
		///   worker reputation.
		/// - When: Open phase (until `submission_end`).
		/// - Emits [`Event::ModelCommitted`].
		/// - Errors: [`Error::UnknownTask`], [`Error::TaskNotActive`], [`Error::NotOpen`],
		///   [`Error::SponsorCannotSubmit`], [`Error::ReputationTooLow`],
		///   [`Error::AlreadyCommitted`], [`Error::TooManySubmissions`],
		///   [`Error::InsufficientBalance`].
		/// - Complexity: O(1) while the task has a free slot; O(S) in its submissions when the
		///   commitment displaces another. Charged for the displacing case; the rest is refunded
		///   when there was a free slot, so a block holds hundreds of ordinary commitments.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::commit_model().max(T::WeightInfo::commit_model_displacing()))]
		pub fn commit_model(
			origin: OriginFor<T>,
			task: TaskId,
			commitment: Hash256,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			// Only a commitment to a full task reads its submissions, failed ones included (a
			// late commitment refused `NotOpen` took a displacing commitment's room otherwise).
			let full = Tasks::<T>::get(task)
				.is_some_and(|info| info.submissions >= T::MaxSubmissionsPerTask::get());
			let post = PostDispatchInfo {
				actual_weight: (!full).then(T::WeightInfo::commit_model),
				pays_fee: Pays::Yes,
			};
			Self::do_commit_model(worker, task, commitment)
				.map(|()| post)
				.map_err(|error| DispatchErrorWithPostInfo { post_info: post, error })
		}

		/// Reveal the committed model: where its weights are, their hash and the salt.
		///
		/// - Origin: signed, the worker that committed.
		/// - When: Reveal phase (after `submission_end`, until `reveal_end`).
		/// - Emits [`Event::ModelRevealed`].
		/// - Errors: [`Error::UnknownTask`], [`Error::TaskNotActive`], [`Error::NotRevealPhase`],
		///   [`Error::NotCommitted`], [`Error::AlreadyRevealed`], [`Error::EmptyUri`],
		///   [`Error::CommitmentMismatch`].
		/// - Complexity: O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::reveal_model())]
		pub fn reveal_model(
			origin: OriginFor<T>,
			task: TaskId,
			model_uri: Uri,
			model_hash: Hash256,
			salt: Salt,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_reveal_model(worker, task, model_uri, model_hash, salt)
		}

		/// Reveal the test set. The evaluator quorum is drawn later, by the block hook at the
		/// first block after `test_reveal_end` (with too few eligible evaluators the task then
		/// fails with refunds, [`FailureReason::NotEnoughEvaluators`]); with no revealed model the
		/// task ends at once as [`FailureReason::NoModelRevealed`].
		///
		/// - Origin: signed, the sponsor.
		/// - When: TestReveal phase (after `reveal_end`, until `test_reveal_end`).
		/// - Emits [`Event::TestSetRevealed`], or [`Event::TaskFailed`].
		/// - Errors: [`Error::UnknownTask`], [`Error::NotSponsor`], [`Error::TaskNotActive`],
		///   [`Error::NotTestRevealPhase`], [`Error::AlreadyRevealed`], [`Error::EmptyUri`],
		///   [`Error::CommitmentMismatch`].
		/// - Complexity: O(1) when models were revealed (the draw comes later, in the block
		///   hook); otherwise the task settles at once, O(S). Charged for settling; the rest is
		///   refunded when it did not settle.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::reveal_test_set(T::MaxSubmissionsPerTask::get())
			.max(T::WeightInfo::finalize_task(
				T::MaxSubmissionsPerTask::get(),
				T::MaxQuorum::get().saturating_mul(2)
			)))]
		pub fn reveal_test_set(
			origin: OriginFor<T>,
			task: TaskId,
			uri: Uri,
			test_hash: Hash256,
			salt: Salt,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_reveal_test_set(who, task, uri, test_hash, salt)
		}

		/// Settle a due task: pay the winner, the honest evaluators and the treasury, or end it
		/// as failed with its reason; refund or slash every bond. The hook does the same for due
		/// tasks, a bounded number per block.
		///
		/// - Origin: signed, anyone.
		/// - When: due (see the crate docs).
		/// - Emits [`Event::TaskFinalized`] or [`Event::TaskFailed`], and
		///   [`Event::SubmissionRejected`] per losing submission.
		/// - Errors: [`Error::UnknownTask`], [`Error::TaskNotActive`], [`Error::NotDue`].
		/// - Complexity: O(S * Q) in submissions and quorum members (an appealed task has two
		///   quorums: charged as one of `2 * MaxQuorum`, the measured weight being linear in Q).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::finalize_task(
			T::MaxSubmissionsPerTask::get(),
			T::MaxQuorum::get().saturating_mul(2)
		))]
		pub fn finalize_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_finalize_task(task)
		}

		/// Appeal the task's evaluation: a second quorum of every eligible evaluator outside the
		/// first (at most `MaxQuorum`, at least `min(2 * quorum + 1, MaxQuorum)`, the sponsor and
		/// the workers never), is drawn at the first block after the appeal
		/// window and scores every revealed model again, in windows as long as the first
		/// round's. Its finding decides; members of the first quorum who answered otherwise are
		/// penalised as outliers. Holds the appeal bond ([`Config::AppealBond`] of the bounty,
		/// at least [`Config::WorkerBond`]): refunded when the appeal changes the finding, paid
		/// to the appeal quorum's honest evaluators when it does not. Anyone can check a
		/// finding before appealing: the test set and every model are public by then.
		///
		/// - Origin: signed, anyone.
		/// - When: Appeal phase (after `evaluation_end`, for [`Config::AppealWindow`] blocks),
		///   once per task.
		/// - Emits [`Event::Appealed`].
		/// - Errors: [`Error::UnknownTask`], [`Error::TaskNotActive`],
		///   [`Error::NotAppealPhase`], [`Error::AlreadyAppealed`],
		///   [`Error::NotEnoughEvaluatorsForAppeal`], [`Error::InsufficientBalance`].
		/// - Complexity: O(P + S) in the evaluator pool (counted) and the submissions: charged
		///   as a draw over a full pool for a full task (`draw_quorum`), which reads both.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reveal_test_set(T::MaxSubmissionsPerTask::get())
			.saturating_add(T::WeightInfo::draw_quorum(T::Verification::pool_bound())))]
		pub fn appeal(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_appeal(who, task)
		}
	}
}
