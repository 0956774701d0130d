//! The chain client: subxt with types generated from the runtime's metadata
//! (`worker/metadata/pouw.scale`, refreshed by `scripts/refresh-metadata.sh`; the runtime's test
//! suite fails while it is stale).
//!
//! Every submission waits until its block is finalized (the dev node finalizes each block it
//! seals; on a relay-backed network this is GRANDPA finality) and a failed dispatch comes back as
//! [`ChainError::Dispatch`] naming the pallet and the error.
//!
//! Types that the runtime shares with `pouw_primitives` (the task spec, ids, scores) cross the
//! boundary by SCALE: the generated type and the primitives type encode to the same bytes by
//! construction, and [`convert`] re-decodes one as the other.

use codec::{Decode, DecodeAll, Encode};
use pouw_primitives::{
	Hash256, Reputation, Score, ScoreTolerance, SubmissionIndex, TaskId, TaskSpec,
};
use std::{str::FromStr, time::Duration};
use subxt::{OnlineClient, PolkadotConfig};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The API generated from the runtime's metadata.
/// (Its items carry the metadata's docs, where the runtime has them; the rest are exempted.)
#[allow(missing_docs)]
#[subxt::subxt(
	runtime_metadata_path = "metadata/pouw.scale",
	derive_for_all_types = "::subxt::ext::codec::Encode, ::subxt::ext::codec::Decode",
	attributes_for_all_types = "#[codec(crate = ::subxt::ext::codec)]"
)]
pub mod runtime {}

use runtime::runtime_types;

// The macro above reads the metadata file without telling cargo, so a refreshed file would not
// rebuild this crate; including it makes it part of the crate's dependencies.
const _METADATA: &[u8] = include_bytes!("../../metadata/pouw.scale");

/// The chain's account id (SS58 when displayed).
pub type AccountId = subxt::utils::AccountId32;
/// Balances, in the chain's smallest unit (12 decimals: `UNIT = 10^12`).
pub type Balance = u128;
/// Block numbers.
pub type BlockNumber = u32;
/// The client type.
pub type Client = OnlineClient<PolkadotConfig>;
/// One unit of the native token.
pub const UNIT: Balance = 1_000_000_000_000;

mod api;
pub mod calls;
mod error;
mod types;
mod units;

pub use api::{Call, ChainApi};
pub use error::ChainError;
pub use types::*;
pub use units::{format_amount, format_delta, parse_amount};

/// How long [`Chain::submit`] waits for an extrinsic's block to be finalized. A parachain's
/// blocks are finalized a few relay blocks after inclusion (well under a minute); a dev node's
/// at once.
pub const FINALITY_TIMEOUT: Duration = Duration::from_secs(120);

/// `wait` (for `call`'s finality), or [`ChainError::NotFinalized`] after `limit`.
async fn finalized_within<T>(
	call: &str,
	limit: Duration,
	wait: impl std::future::Future<Output = T>,
) -> Result<T, ChainError> {
	tokio::time::timeout(limit, wait)
		.await
		.map_err(|_| ChainError::NotFinalized { call: call.into(), seconds: limit.as_secs() })
}

/// Waits for a submitted transaction's block to be finalized, then for its events, as subxt's
/// `wait_for_finalized_success` does, but hands its transaction slot back as soon as the
/// transaction is in a block: a slot counts what waits in the pool, and held until finality it
/// capped a daemon at about one transaction a second (90 of 3,096 reveals late in
/// `scripts/load.sh` with 200 tasks, each waiting for a slot while others waited for finality).
async fn finalized_success<C: subxt::client::OnlineClientAtBlockT<PolkadotConfig>>(
	mut progress: subxt::transactions::TransactionProgress<PolkadotConfig, C>,
	slot: tokio::sync::SemaphorePermit<'static>,
) -> Result<
	subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>,
	subxt::error::TransactionFinalizedSuccessError,
> {
	use subxt::error::{TransactionProgressError as Progress, TransactionStatusError as Status};
	use subxt::transactions::TransactionStatus;
	let mut slot = Some(slot);
	while let Some(status) = progress.next().await {
		let failed = match status? {
			TransactionStatus::InBestBlock(_) => {
				slot = None;
				continue;
			},
			TransactionStatus::InFinalizedBlock(block) => {
				drop(slot);
				return Ok(block.wait_for_success().await?);
			},
			TransactionStatus::Error { message } => Status::Error(message),
			TransactionStatus::Invalid { message } => Status::Invalid(message),
			TransactionStatus::Dropped { message } => Status::Dropped(message),
			TransactionStatus::Validated
			| TransactionStatus::Broadcasted
			| TransactionStatus::NoLongerInBestBlock => continue,
		};
		return Err(Progress::from(failed).into());
	}
	Err(Progress::UnexpectedEndOfTransactionStatusStream.into())
}

