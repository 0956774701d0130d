//! The evaluator daemon: scores the models of the tasks it is drawn for, commits, reveals, or
//! reports the test set unusable.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};

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
	options.backend.probe()?;
	// Never given up: an evaluator silent in its window is penalised, so it tries to the end.
	// Downloads of several tasks side by side; their scoring one at a time ([`SCORING`]).
	let scoring = Jobs::new(Backoff { attempts: u32::MAX, ..Backoff::DEFAULT }, JOBS_AT_ONCE);
	let mut daemon = EvaluatorDaemon {
		signer,
		me,
		store,
		state,
		options,
		registered: AtomicBool::new(false),
		scoring,
	};
	run_daemon(common, "evaluator", options.tasks, &mut daemon).await
}

struct EvaluatorDaemon<'a> {
	signer: &'a Keypair,
	me: AccountId,
	store: ArtifactStore,
	state: StateDir,
	options: &'a EvaluatorOptions,
	registered: AtomicBool,
	/// Downloads and scoring in the background, one per task.
	scoring: Jobs<Scoring>,
}

impl<C: ChainApi> Daemon<C> for EvaluatorDaemon<'_> {
	async fn prepare(&self, chain: &C) -> Result<()> {
		if self.registered.load(Ordering::Relaxed) {
			return Ok(());
		}
		match chain.evaluator_stake(&self.me).await? {
			Some(stake) => tracing::info!(account = %self.me, stake, "registered evaluator"),
			None => {
				chain
					.send(Call::RegisterEvaluator { stake: self.options.stake }, self.signer)
					.await?;
				tracing::info!(account = %self.me, stake = self.options.stake, "registered as evaluator");
			},
		}
		self.registered.store(true, Ordering::Relaxed);
		Ok(())
	}

	fn ended_jobs(&self) -> Vec<u64> {
		self.scoring.take_ended()
	}

	async fn task(&self, chain: &C, task: TaskId) -> Result<Progress> {
		let (signer, me, store, state) = (self.signer, &self.me, &self.store, &self.state);
		let jobs = &self.scoring;
		if let Some(progress) =
			evaluator_task(chain, signer, me, store, state, self.options, jobs, task)
				.await?
				.unless_done()
		{
			return Ok(progress);
		}
		self.scoring.forget(task.0);
		let took_part = matches!(
			state.load::<EvaluatorState>(&task_name(task))?,
			Some(EvaluatorState { step: EvaluatorStep::Revealed, .. })
		);
		Ok(Progress::Over { took_part })
	}
}

