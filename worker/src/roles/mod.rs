//! The three roles that act on chain: the sponsor (posts a task, reveals its test set), the
//! worker daemon (trains, commits, reveals) and the evaluator daemon (scores, commits, reveals).
//!
//! The daemons poll the latest finalized block (every `poll` interval), so a node restart only
//! costs them a reconnect: on a connection error they drop the client and connect again. Each
//! writes its salts and commitments to its state directory before submitting them.

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{stream::FuturesUnordered, StreamExt};
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment, unusable_commitment},
	DataShape, DatasetFormat, DatasetRef, Hash256, Metric, ModelSpec, Reputation, Score,
	SubmissionIndex, TaskId, TaskSpec, Windows,
};
use serde::{Deserialize, Serialize};
use std::{
	collections::{BTreeSet, HashMap, HashSet, VecDeque},
	future::Future,
	net::SocketAddr,
	path::PathBuf,
	pin::Pin,
	time::Duration,
};
use subxt_signer::sr25519::Keypair;

use crate::{
	artifacts::{self, ArtifactStore, FetchLimits},
	chain::{
		self, account_of, calls, AccountId, Balance, BlockNumber, Call, Chain, ChainApi,
		ChainError, Phase,
	},
	keys::random_bytes,
	ml::{
		backend::Backend,
		checkpoint::Checkpoints,
		data::{Dataset, Layout},
		inference::{self, Evaluation},
		training::{self, TrainingConfig},
		weights,
	},
};
use jobs::{Backoff, Jobs, Poll};
use state::{hex32, StateDir};

pub mod appeal;
pub mod jobs;
pub mod state;

mod evaluator;
#[cfg(test)]
mod fake;
mod sponsor;
mod worker;

pub use evaluator::{evaluator_run, EvaluatorOptions};
pub use sponsor::{sponsor_create, sponsor_watch, sponsor_watch_many, NewTask, SponsorState};
pub use worker::{worker_run, WorkerOptions};

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
/// ([`crate::ml::data::max_file_bytes`]).
fn for_data(policy: FetchLimits, spec: &TaskSpec<BlockNumber>, samples: u32) -> FetchLimits {
	let max_bytes =
		crate::ml::data::max_file_bytes(&spec.dataset.format, samples, spec.dataset.shape.features);
	FetchLimits { max_bytes, ..policy }
}

fn layout_of(spec: &TaskSpec<BlockNumber>) -> Layout {
	Layout {
		format: spec.dataset.format.clone(),
		features: spec.dataset.shape.features,
		classes: spec.dataset.shape.classes,
	}
}

/// Waits `poll`, or a quarter of it after a background job ends (its task's commit goes out
/// without waiting out the interval; jobs that end close together share one pass). Returns
/// whether Ctrl-C came.
async fn wait_or_stop(poll: Duration) -> bool {
	let after_a_job = async {
		jobs::job_ended().await;
		tokio::time::sleep(poll / 4).await
	};
	tokio::select! {
		_ = tokio::time::sleep(poll) => false,
		_ = after_a_job => false,
		_ = stop_requested() => true,
	}
}

/// Completes once Ctrl-C (SIGINT) has come, however long ago: a signal that arrives while a
/// daemon is in a pass is kept for its next wait (a `ctrl_c()` listener made afresh for each
/// wait missed it, and the daemon never stopped: found by `scripts/load.sh`).
async fn stop_requested() {
	static STOP: std::sync::LazyLock<tokio::sync::Notify> =
		std::sync::LazyLock::new(tokio::sync::Notify::new);
	static LISTENING: std::sync::Once = std::sync::Once::new();
	LISTENING.call_once(|| {
		tokio::spawn(async {
			if tokio::signal::ctrl_c().await.is_ok() {
				// A permit kept until the next wait takes it.
				STOP.notify_one();
			}
		});
	});
	STOP.notified().await;
	// Later waits see it too.
	STOP.notify_one();
}

fn task_name(task: TaskId) -> String {
	format!("task-{}", task.0)
}

/// Where a daemon stands with one task.
enum Progress {
	/// Look again at the next poll.
	Pending,
	/// Nothing to do before this block (the task's next phase): not looked at until the chain
	/// reaches it, or a background job of the task ends. With hundreds of tasks in flight a
	/// pass then costs the tasks whose phase changed, not every task each poll.
	Idle(BlockNumber),
	/// Nothing more to do; `took_part`: it revealed in this task.
	Over { took_part: bool },
}

