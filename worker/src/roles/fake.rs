//! An in-memory chain for the daemons' tests: tasks in the phase a test sets, the calls the
//! daemons send recorded (a commitment shows up among the submissions, as on chain), and a
//! switch that makes every call fail as a lost connection does. Only what a daemon reads or
//! sends is modelled: the pallets' rules are tested in the pallets and on a real node.

use pouw_primitives::{
	Activation, DataShape, DatasetFormat, DatasetRef, Hash256, Metric, ModelSpec, Reputation,
	Score, ScoreTolerance, SubmissionIndex, TaskId, TaskSpec, Windows,
};
use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex, MutexGuard},
	time::Duration,
};
use subxt_signer::sr25519::Keypair;

use crate::chain::{
	account_of, AccountId, Balance, BlockNumber, Call, ChainApi, ChainError, Phase, ReputationView,
	SubmissionView, TaskInfo, TaskStatus, TestSet,
};

/// The chain's state, as a test sets it.
#[derive(Default)]
pub(super) struct World {
	pub block: BlockNumber,
	pub tasks: BTreeMap<u64, (TaskInfo, Phase)>,
	pub submissions: BTreeMap<u64, Vec<SubmissionView>>,
	/// Revealed weights: `(task, submission)` to URI and hash.
	pub models: BTreeMap<(u64, u32), (String, Hash256)>,
	pub quorums: BTreeMap<u64, Vec<AccountId>>,
	pub evaluators: BTreeMap<AccountId, Balance>,
	/// Every call sent, with its signer, in order.
	pub sent: Vec<(AccountId, Call)>,
	/// The dispatch error the next matching call fails with: `(call kind, error name)`.
	pub refuse: Option<(&'static str, &'static str)>,
	/// Every read and send fails as a lost connection does.
	pub disconnected: bool,
	/// Reads served (every method but `send`).
	pub reads: u64,
	/// Of those, reads of the chain's pace (`block_time`).
	pub pace_reads: u64,
}

/// A handle on a shared [`World`]; clones see the same chain.
#[derive(Clone, Default)]
pub(super) struct FakeChain(Arc<Mutex<World>>);

/// The kind of a call, as [`World::refuse`] names it.
pub(super) fn kind(call: &Call) -> &'static str {
	match call {
		Call::CommitModel { .. } => "commit_model",
		Call::RevealModel { .. } => "reveal_model",
		Call::Appeal { .. } => "appeal",
		Call::RegisterEvaluator { .. } => "register_evaluator",
		Call::CommitScores { .. } => "commit_scores",
		Call::RevealScores { .. } => "reveal_scores",
		Call::RevealUnusable { .. } => "reveal_unusable",
	}
}

impl FakeChain {
	pub fn world(&self) -> MutexGuard<'_, World> {
		self.0.lock().unwrap_or_else(|e| e.into_inner())
	}

	/// The calls sent about `task`, by kind.
	pub fn sent_for(&self, task: u64) -> Vec<&'static str> {
		let world = self.world();
		world
			.sent
			.iter()
			.filter(|(_, c)| c.task() == Some(TaskId(task)))
			.map(|(_, c)| kind(c))
			.collect()
	}

	/// Sets `task`'s phase, and the chain's block to the phase's first (daemons wait for
	/// the block a phase opens at before they look at a task again).
	pub fn set_phase(&self, task: u64, phase: Phase) {
		let mut world = self.world();
		if let Some((info, at)) = world.tasks.get_mut(&task) {
			*at = phase;
			let w = &info.spec.windows;
			let first = match phase {
				Phase::Open => None,
				Phase::Reveal => Some(w.submission_end + 1),
				Phase::TestReveal => Some(w.reveal_end + 1),
				Phase::ScoreCommit => Some(w.test_reveal_end + 1),
				Phase::ScoreReveal => Some(w.score_commit_end + 1),
				_ => Some(w.evaluation_end + 1),
			};
			if let Some(first) = first {
				world.block = world.block.max(first);
			}
		}
	}

	/// A read that returns nothing of the world (counted, and failing when disconnected).
	fn touch(&self) -> Result<(), ChainError> {
		self.read().map(drop)
	}

	fn read(&self) -> Result<MutexGuard<'_, World>, ChainError> {
		let mut world = self.world();
		if world.disconnected {
			return Err(ChainError::Connect { url: "fake".into(), reason: "disconnected".into() });
		}
		world.reads += 1;
		Ok(world)
	}
}

impl ChainApi for FakeChain {
	async fn block_number(&self) -> Result<BlockNumber, ChainError> {
		Ok(self.read()?.block)
	}

