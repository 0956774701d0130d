//! What the client reads from the chain, as plain types.

use super::*;

/// A task's phase, as the runtime reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode, serde::Serialize)]
pub enum Phase {
	/// Workers commit.
	Open,
	/// Workers reveal.
	Reveal,
	/// The sponsor reveals the test set.
	TestReveal,
	/// The quorum commits scores.
	ScoreCommit,
	/// The quorum reveals scores.
	ScoreReveal,
	/// Due for settlement.
	Finalizable,
	/// Settled (finalized, failed or cancelled).
	Ended,
	/// The evaluation is over; anyone may appeal it until the appeal window ends.
	Appeal,
	/// Appealed: the appeal quorum commits scores.
	AppealScoreCommit,
	/// Appealed: the appeal quorum reveals scores.
	AppealScoreReveal,
}

/// A task's outcome so far.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode, serde::Serialize)]
pub enum TaskStatus {
	/// Running.
	Active,
	/// Cancelled by its sponsor.
	Cancelled,
	/// Failed, with the reason's name.
	Failed(FailureReason),
	/// Settled with a winner.
	Finalized,
}

/// Why a task failed (the registry pallet's `FailureReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode, serde::Serialize)]
pub enum FailureReason {
	/// No worker revealed a model.
	NoModelRevealed,
	/// The sponsor did not reveal the test set.
	SponsorDidNotReveal,
	/// Too few eligible evaluators for the quorum.
	NotEnoughEvaluators,
	/// Too few evaluators revealed.
	QuorumNotReached,
	/// No model was valid by consensus.
	NoValidModel,
	/// No model met the task's minimum score.
	NoModelMetMinimum,
	/// No strict majority of the quorum agreed on some submission.
	NoAgreement,
	/// A majority of the quorum reported the test set unusable.
	TestSetUnusable,
	/// No block up to the draw delay had unpredictable randomness.
	NoRandomness,
}

/// The revealed test set.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
pub struct TestSet {
	/// Where.
	pub uri: Vec<u8>,
	/// blake2-256 of its bytes.
	pub hash: Hash256,
}

/// The winner of a finalized task.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
pub struct Winner {
	/// Its submission.
	pub submission: SubmissionIndex,
	/// The worker.
	pub worker: [u8; 32],
	/// Where its weights are.
	pub model_uri: Vec<u8>,
	/// Their hash.
	pub model_hash: Hash256,
	/// Its median score.
	pub score: Score,
}

/// A task as stored (the registry pallet's `TaskInfo` for this runtime).
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
pub struct TaskInfo {
	/// Who posted it.
	pub sponsor: [u8; 32],
	/// What it asks for.
	pub spec: TaskSpec<BlockNumber>,
	/// The bounty on hold.
	pub bounty: Balance,
	/// `test_set_commitment(test_hash, salt)`.
	pub test_set_commitment: Hash256,
	/// Block it was created at.
	pub created_at: BlockNumber,
	/// Outcome so far.
	pub status: TaskStatus,
	/// Models committed (a displaced one no longer counts).
	pub submissions: u32,
	/// The index the next commitment gets.
	pub next_submission: SubmissionIndex,
	/// Models revealed.
	pub revealed: u32,
	/// The test set once revealed.
	pub test_set: Option<TestSet>,
	/// The parent task's winning model (lineage).
	pub parent_model: Option<Hash256>,
	/// The winner once finalized.
	pub winner: Option<Winner>,
	/// The creation deposit on hold until the task is pruned (zero after).
	pub deposit: Balance,
	/// The appeal, once lodged.
	pub appeal: Option<Appeal>,
}

/// An appeal of a task's evaluation (the registry pallet's `Appeal`).
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
pub struct Appeal {
	/// Who appealed.
	pub appellant: [u8; 32],
	/// The appeal bond on hold.
	pub bond: Balance,
	/// Whether the appeal quorum was drawn.
	pub drawn: bool,
}

/// The appeal round's `(commit_end, evaluation_end)` for a task with `windows`, as the registry
/// computes them: after `appeal_window` blocks past `evaluation_end`, as long as the first
/// round's score windows.
pub fn appeal_windows(
	windows: &pouw_primitives::Windows<BlockNumber>,
	appeal_window: BlockNumber,
) -> (BlockNumber, BlockNumber) {
	let commit = windows.score_commit_end.saturating_sub(windows.test_reveal_end);
	let reveal = windows.evaluation_end.saturating_sub(windows.score_commit_end);
	let commit_end = windows.evaluation_end.saturating_add(appeal_window).saturating_add(commit);
	(commit_end, commit_end.saturating_add(reveal))
}

/// One submission as `PouwApi::submissions` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
pub struct SubmissionView {
	/// Commit order.
	pub index: SubmissionIndex,
	/// The worker.
	pub worker: [u8; 32],
	/// The revealed weights' hash.
	pub model_hash: Option<Hash256>,
	/// `None` before aggregation, `Some(None)` invalid by consensus.
	pub median: Option<Option<Score>>,
}

/// An account's reputation in each role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
pub struct ReputationView {
	/// As a worker.
	pub worker: Reputation,
	/// As an evaluator.
	pub evaluator: Reputation,
	/// As a sponsor.
	pub sponsor: Reputation,
}

/// Free and held balance of an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Balances {
	/// Spendable.
	pub free: Balance,
	/// On hold (escrowed bounty, bonds, stakes).
	pub held: Balance,
}

/// A finalized task's payout, from its `TaskFinalized` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Payout {
	/// The block it happened in.
	pub block: BlockNumber,
	/// The winning worker.
	#[serde(serialize_with = "ser_account")]
	pub winner: [u8; 32],
	/// To the winner.
	pub winner_paid: Balance,
	/// To the honest evaluators, together.
	pub evaluators_paid: Balance,
	/// To the treasury.
	pub treasury_paid: Balance,
}

fn ser_account<S: serde::Serializer>(a: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&AccountId::from(*a).to_string())
}

/// What [`Chain::scan`] found.
#[derive(Clone, Debug, Default)]
pub struct Scan {
	/// Fees paid per account.
	pub fees: std::collections::BTreeMap<[u8; 32], Balance>,
	/// The task's payout, if it was finalized in the range.
	pub payout: Option<Payout>,
}