/// What a role's look at one task leaves to do.
enum Next {
	/// Nothing more, ever.
	Done,
	/// Look again at the next poll.
	Look,
	/// Nothing before this block.
	Until(BlockNumber),
}

impl Next {
	/// The daemon's progress while the role has something left to do; `None` once done.
	fn unless_done(self) -> Option<Progress> {
		match self {
			Next::Done => None,
			Next::Look => Some(Progress::Pending),
			Next::Until(block) => Some(Progress::Idle(block)),
		}
	}
}

/// The first block at which a task in `phase` may be in another phase, as its windows set it
/// (the appeal round's from the runtime's appeal window, read only then): a daemon with nothing
/// to do in this phase need not look before. [`Next::Look`] where no block follows from the
/// windows (due for settlement, ended).
async fn next_phase<C: ChainApi>(chain: &C, info: &chain::TaskInfo, phase: Phase) -> Result<Next> {
	let w = &info.spec.windows;
	let end = match phase {
		Phase::Open => w.submission_end,
		Phase::Reveal => w.reveal_end,
		Phase::TestReveal => w.test_reveal_end,
		Phase::ScoreCommit => w.score_commit_end,
		Phase::ScoreReveal => w.evaluation_end,
		Phase::Appeal => w.evaluation_end.saturating_add(chain.appeal_window().await?),
		Phase::AppealScoreCommit => chain::appeal_windows(w, chain.appeal_window().await?).0,
		Phase::AppealScoreReveal => chain::appeal_windows(w, chain.appeal_window().await?).1,
		Phase::Finalizable | Phase::Ended => return Ok(Next::Look),
	};
	Ok(Next::Until(end.saturating_add(1)))
}

/// What the worker and evaluator daemons do at each look at a chain `C`.
trait Daemon<C: ChainApi> {
	/// Before the tasks, at every look (the evaluator registers here once).
	async fn prepare(&self, _chain: &C) -> Result<()> {
		Ok(())
	}

	/// The tasks whose background job ended since the last call: looked at in this pass even
	/// when idle (a finished training is committed at once).
	fn ended_jobs(&self) -> Vec<u64> {
		Vec::new()
	}

	/// One task's next step. Several tasks step at once (`&self`).
	async fn task(&self, chain: &C, task: TaskId) -> Result<Progress>;
}

/// One task's next step (a daemon on a chain; a stub in the tests).
#[cfg(test)]
trait TaskStep {
	async fn step(&self, task: TaskId) -> Result<Progress>;
}

/// A daemon stepping tasks on a chain.
#[cfg(test)]
struct OnChain<'a, C, D> {
	daemon: &'a D,
	chain: &'a C,
}

#[cfg(test)]
impl<C: ChainApi, D: Daemon<C>> TaskStep for OnChain<'_, C, D> {
	async fn step(&self, task: TaskId) -> Result<Progress> {
		self.daemon.task(self.chain, task).await
	}
}

/// Tasks a daemon steps at once. A step that sends a call waits for its block to be finalized
/// (a block or two); one at a time, 30 tasks whose windows open together took 30 blocks or
/// more, past a 10-block window (found by `scripts/load.sh`).
const STEPS_AT_ONCE: usize = 32;

/// Whether `error` is about the connection to the node (then the daemon reconnects).
fn is_connection_error(error: &anyhow::Error) -> bool {
	error.chain().any(|e| e.downcast_ref::<ChainError>().is_some_and(ChainError::is_connection))
}

/// The tasks a daemon has looked at: those over for it (ended, or nothing more to do), how
/// many of those it took part in, and `floor`: every id below it is over. The floor is kept in
/// the state directory, so a restarted daemon starts there instead of looking at every task
/// ever created again; a pass costs calls for the tasks not over only.
#[derive(Debug, Default)]
struct Seen {
	floor: u64,
	over: BTreeSet<u64>,
	completed: u32,
	/// Tasks with nothing to do before a block (not kept on disk: a restart looks once).
	idle: HashMap<u64, BlockNumber>,
}

/// The floor as kept on disk.
#[derive(Serialize, Deserialize)]
struct Floor {
	/// Every task id below it is over for this daemon.
	floor: u64,
}

