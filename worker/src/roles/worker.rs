//! The worker daemon: trains on open tasks in the background, commits, reveals, appeals a
//! false finding.

use super::{
	evaluator::{fetch_model, fetch_test_set, score_models},
	*,
};

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
	/// Trainings run side by side (the others wait their turn; each training uses every core
	/// the backend finds, and holds its data set in memory).
	pub trainings_at_once: usize,
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
	options.backend.probe()?;
	tracing::info!(account = %me, backend = %options.backend, "worker started");
	let training = Jobs::new(Backoff::DEFAULT, options.trainings_at_once);
	let mut daemon = WorkerDaemon { signer, me, store, state, options, training };
	run_daemon(common, "worker", options.tasks, &mut daemon).await
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

impl<C: ChainApi> Daemon<C> for WorkerDaemon<'_> {
	fn ended_jobs(&self) -> Vec<u64> {
		self.training.take_ended()
	}

	async fn task(&self, chain: &C, task: TaskId) -> Result<Progress> {
		let (signer, me, store, state) = (self.signer, &self.me, &self.store, &self.state);
		let jobs = &self.training;
		if let Some(progress) =
			worker_task(chain, signer, me, store, state, self.options, jobs, task)
				.await?
				.unless_done()
		{
			return Ok(progress);
		}
		self.training.forget(task.0);
		let took_part = matches!(
			state.load::<WorkerState>(&task_name(task))?,
			Some(WorkerState { step: WorkerStep::Revealed, .. })
		);
		Ok(Progress::Over { took_part })
	}
}