	async fn block_time(&self, _now: BlockNumber) -> Result<Option<Duration>, ChainError> {
		self.read()?.pace_reads += 1;
		Ok(None)
	}

	async fn next_task_id(&self) -> Result<TaskId, ChainError> {
		Ok(TaskId(self.read()?.tasks.keys().next_back().map_or(0, |id| id + 1)))
	}

	async fn task(&self, task: TaskId) -> Result<Option<(TaskInfo, Phase)>, ChainError> {
		Ok(self.read()?.tasks.get(&task.0).cloned())
	}

	async fn submissions(&self, task: TaskId) -> Result<Vec<SubmissionView>, ChainError> {
		Ok(self.read()?.submissions.get(&task.0).cloned().unwrap_or_default())
	}

	async fn revealed_model(
		&self,
		task: TaskId,
		index: SubmissionIndex,
	) -> Result<Option<(String, Hash256)>, ChainError> {
		Ok(self.read()?.models.get(&(task.0, index.0)).cloned())
	}

	async fn quorum(&self, task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		Ok(self.read()?.quorums.get(&task.0).cloned().unwrap_or_default())
	}

	async fn appeal_quorum(&self, _task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		self.touch()?;
		Ok(Vec::new())
	}

	async fn revealed_scores(
		&self,
		_task: TaskId,
	) -> Result<Vec<(AccountId, Vec<(SubmissionIndex, Option<Score>)>)>, ChainError> {
		self.touch()?;
		Ok(Vec::new())
	}

	async fn reputation(&self, _who: &AccountId) -> Result<ReputationView, ChainError> {
		self.touch()?;
		let half = Reputation::from_percent(50);
		Ok(ReputationView { worker: half, evaluator: half, sponsor: half })
	}

	async fn evaluator_stake(&self, who: &AccountId) -> Result<Option<Balance>, ChainError> {
		Ok(self.read()?.evaluators.get(who).copied())
	}

	async fn appeal_window(&self) -> Result<BlockNumber, ChainError> {
		self.touch()?;
		Ok(20)
	}

	async fn score_tolerance(&self) -> Result<ScoreTolerance, ChainError> {
		self.touch()?;
		Ok(ScoreTolerance { absolute: 5_000_000, relative: pouw_primitives::Perbill::zero() })
	}

	async fn send(&self, call: Call, signer: &Keypair) -> Result<(), ChainError> {
		let who = account_of(signer);
		let mut world = self.world();
		if world.disconnected {
			return Err(ChainError::Connect { url: "fake".into(), reason: "disconnected".into() });
		}
		if let Some((refused, error)) = world.refuse {
			if refused == kind(&call) {
				world.refuse = None;
				return Err(ChainError::Dispatch {
					call: refused.into(),
					pallet: "Fake".into(),
					error: error.into(),
					docs: String::new(),
				});
			}
		}
		match &call {
			Call::CommitModel { task, .. } => {
				let subs = world.submissions.entry(task.0).or_default();
				let index = SubmissionIndex(subs.len() as u32);
				subs.push(SubmissionView { index, worker: who.0, model_hash: None, median: None });
			},
			Call::RevealModel { task, uri, hash, .. } => {
				let found = world
					.submissions
					.get_mut(&task.0)
					.and_then(|subs| subs.iter_mut().find(|s| s.worker == who.0));
				if let Some(sub) = found {
					sub.model_hash = Some(*hash);
					let index = sub.index.0;
					world.models.insert((task.0, index), (uri.clone(), *hash));
				}
			},
			Call::RegisterEvaluator { stake } => {
				world.evaluators.insert(who, *stake);
			},
			_ => {},
		}
		world.sent.push((who, call));
		Ok(())
	}
}

/// A small classification task (`features` inputs, 2 classes, an MLP with 4 hidden units) whose
/// training data is at `train` and test set, once revealed, at `test`.
pub(super) fn task(
	train: (&str, Hash256),
	test: Option<(&str, Hash256)>,
	features: u32,
	samples: (u32, u32),
) -> TaskInfo {
	let label_column = b"label".to_vec().try_into().unwrap_or_default();
	TaskInfo {
		sponsor: [0xee; 32],
		spec: TaskSpec {
			dataset: DatasetRef {
				uri: train.0.as_bytes().to_vec().try_into().unwrap_or_default(),
				hash: train.1,
				format: DatasetFormat::Csv { label_column },
				shape: DataShape { samples: samples.0, features, classes: 2 },
			},
			test_samples: samples.1,
			model: ModelSpec::Mlp {
				inputs: features,
				hidden: vec![4].try_into().unwrap_or_default(),
				outputs: 2,
				activation: Activation::Relu,
			},
			metric: Metric::Accuracy,
			min_score: None,
			windows: Windows {
				submission_end: 100,
				reveal_end: 110,
				test_reveal_end: 120,
				score_commit_end: 130,
				evaluation_end: 140,
			},
			quorum: 3,
			min_worker_reputation: Reputation::zero(),
			parent: None,
		},
		bounty: 100,
		test_set_commitment: [0; 32],
		created_at: 1,
		status: TaskStatus::Active,
		submissions: 0,
		next_submission: SubmissionIndex(0),
		revealed: 0,
		test_set: test.map(|(uri, hash)| TestSet { uri: uri.as_bytes().to_vec(), hash }),
		parent_model: None,
		winner: None,
		deposit: 0,
		appeal: None,
	}
}

