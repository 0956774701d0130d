//! What the daemons need of a chain, as a trait: [`Chain`] (the node client) implements it, and
//! the roles' tests run the daemons' steps against an in-memory chain.

use pouw_primitives::{Hash256, Score, ScoreTolerance, SubmissionIndex, TaskId};
use std::{future::Future, time::Duration};
use subxt_signer::sr25519::Keypair;

use super::{
	calls, AccountId, Balance, BlockNumber, Chain, ChainError, Phase, ReputationView,
	SubmissionView, TaskInfo,
};

/// A call the daemons send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
	/// `TaskRegistry.commit_model`.
	CommitModel {
		/// The task.
		task: TaskId,
		/// `model_commitment(hash, salt, worker)`.
		commitment: Hash256,
	},
	/// `TaskRegistry.reveal_model`.
	RevealModel {
		/// The task.
		task: TaskId,
		/// Where the weights are served.
		uri: String,
		/// The weights' hash.
		hash: Hash256,
		/// The commitment's salt.
		salt: Hash256,
	},
	/// `TaskRegistry.appeal`.
	Appeal {
		/// The task.
		task: TaskId,
	},
	/// `Verification.register_evaluator`.
	RegisterEvaluator {
		/// The stake to lock.
		stake: Balance,
	},
	/// `Verification.commit_scores` (scores or the verdict *unusable*).
	CommitScores {
		/// The task.
		task: TaskId,
		/// The commitment.
		commitment: Hash256,
	},
	/// `Verification.reveal_scores`.
	RevealScores {
		/// The task.
		task: TaskId,
		/// One per revealed submission, ascending; `None`: invalid.
		scores: Vec<(SubmissionIndex, Option<Score>)>,
		/// The commitment's salt.
		salt: Hash256,
	},
	/// `Verification.reveal_unusable`.
	RevealUnusable {
		/// The task.
		task: TaskId,
		/// The commitment's salt.
		salt: Hash256,
	},
}

impl Call {
	/// The task the call is about (`None` for registering).
	pub fn task(&self) -> Option<TaskId> {
		match self {
			Call::CommitModel { task, .. }
			| Call::RevealModel { task, .. }
			| Call::Appeal { task }
			| Call::CommitScores { task, .. }
			| Call::RevealScores { task, .. }
			| Call::RevealUnusable { task, .. } => Some(*task),
			Call::RegisterEvaluator { .. } => None,
		}
	}
}

/// What the worker and evaluator daemons read from a chain and send to it. Every read is of the
/// node's latest finalized block; [`ChainApi::send`] returns once the call's block is
/// finalized, or with the dispatch error by name.
pub trait ChainApi: Clone + Send + Sync + 'static {
	/// The latest finalized block's number.
	fn block_number(&self) -> impl Future<Output = Result<BlockNumber, ChainError>> + Send;
	/// The chain's recent time per block before block `now` (`None`: unknown).
	fn block_time(
		&self,
		now: BlockNumber,
	) -> impl Future<Output = Result<Option<Duration>, ChainError>> + Send;
	/// The next task id (every id below it was used).
	fn next_task_id(&self) -> impl Future<Output = Result<TaskId, ChainError>> + Send;
	/// A task and its phase (`None`: no such task, or pruned).
	fn task(
		&self,
		task: TaskId,
	) -> impl Future<Output = Result<Option<(TaskInfo, Phase)>, ChainError>> + Send;
	/// A task's submissions, ascending.
	fn submissions(
		&self,
		task: TaskId,
	) -> impl Future<Output = Result<Vec<SubmissionView>, ChainError>> + Send;
	/// Where a submission's weights were revealed, and their hash.
	fn revealed_model(
		&self,
		task: TaskId,
		index: SubmissionIndex,
	) -> impl Future<Output = Result<Option<(String, Hash256)>, ChainError>> + Send;
	/// The task's first quorum.
	fn quorum(
		&self,
		task: TaskId,
	) -> impl Future<Output = Result<Vec<AccountId>, ChainError>> + Send;
	/// The task's appeal quorum.
	fn appeal_quorum(
		&self,
		task: TaskId,
	) -> impl Future<Output = Result<Vec<AccountId>, ChainError>> + Send;
	/// The scores each member of the first quorum revealed.
	#[allow(clippy::type_complexity)]
	fn revealed_scores(
		&self,
		task: TaskId,
	) -> impl Future<
		Output = Result<Vec<(AccountId, Vec<(SubmissionIndex, Option<Score>)>)>, ChainError>,
	> + Send;
	/// An account's reputation.
	fn reputation(
		&self,
		who: &AccountId,
	) -> impl Future<Output = Result<ReputationView, ChainError>> + Send;
	/// Whether `who` is a registered evaluator, and its stake.
	fn evaluator_stake(
		&self,
		who: &AccountId,
	) -> impl Future<Output = Result<Option<Balance>, ChainError>> + Send;
	/// Blocks in the appeal window.
	fn appeal_window(&self) -> impl Future<Output = Result<BlockNumber, ChainError>> + Send;
	/// How far apart honest scores may be.
	fn score_tolerance(&self) -> impl Future<Output = Result<ScoreTolerance, ChainError>> + Send;
	/// Signs `call` with `signer`, sends it and waits for its block to be finalized.
	fn send(
		&self,
		call: Call,
		signer: &Keypair,
	) -> impl Future<Output = Result<(), ChainError>> + Send;
}