impl Seen {
	/// What `state` remembers under `name` (nothing over when it has no record).
	fn load(state: &StateDir, name: &str) -> Result<Self> {
		let floor = state.load::<Floor>(name)?.map_or(0, |f| f.floor);
		Ok(Self { floor, ..Self::default() })
	}

	/// Marks `id` over; `took_part` counts it as completed.
	fn over(&mut self, id: u64, took_part: bool) {
		self.idle.remove(&id);
		if id >= self.floor && self.over.insert(id) {
			self.completed += u32::from(took_part);
		}
	}

	/// Whether `id` is to be looked at when the chain is at block `now`.
	fn due(&self, id: u64, now: BlockNumber) -> bool {
		!self.is_over(id) && self.idle.get(&id).is_none_or(|until| *until <= now)
	}

	fn is_over(&self, id: u64) -> bool {
		id < self.floor || self.over.contains(&id)
	}

	/// Raises the floor past every task over from it up; returns whether it moved.
	fn advance(&mut self) -> bool {
		let start = self.floor;
		while self.over.remove(&self.floor) {
			self.floor += 1;
		}
		self.floor != start
	}
}

/// A task's step in flight: the task's id and how the step ended.
type StepFuture<'a> = Pin<Box<dyn Future<Output = (u64, Result<Progress>)> + 'a>>;

/// The steps in flight, kept across passes: a step that waits (for its call's block to be
/// finalized, for a transaction the pool dropped) holds back no later pass, and no task is
/// stepped twice at once. Before, a pass waited for all its steps: two commitments the pool
/// dropped kept a worker from looking at any task for 35 s, and it missed 36 reveal windows
/// (`scripts/load.sh`, 200 tasks).
#[derive(Default)]
struct Flights<'a> {
	steps: FuturesUnordered<StepFuture<'a>>,
	flying: HashSet<u64>,
	/// Due tasks waiting for a place among the [`STEPS_AT_ONCE`].
	queue: VecDeque<u64>,
}

impl<'a> Flights<'a> {
	/// Queues the tasks of `ids` due at `now` and not in flight (replacing the last queue).
	fn queue(&mut self, ids: core::ops::Range<u64>, now: BlockNumber, seen: &Seen) {
		self.queue = ids.filter(|id| seen.due(*id, now) && !self.flying.contains(id)).collect();
	}

	/// Starts queued steps with `step` while fewer than [`STEPS_AT_ONCE`] are in flight.
	fn launch(&mut self, step: &mut impl FnMut(u64) -> StepFuture<'a>) {
		while self.steps.len() < STEPS_AT_ONCE {
			let Some(id) = self.queue.pop_front() else { break };
			if self.flying.insert(id) {
				self.steps.push(step(id));
			}
		}
	}

	/// The next step to end (pending forever when none is in flight).
	async fn next(&mut self) -> (u64, Result<Progress>) {
		match self.steps.next().await {
			Some(ended) => ended,
			None => std::future::pending().await,
		}
	}

	/// Whether a step is in flight or queued.
	#[cfg(test)]
	fn is_busy(&self) -> bool {
		!self.steps.is_empty() || !self.queue.is_empty()
	}

	/// Records how `id`'s step ended. One task's error stays its own: it is logged with the
	/// task's id and the other tasks still step (before, the first failing task ended the
	/// whole pass, so one unreachable test set starved every later task). A lost connection is
	/// returned, for the caller to reconnect.
	fn settle(
		&mut self,
		id: u64,
		outcome: Result<Progress>,
		seen: &mut Seen,
	) -> Option<anyhow::Error> {
		self.flying.remove(&id);
		match outcome {
			Ok(Progress::Over { took_part }) => seen.over(id, took_part),
			Ok(Progress::Idle(until)) => {
				seen.idle.insert(id, until);
			},
			Ok(Progress::Pending) => {
				seen.idle.remove(&id);
			},
			Err(e) if is_connection_error(&e) => return Some(e),
			Err(e) => tracing::warn!(task = id, "{e:#}"),
		}
		None
	}
}

