//! Types of the task registry.

use crate::{BalanceOf, Config};
use frame::prelude::*;
use pouw_primitives::{Hash256, Score, SubmissionIndex, TaskSpec, Uri};

/// Where a task stands, as stored. The phase within an active task follows from its windows
/// and the block number (see [`Phase`]).
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
pub enum TaskStatus {
	/// Taking part: commitments, reveals, evaluation.
	Active,
	/// Cancelled by its sponsor before any commitment; the bounty was refunded.
	Cancelled,
	/// Ended without a winner, for the reason given.
	Failed(FailureReason),
	/// Ended with a winner, paid.
	Finalized,
}

/// Why a task ended without a winner. Every failure names one, so a sponsor never has to guess.
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
pub enum FailureReason {
	/// No worker revealed a model: the bounty was refunded, unrevealed bonds slashed.
	NoModelRevealed,
	/// The sponsor did not reveal the test set in time: the winner's share of the bounty was
	/// split among the workers who revealed, the rest went to the treasury.
	SponsorDidNotReveal,
	/// Too few eligible evaluators to draw the quorum: everything was refunded.
	NotEnoughEvaluators,
	/// Fewer than two thirds of the quorum revealed scores: the bounty was refunded.
	QuorumNotReached,
	/// The evaluators found every revealed model invalid: honest evaluators were paid their
	/// share, the rest of the bounty refunded.
	NoValidModel,
	/// No valid model met the task's minimum score: honest evaluators were paid their share,
	/// the rest of the bounty refunded.
	NoModelMetMinimum,
	/// The quorum revealed, but no strict majority of it agreed on some submission: the bounty
	/// was refunded and the revealers' bonds returned; nobody was paid or penalised as honest or
	/// outlier.
	NoAgreement,
	/// A strict majority of the quorum reported the revealed test set unusable (unreachable, a
	/// hash mismatch or the wrong shape): the sponsor is at fault. The reporters were paid the
	/// evaluators' share, the rest of the bounty was split among the workers who revealed.
	TestSetUnusable,
	/// No block up to [`crate::Config::MaxDrawDelay`] after the draw block had unpredictable
	/// randomness (a fault of the chain, nobody's doing): the bounty and the revealers' bonds
	/// were refunded.
	NoRandomness,
}

/// Why a submission did not win (in [`crate::Event::SubmissionRejected`]).
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
pub enum RejectionReason {
	/// The worker committed but never revealed; its bond was slashed.
	NotRevealed,
	/// The evaluators found the model invalid (weights that do not download, match their hash or
	/// fit the spec); its bond was slashed.
	InvalidModel,
	/// The model's median score does not meet the task's minimum; its bond was refunded.
	BelowMinimum,
	/// A valid model that another model beat (or tied with an earlier commitment); its bond
	/// was refunded.
	Outscored,
}

/// The phase of a task at a given block, for clients and the runtime API.
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
pub enum Phase {
	/// Workers commit models.
	Open,
	/// Workers reveal models.
	Reveal,
	/// The sponsor reveals the test set.
	TestReveal,
	/// Drawn evaluators commit scores.
	ScoreCommit,
	/// Drawn evaluators reveal scores.
	ScoreReveal,
	/// Due: anyone may finalize (the hook also will).
	Finalizable,
	/// Ended (see the task's status).
	Ended,
	/// The evaluation is over: anyone may appeal its finding until the appeal window ends.
	Appeal,
	/// Appealed: the appeal quorum commits scores.
	AppealScoreCommit,
	/// Appealed: the appeal quorum reveals scores.
	AppealScoreReveal,
}

/// The revealed test set.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct TestSet {
	/// Where evaluators fetch it.
	pub uri: Uri,
	/// blake2-256 of its bytes.
	pub hash: Hash256,
}

/// The winning model of a finalized task (kept after pruning, for lineage).
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Winner<T: Config> {
	/// The winning submission.
	pub submission: SubmissionIndex,
	/// Its worker.
	pub worker: T::AccountId,
	/// Where its weights are.
	pub model_uri: Uri,
	/// blake2-256 of its safetensors weights.
	pub model_hash: Hash256,
	/// Its median score.
	pub score: Score,
}

/// A task.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct TaskInfo<T: Config> {
	/// Who posted it and holds the bounty.
	pub sponsor: T::AccountId,
	/// What it asks for.
	pub spec: TaskSpec<BlockNumberFor<T>>,
	/// The bounty, on hold on the sponsor's account until the task ends.
	pub bounty: BalanceOf<T>,
	/// `test_set_commitment(test_hash, salt)`.
	pub test_set_commitment: Hash256,
	/// Block of creation.
	pub created_at: BlockNumberFor<T>,
	/// Where it stands.
	pub status: TaskStatus,
	/// Commitments held now (a displaced one no longer counts).
	pub submissions: u32,
	/// The index the next commitment gets: commitments ever made, displaced ones included, so
	/// indices stay unique and in commit order without reading the task's submissions.
	pub next_submission: SubmissionIndex,
	/// Models revealed.
	pub revealed: u32,
	/// The test set, once revealed.
	pub test_set: Option<TestSet>,
	/// The parent's winning model hash: the declared starting point (lineage).
	pub parent_model: Option<Hash256>,
	/// The winner, once finalized.
	pub winner: Option<Winner<T>>,
	/// The creation deposit on hold on the sponsor's account ([`crate::Config::TaskDeposit`]
	/// when the task was posted); refunded, and set to zero, when the task is pruned.
	pub deposit: BalanceOf<T>,
	/// The appeal, once lodged (at most one per task).
	pub appeal: Option<Appeal<T>>,
}

/// An appeal of a task's evaluation: a larger quorum, sharing no member with the first, scores
/// the task again in the appeal round's windows (see [`crate::Pallet::appeal_windows`]) and its
/// finding decides.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Appeal<T: Config> {
	/// Who appealed, and holds the bond.
	pub appellant: T::AccountId,
	/// The appeal bond on hold on the appellant's account: refunded when the appeal changed the
	/// finding (or found nothing), paid to the appeal quorum's honest evaluators when not.
	pub bond: BalanceOf<T>,
	/// Whether the appeal quorum was drawn (at the first block after the appeal window); an
	/// appeal whose draw failed leaves the first finding standing, its bond refunded.
	pub drawn: bool,
}

/// A revealed model.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct RevealedModel {
	/// Where the weights are.
	pub uri: Uri,
	/// blake2-256 of the safetensors weights.
	pub hash: Hash256,
}

/// A worker's submission.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Submission<T: Config> {
	/// The worker.
	pub worker: T::AccountId,
	/// `model_commitment(model_hash, salt, worker)`.
	pub commitment: Hash256,
	/// The bond held for it, its slot fee included.
	pub bond: BalanceOf<T>,
	/// Block of the commitment.
	pub committed_at: BlockNumberFor<T>,
	/// The model, once revealed.
	pub model: Option<RevealedModel>,
	/// The part of `bond` that goes to the treasury when a quorum settles the task (or the
	/// sponsor's fault pays the revealers); refunded with the rest in the endings that refund
	/// everything, and on displacement. See [`crate::Config::SlotFee`].
	pub slot_fee: BalanceOf<T>,
}