impl ChainApi for Chain {
	async fn block_number(&self) -> Result<BlockNumber, ChainError> {
		Chain::block_number(self).await
	}

	async fn block_time(&self, now: BlockNumber) -> Result<Option<Duration>, ChainError> {
		Chain::block_time(self, now).await
	}

	async fn next_task_id(&self) -> Result<TaskId, ChainError> {
		Chain::next_task_id(self).await
	}

	async fn task(&self, task: TaskId) -> Result<Option<(TaskInfo, Phase)>, ChainError> {
		Chain::task(self, task).await
	}

	async fn submissions(&self, task: TaskId) -> Result<Vec<SubmissionView>, ChainError> {
		Chain::submissions(self, task).await
	}

	async fn revealed_model(
		&self,
		task: TaskId,
		index: SubmissionIndex,
	) -> Result<Option<(String, Hash256)>, ChainError> {
		Chain::revealed_model(self, task, index).await
	}

	async fn quorum(&self, task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		Chain::quorum(self, task).await
	}

	async fn appeal_quorum(&self, task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		Chain::appeal_quorum(self, task).await
	}

	async fn revealed_scores(
		&self,
		task: TaskId,
	) -> Result<Vec<(AccountId, Vec<(SubmissionIndex, Option<Score>)>)>, ChainError> {
		Chain::revealed_scores(self, task).await
	}

	async fn reputation(&self, who: &AccountId) -> Result<ReputationView, ChainError> {
		Chain::reputation(self, who).await
	}

	async fn evaluator_stake(&self, who: &AccountId) -> Result<Option<Balance>, ChainError> {
		Chain::evaluator_stake(self, who).await
	}

	async fn appeal_window(&self) -> Result<BlockNumber, ChainError> {
		Chain::appeal_window(self).await
	}

	async fn score_tolerance(&self) -> Result<ScoreTolerance, ChainError> {
		Chain::score_tolerance(self).await
	}

	async fn send(&self, call: Call, signer: &Keypair) -> Result<(), ChainError> {
		match call {
			Call::CommitModel { task, commitment } => {
				self.submit(&calls::commit_model(task, commitment)?, signer).await?;
			},
			Call::RevealModel { task, uri, hash, salt } => {
				self.submit(&calls::reveal_model(task, &uri, hash, salt)?, signer).await?;
			},
			Call::Appeal { task } => {
				self.submit(&calls::appeal(task)?, signer).await?;
			},
			Call::RegisterEvaluator { stake } => {
				self.submit(&calls::register_evaluator(stake), signer).await?;
			},
			Call::CommitScores { task, commitment } => {
				self.submit(&calls::commit_scores(task, commitment)?, signer).await?;
			},
			Call::RevealScores { task, scores, salt } => {
				self.submit(&calls::reveal_scores(task, &scores, salt)?, signer).await?;
			},
			Call::RevealUnusable { task, salt } => {
				self.submit(&calls::reveal_unusable(task, salt)?, signer).await?;
			},
		}
		Ok(())
	}
}