/// Steps every task of `ids` due at `now` once with `stepper`, up to [`STEPS_AT_ONCE`] at
/// once, and waits for them all (a pass of the tests; the daemons' loop does not wait, see
/// [`Flights`]). A lost connection is returned once the pass is over.
#[cfg(test)]
async fn step_tasks(
	ids: core::ops::Range<u64>,
	now: BlockNumber,
	seen: &mut Seen,
	stepper: &impl TaskStep,
) -> Result<()> {
	let mut flights = Flights::default();
	flights.queue(ids, now, seen);
	let mut step =
		|id| -> StepFuture<'_> { Box::pin(async move { (id, stepper.step(TaskId(id)).await) }) };
	let mut lost = None;
	while flights.is_busy() {
		flights.launch(&mut step);
		let (id, outcome) = flights.next().await;
		if let Some(e) = flights.settle(id, outcome, seen) {
			lost = Some(e);
		}
	}
	lost.map_or(Ok(()), Err)
}

/// How a look at the chain starts: `prepare`, then the ids from the floor up to the next task
/// id and the block they are due at; the tasks whose job ended are due at once.
async fn look<C: ChainApi>(
	chain: &C,
	daemon: &impl Daemon<C>,
	seen: &mut Seen,
) -> Result<(core::ops::Range<u64>, BlockNumber)> {
	daemon.prepare(chain).await?;
	let next = chain.next_task_id().await?;
	let now = chain.block_number().await?;
	for id in daemon.ended_jobs() {
		seen.idle.remove(&id);
	}
	Ok((seen.floor..next.0, now))
}

/// Raises `seen`'s floor and keeps it in `state` under `name` when it moved.
fn keep_floor(seen: &mut Seen, state: &StateDir, name: &str) -> Result<()> {
	if seen.advance() {
		state.save(name, &Floor { floor: seen.floor })?;
	}
	Ok(())
}

/// The tests' look at the chain: [`look`], then step every task that is due, waiting for every
/// step (the daemons' loop, [`run_daemon`], does not wait).
#[cfg(test)]
async fn pass<C: ChainApi>(chain: &C, daemon: &mut impl Daemon<C>, seen: &mut Seen) -> Result<()> {
	let (ids, now) = look(chain, &*daemon, seen).await?;
	let on_chain = OnChain { daemon: &*daemon, chain };
	step_tasks(ids, now, seen, &on_chain).await
}

/// The daemons' loop: every `poll` (or sooner when a background job ends), (re)connect,
/// `prepare`, and start the steps of the tasks that are due; steps run on while the loop
/// waits ([`Flights`]). Stops on Ctrl-C, or once `limit` tasks it took part in are over.
/// `role` names the file its floor is kept in.
async fn run_daemon(
	common: &Common,
	role: &str,
	limit: Option<u32>,
	daemon: &mut impl Daemon<Chain>,
) -> Result<()> {
	let daemon = &*daemon;
	let state = StateDir::open(&common.data_dir)?;
	let floor_name = format!("{role}-floor");
	let mut seen = Seen::load(&state, &floor_name)?;
	if seen.floor > 0 {
		tracing::info!(floor = seen.floor, "every task below this one is over for this {role}");
	}
	let mut node = Node::new(&common.url);
	let mut first_block = None;
	let mut flights = Flights::default();
	let mut current: Option<Chain>;
	let step_on = |chain: Chain| {
		move |id: u64| -> StepFuture<'_> {
			let chain = chain.clone();
			Box::pin(async move { (id, daemon.task(&chain, TaskId(id)).await) })
		}
	};
	loop {
		let looked = async {
			let chain = node.get().await?;
			let (ids, now) = look(&chain, daemon, &mut seen).await?;
			anyhow::Ok((chain, ids, now))
		}
		.await;
		match looked {
			Ok((chain, ids, now)) => {
				first_block.get_or_insert(now);
				flights.queue(ids, now, &seen);
				flights.launch(&mut step_on(chain.clone()));
				current = Some(chain);
			},
			Err(e) => {
				current = None;
				node.after_error(&e);
			},
		}
		// Steps end while the loop waits for its next look.
		let wait = wait_or_stop(common.poll);
		tokio::pin!(wait);
		let stop = loop {
			tokio::select! {
				stop = &mut wait => break stop,
				(id, outcome) = flights.next() => {
					if let Some(e) = flights.settle(id, outcome, &mut seen) {
						current = None;
						node.after_error(&e);
					}
					if let Some(chain) = &current {
						flights.launch(&mut step_on(chain.clone()));
					}
				},
			}
		};
		keep_floor(&mut seen, &state, &floor_name)?;
		let done = limit.is_some_and(|n| seen.completed >= n);
		if done {
			tracing::info!(completed = seen.completed, "done");
		}
		if done || stop {
			// Steps sending a call get a little time to see it through; a step cut short
			// picks up from its state record at the next start.
			let _ = tokio::time::timeout(Duration::from_secs(10), async {
				while !flights.steps.is_empty() {
					let (id, outcome) = flights.next().await;
					flights.settle(id, outcome, &mut seen);
				}
			})
			.await;
			keep_floor(&mut seen, &state, &floor_name)?;
			report_reads(&mut node, role, first_block).await;
			return Ok(());
		}
	}
}

