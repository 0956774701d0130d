//! The three roles that act on chain: the sponsor (posts a task, reveals its test set), the
//! worker daemon (trains, commits, reveals) and the evaluator daemon (scores, commits, reveals).
//!
//! The daemons poll the latest finalized block (every `poll` interval), so a node restart only
//! costs them a reconnect: on a connection error they drop the client and connect again. Each
//! writes its salts and commitments to its state directory before submitting them.

use anyhow::{anyhow, bail, Context, Result};
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment, unusable_commitment},
	DataShape, DatasetFormat, DatasetRef, Hash256, Metric, ModelSpec, Reputation, Score,
	SubmissionIndex, TaskId, TaskSpec, Windows,
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, time::Duration};
use subxt_signer::sr25519::Keypair;

use crate::{
	appeal,
	artifacts::{self, ArtifactStore, FetchLimits},
	backend::Backend,
	chain::{self, account_of, calls, AccountId, Balance, BlockNumber, Chain, ChainError, Phase},
	checkpoint::Checkpoints,
	data::{Dataset, Layout},
	inference::{self, Evaluation},
	jobs::{Backoff, Jobs, Poll},
	keys::random_bytes,
	state::{hex32, StateDir},
	training::{self, TrainingConfig},
	weights,
};

/// Where a role finds the chain and keeps its files.
#[derive(Clone, Debug)]
pub struct Common {
	/// The node's RPC URL.
	pub url: String,
	/// Data directory: `blobs/` (the artifact store) and `state/`.
	pub data_dir: PathBuf,
	/// How often the daemons look at the chain.
	pub poll: Duration,
}

impl Common {
	fn store(&self) -> Result<ArtifactStore> {
		ArtifactStore::open(self.data_dir.join("blobs"))
			.with_context(|| format!("opening the store in {}", self.data_dir.display()))
	}
}

/// A chain connection that is re-made after the node goes away.
struct Node {
	url: String,
	chain: Option<Chain>,
}

impl Node {
	fn new(url: &str) -> Self {
		Self { url: url.into(), chain: None }
	}

	async fn get(&mut self) -> Result<Chain> {
		if let Some(chain) = &self.chain {
			return Ok(chain.clone());
		}
		let chain = Chain::connect(&self.url).await?;
		tracing::info!(url = %self.url, "connected");
		self.chain = Some(chain.clone());
		Ok(chain)
	}

	/// After an error: forget the connection if the error was about it.
	fn after_error(&mut self, error: &anyhow::Error) {
		if is_connection_error(error) {
			tracing::warn!("{error:#}; reconnecting to {}", self.url);
			self.chain = None;
		} else {
			tracing::warn!("{error:#}");
		}
	}
}

/// Serves `store` on `listen` in the background; returns the bound address.
async fn serve_store(store: ArtifactStore, listen: SocketAddr) -> Result<SocketAddr> {
	let (bound, server) =
		artifacts::bind(store, listen).await.with_context(|| format!("listening on {listen}"))?;
	tokio::spawn(async move {
		if let Err(e) = server.await {
			tracing::error!(%e, "artifact server stopped");
		}
	});
	tracing::info!(%bound, "serving artifacts");
	Ok(bound)
}

/// The URI others download `hash` from: `<public>/blob/<hex>`, or the store's file.
fn blob_uri(public_url: Option<&str>, store: &ArtifactStore, hash: &Hash256) -> Result<String> {
	Ok(match public_url {
		Some(base) => format!("{}/blob/{}", base.trim_end_matches('/'), hex::encode(hash)),
		None => {
			let path = std::fs::canonicalize(store.path(hash))?;
			format!("file://{}", path.display())
		},
	})
}

/// `policy` with the size cap of a weights file for `spec` ([`weights::max_file_bytes`]).
fn for_weights(policy: FetchLimits, spec: &TaskSpec<BlockNumber>) -> FetchLimits {
	FetchLimits { max_bytes: weights::max_file_bytes(&spec.model), ..policy }
}

/// `policy` with the size cap of a dataset file of `samples` in `spec`'s format and width
/// ([`crate::data::max_file_bytes`]).
fn for_data(policy: FetchLimits, spec: &TaskSpec<BlockNumber>, samples: u32) -> FetchLimits {
	let max_bytes =
		crate::data::max_file_bytes(&spec.dataset.format, samples, spec.dataset.shape.features);
	FetchLimits { max_bytes, ..policy }
}

fn layout_of(spec: &TaskSpec<BlockNumber>) -> Layout {
	Layout {
		format: spec.dataset.format.clone(),
		features: spec.dataset.shape.features,
		classes: spec.dataset.shape.classes,
	}
}

async fn wait_or_stop(poll: Duration) -> bool {
	tokio::select! {
		_ = tokio::time::sleep(poll) => false,
		_ = tokio::signal::ctrl_c() => true,
	}
}

fn task_name(task: TaskId) -> String {
	format!("task-{}", task.0)
}

/// Where a daemon stands with one task.
enum Progress {
	/// Look again at the next poll.
	Pending,
	/// Nothing more to do; `took_part`: it revealed in this task.
	Over { took_part: bool },
}

/// What the worker and evaluator daemons do at each look at the chain.
trait Daemon {
	/// Before the tasks, at every look (the evaluator registers here once).
	async fn prepare(&mut self, _chain: &Chain) -> Result<()> {
		Ok(())
	}

	/// One task's next step.
	async fn task(&mut self, chain: &Chain, task: TaskId) -> Result<Progress>;
}

/// One task's next step (a daemon on a chain; a stub in the tests).
trait TaskStep {
	async fn step(&mut self, task: TaskId) -> Result<Progress>;
}

/// A daemon stepping tasks on a chain.
struct OnChain<'a, D> {
	daemon: &'a mut D,
	chain: &'a Chain,
}

impl<D: Daemon> TaskStep for OnChain<'_, D> {
	async fn step(&mut self, task: TaskId) -> Result<Progress> {
		self.daemon.task(self.chain, task).await
	}
}

/// Whether `error` is about the connection to the node (then the daemon reconnects).
fn is_connection_error(error: &anyhow::Error) -> bool {
	error.chain().any(|e| e.downcast_ref::<ChainError>().is_some_and(ChainError::is_connection))
}

/// Steps every task of `ids` not in `over` with `step`. One task's error stays its own: it is
/// logged with the task's id and the other tasks still step (before, the first failing task
/// ended the whole pass, so one unreachable test set starved every later task). A lost
/// connection ends the pass and is returned, for the caller to reconnect. Tasks that are over
/// join `over`; those the daemon took part in count in `completed`.
async fn step_tasks(
	ids: core::ops::Range<u64>,
	over: &mut BTreeSet<u64>,
	completed: &mut u32,
	stepper: &mut impl TaskStep,
) -> Result<()> {
	for id in ids {
		if over.contains(&id) {
			continue;
		}
		match stepper.step(TaskId(id)).await {
			Ok(Progress::Over { took_part }) => {
				over.insert(id);
				*completed += u32::from(took_part);
			},
			Ok(Progress::Pending) => {},
			Err(e) if is_connection_error(&e) => return Err(e),
			Err(e) => tracing::warn!(task = id, "{e:#}"),
		}
	}
	Ok(())
}