fn rpc_any<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> ChainError + '_ {
	move |e| ChainError::Rpc { context: context.into(), reason: e.to_string() }
}

/// Re-reads a value as another type with the same SCALE encoding (a generated type as its
/// `pouw_primitives` twin, or back).
pub fn convert<A: Encode, B: Decode>(value: &A) -> Result<B, ChainError> {
	let bytes = value.encode();
	// Every byte must be used: a type whose layout drifted from the runtime's (a field added
	// at the end, say) fails here instead of decoding a prefix.
	B::decode_all(&mut &bytes[..]).map_err(|e| ChainError::Rpc {
		context: format!("converting {}", std::any::type_name::<B>()),
		reason: e.to_string(),
	})
}

/// An sr25519 signer from a secret URI: `//Alice`, a mnemonic, or a `0x` seed, with optional
/// `//hard/soft` derivation.
pub fn signer_from_suri(suri: &str) -> anyhow::Result<Keypair> {
	let uri =
		SecretUri::from_str(suri.trim()).map_err(|e| anyhow::anyhow!("invalid secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| anyhow::anyhow!("invalid secret URI: {e}"))
}

/// The account id of a signer.
pub fn account_of(signer: &Keypair) -> AccountId {
	signer.public_key().to_account_id()
}

/// Parses an SS58 address or a `0x` public key.
pub fn parse_account(s: &str) -> anyhow::Result<AccountId> {
	if let Some(hex_key) = s.strip_prefix("0x") {
		let bytes: [u8; 32] = hex::decode(hex_key)?
			.try_into()
			.map_err(|_| anyhow::anyhow!("a public key is 32 bytes"))?;
		return Ok(AccountId::from(bytes));
	}
	AccountId::from_str(s).map_err(|e| anyhow::anyhow!("invalid address '{s}': {e}"))
}

/// Reads of a node this process has made (each a block to read at, then a storage item or a
/// runtime API call: two or three JSON-RPC requests), and submissions.
static READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_read() {
	READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// How many reads and submissions this process has made of a node (see `scripts/load.sh`).
pub fn reads() -> u64 {
	READS.load(std::sync::atomic::Ordering::Relaxed)
}

/// How often, and how many times, a dropped connection is made again before calls fail.
const RECONNECT_INTERVAL_MS: u64 = 500;
/// See [`RECONNECT_INTERVAL_MS`].
const RECONNECT_TRIES: usize = 6;

/// Blocks before the finalized one a transaction is born at (its mortality starts there).
const BIRTH_LAG: u64 = 16;

/// Blocks a transaction stays valid for from its birth: a heavy call (`create_task`) may wait
/// behind many light ones in a busy pool.
const MORTAL_FOR: u64 = 128;

/// The next nonce this process uses per account. The nonce a block's state gives does not count
/// the transactions still in the pool, so a submission sent while earlier ones wait for
/// finality takes the one after theirs.
static NONCES: std::sync::LazyLock<tokio::sync::Mutex<std::collections::HashMap<[u8; 32], u64>>> =
	std::sync::LazyLock::new(Default::default);

/// This process's transactions waiting for their block at once. After one failed, the next
/// waits until none is waiting and then asks the node for the nonce afresh: a nonce taken
/// while others still wait collided with theirs (the pool refuses a second transaction with
/// a nonce as "priority too low"), and each failure made more (`scripts/load.sh`, 200 tasks).
const TXS_IN_FLIGHT: usize = 8;

static TX_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(TXS_IN_FLIGHT);

/// After a submission that may not land: the next one asks the chain again.
async fn forget_nonce(who: &AccountId) {
	NONCES.lock().await.remove(&who.0);
}

/// Whether a transaction with `nonce` that never landed leaves a gap: `next` (the nonce this
/// process hands out next) shows it already signed a later one, which the pool keeps in its
/// future queue until `nonce` is used.
fn leaves_nonce_gap(nonce: u64, next: Option<u64>) -> bool {
	next.is_some_and(|next| next > nonce.saturating_add(1))
}

/// How long filling a nonce gap waits for its remark to reach a block.
const GAP_FILL_TIMEOUT: Duration = Duration::from_secs(30);

/// Waits until a submitted transaction is in a block (best or finalized), or says why not.
async fn in_block<C: subxt::client::OnlineClientAtBlockT<PolkadotConfig>>(
	mut progress: subxt::transactions::TransactionProgress<PolkadotConfig, C>,
) -> Result<(), String> {
	use subxt::transactions::TransactionStatus;
	while let Some(status) = progress.next().await {
		match status.map_err(|e| e.to_string())? {
			TransactionStatus::InBestBlock(_) | TransactionStatus::InFinalizedBlock(_) => {
				return Ok(())
			},
			TransactionStatus::Error { message }
			| TransactionStatus::Invalid { message }
			| TransactionStatus::Dropped { message } => return Err(message),
			TransactionStatus::Validated
			| TransactionStatus::Broadcasted
			| TransactionStatus::NoLongerInBestBlock => continue,
		}
	}
	Err("the transaction status stream ended".into())
}

/// A transaction's birth block: its number and hash.
type Birth = (u64, subxt::config::HashFor<PolkadotConfig>);

/// A connection to a node.
#[derive(Clone)]
pub struct Chain {
	client: Client,
	/// The node's legacy RPC methods (the pool-aware nonce).
	rpc: subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<PolkadotConfig>>,
	url: String,
	finality_timeout: Duration,
	/// The last birth block read (see [`Chain::birth_block`]), shared by the clones.
	birth: std::sync::Arc<tokio::sync::Mutex<Option<Birth>>>,
}

impl Chain {
	/// Connects to the node at `url` (`ws://` or `wss://`).
	pub async fn connect(url: &str) -> Result<Self, ChainError> {
		use subxt::rpcs::client::reconnecting_rpc_client::{FixedInterval, RpcClient};
		let refused = |e: &dyn std::fmt::Display| ChainError::Connect {
			url: url.into(),
			reason: e.to_string(),
		};
		// A connection that drops is made again by the client itself (a few tries a second
		// apart; then the daemons' loop connects afresh). Calls in flight at the drop fail.
		let retry = FixedInterval::from_millis(RECONNECT_INTERVAL_MS).take(RECONNECT_TRIES);
		let rpc =
			RpcClient::builder().retry_policy(retry).build(url).await.map_err(|e| refused(&e))?;
		let rpc = subxt::rpcs::RpcClient::new(rpc);
		let client = Client::from_rpc_client(rpc.clone()).await.map_err(|e| refused(&e))?;
		let rpc = subxt::rpcs::LegacyRpcMethods::new(rpc);
		Ok(Self {
			client,
			rpc,
			url: url.into(),
			finality_timeout: FINALITY_TIMEOUT,
			birth: Default::default(),
		})
	}

	/// Connects, retrying every second until `patience` has passed.
	pub async fn connect_retrying(url: &str, patience: Duration) -> Result<Self, ChainError> {
		let deadline = tokio::time::Instant::now() + patience;
		loop {
			match Self::connect(url).await {
				Ok(chain) => return Ok(chain),
				Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
				Err(e) => {
					tracing::debug!(%e, "node not reachable yet");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		}
	}

	/// This connection with another finality timeout (default [`FINALITY_TIMEOUT`]).
	pub fn with_finality_timeout(self, finality_timeout: Duration) -> Self {
		Self { finality_timeout, ..self }
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The underlying subxt client.
	pub fn client(&self) -> &Client {
		&self.client
	}

	async fn at_best(
		&self,
	) -> Result<
		subxt::client::ClientAtBlock<
			PolkadotConfig,
			subxt::client::OnlineClientAtBlockImpl<PolkadotConfig>,
		>,
		ChainError,
	> {
		count_read();
		self.client.at_current_block().await.map_err(rpc_any("reading the latest block"))
	}

	/// The latest finalized block's number.
	pub async fn block_number(&self) -> Result<BlockNumber, ChainError> {
		let at = self.at_best().await?;
		Ok(at.block_number() as BlockNumber)
	}

	/// Block `number` and its hash, the birth of the transactions sent meanwhile: read once per
	/// block, not once per transaction (a daemon sends for many tasks in one block).
	async fn birth_block(&self, number: u64) -> Result<Birth, ChainError> {
		let mut last = self.birth.lock().await;
		if let Some(known) = *last {
			if known.0 == number {
				return Ok(known);
			}
		}
		count_read();
		let at = self
			.client
			.at_block(number)
			.await
			.map_err(rpc_any("reading the transaction's birth block"))?;
		let birth = (number, at.block_hash());
		*last = Some(birth);
		Ok(birth)
	}

	/// Signs `tx` with `signer`, submits it, waits for its block to be finalized (at most the
	/// finality timeout: then [`ChainError::NotFinalized`]) and returns its events, or the
	/// dispatch error by name.
	pub async fn submit<Call: subxt::transactions::Payload>(
		&self,
		tx: &Call,
		signer: &Keypair,
	) -> Result<subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>, ChainError> {
		let call = format!("{}.{}", tx.pallet_name(), tx.call_name());
		let who = account_of(signer);
		let at = self.at_best().await?;
		let not_included = |e: subxt::error::ExtrinsicError| ChainError::NotIncluded {
			call: call.clone(),
			reason: e.to_string(),
		};
		// Born a few blocks before the finalized one: a loaded node's pool may still validate
		// at an older block, and a transaction born after it is refused as having an
		// `AncientBirthBlock` (every sponsor refused in `scripts/load.sh` with 200 tasks).
		let birth_number = at.block_number().saturating_sub(BIRTH_LAG);
		let birth = self.birth_block(birth_number).await?;
		let resync = !NONCES.lock().await.contains_key(&who.0);
		let slots = if resync { TXS_IN_FLIGHT as u32 } else { 1 };
		let mut slot = TX_SLOTS
			.acquire_many(slots)
			.await
			.map_err(|e| ChainError::NotIncluded { call: call.clone(), reason: e.to_string() })?;
		// Signed and handed to the pool one at a time, each with the next nonce: a daemon sends
		// for several tasks at once and waits for their finality side by side.
		let (progress, nonce) = {
			let mut nonces = NONCES.lock().await;
			let mut txs = at.transactions();
			count_read();
			// The node's next nonce counts the account's transactions in its pool: after a
			// failure, one asked of the finalized state took the nonce of a transaction still
			// waiting ("priority too low" for 226 calls of one worker with 200 tasks).
			let pooled = self
				.rpc
				.system_account_next_index(&who)
				.await
				.map_err(rpc_any("system_accountNextIndex"))?;
			let nonce = nonces.get(&who.0).map_or(pooled, |&next| next.max(pooled));
			let params = subxt::config::PolkadotExtrinsicParamsBuilder::<PolkadotConfig>::new()
				.nonce(nonce)
				.mortal_from_unchecked(MORTAL_FOR, birth.0, birth.1)
				.build();
			count_read();
			match txs.sign_and_submit_then_watch(tx, signer, params).await {
				Ok(progress) => {
					nonces.insert(who.0, nonce.saturating_add(1));
					// In sync again: the others may go on.
					drop(slot.split(slot.num_permits().saturating_sub(1)));
					(progress, nonce)
				},
				Err(e) => {
					nonces.remove(&who.0);
					return Err(not_included(e));
				},
			}
		};
		let finalized = finalized_success(progress, slot);
		let outcome = match finalized_within(&call, self.finality_timeout, finalized).await {
			Ok(outcome) => outcome,
			Err(e) => {
				forget_nonce(&who).await;
				return Err(e);
			},
		};
		match outcome {
			Ok(events) => Ok(events),
			Err(subxt::error::TransactionFinalizedSuccessError::SuccessError(
				subxt::error::TransactionEventsError::ExtrinsicFailed(dispatch),
			)) => Err(dispatch_error(call, dispatch)),
			Err(subxt::error::TransactionFinalizedSuccessError::FinalizationError(
				subxt::error::TransactionProgressError::TransactionStatusError(e),
			)) => {
				// Dropped or invalid: its nonce is unused, and the transactions this process
				// signed after it wait in the pool's future queue until it is used. Waiting for
				// them to time out stalled a worker for two minutes (18 reveals missed in
				// `scripts/load.sh --release`, 200 tasks): the gap is filled at once instead.
				let next = NONCES.lock().await.get(&who.0).copied();
				if leaves_nonce_gap(nonce, next) {
					match self.fill_nonce_gap(signer, nonce, birth).await {
						Ok(()) => tracing::info!(call, nonce, "filled the nonce gap it left"),
						Err(fill) => {
							tracing::warn!(call, nonce, %fill, "could not fill the nonce gap it left");
							forget_nonce(&who).await;
						},
					}
				} else {
					forget_nonce(&who).await;
				}
				Err(ChainError::NotIncluded { call, reason: e.to_string() })
			},
			Err(e) => {
				// The status stream broke, or the finalized block's events could not be read:
				// it may have landed.
				forget_nonce(&who).await;
				Err(ChainError::Unknown { call, reason: e.to_string() })
			},
		}
	}

	/// Uses `nonce` with a remark (`System.remark`, a small fee), so that the transactions
	/// signed after the one that left it unused can land. Tried twice: the pool that dropped
	/// one transaction may drop the next.
	async fn fill_nonce_gap(
		&self,
		signer: &Keypair,
		nonce: u64,
		birth: Birth,
	) -> Result<(), ChainError> {
		let call = runtime::transactions().system().remark(b"pouw: nonce gap".to_vec());
		let mut reason = String::new();
		for _ in 0..2 {
			let at = self.at_best().await?;
			let params = subxt::config::PolkadotExtrinsicParamsBuilder::<PolkadotConfig>::new()
				.nonce(nonce)
				.mortal_from_unchecked(MORTAL_FOR, birth.0, birth.1)
				.build();
			count_read();
			let progress =
				at.transactions().sign_and_submit_then_watch(&call, signer, params).await.map_err(
					|e| ChainError::NotIncluded {
						call: "System.remark".into(),
						reason: e.to_string(),
					},
				)?;
			match tokio::time::timeout(GAP_FILL_TIMEOUT, in_block(progress)).await {
				Ok(Ok(())) => return Ok(()),
				Ok(Err(e)) => reason = e,
				Err(_) => {
					reason = format!("not in a block within {} s", GAP_FILL_TIMEOUT.as_secs())
				},
			}
		}
		Err(ChainError::NotIncluded { call: "System.remark".into(), reason })
	}

	/// A task and its phase, or `None` when there is no such task (or it was pruned).
	pub async fn task(&self, task: TaskId) -> Result<Option<(TaskInfo, Phase)>, ChainError> {
		let at = self.at_best().await?;
		let call = runtime::runtime_apis().pouw_api().task(convert(&task)?);
		let found = at.runtime_apis().call(call).await.map_err(rpc_any("PouwApi.task"))?;
		match found {
			None => Ok(None),
			Some(pair) => Ok(Some(convert(&pair)?)),
		}
	}

	/// A task's submissions, ascending.
	pub async fn submissions(&self, task: TaskId) -> Result<Vec<SubmissionView>, ChainError> {
		let at = self.at_best().await?;
		let call = runtime::runtime_apis().pouw_api().submissions(convert(&task)?);
		let found = at.runtime_apis().call(call).await.map_err(rpc_any("PouwApi.submissions"))?;
		convert(&found)
	}

	/// The evaluators drawn for a task (empty before the test set is revealed).
	pub async fn quorum(&self, task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		let at = self.at_best().await?;
		let call = runtime::runtime_apis().pouw_api().quorum(convert(&task)?);
		at.runtime_apis().call(call).await.map_err(rpc_any("PouwApi.quorum"))
	}

	/// An account's reputation in each role.
	pub async fn reputation(&self, who: &AccountId) -> Result<ReputationView, ChainError> {
		let at = self.at_best().await?;
		let call = runtime::runtime_apis().pouw_api().reputation(*who);
		let found = at.runtime_apis().call(call).await.map_err(rpc_any("PouwApi.reputation"))?;
		convert(&found)
	}

	/// Where the quorum draw's randomness comes from at the latest block.
	pub async fn randomness_source(&self) -> Result<String, ChainError> {
		let at = self.at_best().await?;
		let call = runtime::runtime_apis().pouw_api().randomness_source();
		let found =
			at.runtime_apis().call(call).await.map_err(rpc_any("PouwApi.randomness_source"))?;
		Ok(format!("{found:?}"))
	}

	/// The next task id (every id below it was used).
	pub async fn next_task_id(&self) -> Result<TaskId, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.fetch(runtime::storage().task_registry().next_task_id(), ())
			.await
			.map_err(rpc_any("TaskRegistry.NextTaskId"))?;
		let id = value.decode().map_err(rpc_any("TaskRegistry.NextTaskId"))?;
		convert(&id)
	}

	/// The URI a submission's weights were revealed at, with their hash.
	pub async fn revealed_model(
		&self,
		task: TaskId,
		index: SubmissionIndex,
	) -> Result<Option<(String, Hash256)>, ChainError> {
		let at = self.at_best().await?;
		let found = at
			.storage()
			.try_fetch(
				runtime::storage().task_registry().submissions(),
				(convert(&task)?, convert(&index)?),
			)
			.await
			.map_err(rpc_any("TaskRegistry.Submissions"))?;
		let Some(value) = found else { return Ok(None) };
		let submission = value.decode().map_err(rpc_any("TaskRegistry.Submissions"))?;
		Ok(submission.model.map(|m| (String::from_utf8_lossy(&m.uri.0).into_owned(), m.hash)))
	}

	/// Whether `who` is a registered evaluator, and its stake.
	pub async fn evaluator_stake(&self, who: &AccountId) -> Result<Option<Balance>, ChainError> {
		let at = self.at_best().await?;
		let found = at
			.storage()
			.try_fetch(runtime::storage().verification().evaluators(), (*who,))
			.await
			.map_err(rpc_any("Verification.Evaluators"))?;
		let Some(value) = found else { return Ok(None) };
		let _info = value.decode().map_err(rpc_any("Verification.Evaluators"))?;
		let stake = at
			.storage()
			.try_fetch(runtime::storage().escrow().stakes(), (*who,))
			.await
			.map_err(rpc_any("Escrow.Stakes"))?;
		match stake {
			Some(v) => Ok(Some(v.decode().map_err(rpc_any("Escrow.Stakes"))?)),
			None => Ok(Some(0)),
		}
	}

	/// The scores each quorum member revealed for a task.
	pub async fn revealed_scores(
		&self,
		task: TaskId,
	) -> Result<Vec<(AccountId, Vec<(SubmissionIndex, Option<Score>)>)>, ChainError> {
		let mut out = Vec::new();
		let members = self.quorum(task).await?;
		let at = self.at_best().await?;
		for member in members {
			let found = at
				.storage()
				.try_fetch(
					runtime::storage().verification().revealed_scores(),
					(convert(&task)?, member),
				)
				.await
				.map_err(rpc_any("Verification.RevealedScores"))?;
			if let Some(value) = found {
				let scores = value.decode().map_err(rpc_any("Verification.RevealedScores"))?;
				out.push((member, convert(&scores)?));
			}
		}
		Ok(out)
	}

	/// Free and held balance of `who` at the latest block.
	pub async fn balances(&self, who: &AccountId) -> Result<Balances, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.fetch(runtime::storage().system().account(), (*who,))
			.await
			.map_err(rpc_any("System.Account"))?;
		let info = value.decode().map_err(rpc_any("System.Account"))?;
		Ok(Balances { free: info.data.free, held: info.data.reserved })
	}

	/// The chain's recent pace: the mean time between the (up to 20) blocks before block `now`
	/// (the caller's latest), from their timestamps. `None` while there are too few blocks,
	/// when their state is gone, or when the timestamps do not move (a chain sealing on demand).
	pub async fn block_time(&self, now: BlockNumber) -> Result<Option<Duration>, ChainError> {
		// Block 0's timestamp is not a block's time: the span starts at block 1 at the earliest.
		let span = now.saturating_sub(1).min(20);
		if span < 2 {
			return Ok(None);
		}
		let (Some(a), Some(b)) =
			(self.timestamp_at(now - span).await?, self.timestamp_at(now).await?)
		else {
			return Ok(None);
		};
		let per_block = b.saturating_sub(a) / u64::from(span);
		Ok((per_block >= 100).then(|| Duration::from_millis(per_block)))
	}

	/// The timestamp (ms) of block `number`, if the node still has its state.
	pub async fn timestamp_at(&self, number: BlockNumber) -> Result<Option<u64>, ChainError> {
		count_read();
		let at = match self.client.at_block(u64::from(number)).await {
			Ok(at) => at,
			Err(_) => return Ok(None),
		};
		match at.storage().fetch(runtime::storage().timestamp().now(), ()).await {
			Ok(v) => Ok(v.decode().ok()),
			Err(_) => Ok(None),
		}
	}

	/// The total issuance of the native token at the latest block.
	pub async fn total_issuance(&self) -> Result<Balance, ChainError> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.fetch(runtime::storage().balances().total_issuance(), ())
			.await
			.map_err(rpc_any("Balances.TotalIssuance"))?;
		value.decode().map_err(rpc_any("Balances.TotalIssuance"))
	}

	/// Whether a task whose quorums are drawn at `draws` and that is due at `dues` still fits
	/// the registry's per-block bounds (`MaxDrawsPerBlock`, `MaxTasksPerBlock`); `create_task`
	/// refuses one that does not (`TooManyDrawsAtBlock`, `TooManyTasksEndingAtBlock`).
	pub async fn has_room(
		&self,
		draws: &[BlockNumber],
		dues: &[BlockNumber],
	) -> Result<bool, ChainError> {
		let at = self.at_best().await?;
		let constants = runtime::constants().task_registry();
		let max_draws = at
			.constants()
			.entry(constants.max_draws_per_block())
			.map_err(rpc_any("TaskRegistry.MaxDrawsPerBlock"))?;
		let max_due = at
			.constants()
			.entry(constants.max_tasks_per_block())
			.map_err(rpc_any("TaskRegistry.MaxTasksPerBlock"))?;
		let storage = runtime::storage().task_registry();
		for draw in draws {
			let listed = match at
				.storage()
				.try_fetch(storage.draws(), (*draw,))
				.await
				.map_err(rpc_any("TaskRegistry.Draws"))?
			{
				Some(v) => v.decode().map_err(rpc_any("TaskRegistry.Draws"))?.0.len(),
				None => 0,
			};
			// Both of a task's draws may fall in one block only if its windows overlap, which
			// the runtime refuses anyway.
			if listed >= max_draws as usize {
				return Ok(false);
			}
		}
		for due in dues {
			let ending = match at
				.storage()
				.try_fetch(storage.deadlines(), (*due,))
				.await
				.map_err(rpc_any("TaskRegistry.Deadlines"))?
			{
				Some(v) => v.decode().map_err(rpc_any("TaskRegistry.Deadlines"))?.0.len(),
				None => 0,
			};
			if ending >= max_due as usize {
				return Ok(false);
			}
		}
		Ok(true)
	}

	/// The registry's `AppealWindow`: blocks after `evaluation_end` in which a task may be
	/// appealed.
	pub async fn appeal_window(&self) -> Result<BlockNumber, ChainError> {
		let at = self.at_best().await?;
		at.constants()
			.entry(runtime::constants().task_registry().appeal_window())
			.map_err(rpc_any("TaskRegistry.AppealWindow"))
	}

	/// The verification pallet's `ScoreTolerance`: how far a score may be off the median.
	pub async fn score_tolerance(&self) -> Result<ScoreTolerance, ChainError> {
		let at = self.at_best().await?;
		let tolerance = at
			.constants()
			.entry(runtime::constants().verification().score_tolerance())
			.map_err(rpc_any("Verification.ScoreTolerance"))?;
		convert(&tolerance)
	}

	/// The evaluators drawn for a task's appeal round (empty when there is none).
	pub async fn appeal_quorum(&self, task: TaskId) -> Result<Vec<AccountId>, ChainError> {
		let at = self.at_best().await?;
		let found = at
			.storage()
			.try_fetch(runtime::storage().verification().appeal_quorums(), (convert(&task)?,))
			.await
			.map_err(rpc_any("Verification.AppealQuorums"))?;
		let Some(value) = found else { return Ok(Vec::new()) };
		let quorum = value.decode().map_err(rpc_any("Verification.AppealQuorums"))?;
		Ok(quorum.members.0)
	}

	/// The treasury account the runtime pays its share to.
	pub async fn treasury(&self) -> Result<AccountId, ChainError> {
		let at = self.at_best().await?;
		at.constants()
			.entry(runtime::constants().task_registry().treasury())
			.map_err(rpc_any("TaskRegistry.Treasury"))
	}

	/// Transaction fees paid per account, and `task`'s payout, in blocks `from..=to`.
	pub async fn scan(
		&self,
		from: BlockNumber,
		to: BlockNumber,
		task: TaskId,
	) -> Result<Scan, ChainError> {
		let mut scan = Scan::default();
		for number in from..=to {
			let at = self
				.client
				.at_block(u64::from(number))
				.await
				.map_err(rpc_any("reading a block"))?;
			let events = at.events().fetch().await.map_err(rpc_any("reading events"))?;
			for fee in events.find::<runtime::transaction_payment::events::TransactionFeePaid>() {
				let fee = fee.map_err(rpc_any("decoding TransactionFeePaid"))?;
				*scan.fees.entry(fee.who.0).or_default() += fee.actual_fee;
			}
			for done in events.find::<runtime::task_registry::events::TaskFinalized>() {
				let done = done.map_err(rpc_any("decoding TaskFinalized"))?;
				if convert::<_, TaskId>(&done.task)? == task {
					scan.payout = Some(Payout {
						block: number,
						winner: done.worker.0,
						winner_paid: done.winner_paid,
						evaluators_paid: done.evaluators_paid,
						treasury_paid: done.treasury_paid,
					});
				}
			}
		}
		Ok(scan)
	}
}

fn dispatch_error(call: String, dispatch: subxt::error::DispatchError) -> ChainError {
	match &dispatch {
		subxt::error::DispatchError::Module(module) => match module.details() {
			Ok(details) => ChainError::Dispatch {
				call,
				pallet: details.pallet.name().to_string(),
				error: details.variant.name.clone(),
				docs: details.variant.docs.join(" ").trim().to_string(),
			},
			Err(_) => ChainError::Dispatch {
				call,
				pallet: format!("pallet #{}", module.pallet_index()),
				error: format!("error #{}", module.error_index()),
				docs: String::new(),
			},
		},
		other => ChainError::Dispatch {
			call,
			pallet: "System".into(),
			error: format!("{other}"),
			docs: String::new(),
		},
	}
}

/// The id of the task a `TaskCreated` event in `events` names.
pub fn created_task_id(
	events: &subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>,
) -> Result<TaskId, ChainError> {
	let event = events
		.find_first::<runtime::task_registry::events::TaskCreated>()
		.ok_or_else(|| ChainError::Unexpected("no TaskCreated event".into()))?
		.map_err(rpc_any("decoding TaskCreated"))?;
	convert(&event.task)
}

#[cfg(test)]
mod tests {
	use super::*;
	use pouw_primitives::{
		Activation, DataShape, DatasetFormat, DatasetRef, Metric, ModelSpec, Windows,
	};

	#[test]
	fn only_a_dropped_transaction_with_later_ones_signed_leaves_a_nonce_gap() {
		// Nonce 5 dropped after 6 and 7 were signed (the process hands out 8 next): a gap.
		assert!(leaves_nonce_gap(5, Some(8)));
		assert!(leaves_nonce_gap(5, Some(7)));
		// It was the last one signed: nothing waits behind it.
		assert!(!leaves_nonce_gap(5, Some(6)));
		// The process forgot its nonces (it asks the node afresh): nothing to fill.
		assert!(!leaves_nonce_gap(5, None));
		assert!(!leaves_nonce_gap(u64::MAX, Some(u64::MAX)));
	}

	fn task_info() -> TaskInfo {
		TaskInfo {
			sponsor: [1; 32],
			spec: TaskSpec {
				dataset: DatasetRef {
					uri: b"http://127.0.0.1:8000/blob/train".to_vec().try_into().unwrap(),
					hash: [9; 32],
					format: DatasetFormat::Safetensors,
					shape: DataShape { samples: 1437, features: 64, classes: 10 },
				},
				test_samples: 360,
				model: ModelSpec::Mlp {
					inputs: 64,
					hidden: vec![32].try_into().unwrap(),
					outputs: 10,
					activation: Activation::Relu,
				},
				metric: Metric::Accuracy,
				min_score: Some(Score(1)),
				windows: Windows {
					submission_end: 10,
					reveal_end: 20,
					test_reveal_end: 30,
					score_commit_end: 40,
					evaluation_end: 50,
				},
				quorum: 3,
				min_worker_reputation: Reputation::from_percent(10),
				parent: Some(TaskId(7)),
			},
			bounty: 100 * UNIT,
			test_set_commitment: [2; 32],
			created_at: 3,
			status: TaskStatus::Failed(FailureReason::NoRandomness),
			submissions: 4,
			next_submission: SubmissionIndex(4),
			revealed: 2,
			test_set: Some(TestSet { uri: b"http://t".to_vec(), hash: [3; 32] }),
			parent_model: Some([4; 32]),
			winner: Some(Winner {
				submission: SubmissionIndex(1),
				worker: [5; 32],
				model_uri: b"http://m".to_vec(),
				model_hash: [6; 32],
				score: Score(900_000_000),
			}),
			deposit: 10 * UNIT,
			appeal: Some(Appeal { appellant: [8; 32], bond: UNIT, drawn: true }),
		}
	}

	#[test]
	fn appeal_windows_follow_the_first_rounds_lengths() {
		let windows = task_info().spec.windows;
		// Drawn at 50 + 20 + 1; commits for 10 blocks (31..=40 in the first round), reveals 10.
		assert_eq!(appeal_windows(&windows, 20), (80, 90));
	}

	#[test]
	fn the_task_record_has_the_runtimes_layout() {
		// Through the type generated from the runtime's metadata and back: a field missing,
		// extra or reordered on either side fails one of the two exact decodings.
		let ours = task_info();
		let theirs: runtime_types::pallet_task_registry::types::TaskInfo = convert(&ours).unwrap();
		let back: TaskInfo = convert(&theirs).unwrap();
		assert_eq!(back, ours);
	}

	#[tokio::test]
	async fn a_finality_stall_ends_in_a_named_error_that_reconnects() {
		// A node that never finalizes: the wait ends after the timeout, not never.
		let started = std::time::Instant::now();
		let stalled = std::future::pending::<()>();
		let err = finalized_within("TaskRegistry.reveal_model", Duration::from_millis(50), stalled)
			.await
			.unwrap_err();
		assert!(started.elapsed() < Duration::from_secs(5));
		assert_eq!(
			err,
			ChainError::NotFinalized { call: "TaskRegistry.reveal_model".into(), seconds: 0 }
		);
		assert!(err.is_connection(), "the daemon connects afresh after a stall");
		assert!(err.to_string().contains("sent but not finalized"));
		// A wait that ends in time passes its result through.
		let done = finalized_within("x", Duration::from_secs(5), async { 7 }).await;
		assert_eq!(done, Ok(7));
	}
}