/// Prints, as a JSON line on stdout, how many reads of the node this daemon made and over how
/// many blocks (what `scripts/load.sh` collects).
async fn report_reads(node: &mut Node, role: &str, first_block: Option<BlockNumber>) {
	let reads = chain::reads();
	let last = match node.get().await {
		Ok(chain) => chain.block_number().await.ok(),
		Err(_) => None,
	};
	let blocks = match (first_block, last) {
		(Some(first), Some(last)) => Some(last.saturating_sub(first)),
		_ => None,
	};
	tracing::info!(reads, ?blocks, "chain reads");
	println!("{}", serde_json::json!({ "role": role, "reads": reads, "blocks": blocks }));
}

#[cfg(test)]
mod tests {
	use super::*;

	struct Stub<F: Fn(u64) -> Result<Progress>> {
		outcome: F,
		stepped: std::sync::Mutex<Vec<u64>>,
	}

	impl<F: Fn(u64) -> Result<Progress>> Stub<F> {
		fn new(outcome: F) -> Self {
			Self { outcome, stepped: Default::default() }
		}

		fn stepped(&self) -> Vec<u64> {
			let mut stepped = self.stepped.lock().unwrap().clone();
			stepped.sort();
			stepped
		}
	}

	impl<F: Fn(u64) -> Result<Progress>> TaskStep for Stub<F> {
		async fn step(&self, task: TaskId) -> Result<Progress> {
			self.stepped.lock().unwrap().push(task.0);
			(self.outcome)(task.0)
		}
	}

	#[tokio::test]
	async fn one_failing_task_does_not_stop_the_others_and_a_lost_connection_is_returned() {
		let mut seen = Seen::default();
		// Task 0's test set is unreachable; tasks 1 and 2 still step (1 ends, 2 waits).
		let stub = Stub::new(|task| match task {
			0 => Err(anyhow!("fetching the test set: connection refused by 127.0.0.1")),
			1 => Ok(Progress::Over { took_part: true }),
			_ => Ok(Progress::Pending),
		});
		assert!(step_tasks(0..3, 0, &mut seen, &stub).await.is_ok());
		assert_eq!(stub.stepped(), vec![0, 1, 2]);
		assert_eq!(seen.over, BTreeSet::from([1]));
		assert_eq!(seen.completed, 1);
		// A lost node connection is returned (the daemon reconnects); a task over is not
		// stepped again.
		let stub = Stub::new(|_| {
			let lost =
				ChainError::Connect { url: "ws://127.0.0.1:9944".into(), reason: "reset".into() };
			Err(anyhow::Error::new(lost))
		});
		let error = step_tasks(0..3, 0, &mut seen, &stub).await.unwrap_err();
		assert!(is_connection_error(&error), "{error:#}");
		assert_eq!(stub.stepped(), vec![0, 2]);
	}

	#[tokio::test]
	async fn tasks_step_side_by_side_so_one_waiting_for_finality_holds_back_no_other() {
		use std::sync::atomic::{AtomicUsize, Ordering};
		/// Each step waits as a call waiting for its block to be finalized does.
		struct Slow {
			now: AtomicUsize,
			most: AtomicUsize,
		}
		impl TaskStep for Slow {
			async fn step(&self, _: TaskId) -> Result<Progress> {
				let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
				self.most.fetch_max(now, Ordering::SeqCst);
				tokio::time::sleep(std::time::Duration::from_millis(50)).await;
				self.now.fetch_sub(1, Ordering::SeqCst);
				Ok(Progress::Pending)
			}
		}
		let slow = Slow { now: AtomicUsize::new(0), most: AtomicUsize::new(0) };
		step_tasks(0..100, 0, &mut Seen::default(), &slow).await.unwrap();
		// Every task was waiting at once, up to the bound.
		assert_eq!(slow.most.load(Ordering::SeqCst), STEPS_AT_ONCE);
	}