/// The daemons' loop: every `poll`, (re)connect, `prepare`, then step every task not over yet;
/// stops on Ctrl-C, or once `limit` tasks it took part in are over.
async fn run_daemon(common: &Common, limit: Option<u32>, daemon: &mut impl Daemon) -> Result<()> {
	let mut node = Node::new(&common.url);
	let mut over: BTreeSet<u64> = BTreeSet::new();
	let mut completed = 0u32;
	loop {
		let step = async {
			let chain = node.get().await?;
			daemon.prepare(&chain).await?;
			let next = chain.next_task_id().await?;
			let mut on_chain = OnChain { daemon: &mut *daemon, chain: &chain };
			step_tasks(0..next.0, &mut over, &mut completed, &mut on_chain).await
		}
		.await;
		if let Err(e) = step {
			node.after_error(&e);
		}
		if limit.is_some_and(|n| completed >= n) {
			tracing::info!(completed, "done");
			return Ok(());
		}
		if wait_or_stop(common.poll).await {
			return Ok(());
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Sponsor

/// Everything `pouw sponsor create` needs.
#[derive(Clone, Debug)]
pub struct NewTask {
	/// The public training data.
	pub train: PathBuf,
	/// The secret test set (same layout).
	pub test: PathBuf,
	/// How to read both.
	pub format: DatasetFormat,
	/// Classes (0: regression).
	pub classes: u32,
	/// The model, in the short syntax (`mlp:64,32:relu`).
	pub model: String,
	/// The objective.
	pub metric: Metric,
	/// Bounty in the smallest unit.
	pub bounty: Balance,
	/// Evaluators to draw.
	pub quorum: u32,
	/// Blocks in each phase: open, reveal, test reveal, score commit, score reveal.
	pub phase_blocks: [BlockNumber; 5],
	/// A minimum winning score.
	pub min_score: Option<Score>,
	/// Reputation a worker needs.
	pub min_worker_reputation: Reputation,
	/// A parent task (lineage).
	pub parent: Option<TaskId>,
}

/// The sponsor's record of a task it posted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SponsorState {
	/// The task id, once created.
	pub task: Option<u64>,
	/// The test set's hash.
	#[serde(with = "hex32")]
	pub test_hash: Hash256,
	/// The commitment's salt (secret until the reveal).
	#[serde(with = "hex32")]
	pub salt: Hash256,
	/// The commitment on chain.
	#[serde(with = "hex32")]
	pub commitment: Hash256,
	/// Whether the test set was revealed.
	pub revealed: bool,
}

/// How many blocks later [`windows_with_room`] looks for a draw block and a deadline block
/// with room: an hour of 6 s blocks. Filling every one of them takes 1,200 tasks' bounties and
/// deposits (2 draws per block in the runtime), 75 sponsor accounts at 16 tasks each.
const MAX_WINDOW_SHIFT: BlockNumber = 600;

/// `windows` with its last three ends `by` blocks later: the test-reveal phase grows, every
/// other phase keeps its length. `None` on overflow.
fn shifted(windows: Windows<BlockNumber>, by: BlockNumber) -> Option<Windows<BlockNumber>> {
	Some(Windows {
		test_reveal_end: windows.test_reveal_end.checked_add(by)?,
		score_commit_end: windows.score_commit_end.checked_add(by)?,
		evaluation_end: windows.evaluation_end.checked_add(by)?,
		..windows
	})
}

/// The blocks a task with `windows` reserves at creation, as the registry does: its two draws
/// (the quorum's after the test-reveal window, the appeal quorum's after the appeal window) and
/// its two deadlines (after the appeal window, after the appeal round).
fn reserved_blocks(
	w: &Windows<BlockNumber>,
	appeal_window: BlockNumber,
) -> ([BlockNumber; 2], [BlockNumber; 2]) {
	let after_appeal_window = w.evaluation_end.saturating_add(appeal_window).saturating_add(1);
	let (_, appeal_end) = chain::appeal_windows(w, appeal_window);
	(
		[w.test_reveal_end.saturating_add(1), after_appeal_window],
		[after_appeal_window, appeal_end.saturating_add(1)],
	)
}

/// The first of `windows` shifted 0, 1, ... [`MAX_WINDOW_SHIFT`] blocks later whose draw block
/// and deadline block have room on chain: full blocks (other sponsors' tasks, or a spammer's)
/// move the task later instead of failing it.
async fn windows_with_room(
	chain: &Chain,
	windows: Windows<BlockNumber>,
) -> Result<Windows<BlockNumber>> {
	let appeal_window = chain.appeal_window().await?;
	for by in 0..=MAX_WINDOW_SHIFT {
		let w = shifted(windows, by).ok_or_else(|| anyhow!("windows overflow"))?;
		let (draws, dues) = reserved_blocks(&w, appeal_window);
		if chain.has_room(&draws, &dues).await? {
			if by > 0 {
				tracing::info!(
					by,
					?draws,
					?dues,
					"draw or deadline block full: windows moved later"
				);
			}
			return Ok(w);
		}
	}
	bail!(
		"no block with room for the quorum draw and the deadline within {MAX_WINDOW_SHIFT} \
		 blocks (TooManyDrawsAtBlock / TooManyTasksEndingAtBlock): try again later"
	)
}

/// Posts a task; returns its id. Serves nothing by itself: with `public_url` the data is
/// addressed there (run [`sponsor_watch`] or `pouw serve` on the same data dir), otherwise by
/// `file://` (same machine only).
pub async fn sponsor_create(
	common: &Common,
	signer: &Keypair,
	new: &NewTask,
	public_url: Option<&str>,
) -> Result<TaskId> {
	let store = common.store()?;
	let state = StateDir::open(&common.data_dir)?;

	let train_bytes =
		std::fs::read(&new.train).with_context(|| format!("reading {}", new.train.display()))?;
	let layout = Layout { format: new.format.clone(), features: 0, classes: new.classes };
	let train = Dataset::parse_any_width(&train_bytes, &layout)
		.with_context(|| format!("{}", new.train.display()))?;
	let layout = Layout { features: train.feature_count as u32, ..layout };
	let test_bytes =
		std::fs::read(&new.test).with_context(|| format!("reading {}", new.test.display()))?;
	let test = Dataset::parse(&test_bytes, &layout, None).with_context(|| {
		format!("test set {} (must have the training data's layout)", new.test.display())
	})?;
	let test_samples = u32::try_from(test.len()).context("the test set has too many samples")?;
	let outputs = if new.classes == 0 { 1 } else { new.classes };
	let model: ModelSpec = crate::spec_text::parse(&new.model, layout.features, outputs)?;

	let train_hash = store.put(&train_bytes)?;
	let test_hash = store.put(&test_bytes)?;
	let salt = random_bytes()?;
	let commitment = test_set_commitment(&test_hash, &salt);

	let chain = Chain::connect(&common.url).await?;
	let now = chain.block_number().await?;
	let mut end = now;
	let mut ends = [0; 5];
	for (slot, blocks) in ends.iter_mut().zip(new.phase_blocks) {
		end = end.checked_add(blocks.max(1)).ok_or_else(|| anyhow!("windows overflow"))?;
		*slot = end;
	}
	// A few blocks of slack for inclusion.
	let slack = 2;
	let windows = Windows {
		submission_end: ends[0] + slack,
		reveal_end: ends[1] + slack,
		test_reveal_end: ends[2] + slack,
		score_commit_end: ends[3] + slack,
		evaluation_end: ends[4] + slack,
	};
	let windows = windows_with_room(&chain, windows).await?;
	let uri = blob_uri(public_url, &store, &train_hash)?;
	let spec = TaskSpec {
		dataset: DatasetRef {
			uri: uri.as_bytes().to_vec().try_into().map_err(|_| anyhow!("URI too long: {uri}"))?,
			hash: train_hash,
			format: new.format.clone(),
			shape: DataShape {
				samples: train.len() as u32,
				features: layout.features,
				classes: new.classes,
			},
		},
		test_samples,
		model,
		metric: new.metric,
		min_score: new.min_score,
		windows,
		quorum: new.quorum,
		min_worker_reputation: new.min_worker_reputation,
		parent: new.parent,
	};
	spec.validate(&now).map_err(|e| anyhow!("the task spec is invalid: {e:?}"))?;

	let pending = format!("sponsor-pending-{}", hex::encode(&commitment[..8]));
	let mut record = SponsorState { task: None, test_hash, salt, commitment, revealed: false };
	state.save(&pending, &record)?;
	let events = chain.submit(&calls::create_task(&spec, commitment, new.bounty)?, signer).await?;
	let task = chain::created_task_id(&events)?;
	record.task = Some(task.0);
	state.save(&format!("sponsor-{}", task_name(task)), &record)?;
	let _ = std::fs::remove_file(common.data_dir.join("state").join(format!("{pending}.json")));
	tracing::info!(task = task.0, %uri, bounty = new.bounty, "task created");
	Ok(task)
}

/// Serves the sponsor's data and reveals the test set when the task reaches `TestReveal`;
/// returns the task's final status once it has ended.
pub async fn sponsor_watch(
	common: &Common,
	signer: &Keypair,
	task: TaskId,
	public_url: Option<&str>,
	listen: Option<SocketAddr>,
) -> Result<chain::TaskStatus> {
	let store = common.store()?;
	let state = StateDir::open(&common.data_dir)?;
	let name = format!("sponsor-{}", task_name(task));
	let mut record: SponsorState = state
		.load(&name)?
		.ok_or_else(|| anyhow!("no record of task {} in {}", task.0, common.data_dir.display()))?;
	if let Some(addr) = listen {
		serve_store(store.clone(), addr).await?;
	}
	let mut node = Node::new(&common.url);
	let mut last_phase = None;
	loop {
		let step = async {
			let chain = node.get().await?;
			let (info, phase) =
				chain.task(task).await?.ok_or_else(|| anyhow!("task {} not found", task.0))?;
			if last_phase != Some(phase) {
				tracing::info!(task = task.0, ?phase, "phase");
				last_phase = Some(phase);
			}
			if phase == Phase::Ended {
				return Ok::<_, anyhow::Error>(Some(info.status));
			}
			if phase == Phase::TestReveal && !record.revealed && info.test_set.is_none() {
				let uri = blob_uri(public_url, &store, &record.test_hash)?;
				let call = calls::reveal_test_set(task, &uri, record.test_hash, record.salt)?;
				match chain.submit(&call, signer).await {
					Ok(_) => {},
					Err(ChainError::Dispatch { error, .. }) if error == "AlreadyRevealed" => {},
					Err(e) => return Err(e.into()),
				}
				record.revealed = true;
				state.save(&name, &record)?;
				tracing::info!(task = task.0, %uri, "test set revealed");
			}
			Ok(None)
		}
		.await;
		match step {
			Ok(Some(status)) => return Ok(status),
			Ok(None) => {},
			Err(e) => node.after_error(&e),
		}
		if wait_or_stop(common.poll).await {
			bail!("stopped before task {} ended", task.0);
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Worker

/// How a worker trains and where it publishes.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
	/// Its own hyperparameters.
	pub training: TrainingConfig,
	/// Backend.
	pub backend: Backend,
	/// Base URL others reach this worker's server at.
	pub public_url: Option<String>,
	/// Address the server listens on.
	pub listen: Option<SocketAddr>,
	/// Stop after this many tasks ended that it revealed in.
	pub tasks: Option<u32>,
	/// How URIs from the chain are fetched (private hosts and `file://` refused by default).
	pub fetch: FetchLimits,
	/// Where trainings write their per-epoch checkpoints (one folder per task); `None` for none.
	pub checkpoints: Option<PathBuf>,
	/// Checkpoints kept per training.
	pub keep_checkpoints: usize,
}

impl WorkerOptions {
	/// Where `task`'s training keeps its checkpoints, if it keeps any.
	fn checkpoint_dir(&self, task: TaskId) -> Option<PathBuf> {
		Some(self.checkpoints.as_ref()?.join(format!("task-{}", task.0)))
	}

	/// The checkpoints of `task`'s training: the data's hash and the backend name the run
	/// (training adds the spec, hyperparameters and parent).
	fn checkpoints(&self, task: TaskId, dataset: &Hash256) -> Option<Checkpoints> {
		let identity = [dataset.as_slice(), self.backend.to_string().as_bytes()].concat();
		Some(Checkpoints::new(self.checkpoint_dir(task)?, self.keep_checkpoints, identity))
	}

	/// Drops `task`'s checkpoints once its weights are in the store and its record saved.
	fn clear_checkpoints(&self, task: TaskId) {
		if let Some(Err(e)) = self.checkpoint_dir(task).map(|d| Checkpoints::remove(&d)) {
			tracing::warn!(task = task.0, "{e:#}");
		}
	}
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WorkerStep {
	/// Commitment written, not yet known to be on chain.
	Committing,
	/// On chain.
	Committed,
	/// Revealed.
	Revealed,
	/// Nothing more to do (the reason is logged and kept).
	Done { note: String },
}

/// A worker's record of one task.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct WorkerState {
	task: u64,
	step: WorkerStep,
	#[serde(with = "hex32")]
	model_hash: Hash256,
	#[serde(with = "hex32")]
	salt: Hash256,
	#[serde(with = "hex32")]
	commitment: Hash256,
	model_uri: String,
	report: serde_json::Value,
	/// Whether the first quorum's finding was checked in the appeal window (and appealed when
	/// false).
	#[serde(default)]
	appeal_checked: bool,
}

/// Runs the worker daemon until Ctrl-C (or `tasks` tasks are over).
pub async fn worker_run(common: &Common, signer: &Keypair, options: &WorkerOptions) -> Result<()> {
	let store = common.store()?;
	let state = StateDir::open(&common.data_dir)?;
	let me = account_of(signer);
	if let Some(addr) = options.listen {
		serve_store(store.clone(), addr).await?;
	}
	options.backend.device()?;
	tracing::info!(account = %me, backend = %options.backend, "worker started");
	let training = Jobs::new(Backoff::DEFAULT);
	let mut daemon = WorkerDaemon { signer, me, store, state, options, training };
	run_daemon(common, options.tasks, &mut daemon).await
}

/// A training's result: the weights' bytes and the training report.
type Trained = (Vec<u8>, serde_json::Value);

struct WorkerDaemon<'a> {
	signer: &'a Keypair,
	me: AccountId,
	store: ArtifactStore,
	state: StateDir,
	options: &'a WorkerOptions,
	/// Downloads and trainings in the background, one per task.
	training: Jobs<Trained>,
}

impl Daemon for WorkerDaemon<'_> {
	async fn task(&mut self, chain: &Chain, task: TaskId) -> Result<Progress> {
		let (signer, me, store, state) = (self.signer, &self.me, &self.store, &self.state);
		let jobs = &mut self.training;
		if !worker_task(chain, signer, me, store, state, self.options, jobs, task).await? {
			return Ok(Progress::Pending);
		}
		self.training.forget(task.0);
		let took_part = matches!(
			state.load::<WorkerState>(&task_name(task))?,
			Some(WorkerState { step: WorkerStep::Revealed, .. })
		);
		Ok(Progress::Over { took_part })
	}
}

/// One task's next step for the worker. Returns whether the worker is done with it. Training
/// runs in `jobs`, in the background: this step never waits for it.
#[allow(clippy::too_many_arguments)]
async fn worker_task(
	chain: &Chain,
	signer: &Keypair,
	me: &AccountId,
	store: &ArtifactStore,
	state: &StateDir,
	options: &WorkerOptions,
	jobs: &mut Jobs<Trained>,
	task: TaskId,
) -> Result<bool> {
	let name = task_name(task);
	let Some((info, phase)) = chain.task(task).await? else { return Ok(true) };
	let record: Option<WorkerState> = state.load(&name)?;
	if phase != Phase::Open && jobs.is_running(task.0) {
		tracing::warn!(
			task = task.0,
			?phase,
			"the training did not end before the commit window closed"
		);
		jobs.forget(task.0);
	}
	let mine = |subs: &[chain::SubmissionView]| subs.iter().any(|s| s.worker == me.0);
	match (phase, record) {
		(Phase::Ended, Some(mut r)) => {
			if !matches!(r.step, WorkerStep::Done { .. }) {
				let won = info.winner.as_ref().is_some_and(|w| w.worker == me.0);
				let note =
					format!("task ended: {:?}{}", info.status, if won { ", won" } else { "" });
				tracing::info!(task = task.0, won, status = ?info.status, "task over");
				if r.step == WorkerStep::Revealed {
					// Keep `Revealed` so the count of completed tasks sees it.
					return Ok(true);
				}
				r.step = WorkerStep::Done { note };
				state.save(&name, &r)?;
			}
			Ok(true)
		},
		(Phase::Ended, None) => Ok(true),
		(_, Some(WorkerState { step: WorkerStep::Done { .. }, .. })) => Ok(false),
		(Phase::Open, None) => {
			if !jobs.is_running(task.0) {
				if info.sponsor == me.0 {
					return Ok(true);
				}
				let rep = chain.reputation(me).await?;
				if rep.worker < info.spec.min_worker_reputation {
					tracing::info!(task = task.0, "reputation below the task's minimum; skipping");
					return Ok(true);
				}
			}
			// Worked out when a training starts (the closure is used only then).
			let deadline = if jobs.is_running(task.0) {
				None
			} else {
				training_deadline(chain, &info).await?
			};
			let (c, s, o, i) = (chain.clone(), store.clone(), options.clone(), info.clone());
			let job = move || async move { train_for(&c, &s, &o, task, &i, deadline).await };
			let give_up = |note: String| -> Result<()> {
				let r = WorkerState {
					task: task.0,
					step: WorkerStep::Done { note },
					model_hash: [0; 32],
					salt: [0; 32],
					commitment: [0; 32],
					model_uri: String::new(),
					report: serde_json::Value::Null,
					appeal_checked: false,
				};
				state.save(&name, &r)?;
				options.clear_checkpoints(task);
				Ok(())
			};
			let (bytes, report) = match jobs.poll(task.0, job).await {
				Poll::Started => {
					tracing::info!(task = task.0, "downloading and training in the background");
					return Ok(false);
				},
				Poll::Running | Poll::Waiting(_) => return Ok(false),
				Poll::Ready(Err(e)) | Poll::GaveUp(e) if e.is::<CannotFinish>() => {
					tracing::info!(task = task.0, "skipping the task: {e}");
					jobs.forget(task.0);
					give_up(format!("skipped: {e}"))?;
					return Ok(false);
				},
				Poll::Ready(Err(e)) => {
					tracing::warn!(task = task.0, "cannot train yet (retrying): {e:#}");
					return Ok(false);
				},
				Poll::GaveUp(e) => {
					tracing::warn!(task = task.0, "cannot train: {e:#}");
					give_up(format!("cannot train: {e:#}"))?;
					return Ok(false);
				},
				Poll::Ready(Ok(trained)) => trained,
			};
			let model_hash = store.put(&bytes)?;
			// The training record beside the weights (the blob server serves hashes only).
			let record_path = store.path(&model_hash).with_extension("json");
			std::fs::write(&record_path, serde_json::to_vec_pretty(&report)?)
				.with_context(|| format!("writing {}", record_path.display()))?;
			let salt = random_bytes()?;
			let commitment = model_commitment(&model_hash, &salt, &me.0);
			let model_uri = blob_uri(options.public_url.as_deref(), store, &model_hash)?;
			let record = WorkerState {
				task: task.0,
				step: WorkerStep::Committing,
				model_hash,
				salt,
				commitment,
				model_uri,
				report,
				appeal_checked: false,
			};
			state.save(&name, &record)?;
			options.clear_checkpoints(task);
			commit(chain, signer, state, task, record).await?;
			Ok(false)
		},
		(Phase::Open, Some(r)) if r.step == WorkerStep::Committing => {
			if mine(&chain.submissions(task).await?) {
				let mut r = r;
				r.step = WorkerStep::Committed;
				state.save(&name, &r)?;
			} else {
				commit(chain, signer, state, task, r).await?;
			}
			Ok(false)
		},
		(Phase::Reveal, Some(mut r))
			if matches!(r.step, WorkerStep::Committing | WorkerStep::Committed) =>
		{
			if r.step == WorkerStep::Committing && !mine(&chain.submissions(task).await?) {
				r.step = WorkerStep::Done { note: "the commitment never reached the chain".into() };
				state.save(&name, &r)?;
				return Ok(false);
			}
			let call = calls::reveal_model(task, &r.model_uri, r.model_hash, r.salt)?;
			match chain.submit(&call, signer).await {
				Ok(_) => {},
				// A reveal sent before a restart or a lost connection went through.
				Err(ChainError::Dispatch { error, .. }) if error == "AlreadyRevealed" => {},
				Err(e @ ChainError::Dispatch { .. }) => {
					tracing::warn!(task = task.0, "reveal refused: {e}");
					r.step = WorkerStep::Done { note: format!("reveal refused: {e}") };
					state.save(&name, &r)?;
					return Ok(false);
				},
				Err(e) => return Err(e.into()),
			}
			r.step = WorkerStep::Revealed;
			state.save(&name, &r)?;
			tracing::info!(task = task.0, uri = %r.model_uri, "model revealed");
			Ok(false)
		},
		(Phase::Open | Phase::Reveal, _) => Ok(false),
		(_, Some(mut r)) if matches!(r.step, WorkerStep::Committing | WorkerStep::Committed) => {
			tracing::warn!(
				task = task.0,
				?phase,
				"the reveal window closed before this worker revealed"
			);
			r.step = WorkerStep::Done { note: "missed the reveal window".into() };
			state.save(&name, &r)?;
			Ok(false)
		},
		(Phase::Appeal, Some(mut r)) if r.step == WorkerStep::Revealed && !r.appeal_checked => {
			match appeal_reason(chain, store, options, task, &info, me).await? {
				None => tracing::info!(task = task.0, "the quorum's finding checks out"),
				Some(reason) => {
					tracing::warn!(task = task.0, %reason, "appealing the evaluation");
					match chain.submit(&calls::appeal(task)?, signer).await {
						Ok(_) => tracing::info!(task = task.0, "appealed"),
						// Someone was first: the appeal round runs all the same.
						Err(ChainError::Dispatch { error, .. }) if error == "AlreadyAppealed" => {},
						Err(e @ ChainError::Dispatch { .. }) => {
							tracing::warn!(task = task.0, "appeal refused: {e}")
						},
						Err(e) => return Err(e.into()),
					}
				},
			}
			r.appeal_checked = true;
			state.save(&name, &r)?;
			Ok(false)
		},
		(_, Some(_)) => Ok(false),
		(_, None) => Ok(true),
	}
}

/// Why the first quorum's finding on this worker's model, or on the model it crowns, is false
/// (`None`: it checks out, or the test set cannot be used here either, as a quorum that found
/// it unusable said). Scores both models on the now public test set, as an evaluator would.
async fn appeal_reason(
	chain: &Chain,
	store: &ArtifactStore,
	options: &WorkerOptions,
	task: TaskId,
	info: &chain::TaskInfo,
	me: &AccountId,
) -> Result<Option<String>> {
	let submissions = chain.submissions(task).await?;
	let revealed: Vec<SubmissionIndex> =
		submissions.iter().filter(|s| s.model_hash.is_some()).map(|s| s.index).collect();
	let Some(mine) =
		submissions.iter().find(|s| s.worker == me.0 && s.model_hash.is_some()).map(|s| s.index)
	else {
		return Ok(None);
	};
	let members = chain.quorum(task).await?.len();
	if members == 0 {
		return Ok(None);
	}
	let scores: Vec<_> =
		chain.revealed_scores(task).await?.into_iter().map(|(_, scores)| scores).collect();
	let tolerance = chain.score_tolerance().await?;
	let found = appeal::findings(&revealed, &scores, members, tolerance);
	let mut check = vec![mine];
	if let Some(leader) = appeal::leader(&found, info.spec.metric) {
		if leader != mine {
			check.push(leader);
		}
	}
	let Some(test_set) = &info.test_set else { return Ok(None) };
	let test_bytes = match fetch_test_set(store, info, test_set, options.fetch).await? {
		Ok(bytes) => bytes,
		Err(reason) => {
			tracing::info!(task = task.0, %reason, "test set unusable here too: not appealing");
			return Ok(None);
		},
	};
	let mut models = Vec::new();
	for index in &check {
		models.push((*index, fetch_model(chain, store, task, info, *index, options.fetch).await?));
	}
	let models = models.into_iter().map(|(index, bytes)| (index.0, bytes)).collect();
	let budget = inference::DEFAULT_MEMORY_BUDGET;
	let scored =
		score_models(task, info.spec.clone(), test_bytes, models, options.backend, budget).await?;
	let truths = match scored {
		Ok(truths) => truths,
		Err(reason) => {
			tracing::info!(task = task.0, %reason, "test set unusable here too: not appealing");
			return Ok(None);
		},
	};
	for (index, truth) in truths {
		let index = SubmissionIndex(index);
		let finding = found
			.iter()
			.find(|(i, _)| *i == index)
			.map(|(_, f)| *f)
			.unwrap_or(appeal::Finding::Nothing);
		if !appeal::is_right(finding, truth, tolerance) {
			let whose = if index == mine { "this worker's model" } else { "the leading model" };
			return Ok(Some(format!(
				"submission {} ({whose}): the quorum found {finding:?}, this worker computes {:?}",
				index.0, truth
			)));
		}
	}
	Ok(None)
}

async fn commit(
	chain: &Chain,
	signer: &Keypair,
	state: &StateDir,
	task: TaskId,
	mut record: WorkerState,
) -> Result<()> {
	let name = task_name(task);
	match chain.submit(&calls::commit_model(task, record.commitment)?, signer).await {
		Ok(_) => {
			record.step = WorkerStep::Committed;
			state.save(&name, &record)?;
			tracing::info!(task = task.0, model = %hex::encode(record.model_hash), "model committed");
			Ok(())
		},
		Err(ChainError::Dispatch { error, .. }) if error == "AlreadyCommitted" => {
			record.step = WorkerStep::Committed;
			state.save(&name, &record)?;
			Ok(())
		},
		Err(e @ ChainError::Dispatch { .. }) => {
			tracing::warn!(task = task.0, "commit refused: {e}");
			record.step = WorkerStep::Done { note: format!("commit refused: {e}") };
			state.save(&name, &record)?;
			Ok(())
		},
		Err(e) => Err(e.into()),
	}
}

/// A task whose commit window ends before this worker could train one epoch.
#[derive(Debug, thiserror::Error)]
#[error(
	"it cannot be trained before its commit window closes: an epoch takes about {epoch_seconds:.0} s here, {seconds_left:.0} s are left"
)]
struct CannotFinish {
	epoch_seconds: f64,
	seconds_left: f64,
}

