//! The traits through which the task registry and the verification pallet talk, so neither
//! reaches into the other's storage (and neither crate depends on the other).

use crate::{Metric, Score, SubmissionIndex, TaskId};
use alloc::vec::Vec;

/// What the verification pallet needs to know about a task (implemented by the task registry).
pub trait TaskInspector<BlockNumber> {
	/// `(score_commit_end, evaluation_end)` of a task whose test set has been revealed and which
	/// is not yet settled; `None` otherwise.
	fn evaluation_windows(task: TaskId) -> Option<(BlockNumber, BlockNumber)>;

	/// The task's revealed submissions, ascending; the scores an evaluator reveals must cover
	/// exactly these.
	fn revealed_submissions(task: TaskId) -> Vec<SubmissionIndex>;

	/// The metric a task is scored by; revealed scores must lie in its range.
	fn metric(task: TaskId) -> Option<Metric>;

	/// The block a task was posted at: evaluators who leave the pool after it still serve its
	/// draw.
	fn posted_at(task: TaskId) -> Option<BlockNumber>;

	/// `(commit_end, evaluation_end)` of the appeal round of a task whose appeal quorum has
	/// been drawn and which is not yet settled; `None` otherwise.
	fn appeal_windows(task: TaskId) -> Option<(BlockNumber, BlockNumber)>;
}

/// Why no quorum could be drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum QuorumError {
	/// Fewer eligible evaluators than the quorum size.
	NotEnoughEvaluators {
		/// How many were eligible.
		eligible: u32,
	},
	/// The quorum size is zero or above the runtime's maximum.
	BadQuorumSize,
}

/// What the evaluators concluded about a task's submissions.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Verdict<AccountId> {
	/// Whether at least two thirds of the quorum revealed (scores, or the verdict *test set
	/// unusable*). When not, `medians` is empty and nobody is judged honest.
	pub quorum_reached: bool,
	/// Whether, for every submission, a strict majority of the *drawn* quorum agreed: on a
	/// score (within the tolerance of the median), or on the submission being invalid. When
	/// not, `medians` is empty, nobody is judged honest and nobody is penalised as an outlier.
	pub agreed: bool,
	/// Whether a strict majority of the drawn quorum revealed the verdict *test set unusable*.
	/// Then `honest` holds those reporters, and the sponsor is at fault.
	pub test_set_unusable: bool,
	/// Per revealed submission, ascending: the median score, or `None` when a strict majority
	/// of the drawn quorum found the submission invalid.
	pub medians: Vec<(SubmissionIndex, Option<Score>)>,
	/// Evaluators who revealed scores within tolerance of every median; they share the
	/// evaluators' part of the bounty.
	pub honest: Vec<AccountId>,
	/// Evaluators penalised (no commit, no reveal, or an outlier); already slashed and their
	/// reputation lowered by the verification pallet.
	pub penalised: Vec<AccountId>,
	/// When the task was appealed: whether the appeal round's finding differs from the first
	/// quorum's (a different median beyond the tolerance, validity, the *unusable* verdict, or
	/// a first quorum that found nothing). The finding above is then the appeal round's, and
	/// the first quorum was judged against it. `None` when the task was not appealed, or the
	/// appeal round itself found nothing (no quorum or no agreement: nobody judged).
	pub appeal_upheld: Option<bool>,
	/// The appeal round's members judged honest (`honest` then holds the first quorum's).
	pub appeal_honest: Vec<AccountId>,
}

/// Where quorum seeds come from (the relay chain's randomness in the runtime).
pub trait SeedSource {
	/// 32 bytes for `subject` that nobody could know when the task was posted, or `None` where
	/// this block has no such randomness (the registry then defers the draw).
	fn seed(subject: &[u8]) -> Option<[u8; 32]>;
}

/// The evaluator side of a task (implemented by the verification pallet).
pub trait QuorumManager<AccountId> {
	/// Draws `size` distinct evaluators for `task`, weighted by stake times reputation, from the
	/// eligible ones (registered and active, or leaving since the task was posted; reputation at
	/// least the minimum; a seat free; not in
	/// `excluded`), deterministically from `seed`. Records the quorum.
	fn draw_quorum(
		task: TaskId,
		seed: [u8; 32],
		size: u32,
		excluded: &[AccountId],
	) -> Result<Vec<AccountId>, QuorumError>;

	/// How many evaluators a quorum posted now could be drawn from: active, reputation at least
	/// the minimum, a seat free, not in `excluded`. A task asking for more is refused.
	fn eligible(excluded: &[AccountId]) -> u32;

	/// How many evaluators the pool holds (eligible or not): what [`QuorumManager::eligible`]
	/// and a draw read, for their weight.
	fn pool_size() -> u32;

	/// The most evaluators the pool may hold: weights are charged for it before the call and
	/// refunded down to [`QuorumManager::pool_size`].
	fn pool_bound() -> u32;

	/// Draws the appeal quorum of `task` as [`QuorumManager::draw_quorum`] draws, from the
	/// evaluators in neither the task's first quorum nor `excluded`: as many as are eligible, at
	/// most `max`; fails when fewer than `min` are. The first quorum stays assigned until
	/// [`QuorumManager::conclude`] judges it against the appeal round.
	fn draw_appeal(
		task: TaskId,
		seed: [u8; 32],
		min: u32,
		max: u32,
		excluded: &[AccountId],
	) -> Result<Vec<AccountId>, QuorumError>;

	/// How many evaluators an appeal quorum of `task` could be drawn from now (as
	/// [`QuorumManager::draw_appeal`] would draw them).
	fn appeal_eligible(task: TaskId, excluded: &[AccountId]) -> u32;

	/// Aggregates the revealed scores for `submissions`, penalises evaluators who did not
	/// commit or reveal or who are outliers, records reputation, frees the evaluators'
	/// assignment to the task, and returns the verdict. Called once, when the task is settled.
	/// After an appeal, the appeal round decides and the first quorum is judged against it.
	fn conclude(task: TaskId, submissions: &[SubmissionIndex]) -> Verdict<AccountId>;

	/// Removes the task's per-evaluator data (after the retention period).
	fn prune(task: TaskId);
}