/// `rows` rows of a CSV with `features` columns and a `label` column: the label is whether the
/// first feature is above the middle, so a model can learn it.
pub(super) fn csv(rows: u32, features: u32) -> Vec<u8> {
	let mut out: Vec<String> = vec![(0..features)
		.map(|f| format!("x{f}"))
		.chain(["label".to_string()])
		.collect::<Vec<_>>()
		.join(",")];
	for r in 0..rows {
		let first = (r * 7 % 10) as f32 / 10.0;
		let mut row: Vec<String> = vec![format!("{first}")];
		row.extend((1..features).map(|f| format!("{}", ((r + f) % 5) as f32 / 5.0)));
		row.push(u32::from(first >= 0.5).to_string());
		out.push(row.join(","));
	}
	(out.join("\n") + "\n").into_bytes()
}

/// Serves `store` on a free loopback port; returns `http://127.0.0.1:<port>`.
pub(super) async fn serve(store: crate::artifacts::ArtifactStore) -> String {
	let (addr, server) = crate::artifacts::bind(store, ([127, 0, 0, 1], 0).into())
		.await
		.unwrap_or_else(|e| panic!("binding a loopback port: {e}"));
	tokio::spawn(server);
	format!("http://{addr}")
}

/// A URL on a loopback port nothing listens on (bound, then closed).
pub(super) fn closed_url() -> String {
	let listener = std::net::TcpListener::bind("127.0.0.1:0")
		.unwrap_or_else(|e| panic!("binding a loopback port: {e}"));
	let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
	drop(listener);
	format!("http://{addr}")
}

/// A dev account's signer (`//Alice`, `//Dave`, ...).
pub(super) fn signer(suri: &str) -> Keypair {
	crate::chain::signer_from_suri(suri).unwrap_or_else(|e| panic!("{e}"))
}

/// How the tests' daemons fetch: loopback allowed (the tests' servers), short timeouts.
pub(super) fn loopback_fetch() -> crate::artifacts::FetchLimits {
	crate::artifacts::FetchLimits {
		allow_private: true,
		connect_timeout: Duration::from_secs(2),
		timeout: Duration::from_secs(10),
		..Default::default()
	}
}

/// Backoff for the tests' background jobs: retries within milliseconds.
pub(super) const QUICK: super::jobs::Backoff = super::jobs::Backoff {
	first: Duration::from_millis(10),
	max: Duration::from_millis(50),
	attempts: 3,
};

/// Runs `pass` until `done` holds (at most 30 s, looking every 20 ms); panics otherwise.
pub(super) async fn until<C: ChainApi, D: super::Daemon<C>>(
	chain: &C,
	daemon: &mut D,
	seen: &mut super::Seen,
	mut done: impl FnMut() -> bool,
	what: &str,
) {
	let deadline = std::time::Instant::now() + Duration::from_secs(30);
	while !done() {
		assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
		if let Err(e) = super::pass(chain, daemon, seen).await {
			panic!("a pass failed: {e:#}");
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// Runs [`super::pass`] until a call about `task` has been sent.
pub(super) async fn until_sent(
	chain: &FakeChain,
	daemon: &mut impl super::Daemon<FakeChain>,
	seen: &mut super::Seen,
	task: u64,
	what: &str,
) {
	until(chain, daemon, seen, || !chain.sent_for(task).is_empty(), what).await;
}

/// `n` passes, each expected to succeed.
pub(super) async fn passes<C: ChainApi, D: super::Daemon<C>>(
	chain: &C,
	daemon: &mut D,
	seen: &mut super::Seen,
	n: usize,
) {
	for _ in 0..n {
		if let Err(e) = super::pass(chain, daemon, seen).await {
			panic!("a pass failed: {e:#}");
		}
	}
}