/// One task's next step for the worker, and what it leaves to do. Training runs in `jobs`, in
/// the background: this step never waits for it (the task is idle until the training ends or
/// the commit window closes).
#[allow(clippy::too_many_arguments)]
async fn worker_task<C: ChainApi>(
	chain: &C,
	signer: &Keypair,
	me: &AccountId,
	store: &ArtifactStore,
	state: &StateDir,
	options: &WorkerOptions,
	jobs: &Jobs<Trained>,
	task: TaskId,
) -> Result<Next> {
	let name = task_name(task);
	let Some((info, phase)) = chain.task(task).await? else { return Ok(Next::Done) };
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
					return Ok(Next::Done);
				}
				r.step = WorkerStep::Done { note };
				state.save(&name, &r)?;
			}
			Ok(Next::Done)
		},
		(Phase::Ended, None) => Ok(Next::Done),
		// Given up or skipped: only its end is left to see.
		(_, Some(WorkerState { step: WorkerStep::Done { .. }, .. })) => {
			next_phase(chain, &info, phase).await
		},
		(Phase::Open, None) => {
			if !jobs.is_running(task.0) {
				if info.sponsor == me.0 {
					return Ok(Next::Done);
				}
				let rep = chain.reputation(me).await?;
				if rep.worker < info.spec.min_worker_reputation {
					tracing::info!(task = task.0, "reputation below the task's minimum; skipping");
					return Ok(Next::Done);
				}
			}
			// The deadline is worked out when a training starts (or starts again after its
			// backoff), not at every look while one runs or waits.
			let (c, s, o, i) = (chain.clone(), store.clone(), options.clone(), info.clone());
			let job = move || async move {
				let deadline = training_deadline(&c, &i).await?;
				train_for(&c, &s, &o, task, &i, deadline).await
			};
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
					// Looked at again when the training ends, or the commit window closes.
					return next_phase(chain, &info, phase).await;
				},
				Poll::Running => return next_phase(chain, &info, phase).await,
				Poll::Waiting(_) => return Ok(Next::Look),
				Poll::Ready(Err(e)) | Poll::GaveUp(e) if e.is::<CannotFinish>() => {
					tracing::info!(task = task.0, "skipping the task: {e}");
					jobs.forget(task.0);
					give_up(format!("skipped: {e}"))?;
					return Ok(Next::Look);
				},
				Poll::Ready(Err(e)) => {
					tracing::warn!(task = task.0, "cannot train yet (retrying): {e:#}");
					return Ok(Next::Look);
				},
				Poll::GaveUp(e) => {
					tracing::warn!(task = task.0, "cannot train: {e:#}");
					give_up(format!("cannot train: {e:#}"))?;
					return Ok(Next::Look);
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
			Ok(Next::Look)
		},
		(Phase::Open, Some(r)) if r.step == WorkerStep::Committing => {
			if mine(&chain.submissions(task).await?) {
				let mut r = r;
				r.step = WorkerStep::Committed;
				state.save(&name, &r)?;
			} else {
				commit(chain, signer, state, task, r).await?;
			}
			Ok(Next::Look)
		},
		(Phase::Reveal, Some(mut r))
			if matches!(r.step, WorkerStep::Committing | WorkerStep::Committed) =>
		{
			if r.step == WorkerStep::Committing && !mine(&chain.submissions(task).await?) {
				r.step = WorkerStep::Done { note: "the commitment never reached the chain".into() };
				state.save(&name, &r)?;
				return Ok(Next::Look);
			}
			let call = Call::RevealModel {
				task,
				uri: r.model_uri.clone(),
				hash: r.model_hash,
				salt: r.salt,
			};
			match chain.send(call, signer).await {
				Ok(_) => {},
				// A reveal sent before a restart or a lost connection went through.
				Err(ChainError::Dispatch { error, .. }) if error == "AlreadyRevealed" => {},
				Err(e @ ChainError::Dispatch { .. }) => {
					tracing::warn!(task = task.0, "reveal refused: {e}");
					r.step = WorkerStep::Done { note: format!("reveal refused: {e}") };
					state.save(&name, &r)?;
					return Ok(Next::Look);
				},
				Err(e) => return Err(e.into()),
			}
			r.step = WorkerStep::Revealed;
			state.save(&name, &r)?;
			tracing::info!(task = task.0, uri = %r.model_uri, "model revealed");
			Ok(Next::Look)
		},
		// Committed: nothing until the reveal window. Not taking part: nothing until it ends.
		(Phase::Open | Phase::Reveal, _) => next_phase(chain, &info, phase).await,
		(_, Some(mut r)) if matches!(r.step, WorkerStep::Committing | WorkerStep::Committed) => {
			tracing::warn!(
				task = task.0,
				?phase,
				"the reveal window closed before this worker revealed"
			);
			r.step = WorkerStep::Done { note: "missed the reveal window".into() };
			state.save(&name, &r)?;
			Ok(Next::Look)
		},
		(Phase::Appeal, Some(mut r)) if r.step == WorkerStep::Revealed && !r.appeal_checked => {
			match appeal_reason(chain, store, options, task, &info, me).await? {
				None => tracing::info!(task = task.0, "the quorum's finding checks out"),
				Some(reason) => {
					tracing::warn!(task = task.0, %reason, "appealing the evaluation");
					match chain.send(Call::Appeal { task }, signer).await {
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
			Ok(Next::Look)
		},
		// Revealed: nothing until the appeal window (or its end, once checked).
		(_, Some(_)) => next_phase(chain, &info, phase).await,
		(_, None) => Ok(Next::Done),
	}
}

/// Why the first quorum's finding on this worker's model, or on the model it crowns, is false
/// (`None`: it checks out, or the test set cannot be used here either, as a quorum that found
/// it unusable said). Scores both models on the now public test set, as an evaluator would.
async fn appeal_reason<C: ChainApi>(
	chain: &C,
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

async fn commit<C: ChainApi>(
	chain: &C,
	signer: &Keypair,
	state: &StateDir,
	task: TaskId,
	mut record: WorkerState,
) -> Result<()> {
	let name = task_name(task);
	match chain.send(Call::CommitModel { task, commitment: record.commitment }, signer).await {
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
async fn training_deadline<C: ChainApi>(
	chain: &C,
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
async fn train_for<C: ChainApi>(
	chain: &C,
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

#[cfg(test)]
mod tests {
	use super::*;

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

	use crate::roles::{
		fake::{self, FakeChain},
		Seen,
	};

	/// A worker on `chain` with its files under `dir`, and a task 0 open for it whose training
	/// data is served on loopback.
	async fn setup(dir: &std::path::Path) -> (FakeChain, WorkerOptions) {
		let remote = ArtifactStore::open(dir.join("remote")).unwrap();
		let base = fake::serve(remote.clone()).await;
		let train = fake::csv(60, 3);
		let hash = remote.put(&train).unwrap();
		let uri = format!("{base}/blob/{}", hex::encode(hash));
		let chain = FakeChain::default();
		chain.world().block = 10;
		chain.world().tasks.insert(0, (fake::task((&uri, hash), None, 3, (60, 40)), Phase::Open));
		let options = WorkerOptions {
			training: TrainingConfig::new().with_epochs(3),
			backend: Backend::Flex,
			public_url: Some("http://127.0.0.1:9".into()),
			listen: None,
			tasks: None,
			fetch: fake::loopback_fetch(),
			checkpoints: Some(dir.join("checkpoints")),
			keep_checkpoints: 2,
			trainings_at_once: 1,
		};
		(chain, options)
	}

	fn daemon<'a>(
		signer: &'a Keypair,
		options: &'a WorkerOptions,
		dir: &std::path::Path,
	) -> WorkerDaemon<'a> {
		WorkerDaemon {
			signer,
			me: account_of(signer),
			store: ArtifactStore::open(dir.join("blobs")).unwrap(),
			state: StateDir::open(dir).unwrap(),
			options,
			training: Jobs::new(fake::QUICK, 1),
		}
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_worker_reveals_what_it_committed_and_only_in_the_reveal_window() {
		let dir = tempfile::tempdir().unwrap();
		let (chain, options) = setup(dir.path()).await;
		let signer = fake::signer("//Bob");
		let mut worker = daemon(&signer, &options, &dir.path().join("worker"));
		let mut seen = Seen::default();
		fake::until_sent(&chain, &mut worker, &mut seen, 0, "the commitment").await;
		let record: WorkerState = worker.state.load("task-0").unwrap().unwrap();
		assert_eq!(record.step, WorkerStep::Committed);
		assert_eq!(
			record.commitment,
			model_commitment(&record.model_hash, &record.salt, &worker.me.0)
		);
		// The weights and their training record are in the store; the checkpoints are gone.
		assert!(worker.store.get(&record.model_hash).unwrap().is_some());
		assert!(worker.store.path(&record.model_hash).with_extension("json").exists());
		assert!(!dir.path().join("checkpoints/task-0").exists());

		// Still in the commit window: the salt stays secret.
		fake::passes(&chain, &mut worker, &mut seen, 3).await;
		assert_eq!(chain.sent_for(0), ["commit_model"]);

		chain.set_phase(0, Phase::Reveal);
		super::super::pass(&chain, &mut worker, &mut seen).await.unwrap();
		super::super::pass(&chain, &mut worker, &mut seen).await.unwrap();
		assert_eq!(chain.sent_for(0), ["commit_model", "reveal_model"]);
		let revealed = chain.world().sent.iter().find_map(|(_, c)| match c {
			Call::RevealModel { hash, salt, .. } => Some((*hash, *salt)),
			_ => None,
		});
		assert_eq!(revealed, Some((record.model_hash, record.salt)));
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_worker_past_the_reveal_window_never_reveals_late() {
		let dir = tempfile::tempdir().unwrap();
		let (chain, options) = setup(dir.path()).await;
		let signer = fake::signer("//Bob");
		let mut worker = daemon(&signer, &options, &dir.path().join("worker"));
		let mut seen = Seen::default();
		fake::until_sent(&chain, &mut worker, &mut seen, 0, "the commitment").await;
		// The daemon was away for the whole reveal window (a stalled node, a long restart).
		chain.set_phase(0, Phase::TestReveal);
		fake::passes(&chain, &mut worker, &mut seen, 3).await;
		assert_eq!(chain.sent_for(0), ["commit_model"]);
		let record: WorkerState = worker.state.load("task-0").unwrap().unwrap();
		assert_eq!(record.step, WorkerStep::Done { note: "missed the reveal window".into() });
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_refused_commitment_is_recorded_and_never_sent_again() {
		let dir = tempfile::tempdir().unwrap();
		let (chain, options) = setup(dir.path()).await;
		chain.world().refuse = Some(("commit_model", "TooManySubmissions"));
		let signer = fake::signer("//Bob");
		let mut worker = daemon(&signer, &options, &dir.path().join("worker"));
		let mut seen = Seen::default();
		fake::until(
			&chain,
			&mut worker,
			&mut seen,
			|| chain.world().refuse.is_none(),
			"the refusal",
		)
		.await;
		fake::passes(&chain, &mut worker, &mut seen, 3).await;
		chain.set_phase(0, Phase::Reveal);
		super::super::pass(&chain, &mut worker, &mut seen).await.unwrap();
		assert!(chain.sent_for(0).is_empty(), "{:?}", chain.sent_for(0));
		let record: WorkerState = worker.state.load("task-0").unwrap().unwrap();
		let WorkerStep::Done { note } = record.step else { panic!("{:?}", record.step) };
		assert!(note.contains("commit refused") && note.contains("TooManySubmissions"), "{note}");
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_training_waiting_out_its_backoff_does_not_read_the_chains_pace_again() {
		let dir = tempfile::tempdir().unwrap();
		let chain = FakeChain::default();
		// The training data cannot be fetched: the training fails and waits before retrying.
		let dead = format!("{}/blob/{}", fake::closed_url(), hex::encode([5; 32]));
		chain
			.world()
			.tasks
			.insert(0, (fake::task((&dead, [5; 32]), None, 3, (60, 40)), Phase::Open));
		let (_, options) = setup(dir.path()).await;
		let signer = fake::signer("//Bob");
		let mut worker = daemon(&signer, &options, &dir.path().join("worker"));
		worker.training = Jobs::new(Backoff { first: Duration::from_secs(600), ..fake::QUICK }, 1);
		let mut seen = Seen::default();
		super::super::pass(&chain, &mut worker, &mut seen).await.unwrap();
		// The job starts, reads the pace, fails to fetch and waits.
		tokio::time::sleep(Duration::from_millis(300)).await;
		super::super::pass(&chain, &mut worker, &mut seen).await.unwrap();
		assert_eq!(chain.world().pace_reads, 1, "the pace is read when the training starts");
		fake::passes(&chain, &mut worker, &mut seen, 5).await;
		assert_eq!(chain.world().pace_reads, 1, "not again while the retry waits");
		assert!(chain.sent_for(0).is_empty());
	}
}