	#[test]
	fn a_restarted_daemon_starts_above_the_tasks_it_saw_end() {
		let dir = tempfile::tempdir().unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		let mut seen = Seen::load(&state, "worker-floor").unwrap();
		assert_eq!(seen.floor, 0);
		seen.over(0, true);
		seen.over(1, false);
		seen.over(3, true);
		// 2 is still going: the floor stops there; 3 stays in the set.
		assert!(seen.advance());
		assert_eq!((seen.floor, seen.completed), (2, 2));
		assert!(seen.is_over(1) && !seen.is_over(2) && seen.is_over(3));
		assert!(!seen.advance());
		// Marking a task below the floor again changes nothing.
		seen.over(1, true);
		assert_eq!(seen.completed, 2);
		state.save("worker-floor", &Floor { floor: seen.floor }).unwrap();
		let restarted = Seen::load(&state, "worker-floor").unwrap();
		assert_eq!(restarted.floor, 2);
	}

	#[tokio::test]
	async fn a_pass_on_a_lost_connection_is_a_connection_error_and_steps_nothing() {
		use std::sync::atomic::{AtomicU32, Ordering};
		struct Counting(AtomicU32);
		impl Daemon<fake::FakeChain> for Counting {
			async fn task(&self, _: &fake::FakeChain, _: TaskId) -> Result<Progress> {
				self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
				Ok(Progress::Pending)
			}
		}
		let chain = fake::FakeChain::default();
		let info = fake::task(("http://127.0.0.1:1/x", [1; 32]), None, 3, (40, 40));
		chain.world().tasks.insert(0, (info, Phase::Open));
		let (mut daemon, mut seen) = (Counting(AtomicU32::new(0)), Seen::default());
		pass(&chain, &mut daemon, &mut seen).await.unwrap();
		assert_eq!(daemon.0.load(Ordering::SeqCst), 1);
		chain.world().disconnected = true;
		let error = pass(&chain, &mut daemon, &mut seen).await.unwrap_err();
		assert!(is_connection_error(&error), "{error:#}");
		assert_eq!(daemon.0.load(Ordering::SeqCst), 1);
	}

	#[tokio::test]
	async fn a_pass_reads_the_chain_for_the_tasks_not_over_only() {
		/// Ends every task below `ended`; reads the task from the chain as the daemons do.
		struct Reader {
			ended: u64,
		}
		impl Daemon<fake::FakeChain> for Reader {
			async fn task(&self, chain: &fake::FakeChain, task: TaskId) -> Result<Progress> {
				chain.task(task).await?;
				if task.0 < self.ended {
					return Ok(Progress::Over { took_part: false });
				}
				Ok(Progress::Pending)
			}
		}
		let chain = fake::FakeChain::default();
		for id in 0..200 {
			let info = fake::task(("http://127.0.0.1:1/x", [1; 32]), None, 3, (40, 40));
			chain.world().tasks.insert(id, (info, Phase::Open));
		}
		let (mut daemon, mut seen) = (Reader { ended: 190 }, Seen::default());
		// The first look reads every task once (plus the next id and the block).
		pass(&chain, &mut daemon, &mut seen).await.unwrap();
		assert_eq!(chain.world().reads, 202);
		assert!(seen.advance());
		// From then on a look costs the 10 tasks still going, not the 190 settled ones, and a
		// daemon restarted with its floor starts there too.
		for _ in 0..3 {
			chain.world().reads = 0;
			pass(&chain, &mut daemon, &mut seen).await.unwrap();
			assert_eq!(chain.world().reads, 12);
		}
		let mut restarted = Seen { floor: seen.floor, ..Seen::default() };
		chain.world().reads = 0;
		pass(&chain, &mut daemon, &mut restarted).await.unwrap();
		assert_eq!(chain.world().reads, 12);
	}