/// Blocks kept free after a training for the commitment to be stored, sent and finalized.
const COMMIT_MARGIN_BLOCKS: BlockNumber = 3;

/// When a training for `info` must end for its commitment to land in the commit window, at
/// the chain's recent pace. `None` when the pace is unknown (no deadline then).
async fn training_deadline(
	chain: &Chain,
	info: &chain::TaskInfo,
) -> Result<Option<std::time::Instant>> {
	let now = chain.block_number().await?;
	let Some(per_block) = chain.block_time(now).await? else { return Ok(None) };
	let end = info.spec.windows.submission_end;
	Ok(Some(std::time::Instant::now() + time_to_train(per_block, now, end)))
}

/// How long from block `now` a training may take for its commitment to land by block
/// `submission_end`, `per_block` a block.
fn time_to_train(per_block: Duration, now: BlockNumber, submission_end: BlockNumber) -> Duration {
	let left = submission_end.saturating_sub(now);
	per_block.saturating_mul(left.saturating_sub(COMMIT_MARGIN_BLOCKS))
}

/// Downloads the task's data (and parent weights), trains, returns the weights' bytes. With a
/// `deadline`, a task whose first epoch would already end after it is skipped
/// ([`CannotFinish`]) and a training stops at the last epoch that ends before it.
async fn train_for(
	chain: &Chain,
	store: &ArtifactStore,
	options: &WorkerOptions,
	task: TaskId,
	info: &chain::TaskInfo,
	deadline: Option<std::time::Instant>,
) -> Result<(Vec<u8>, serde_json::Value)> {
	let spec = info.spec.clone();
	let uri = String::from_utf8_lossy(&spec.dataset.uri).into_owned();
	tracing::info!(task = task.0, %uri, "downloading the training data");
	let path = artifacts::fetch(
		store,
		&uri,
		&spec.dataset.hash,
		for_data(options.fetch, &spec, spec.dataset.shape.samples),
	)
	.await?;
	let bytes = std::fs::read(&path)?;
	let parent = match (info.parent_model, spec.parent) {
		(Some(hash), Some(parent_task)) => {
			let (parent_info, _) = chain
				.task(parent_task)
				.await?
				.ok_or_else(|| anyhow!("parent task {} is gone", parent_task.0))?;
			let winner = parent_info
				.winner
				.ok_or_else(|| anyhow!("parent task {} has no winner", parent_task.0))?;
			let uri = String::from_utf8_lossy(&winner.model_uri).into_owned();
			// The parent's weights fit the parent's spec.
			let policy = for_weights(options.fetch, &parent_info.spec);
			let path = artifacts::fetch(store, &uri, &hash, policy).await?;
			Some(std::fs::read(path)?)
		},
		_ => None,
	};
	let config = options.training.clone();
	let backend = options.backend;
	let checkpoints = options.checkpoints(task, &spec.dataset.hash);
	let (weights_bytes, report) = tokio::task::spawn_blocking(move || -> Result<_> {
		let layout = layout_of(&spec);
		let data = Dataset::parse(&bytes, &layout, Some(spec.dataset.shape.samples))?;
		let device = backend.device()?;
		if let Some(deadline) = deadline {
			let seconds_left =
				deadline.saturating_duration_since(std::time::Instant::now()).as_secs_f64();
			let epoch_seconds =
				training::estimate_epoch_seconds(&spec.model, &data, &config, &device)?;
			if epoch_seconds > seconds_left {
				return Err(CannotFinish { epoch_seconds, seconds_left }.into());
			}
			tracing::info!(task = task.0, epoch_seconds, seconds_left, "training fits its window");
		}
		let run = training::Run { progress: false, checkpoints: checkpoints.as_ref(), deadline };
		let trained =
			training::train_with(&spec.model, &data, &config, &device, parent.as_deref(), run)?;
		let bytes = weights::to_bytes(&trained.network)?;
		Ok((bytes, training::training_record(&config, &backend.to_string(), &trained.report)))
	})
	.await
	.map_err(|e| anyhow!("training thread: {e}"))??;
	tracing::info!(task = task.0, report = %report, "trained");
	Ok((weights_bytes, report))
}

