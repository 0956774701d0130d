//! The sponsor: posts a task, serves its data, reveals the test set in its window.

use super::*;

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
	/// While the creation is pending: the chain's next task id before it was sent, the first
	/// id the task can have (see [`adopt_pending`]).
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub from_task: Option<u64>,
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

/// The first of `windows` shifted `from`, `from + 1`, ... [`MAX_WINDOW_SHIFT`] blocks later whose draw block
/// and deadline block have room on chain: full blocks (other sponsors' tasks, or a spammer's)
/// move the task later instead of failing it.
async fn windows_with_room(
	chain: &Chain,
	windows: Windows<BlockNumber>,
	from: BlockNumber,
) -> Result<Windows<BlockNumber>> {
	let appeal_window = chain.appeal_window().await?;
	for by in from.min(MAX_WINDOW_SHIFT)..=MAX_WINDOW_SHIFT {
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

/// Times [`sponsor_create`] sends a task again after another sponsor's task took the block it
/// chose, or the pool refused it. 8 left 2 of 200 tasks unposted when 13 sponsors posted at
/// once for blocks that hold 2 draws (`scripts/load.sh`); the last try skips up to 128 blocks.
const MAX_CREATE_ATTEMPTS: u32 = 16;

/// Blocks a retried creation skips before it looks for room again: a random number below
/// [`RETRY_SPREAD`] times the attempt, so sponsors that raced for one block spread out instead
/// of all racing again for the next block with room.
fn retry_shift(attempt: u32, random: [u8; 4]) -> BlockNumber {
	let spread = RETRY_SPREAD.saturating_mul(attempt).max(1);
	u32::from_le_bytes(random) % spread
}

/// See [`retry_shift`].
const RETRY_SPREAD: BlockNumber = 8;

/// Whether a refused `create_task` names a draw or deadline block that filled up.
fn is_full_block(error: &str) -> bool {
	matches!(error, "TooManyDrawsAtBlock" | "TooManyTasksEndingAtBlock")
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
	let model: ModelSpec = crate::ml::spec_text::parse(&new.model, layout.features, outputs)?;

	let train_hash = store.put(&train_bytes)?;
	let test_hash = store.put(&test_bytes)?;
	let salt = random_bytes()?;
	let commitment = test_set_commitment(&test_hash, &salt);

	let chain = Chain::connect(&common.url).await?;
	// The windows start at the block the task is sent at (again at a retry: a retry after the
	// first window's end was refused as `BadWindows` or `PhaseTooShort`).
	let windows_from = |now: BlockNumber| -> Result<Windows<BlockNumber>> {
		let mut end = now;
		let mut ends = [0; 5];
		for (slot, blocks) in ends.iter_mut().zip(new.phase_blocks) {
			end = end.checked_add(blocks.max(1)).ok_or_else(|| anyhow!("windows overflow"))?;
			*slot = end;
		}
		// A few blocks of slack for inclusion.
		let slack = 2;
		Ok(Windows {
			submission_end: ends[0] + slack,
			reveal_end: ends[1] + slack,
			test_reveal_end: ends[2] + slack,
			score_commit_end: ends[3] + slack,
			evaluation_end: ends[4] + slack,
		})
	};
	let now = chain.block_number().await?;
	let uri = blob_uri(public_url, &store, &train_hash)?;
	let bounded_uri: pouw_primitives::Uri =
		uri.as_bytes().to_vec().try_into().map_err(|_| anyhow!("URI too long: {uri}"))?;
	// Checked before anything is written: a spec the chain refuses leaves no record behind.
	let spec_with = |windows, now: BlockNumber| -> Result<TaskSpec<BlockNumber>> {
		let spec = TaskSpec {
			dataset: DatasetRef {
				uri: bounded_uri.clone(),
				hash: train_hash,
				format: new.format.clone(),
				shape: DataShape {
					samples: train.len() as u32,
					features: layout.features,
					classes: new.classes,
				},
			},
			test_samples,
			model: model.clone(),
			metric: new.metric,
			min_score: new.min_score,
			windows,
			quorum: new.quorum,
			min_worker_reputation: new.min_worker_reputation,
			parent: new.parent,
		};
		spec.validate(&now).map_err(|e| anyhow!("the task spec is invalid: {e:?}"))?;
		Ok(spec)
	};
	let mut spec = spec_with(windows_with_room(&chain, windows_from(now)?, 0).await?, now)?;
	let pending = format!("sponsor-pending-{}", hex::encode(&commitment[..8]));
	let from_task = Some(chain.next_task_id().await?.0);
	let mut record =
		SponsorState { task: None, test_hash, salt, commitment, revealed: false, from_task };
	state.save(&pending, &record)?;
	// Another sponsor may take the last place at the draw or deadline block between the look
	// and the block: then look again from there.
	let mut attempt = 0;
	let events = loop {
		let from =
			match chain.submit(&calls::create_task(&spec, commitment, new.bounty)?, signer).await {
				Err(ChainError::Dispatch { error, .. })
					if is_full_block(&error) && attempt < MAX_CREATE_ATTEMPTS =>
				{
					attempt += 1;
					let random = random_bytes()?;
					let from = retry_shift(attempt, [random[0], random[1], random[2], random[3]]);
					tracing::info!(%error, attempt, from, "another task took the block first: looking again");
					from
				},
				Err(ChainError::NotIncluded { reason, .. }) if attempt < MAX_CREATE_ATTEMPTS => {
					// Refused by the pool, so certainly not in a block: most often another process
					// of this account (`pouw sponsor watch` revealing a test set) took the nonce.
					attempt += 1;
					tracing::info!(%reason, attempt, "the pool refused the task: sending it again");
					tokio::time::sleep(std::time::Duration::from_secs(1)).await;
					0
				},
				Err(e @ (ChainError::Dispatch { .. } | ChainError::NotIncluded { .. })) => {
					// Refused: no task was made, nothing is left pending.
					state.remove(&pending)?;
					return Err(e.into());
				},
				outcome => break outcome?,
			};
		let now = chain.block_number().await?;
		spec = spec_with(windows_with_room(&chain, windows_from(now)?, from).await?, now)?;
	};
	let task = chain::created_task_id(&events)?;
	record.task = Some(task.0);
	record.from_task = None;
	state.save(&sponsor_name(task), &record)?;
	state.remove(&pending)?;
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
	let ended = sponsor_watch_many(common, signer, Some(vec![task]), public_url, listen).await?;
	ended
		.into_iter()
		.next()
		.map(|(_, status)| status)
		.ok_or_else(|| anyhow!("task {} was not watched", task.0))
}

/// [`sponsor_watch`] for several tasks at once: `tasks`, or (`None`) every task this data
/// directory holds a sponsor record of. Returns each task's final status once all have ended.
pub async fn sponsor_watch_many(
	common: &Common,
	signer: &Keypair,
	tasks: Option<Vec<TaskId>>,
	public_url: Option<&str>,
	listen: Option<SocketAddr>,
) -> Result<Vec<(TaskId, chain::TaskStatus)>> {
	let store = common.store()?;
	let state = StateDir::open(&common.data_dir)?;
	let follow = tasks.is_none();
	let recorded = |state: &StateDir| -> Result<Vec<TaskId>> {
		let mut ids: Vec<TaskId> = state
			.names()?
			.iter()
			.filter_map(|n| n.strip_prefix("sponsor-task-")?.parse().ok().map(TaskId))
			.collect();
		ids.sort();
		Ok(ids)
	};
	let tasks = match tasks {
		Some(tasks) => tasks,
		None => recorded(&state)?,
	};
	if tasks.is_empty() {
		bail!("no sponsor records in {}", common.data_dir.display());
	}
	let mut watched = Vec::new();
	let watch = |task: TaskId, watched: &mut Vec<Watched>| -> Result<()> {
		let record: SponsorState = state.load(&sponsor_name(task))?.ok_or_else(|| {
			anyhow!("no record of task {} in {}", task.0, common.data_dir.display())
		})?;
		watched.push(Watched { task, record, phase: None, ended: None });
		Ok(())
	};
	for task in tasks {
		watch(task, &mut watched)?;
	}
	if let Some(addr) = listen {
		serve_store(store.clone(), addr).await?;
	}
	let mut node = Node::new(&common.url);
	let me = account_of(signer);
	let mut scanned = HashMap::new();
	loop {
		if follow {
			// Tasks this data directory posted since: watched too.
			for task in recorded(&state)? {
				if !watched.iter().any(|w| w.task == task) {
					watch(task, &mut watched)?;
				}
			}
		}
		let step = async {
			use futures_util::StreamExt;
			let chain = node.get().await?;
			if follow {
				// Watched from the next look on.
				adopt_pending(&chain, &state, &me, &mut scanned).await?;
			}
			// Side by side: a reveal waiting for its block holds back no other task's.
			let steps =
				futures_util::stream::iter(watched.iter_mut().filter(|w| w.ended.is_none()))
					.map(|w| {
						let chain = &chain;
						let (store, state) = (&store, &state);
						async move {
							let task = w.task;
							(task, watch_step(chain, signer, store, state, public_url, w).await)
						}
					})
					.buffer_unordered(STEPS_AT_ONCE)
					.collect::<Vec<_>>()
					.await;
			// One task's trouble stays its own; a lost connection ends the look.
			let mut lost = None;
			for (task, outcome) in steps {
				match outcome {
					Err(e) if is_connection_error(&e) => lost = Some(e),
					Err(e) => tracing::warn!(task = task.0, "{e:#}"),
					Ok(()) => {},
				}
			}
			lost.map_or(Ok(()), Err)
		}
		.await;
		if let Err(e) = step {
			node.after_error(&e);
		}
		// With --all, a task being posted now is waited for too.
		let posting = follow && posting_now(&state)?;
		if !posting && watched.iter().all(|w| w.ended.is_some()) {
			return Ok(watched.into_iter().filter_map(|w| Some((w.task, w.ended?))).collect());
		}
		if wait_or_stop(common.poll).await {
			let left = watched.iter().filter(|w| w.ended.is_none()).count();
			bail!("stopped before {left} of the watched tasks ended");
		}
	}
}

/// Pending creations whose task is on chain after all (the create timed out or lost its
/// connection after sending, and left its pending record): each becomes the task's record, so
/// the watch reveals its test set. Without it the sponsor never revealed, and lost its bounty to
/// the revealers and its reputation (`SponsorDidNotReveal`). A task matches when this account
/// posted it with the record's commitment; ids from the record's `from_task` are read once
/// (`scanned` remembers how far). Returns the tasks found.
async fn adopt_pending<C: ChainApi>(
	chain: &C,
	state: &StateDir,
	me: &AccountId,
	scanned: &mut HashMap<String, u64>,
) -> Result<Vec<TaskId>> {
	let pending: Vec<String> =
		state.names()?.into_iter().filter(|n| n.starts_with("sponsor-pending-")).collect();
	scanned.retain(|name, _| pending.contains(name));
	if pending.is_empty() {
		return Ok(Vec::new());
	}
	let next = chain.next_task_id().await?.0;
	let mut found = Vec::new();
	for name in pending {
		let Some(mut record) = state.load::<SponsorState>(&name)? else { continue };
		let Some(from) = record.from_task else { continue };
		let from = scanned.get(&name).copied().unwrap_or(from).max(from);
		for id in from..next {
			let Some((info, _)) = chain.task(TaskId(id)).await? else { continue };
			if info.sponsor == me.0 && info.test_set_commitment == record.commitment {
				record.task = Some(id);
				record.from_task = None;
				state.save(&sponsor_name(TaskId(id)), &record)?;
				state.remove(&name)?;
				tracing::info!(task = id, "a creation whose outcome was not known made this task");
				found.push(TaskId(id));
				break;
			}
		}
		scanned.insert(name, next);
	}
	Ok(found)
}

/// A pending record younger than this is a `sponsor create` still sending its task; an older
/// one is a creation whose outcome was never known (kept: its salt reveals the test set if the
/// task exists after all), and is not waited for.
const POSTING_FOR_AT_MOST: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether a `sponsor create` on `state` is sending a task now (see [`POSTING_FOR_AT_MOST`]).
fn posting_now(state: &StateDir) -> Result<bool> {
	for name in state.names()? {
		if name.starts_with("sponsor-pending-") && state.age(&name)? < POSTING_FOR_AT_MOST {
			return Ok(true);
		}
	}
	Ok(false)
}

fn sponsor_name(task: TaskId) -> String {
	format!("sponsor-{}", task_name(task))
}

/// A task a sponsor watches.
struct Watched {
	task: TaskId,
	record: SponsorState,
	phase: Option<Phase>,
	ended: Option<chain::TaskStatus>,
}

/// One look at a watched task: note its end, or reveal its test set in its window.
async fn watch_step(
	chain: &Chain,
	signer: &Keypair,
	store: &ArtifactStore,
	state: &StateDir,
	public_url: Option<&str>,
	w: &mut Watched,
) -> Result<()> {
	let task = w.task;
	let (info, phase) =
		chain.task(task).await?.ok_or_else(|| anyhow!("task {} not found", task.0))?;
	if w.phase != Some(phase) {
		tracing::info!(task = task.0, ?phase, "phase");
		w.phase = Some(phase);
	}
	if phase == Phase::Ended {
		w.ended = Some(info.status);
		return Ok(());
	}
	if phase == Phase::TestReveal && !w.record.revealed && info.test_set.is_none() {
		let uri = blob_uri(public_url, store, &w.record.test_hash)?;
		let call = calls::reveal_test_set(task, &uri, w.record.test_hash, w.record.salt)?;
		match chain.submit(&call, signer).await {
			Ok(_) => {},
			Err(ChainError::Dispatch { error, .. }) if error == "AlreadyRevealed" => {},
			Err(e) => return Err(e.into()),
		}
		w.record.revealed = true;
		state.save(&sponsor_name(task), &w.record)?;
		tracing::info!(task = task.0, %uri, "test set revealed");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::roles::fake::{self, FakeChain};

	#[tokio::test]
	async fn a_task_whose_creation_was_not_known_to_land_is_found_and_its_test_set_kept() {
		// A create that timed out after sending left only its pending record: the watch never
		// revealed the test set, and the sponsor lost its bounty (`SponsorDidNotReveal`).
		let dir = tempfile::tempdir().unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		let me = subxt::utils::AccountId32([0xa1; 32]);
		let record = |commitment, from| SponsorState {
			task: None,
			test_hash: [1; 32],
			salt: [2; 32],
			commitment,
			revealed: false,
			from_task: Some(from),
		};
		state.save("sponsor-pending-aa", &record([0xaa; 32], 3)).unwrap();
		state.save("sponsor-pending-bb", &record([0xbb; 32], 3)).unwrap();
		let chain = FakeChain::default();
		let on_chain = |sponsor: [u8; 32], commitment| {
			let mut info = fake::task(("http://127.0.0.1:1/blob/t", [0; 32]), None, 2, (40, 20));
			info.sponsor = sponsor;
			info.test_set_commitment = commitment;
			(info, Phase::Open)
		};
		{
			let mut world = chain.world();
			world.tasks.insert(2, on_chain(me.0, [0xaa; 32]));
			// Someone else's task with the same commitment (it is public once sent).
			world.tasks.insert(3, on_chain([0xee; 32], [0xaa; 32]));
			world.tasks.insert(4, on_chain(me.0, [0xaa; 32]));
		}
		let mut scanned = HashMap::new();
		let found = adopt_pending(&chain, &state, &me, &mut scanned).await.unwrap();
		// Task 2 is older than the creation: not it. Task 3 is not this account's.
		assert_eq!(found, vec![TaskId(4)]);
		let adopted: SponsorState = state.load("sponsor-task-4").unwrap().unwrap();
		assert_eq!((adopted.task, adopted.salt, adopted.from_task), (Some(4), [2; 32], None));
		assert!(state.load::<SponsorState>("sponsor-pending-aa").unwrap().is_none());
		// Not found yet: kept, and the tasks already read are not read again.
		assert!(state.load::<SponsorState>("sponsor-pending-bb").unwrap().is_some());
		let reads = chain.world().reads;
		assert!(adopt_pending(&chain, &state, &me, &mut scanned).await.unwrap().is_empty());
		assert_eq!(chain.world().reads - reads, 1, "only the next task id is read again");
		// Then it lands.
		chain.world().tasks.insert(5, on_chain(me.0, [0xbb; 32]));
		let found = adopt_pending(&chain, &state, &me, &mut scanned).await.unwrap();
		assert_eq!(found, vec![TaskId(5)]);
		assert!(state.load::<SponsorState>("sponsor-task-5").unwrap().is_some());
		assert!(state.names().unwrap().iter().all(|n| !n.starts_with("sponsor-pending-")));
	}

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

	#[test]
	fn a_watch_waits_for_a_task_being_posted_but_not_for_one_whose_outcome_was_never_known() {
		// Before, a create that failed without knowing whether the task was made left its
		// pending record, and `watch --all` waited for it forever (load.sh never ended).
		let dir = tempfile::tempdir().unwrap();
		let state = StateDir::open(dir.path()).unwrap();
		assert!(!posting_now(&state).unwrap());
		state.save("sponsor-pending-00", &serde_json::json!({})).unwrap();
		state.save("sponsor-task-3", &serde_json::json!({})).unwrap();
		assert!(posting_now(&state).unwrap());
		let pending = dir.path().join("state/sponsor-pending-00.json");
		let old = std::time::SystemTime::now() - POSTING_FOR_AT_MOST * 2;
		std::fs::File::options().write(true).open(&pending).unwrap().set_modified(old).unwrap();
		assert!(!posting_now(&state).unwrap());
		// The record itself is kept: its salt reveals the test set if the task exists.
		assert!(pending.exists());
	}

	#[test]
	fn retried_creations_spread_over_more_blocks_each_try() {
		// Ten sponsors refused at the same block: with no shift they would all race for the
		// next block with room again (the load run lost 30 of 64 tasks that way).
		let shifts = |attempt| -> std::collections::BTreeSet<BlockNumber> {
			(0u32..10)
				.map(|sponsor| retry_shift(attempt, (sponsor * 2_654_435_761).to_le_bytes()))
				.collect()
		};
		assert!(shifts(1).iter().all(|s| *s < RETRY_SPREAD));
		assert!(shifts(1).len() >= 5, "{:?}", shifts(1));
		assert!(shifts(4).iter().all(|s| *s < 4 * RETRY_SPREAD));
		assert!(shifts(4).len() >= 8, "{:?}", shifts(4));
		assert_eq!(retry_shift(0, [9; 4]), 0);
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
}