/// One task's next step for the evaluator, and what it leaves to do. Downloads and scoring run
/// in `jobs`, in the background: this step never waits for them (the task is idle until they
/// end or the commit window closes).
#[allow(clippy::too_many_arguments)]
async fn evaluator_task<C: ChainApi>(
	chain: &C,
	signer: &Keypair,
	me: &AccountId,
	store: &ArtifactStore,
	state: &StateDir,
	options: &EvaluatorOptions,
	jobs: &Jobs<Scoring>,
	task: TaskId,
) -> Result<Next> {
	let name = task_name(task);
	let Some((info, phase)) = chain.task(task).await? else { return Ok(Next::Done) };
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
		(Phase::Ended, _) => Ok(Next::Done),
		// Nothing before the quorum is drawn (or the appeal quorum).
		(
			Phase::Open | Phase::Reveal | Phase::TestReveal | Phase::Appeal | Phase::Finalizable,
			_,
		) => next_phase(chain, &info, phase).await,
		(Phase::ScoreCommit | Phase::AppealScoreCommit, None) => {
			let drawn = if appeal_round {
				chain.appeal_quorum(task).await?
			} else {
				chain.quorum(task).await?
			};
			if !drawn.contains(me) {
				// Not drawn now; an evaluator outside the first quorum may still be drawn
				// into the appeal quorum, if the task is appealed.
				return if appeal_round {
					Ok(Next::Done)
				} else {
					next_phase(chain, &info, phase).await
				};
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
					// Looked at again when the scoring ends, or the commit window closes.
					return next_phase(chain, &info, phase).await;
				},
				Poll::Running => return next_phase(chain, &info, phase).await,
				Poll::Waiting(_) => return Ok(Next::Look),
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
			chain.send(Call::CommitScores { task, commitment }, signer).await?;
			record.step = EvaluatorStep::Committed;
			state.save(&name, &record)?;
			tracing::info!(task = task.0, appeal_round, scores = ?record.scores, "scores committed");
			Ok(Next::Look)
		},
		(Phase::ScoreCommit | Phase::AppealScoreCommit, Some(mut r))
			if r.step == EvaluatorStep::Committing =>
		{
			match chain.send(Call::CommitScores { task, commitment: r.commitment }, signer).await {
				Ok(_) => {},
				Err(ChainError::Dispatch { error, .. }) if error == "AlreadyCommitted" => {},
				Err(e) => return Err(e.into()),
			}
			r.step = EvaluatorStep::Committed;
			state.save(&name, &r)?;
			Ok(Next::Look)
		},
		(Phase::ScoreReveal | Phase::AppealScoreReveal, Some(mut r))
			if matches!(r.step, EvaluatorStep::Committing | EvaluatorStep::Committed) =>
		{
			let submitted = match &r.unusable {
				Some(_) => chain.send(Call::RevealUnusable { task, salt: r.salt }, signer).await,
				None => {
					let call = Call::RevealScores { task, scores: r.typed_scores(), salt: r.salt };
					chain.send(call, signer).await
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
			Ok(Next::Look)
		},
		// Committed: nothing until the reveal window. Revealed: nothing until an appeal round.
		(_, Some(_)) => next_phase(chain, &info, phase).await,
		// Not drawn in the first round: the task may still be appealed. Not drawn in the
		// appeal round: nothing more can come.
		(Phase::ScoreReveal, None) => next_phase(chain, &info, phase).await,
		(Phase::AppealScoreReveal, None) => Ok(Next::Done),
	}
}

/// The revealed test set's bytes, within the cap its declared size implies; `Ok(Err(reason))`
/// when it cannot be fetched (unreachable, refused, too large, a hash mismatch).
pub(super) async fn fetch_test_set(
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
pub(super) async fn fetch_model<C: ChainApi>(
	chain: &C,
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

/// Tasks whose test set and models an evaluator downloads at once.
const JOBS_AT_ONCE: usize = 4;

/// One scoring at a time, whatever the tasks: the memory budget is the process's, not each
/// task's, and a scoring uses every core. The downloads wait for no scoring (with one job at a
/// time for both, 200 tasks' downloads queued behind each other's scoring and evaluators
/// missed 58 commit windows in `scripts/load.sh`).
static SCORING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Revealed models an evaluator downloads at once.
const MODEL_FETCHES_AT_ONCE: usize = 8;

/// Fetches the test set and every revealed model (several at once), and scores each (`None`: invalid); or says
/// why the test set cannot be used.
async fn score_all<C: ChainApi>(
	chain: &C,
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
	let _turn = SCORING.acquire().await.map_err(|e| anyhow!("{e}"))?;
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
pub(super) async fn score_models(
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

#[cfg(test)]
mod tests {
	use super::*;

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

	use crate::{
		ml::training::fresh_network,
		roles::{
			fake::{self, FakeChain},
			Seen,
		},
	};

	/// How the tests' evaluators run: the flex backend, loopback fetches.
	fn options() -> EvaluatorOptions {
		EvaluatorOptions {
			stake: 10,
			memory_budget: inference::DEFAULT_MEMORY_BUDGET,
			backend: Backend::Flex,
			tasks: None,
			fetch: fake::loopback_fetch(),
		}
	}

	/// The evaluator's daemon on `chain`, with its files under `dir`.
	fn daemon<'a>(
		signer: &'a Keypair,
		options: &'a EvaluatorOptions,
		dir: &std::path::Path,
	) -> EvaluatorDaemon<'a> {
		EvaluatorDaemon {
			signer,
			me: account_of(signer),
			store: ArtifactStore::open(dir.join("blobs")).unwrap(),
			state: StateDir::open(dir).unwrap(),
			options,
			registered: AtomicBool::new(false),
			scoring: Jobs::new(fake::QUICK, 1),
		}
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_task_whose_test_set_is_unreachable_does_not_keep_the_next_from_being_scored() {
		let dir = tempfile::tempdir().unwrap();
		let remote = ArtifactStore::open(dir.path().join("remote")).unwrap();
		let base = fake::serve(remote.clone()).await;
		let features = 3;
		let test = fake::csv(40, features);
		let test_hash = remote.put(&test).unwrap();
		let train = (format!("{base}/blob/{}", hex::encode([1; 32])), [1; 32]);
		// Another test set (a blob the store already holds is never fetched again).
		let lost = [7; 32];
		let dead = format!("{}/blob/{}", fake::closed_url(), hex::encode(lost));
		let good = format!("{base}/blob/{}", hex::encode(test_hash));
		let unreachable = fake::task((&train.0, train.1), Some((&dead, lost)), features, (40, 40));
		let served = fake::task((&train.0, train.1), Some((&good, test_hash)), features, (40, 40));
		let device = Backend::Flex.device().unwrap();
		let weights =
			weights::to_bytes(&fresh_network(&served.spec.model, &device, 7).unwrap()).unwrap();
		let model_hash = remote.put(&weights).unwrap();
		let model_uri = format!("{base}/blob/{}", hex::encode(model_hash));

		let signer = fake::signer("//Dave");
		let me = account_of(&signer);
		let chain = FakeChain::default();
		{
			let mut world = chain.world();
			world.block = 121;
			world.tasks.insert(0, (unreachable, Phase::ScoreCommit));
			world.tasks.insert(1, (served, Phase::ScoreCommit));
			world.quorums.insert(0, vec![me]);
			world.quorums.insert(1, vec![me]);
			let worker = [0x77; 32];
			let index = SubmissionIndex(0);
			world.submissions.insert(
				1,
				vec![chain::SubmissionView {
					index,
					worker,
					model_hash: Some(model_hash),
					median: None,
				}],
			);
			world.models.insert((1, 0), (model_uri, model_hash));
			world.evaluators.insert(me, 10);
		}
		let options = options();
		let mut evaluator = daemon(&signer, &options, &dir.path().join("evaluator"));
		let mut seen = Seen::default();

		// Task 0's test set cannot be fetched; task 1 is scored and committed all the same.
		fake::until_sent(&chain, &mut evaluator, &mut seen, 1, "task 1's commitment").await;
		assert_eq!(chain.sent_for(1), ["commit_scores"]);
		let record: EvaluatorState = evaluator.state.load("task-1").unwrap().unwrap();
		assert_eq!(record.step, EvaluatorStep::Committed);
		assert!(matches!(record.scores[..], [(0, Some(_))]), "{:?}", record.scores);
		// Early in the window the failure may be the network's: task 0 is retried, not reported.
		assert!(chain.sent_for(0).is_empty(), "{:?}", chain.sent_for(0));

		// Three blocks before the window closes the evaluator reports it unusable instead of
		// staying silent (silence is slashed).
		chain.world().block = 127;
		fake::until_sent(&chain, &mut evaluator, &mut seen, 0, "task 0's verdict").await;
		let record: EvaluatorState = evaluator.state.load("task-0").unwrap().unwrap();
		let reason = record.unusable.unwrap_or_default();
		assert!(reason.contains("fetching the test set"), "{reason}");

		// In the reveal window each reveals what it committed to.
		chain.set_phase(0, Phase::ScoreReveal);
		chain.set_phase(1, Phase::ScoreReveal);
		super::super::pass(&chain, &mut evaluator, &mut seen).await.unwrap();
		assert_eq!(chain.sent_for(0), ["commit_scores", "reveal_unusable"]);
		assert_eq!(chain.sent_for(1), ["commit_scores", "reveal_scores"]);
	}

	#[tokio::test]
	async fn an_evaluator_not_drawn_sends_nothing_and_registers_once() {
		let dir = tempfile::tempdir().unwrap();
		let signer = fake::signer("//Eve");
		let chain = FakeChain::default();
		let test = Some(("http://127.0.0.1:1/blob/00", [2; 32]));
		chain.world().tasks.insert(
			0,
			(fake::task(("http://127.0.0.1:1/x", [1; 32]), test, 3, (40, 40)), Phase::ScoreCommit),
		);
		chain.world().quorums.insert(0, vec![account_of(&fake::signer("//Ferdie"))]);
		let options = options();
		let mut evaluator = daemon(&signer, &options, dir.path());
		let mut seen = Seen::default();
		fake::passes(&chain, &mut evaluator, &mut seen, 3).await;
		let sent: Vec<_> = chain.world().sent.iter().map(|(_, c)| fake::kind(c)).collect();
		assert_eq!(sent, ["register_evaluator"]);
	}
}