// ---------------------------------------------------------------------------------------------
// Evaluator

/// How an evaluator runs.
#[derive(Clone, Debug)]
pub struct EvaluatorOptions {
	/// Stake to register with when not registered yet.
	pub stake: Balance,
	/// Bytes a scoring pass may take (rows per pass follow from the spec's activations).
	pub memory_budget: u64,
	/// Backend.
	pub backend: Backend,
	/// Stop after this many tasks ended that it revealed scores in.
	pub tasks: Option<u32>,
	/// How URIs from the chain are fetched (private hosts and `file://` refused by default).
	pub fetch: FetchLimits,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EvaluatorStep {
	Committing,
	Committed,
	Revealed,
	Done { note: String },
}

/// An evaluator's record of one task.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct EvaluatorState {
	task: u64,
	step: EvaluatorStep,
	/// `(submission, score)`; `None`: invalid.
	scores: Vec<(u32, Option<u64>)>,
	#[serde(with = "hex32")]
	salt: Hash256,
	#[serde(with = "hex32")]
	commitment: Hash256,
	/// Why the test set could not be used, when the evaluator committed to the verdict
	/// *test set unusable* instead of scores.
	#[serde(default)]
	unusable: Option<String>,
}

/// An evaluator reports the test set unusable only this close to the end of the score-commit
/// window: until then a failed fetch may be the network's fault and is retried.
const UNUSABLE_MARGIN_BLOCKS: BlockNumber = 3;