	#[tokio::test]
	async fn a_task_idle_until_its_next_phase_is_not_read_before_unless_its_job_ends() {
		// Before, every pass read every task in flight: 200 tasks waiting out their windows
		// cost a daemon 200 reads every poll (and 30 daemons a debug node's every cycle).
		struct Idler {
			ended: std::sync::Mutex<Vec<u64>>,
		}
		impl Daemon<fake::FakeChain> for Idler {
			fn ended_jobs(&self) -> Vec<u64> {
				std::mem::take(&mut *self.ended.lock().unwrap())
			}
			async fn task(&self, chain: &fake::FakeChain, task: TaskId) -> Result<Progress> {
				let (info, _) = chain.task(task).await?.unwrap();
				Ok(Progress::Idle(info.spec.windows.submission_end + 1))
			}
		}
		let chain = fake::FakeChain::default();
		for id in 0..200 {
			let info = fake::task(("http://127.0.0.1:1/x", [1; 32]), None, 3, (40, 40));
			chain.world().tasks.insert(id, (info, Phase::Open));
		}
		chain.world().block = 10;
		let mut daemon = Idler { ended: Default::default() };
		let mut seen = Seen::default();
		async fn reads_of_a_pass(
			chain: &fake::FakeChain,
			daemon: &mut Idler,
			seen: &mut Seen,
		) -> u64 {
			chain.world().reads = 0;
			pass(chain, daemon, seen).await.unwrap();
			let reads = chain.world().reads;
			reads
		}
		assert_eq!(reads_of_a_pass(&chain, &mut daemon, &mut seen).await, 202);
		// Within the phase a pass reads the next id and the block only...
		chain.world().block = 100;
		assert_eq!(reads_of_a_pass(&chain, &mut daemon, &mut seen).await, 2);
		// ... and a task whose job ended (a training to commit) at once.
		daemon.ended.lock().unwrap().push(7);
		assert_eq!(reads_of_a_pass(&chain, &mut daemon, &mut seen).await, 3);
		assert_eq!(reads_of_a_pass(&chain, &mut daemon, &mut seen).await, 2);
		// When the reveal window opens, every task is looked at again.
		chain.world().block = 101;
		assert_eq!(reads_of_a_pass(&chain, &mut daemon, &mut seen).await, 202);
	}

	#[tokio::test]
	async fn a_step_that_hangs_holds_back_no_later_look_and_is_never_started_twice() {
		// Before, each pass waited for all its steps: a commitment the pool had dropped kept a
		// worker from looking at any task for 35 s, past 36 reveal windows (load.sh, 200 tasks).
		use std::sync::atomic::{AtomicU32, Ordering};
		let (release, hang) = tokio::sync::oneshot::channel::<()>();
		let hang = std::sync::Mutex::new(Some(hang));
		let started = [AtomicU32::new(0), AtomicU32::new(0)];
		let mut step = |id: u64| -> StepFuture<'_> {
			started[id as usize].fetch_add(1, Ordering::SeqCst);
			let hang = if id == 0 { hang.lock().unwrap().take() } else { None };
			Box::pin(async move {
				if let Some(hang) = hang {
					let _ = hang.await;
				}
				(id, Ok(Progress::Pending))
			})
		};
		let mut seen = Seen::default();
		let mut flights = Flights::default();
		// First look: task 0 starts and hangs.
		flights.queue(0..1, 0, &seen);
		flights.launch(&mut step);
		// Next looks: task 1 (new) steps and ends, more than once, while task 0 still hangs;
		// task 0 is not started again meanwhile.
		for round in 1..=3u32 {
			flights.queue(0..2, 0, &seen);
			flights.launch(&mut step);
			let (id, outcome) = tokio::time::timeout(Duration::from_secs(5), flights.next())
				.await
				.expect("held back");
			assert_eq!(id, 1);
			assert!(flights.settle(id, outcome, &mut seen).is_none());
			assert_eq!(started[1].load(Ordering::SeqCst), round);
		}
		assert_eq!(started[0].load(Ordering::SeqCst), 1);
		release.send(()).unwrap();
		let (id, outcome) = flights.next().await;
		assert_eq!(id, 0);
		flights.settle(id, outcome, &mut seen);
		flights.queue(0..2, 0, &seen);
		flights.launch(&mut step);
		assert_eq!(started[0].load(Ordering::SeqCst), 2);
	}
}