/// What scoring a task came to.
enum Scoring {
	/// One entry per revealed submission, ascending; `None`: invalid.
	Scores(Vec<(u32, Option<u64>)>),
	/// The sponsor's test set could not be fetched, did not match its hash or did not parse
	/// with the task's shape.
	TestSetUnusable(String),
}

/// Whether an evaluator that cannot use the test set reports it now (`true`) or retries first:
/// only in the last [`UNUSABLE_MARGIN_BLOCKS`] blocks of the score-commit window.
fn report_unusable_now(now: BlockNumber, score_commit_end: BlockNumber) -> bool {
	score_commit_end.saturating_sub(now) <= UNUSABLE_MARGIN_BLOCKS
}

impl EvaluatorState {
	fn typed_scores(&self) -> Vec<(SubmissionIndex, Option<Score>)> {
		self.scores.iter().map(|(i, s)| (SubmissionIndex(*i), s.map(Score))).collect()
	}
}

/// Runs the evaluator daemon: registers (with `stake`) if needed, then scores every task it is
/// drawn for, until Ctrl-C (or `tasks` tasks are over).
pub async fn evaluator_run(
	common: &Common,
	signer: &Keypair,
	options: &EvaluatorOptions,
) -> Result<()> {
	let store = common.store()?;
	let state = StateDir::open(&common.data_dir)?;
	let me = account_of(signer);
	options.backend.device()?;
	// Never given up: an evaluator silent in its window is penalised, so it tries to the end.
	let scoring = Jobs::new(Backoff { attempts: u32::MAX, ..Backoff::DEFAULT });
	let mut daemon =
		EvaluatorDaemon { signer, me, store, state, options, registered: false, scoring };
	run_daemon(common, options.tasks, &mut daemon).await
}

struct EvaluatorDaemon<'a> {
	signer: &'a Keypair,
	me: AccountId,
	store: ArtifactStore,
	state: StateDir,
	options: &'a EvaluatorOptions,
	registered: bool,
	/// Downloads and scoring in the background, one per task.
	scoring: Jobs<Scoring>,
}

impl Daemon for EvaluatorDaemon<'_> {
	async fn prepare(&mut self, chain: &Chain) -> Result<()> {
		if self.registered {
			return Ok(());
		}
		match chain.evaluator_stake(&self.me).await? {
			Some(stake) => tracing::info!(account = %self.me, stake, "registered evaluator"),
			None => {
				chain.submit(&calls::register_evaluator(self.options.stake), self.signer).await?;
				tracing::info!(account = %self.me, stake = self.options.stake, "registered as evaluator");
			},
		}
		self.registered = true;
		Ok(())
	}

	async fn task(&mut self, chain: &Chain, task: TaskId) -> Result<Progress> {
		let (signer, me, store, state) = (self.signer, &self.me, &self.store, &self.state);
		let jobs = &mut self.scoring;
		if !evaluator_task(chain, signer, me, store, state, self.options, jobs, task).await? {
			return Ok(Progress::Pending);
		}
		self.scoring.forget(task.0);
		let took_part = matches!(
			state.load::<EvaluatorState>(&task_name(task))?,
			Some(EvaluatorState { step: EvaluatorStep::Revealed, .. })
		);
		Ok(Progress::Over { took_part })
	}
}

/// One task's next step for the evaluator. Returns whether the evaluator is done with it.
/// Downloads and scoring run in `jobs`, in the background: this step never waits for them.
#[allow(clippy::too_many_arguments)]
async fn evaluator_task(
	chain: &Chain,
	signer: &Keypair,
	me: &AccountId,
	store: &ArtifactStore,
	state: &StateDir,
	options: &EvaluatorOptions,
	jobs: &mut Jobs<Scoring>,
	task: TaskId,
) -> Result<bool> {
	let name = task_name(task);
	let Some((info, phase)) = chain.task(task).await? else { return Ok(true) };
	let record: Option<EvaluatorState> = state.load(&name)?;
	let appeal_round = matches!(phase, Phase::AppealScoreCommit | Phase::AppealScoreReveal);
	let committing = matches!(phase, Phase::ScoreCommit | Phase::AppealScoreCommit);
	if !committing && jobs.is_running(task.0) {
		tracing::warn!(
			task = task.0,
			?phase,
			"scoring did not end before the commit window closed"
		);
		jobs.forget(task.0);
	}
	match (phase, record) {
		(Phase::Ended, _) => Ok(true),
		(
			Phase::Open | Phase::Reveal | Phase::TestReveal | Phase::Appeal | Phase::Finalizable,
			_,
		) => Ok(false),
		(Phase::ScoreCommit | Phase::AppealScoreCommit, None) => {
			let drawn = if appeal_round {
				chain.appeal_quorum(task).await?
			} else {
				chain.quorum(task).await?
			};
			if !drawn.contains(me) {
				// Not drawn now; an evaluator outside the first quorum may still be drawn
				// into the appeal quorum, if the task is appealed.
				return Ok(appeal_round);
			}
			let end = if appeal_round {
				chain::appeal_windows(&info.spec.windows, chain.appeal_window().await?).0
			} else {
				info.spec.windows.score_commit_end
			};
			let (c, s, o, i) = (chain.clone(), store.clone(), options.clone(), info.clone());
			let job = move || async move { score_all(&c, &s, &o, task, &i).await };
			let scoring = match jobs.poll(task.0, job).await {
				Poll::Started => {
					tracing::info!(task = task.0, "downloading and scoring in the background");
					return Ok(false);
				},
				Poll::Running | Poll::Waiting(_) => return Ok(false),
				// An error of the node or of this machine, not of the sponsor's test set: the
				// job runs again after its backoff, as long as the window lasts.
				Poll::Ready(Err(e)) | Poll::GaveUp(e) => bail!("task {}: scoring: {e:#}", task.0),
				Poll::Ready(Ok(scoring)) => scoring,
			};
			let (scores, unusable) = match scoring {
				Scoring::Scores(scores) => (scores, None),
				Scoring::TestSetUnusable(reason) => {
					let now = chain.block_number().await?;
					if !report_unusable_now(now, end) {
						// Fetched again at a later look (the network may be at fault).
						bail!("task {}: {reason}; retrying until block {end} - {UNUSABLE_MARGIN_BLOCKS}", task.0);
					}
					tracing::warn!(task = task.0, %reason, "reporting the test set unusable");
					(Vec::new(), Some(reason))
				},
			};
			let salt = random_bytes()?;
			let commitment = if unusable.is_some() {
				unusable_commitment(&salt, &me.0)
			} else {
				let typed: Vec<(SubmissionIndex, Option<Score>)> =
					scores.iter().map(|(i, s)| (SubmissionIndex(*i), s.map(Score))).collect();
				scores_commitment(&typed, &salt, &me.0)
			};
			let mut record = EvaluatorState {
				task: task.0,
				step: EvaluatorStep::Committing,
				scores,
				salt,
				commitment,
				unusable,
			};
			state.save(&name, &record)?;
			chain.submit(&calls::commit_scores(task, commitment)?, signer).await?;
			record.step = EvaluatorStep::Committed;
			state.save(&name, &record)?;
			tracing::info!(task = task.0, appeal_round, scores = ?record.scores, "scores committed");
			Ok(false)
		},
		(Phase::ScoreCommit | Phase::AppealScoreCommit, Some(mut r))
			if r.step == EvaluatorStep::Committing =>
		{
			match chain.submit(&calls::commit_scores(task, r.commitment)?, signer).await {
				Ok(_) => {},
				Err(ChainError::Dispatch { error, .. }) if error == "AlreadyCommitted" => {},
				Err(e) => return Err(e.into()),
			}
			r.step = EvaluatorStep::Committed;
			state.save(&name, &r)?;
			Ok(false)
		},
		(Phase::ScoreReveal | Phase::AppealScoreReveal, Some(mut r))
			if matches!(r.step, EvaluatorStep::Committing | EvaluatorStep::Committed) =>
		{
			let submitted = match &r.unusable {
				Some(_) => chain.submit(&calls::reveal_unusable(task, r.salt)?, signer).await,
				None => {
					let call = calls::reveal_scores(task, &r.typed_scores(), r.salt)?;
					chain.submit(&call, signer).await
				},
			};
			match submitted {
				Ok(_) => {
					r.step = EvaluatorStep::Revealed;
					match &r.unusable {
						Some(reason) => {
							tracing::info!(task = task.0, %reason, "test set reported unusable")
						},
						None => tracing::info!(task = task.0, "scores revealed"),
					}
				},
				Err(ChainError::Dispatch { error, .. }) if error == "AlreadyRevealed" => {
					r.step = EvaluatorStep::Revealed;
				},
				Err(e @ ChainError::Dispatch { .. }) => {
					tracing::warn!(task = task.0, "reveal refused: {e}");
					r.step = EvaluatorStep::Done { note: format!("reveal refused: {e}") };
				},
				Err(e) => return Err(e.into()),
			}
			state.save(&name, &r)?;
			Ok(false)
		},
		(_, Some(_)) => Ok(false),
		// Not drawn in the first round: the task may still be appealed. Not drawn in the
		// appeal round: nothing more can come.
		(Phase::ScoreReveal, None) => Ok(false),
		(Phase::AppealScoreReveal, None) => Ok(true),
	}
}

/// The revealed test set's bytes, within the cap its declared size implies; `Ok(Err(reason))`
/// when it cannot be fetched (unreachable, refused, too large, a hash mismatch).
async fn fetch_test_set(
	store: &ArtifactStore,
	info: &chain::TaskInfo,
	test_set: &chain::TestSet,
	policy: FetchLimits,
) -> Result<std::result::Result<Vec<u8>, String>> {
	let uri = String::from_utf8_lossy(&test_set.uri).into_owned();
	let limits = for_data(policy, &info.spec, info.spec.test_samples);
	match artifacts::fetch(store, &uri, &test_set.hash, limits).await {
		Ok(path) => Ok(Ok(std::fs::read(path)?)),
		Err(e) => Ok(Err(format!("fetching the test set: {e:#}"))),
	}
}

/// A revealed model's weights, within the cap the spec implies; `None` (invalid) when it was
/// not revealed or cannot be fetched.
async fn fetch_model(
	chain: &Chain,
	store: &ArtifactStore,
	task: TaskId,
	info: &chain::TaskInfo,
	index: SubmissionIndex,
	policy: FetchLimits,
) -> Result<Option<Vec<u8>>> {
	let Some((uri, hash)) = chain.revealed_model(task, index).await? else { return Ok(None) };
	match artifacts::fetch(store, &uri, &hash, for_weights(policy, &info.spec)).await {
		Ok(path) => Ok(Some(std::fs::read(path)?)),
		Err(e) => {
			tracing::warn!(task = task.0, submission = index.0, "invalid: {e}");
			Ok(None)
		},
	}
}

/// Revealed models an evaluator downloads at once.
const MODEL_FETCHES_AT_ONCE: usize = 8;

/// Fetches the test set and every revealed model (several at once), and scores each (`None`: invalid); or says
/// why the test set cannot be used.
async fn score_all(
	chain: &Chain,
	store: &ArtifactStore,
	options: &EvaluatorOptions,
	task: TaskId,
	info: &chain::TaskInfo,
) -> Result<Scoring> {
	let test_set =
		info.test_set.clone().ok_or_else(|| anyhow!("task {} has no test set yet", task.0))?;
	// The sponsor's fault, not a worker's: reported as the verdict *unusable* (late in the
	// window, so a network hiccup is retried first).
	let test_bytes = match fetch_test_set(store, info, &test_set, options.fetch).await? {
		Ok(bytes) => bytes,
		Err(reason) => return Ok(Scoring::TestSetUnusable(reason)),
	};
	let mut revealed = Vec::new();
	for submission in chain.submissions(task).await? {
		if let Some((uri, hash)) = chain.revealed_model(task, submission.index).await? {
			revealed.push((submission.index.0, uri, hash));
		}
	}
	let requests = revealed
		.iter()
		.map(|(_, uri, hash)| (uri.clone(), *hash, for_weights(options.fetch, &info.spec)))
		.collect();
	let fetched = artifacts::fetch_many(store, requests, MODEL_FETCHES_AT_ONCE).await;
	let mut models = Vec::new();
	for ((index, _, _), result) in revealed.into_iter().zip(fetched) {
		let bytes = match result {
			Ok(path) => Some(std::fs::read(path)?),
			Err(e) => {
				tracing::warn!(task = task.0, submission = index, "invalid: {e}");
				None
			},
		};
		models.push((index, bytes));
	}
	let scored = score_models(
		task,
		info.spec.clone(),
		test_bytes,
		models,
		options.backend,
		options.memory_budget,
	)
	.await?;
	Ok(match scored {
		Ok(scores) => {
			Scoring::Scores(scores.into_iter().map(|(i, s)| (i, s.map(|s| s.0))).collect())
		},
		Err(reason) => Scoring::TestSetUnusable(reason),
	})
}

/// Scores `models` (submission index, and its weights, or `None` where they could not be
/// fetched: invalid) on the test set `test_bytes`, off the async runtime, each forward pass
/// within `budget` bytes. `Ok(Err(reason))` when the test set cannot be used: it does not
/// parse with the task's shape, has another size than `test_samples`, or is empty.
async fn score_models(
	task: TaskId,
	spec: TaskSpec<BlockNumber>,
	test_bytes: Vec<u8>,
	models: Vec<(u32, Option<Vec<u8>>)>,
	backend: Backend,
	budget: u64,
) -> Result<std::result::Result<Vec<(u32, Option<Score>)>, String>> {
	tokio::task::spawn_blocking(move || {
		let layout = layout_of(&spec);
		// A test set of another size than the sponsor committed to is unusable too.
		let test = match Dataset::parse(&test_bytes, &layout, Some(spec.test_samples)) {
			Ok(test) if !test.is_empty() => test,
			Ok(_) => return Ok(Err("the test set has no samples".into())),
			Err(e) => return Ok(Err(format!("parsing the test set: {e:#}"))),
		};
		let device = backend.device()?;
		let mut scores = Vec::new();
		for (index, bytes) in models {
			let score = match bytes {
				None => None,
				Some(bytes) => {
					match inference::evaluate(
						&spec.model,
						spec.metric,
						&bytes,
						&test,
						&device,
						budget,
					)? {
						Evaluation::Valid { score, value } => {
							tracing::info!(task = task.0, submission = index, value, "scored");
							Some(score)
						},
						Evaluation::Invalid(reason) => {
							tracing::warn!(task = task.0, submission = index, %reason, "invalid model");
							None
						},
					}
				},
			};
			scores.push((index, score));
		}
		Ok(Ok(scores))
	})
	.await
	.map_err(|e| anyhow!("evaluation thread: {e}"))?
}

/// Reads a key-less `u128` amount like `10` or `2.5` (units of 10^12).
pub fn parse_amount(text: &str) -> Result<Balance> {
	let text = text.trim();
	let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && frac.is_empty() || frac.len() > 12 {
		bail!("invalid amount '{text}': use units with at most 12 decimals, e.g. 10 or 2.5");
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(frac) {
		bail!("invalid amount '{text}': use units with at most 12 decimals, e.g. 10 or 2.5");
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse()? };
	let frac_value: Balance = if frac.is_empty() { 0 } else { format!("{frac:0<12}").parse()? };
	whole
		.checked_mul(chain::UNIT)
		.and_then(|w| w.checked_add(frac_value))
		.ok_or_else(|| anyhow!("amount '{text}' is too large"))
}

/// Formats an amount in units with 4 decimals.
pub fn format_amount(amount: Balance) -> String {
	let whole = amount / chain::UNIT;
	let frac = (amount % chain::UNIT) / 100_000_000;
	format!("{whole}.{frac:04}")
}

/// Formats a signed difference in units with 4 decimals.
pub fn format_delta(before: Balance, after: Balance) -> String {
	if after >= before {
		format!("+{}", format_amount(after - before))
	} else {
		format!("-{}", format_amount(before - after))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_shifted_task_keeps_every_phase_but_the_test_reveal() {
		let w = Windows {
			submission_end: 10,
			reveal_end: 20,
			test_reveal_end: 30,
			score_commit_end: 40,
			evaluation_end: 50,
		};
		let later = shifted(w, 7).unwrap();
		assert_eq!((later.submission_end, later.reveal_end), (10, 20));
		assert_eq!(later.test_reveal_end, 37);
		assert_eq!(later.score_commit_end - later.test_reveal_end, 10);
		assert_eq!(later.evaluation_end - later.score_commit_end, 10);
		assert!(shifted(w, BlockNumber::MAX).is_none());
	}

	/// Steps tasks as `outcome` says, recording which it was asked for.
	struct Stub<F: Fn(u64) -> Result<Progress>> {
		outcome: F,
		stepped: Vec<u64>,
	}

	impl<F: Fn(u64) -> Result<Progress>> TaskStep for Stub<F> {
		async fn step(&mut self, task: TaskId) -> Result<Progress> {
			self.stepped.push(task.0);
			(self.outcome)(task.0)
		}
	}

	#[tokio::test]
	async fn one_failing_task_does_not_stop_the_others_but_a_lost_connection_does() {
		let mut over = BTreeSet::new();
		let mut completed = 0;
		// Task 0's test set is unreachable; tasks 1 and 2 still step (1 ends, 2 waits).
		let mut stub = Stub {
			outcome: |task| match task {
				0 => Err(anyhow!("fetching the test set: connection refused by 127.0.0.1")),
				1 => Ok(Progress::Over { took_part: true }),
				_ => Ok(Progress::Pending),
			},
			stepped: Vec::new(),
		};
		assert!(step_tasks(0..3, &mut over, &mut completed, &mut stub).await.is_ok());
		assert_eq!(stub.stepped, vec![0, 1, 2]);
		assert_eq!(over, BTreeSet::from([1]));
		assert_eq!(completed, 1);
		// A lost node connection ends the pass (the daemon reconnects), without touching the
		// tasks after it; a task over is not stepped again.
		let mut stub = Stub {
			outcome: |_| {
				let lost = ChainError::Connect {
					url: "ws://127.0.0.1:9944".into(),
					reason: "reset".into(),
				};
				Err(anyhow::Error::new(lost))
			},
			stepped: Vec::new(),
		};
		assert!(step_tasks(0..3, &mut over, &mut completed, &mut stub).await.is_err());
		assert_eq!(stub.stepped, vec![0]);
	}

	#[test]
	fn a_task_reserves_its_draws_and_deadlines_as_the_registry_does() {
		let w = Windows {
			submission_end: 10,
			reveal_end: 20,
			test_reveal_end: 30,
			score_commit_end: 40,
			evaluation_end: 50,
		};
		// The registry's own test (`an_ended_task_leaves_no_empty_per_block_lists`) checks the
		// same blocks for its mock's appeal window.
		assert_eq!(reserved_blocks(&w, 20), ([31, 71], [71, 91]));
	}

	#[test]
	fn a_training_must_end_three_blocks_before_the_commit_window_closes() {
		let six = Duration::from_secs(6);
		assert_eq!(time_to_train(six, 10, 20), Duration::from_secs(42));
		assert_eq!(time_to_train(Duration::from_secs(1), 0, 900), Duration::from_secs(897));
		// Too late for any training: no time, never an underflow.
		assert_eq!(time_to_train(six, 17, 20), Duration::ZERO);
		assert_eq!(time_to_train(six, 30, 20), Duration::ZERO);
		let skip = CannotFinish { epoch_seconds: 40.2, seconds_left: 12.0 };
		assert_eq!(
			skip.to_string(),
			"it cannot be trained before its commit window closes: an epoch takes about 40 s here, 12 s are left"
		);
	}

	#[test]
	fn an_unusable_test_set_is_reported_only_late_in_the_commit_window() {
		// Window ends at block 40: retry (the network may be at fault) until 3 blocks before.
		assert!(!report_unusable_now(30, 40));
		assert!(!report_unusable_now(36, 40));
		assert!(report_unusable_now(37, 40));
		assert!(report_unusable_now(40, 40));
		// Past the end (a late poll) it still reports rather than stay silent.
		assert!(report_unusable_now(41, 40));
	}

	#[test]
	fn amounts_parse_exactly() {
		assert_eq!(parse_amount("10").unwrap(), 10 * chain::UNIT);
		assert_eq!(parse_amount("2.5").unwrap(), 2 * chain::UNIT + chain::UNIT / 2);
		assert_eq!(parse_amount("0.000000000001").unwrap(), 1);
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "abc"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
		assert!(parse_amount("340282366920938463463374607431768211455").is_err());
		assert_eq!(format_amount(2 * chain::UNIT + chain::UNIT / 2), "2.5000");
		assert_eq!(format_delta(5 * chain::UNIT, 3 * chain::UNIT), "-2.0000");
	}
}
