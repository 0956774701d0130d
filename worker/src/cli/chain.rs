//! The chain-facing commands of `pouw`: keys, sponsor, worker, evaluator, status, accounts.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use pouw_primitives::{DatasetFormat, Reputation, Score, TaskId};
use pouw_worker::{
	artifacts,
	chain::{self, Chain},
	keys,
	ml::backend::Backend,
	ml::inference,
	roles::{self, Common, EvaluatorOptions, NewTask, WorkerOptions},
	status,
};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use super::ml::{parse_metric, HyperArgs};

/// Where the node is and where this role keeps its files.
#[derive(Args, Clone)]
pub struct ChainArgs {
	/// The node's RPC endpoint.
	#[arg(long, env = "POUW_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// Seconds between looks at the chain (daemons).
	#[arg(long, default_value_t = 1.0)]
	pub poll: f64,
}

/// The account that signs.
#[derive(Args, Clone)]
pub struct SignerArgs {
	/// Secret URI: `//Alice` (development), a mnemonic or a `0x` seed.
	#[arg(long, env = "POUW_SURI", hide_env_values = true)]
	pub suri: Option<String>,
	/// A key file written by `pouw key generate`.
	#[arg(long)]
	pub key_file: Option<PathBuf>,
}

impl SignerArgs {
	fn signer(&self) -> Result<subxt_signer::sr25519::Keypair> {
		keys::signer(self.suri.as_deref(), self.key_file.as_deref())
	}
}

fn common(chain: &ChainArgs, data_dir: PathBuf) -> Result<Common> {
	if !(chain.poll > 0.0 && chain.poll <= 3600.0) {
		bail!("--poll must be between 0 and 3600 seconds");
	}
	std::fs::create_dir_all(&data_dir)
		.with_context(|| format!("creating {}", data_dir.display()))?;
	Ok(Common { url: chain.url.clone(), data_dir, poll: Duration::from_secs_f64(chain.poll) })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
	Ok(tokio::runtime::Runtime::new()?)
}

#[derive(Subcommand)]
pub enum KeyCommand {
	/// Write a new random sr25519 key to a file (mode 0600) and print its address.
	Generate {
		/// The key file to create (never overwritten).
		#[arg(long)]
		out: PathBuf,
	},
	/// Print the address and public key of a key.
	Inspect {
		#[command(flatten)]
		signer: SignerArgs,
	},
}

pub fn key(cmd: KeyCommand) -> Result<()> {
	let signer = match cmd {
		KeyCommand::Generate { out } => keys::generate(&out)?,
		KeyCommand::Inspect { signer } => signer.signer()?,
	};
	println!("{}", keys::describe(&signer));
	Ok(())
}

#[derive(Subcommand)]
pub enum SponsorCommand {
	/// Post a task: hash and address the training data, commit to the secret test set, put the
	/// bounty in escrow. Prints the task id.
	Create(Box<CreateArgs>),
	/// Serve the tasks' data and reveal each test set when its window opens; exits when every
	/// task has ended (non-zero if one ended other than `Finalized`).
	Watch {
		/// A task to watch (repeat for several).
		#[arg(long, required_unless_present = "all")]
		task: Vec<u64>,
		/// Every task this data directory has a sponsor record of.
		#[arg(long, conflicts_with = "task")]
		all: bool,
		#[command(flatten)]
		role: RoleArgs,
	},
}

/// A publishing role's node, account, artifact server and data directory.
#[derive(Args)]
pub struct RoleArgs {
	#[command(flatten)]
	chain: ChainArgs,
	#[command(flatten)]
	signer: SignerArgs,
	#[command(flatten)]
	publish: PublishArgs,
	/// Data directory: the artifact store and the role's state (salts, commitments).
	#[arg(long)]
	data_dir: PathBuf,
}

/// Where this process serves its artifacts and how others reach them.
#[derive(Args, Clone)]
pub struct PublishArgs {
	/// Address to serve the data directory's artifacts on (`GET /blob/<hex>`).
	#[arg(long)]
	pub listen: Option<SocketAddr>,
	/// Base URL others download from (e.g. `http://203.0.113.5:8100`); by default
	/// `http://<listen>` when listening, else `file://` URIs (same machine only).
	#[arg(long)]
	pub public_url: Option<String>,
}

impl PublishArgs {
	fn public_url(&self) -> Option<String> {
		self.public_url.clone().or_else(|| self.listen.map(|a| format!("http://{a}")))
	}
}

#[derive(Args)]
pub struct CreateArgs {
	#[command(flatten)]
	role: RoleArgs,
	/// Public training data (CSV with a header, or safetensors).
	#[arg(long)]
	train: PathBuf,
	/// Secret test set, same layout.
	#[arg(long)]
	test: PathBuf,
	/// Label column of a CSV.
	#[arg(long, default_value = "label")]
	label_column: String,
	/// Number of classes (0: regression).
	#[arg(long)]
	classes: u32,
	/// Model: `linear`, `mlp:64,32:relu`, `cnn:1x8x8:16k3p2:relu`.
	#[arg(long)]
	model: String,
	/// `accuracy`, `mse` or `cross-entropy`.
	#[arg(long, default_value = "accuracy")]
	metric: String,
	/// Bounty in units (e.g. `100` or `2.5`).
	#[arg(long)]
	bounty: String,
	/// Evaluators to draw.
	#[arg(long, default_value_t = 3)]
	quorum: u32,
	/// Blocks per phase: open,reveal,test-reveal,score-commit,score-reveal.
	#[arg(long, default_value = "20,10,10,10,10", value_delimiter = ',')]
	phase_blocks: Vec<u32>,
	/// Minimum winning score, as the metric's value (e.g. `0.9` accuracy).
	#[arg(long)]
	min_score: Option<f64>,
	/// Minimum worker reputation, percent.
	#[arg(long, default_value_t = 0)]
	min_worker_reputation: u32,
	/// A finalized parent task whose winning model workers start from.
	#[arg(long)]
	parent: Option<u64>,
	/// Keep running as `sponsor watch` (serve, reveal, wait for the end).
	#[arg(long)]
	watch: bool,
}

pub fn sponsor(cmd: SponsorCommand) -> Result<()> {
	match cmd {
		SponsorCommand::Create(args) => {
			let common = common(&args.role.chain, args.role.data_dir.clone())?;
			let signer = args.role.signer.signer()?;
			let format =
				if args.train.extension().is_some_and(|e| e == "safetensors") {
					DatasetFormat::Safetensors
				} else {
					DatasetFormat::Csv {
						label_column: args.label_column.as_bytes().to_vec().try_into().map_err(
							|_| anyhow::anyhow!("--label-column is longer than 64 bytes"),
						)?,
					}
				};
			let phase_blocks: [u32; 5] = args
				.phase_blocks
				.clone()
				.try_into()
				.map_err(|_| anyhow::anyhow!("--phase-blocks takes 5 numbers"))?;
			if args.min_worker_reputation > 100 {
				bail!("--min-worker-reputation is a percentage (0..=100)");
			}
			let new = NewTask {
				train: args.train.clone(),
				test: args.test.clone(),
				format,
				classes: args.classes,
				model: args.model.clone(),
				metric: parse_metric(&args.metric)?,
				bounty: chain::parse_amount(&args.bounty)?,
				quorum: args.quorum,
				phase_blocks,
				min_score: match args.min_score {
					Some(v) => Some(
						Score::from_f64(v).map_err(|e| anyhow::anyhow!("--min-score: {e:?}"))?,
					),
					None => None,
				},
				min_worker_reputation: Reputation::from_percent(args.min_worker_reputation),
				parent: args.parent.map(TaskId),
			};
			let public = args.role.publish.public_url();
			runtime()?.block_on(async {
				let task = roles::sponsor_create(&common, &signer, &new, public.as_deref()).await?;
				println!("{}", serde_json::json!({ "task": task.0 }));
				if args.watch {
					watch(&common, &signer, task, public.as_deref(), args.role.publish.listen)
						.await?;
				}
				Ok(())
			})
		},
		SponsorCommand::Watch { task, all, role } => {
			let common = common(&role.chain, role.data_dir)?;
			let signer = role.signer.signer()?;
			let public = role.publish.public_url();
			let listen = role.publish.listen;
			let tasks = (!all).then(|| task.into_iter().map(TaskId).collect());
			runtime()?.block_on(async {
				let ended =
					roles::sponsor_watch_many(&common, &signer, tasks, public.as_deref(), listen)
						.await?;
				report_ended(&ended)
			})
		},
	}
}

async fn watch(
	common: &Common,
	signer: &subxt_signer::sr25519::Keypair,
	task: TaskId,
	public: Option<&str>,
	listen: Option<SocketAddr>,
) -> Result<()> {
	let status = roles::sponsor_watch(common, signer, task, public, listen).await?;
	report_ended(&[(task, status)])
}

/// Prints each task's end as a JSON line; an error if one ended other than `Finalized`.
fn report_ended(ended: &[(TaskId, chain::TaskStatus)]) -> Result<()> {
	for (task, status) in ended {
		println!("{}", serde_json::json!({ "task": task.0, "status": status }));
	}
	let failed: Vec<_> = ended
		.iter()
		.filter(|(_, status)| *status != chain::TaskStatus::Finalized)
		.map(|(task, status)| format!("task {} ended {status:?}", task.0))
		.collect();
	if !failed.is_empty() {
		bail!("{}", failed.join("; "));
	}
	Ok(())
}

/// How the daemons fetch the URIs they read from the chain.
#[derive(Args, Clone, Copy)]
pub struct UriPolicyArgs {
	/// Fetch from hosts that resolve to loopback, private, link-local or other non-public
	/// addresses (a local testnet: the demo passes it). Off by default: a URI posted by a
	/// stranger must not reach this machine or its network.
	#[arg(long)]
	allow_private_hosts: bool,
	/// Read `file://` URIs (every role on this machine, revealing without --listen). Off by
	/// default: a URI posted by a stranger must not read local files.
	#[arg(long)]
	allow_file_uris: bool,
}

impl UriPolicyArgs {
	fn limits(self) -> artifacts::FetchLimits {
		artifacts::FetchLimits {
			allow_private: self.allow_private_hosts,
			allow_file: self.allow_file_uris,
			..Default::default()
		}
	}
}

#[derive(Subcommand)]
pub enum WorkerCommand {
	/// Follow the chain: take open tasks, train, serve the weights, commit, reveal.
	Run(Box<WorkerRunArgs>),
}

#[derive(Args)]
pub struct WorkerRunArgs {
	#[command(flatten)]
	role: RoleArgs,
	#[command(flatten)]
	hyper: HyperArgs,
	/// Backend.
	#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
	backend: Backend,
	/// Exit after revealing in this many tasks that then ended (counted from this start).
	#[arg(long)]
	tasks: Option<u32>,
	#[command(flatten)]
	uris: UriPolicyArgs,
	/// Checkpoints kept per training (under `<data-dir>/checkpoints/task-<id>/`, written after
	/// every epoch; a restarted worker resumes from the newest); 0 writes none.
	#[arg(long, default_value_t = 2)]
	keep_checkpoints: usize,
	/// Trainings run side by side; the others wait their turn (and are skipped when their
	/// turn comes too late to finish before the commit window closes). Each training already
	/// uses every core and holds its data set in memory.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
	trainings_at_once: u16,
}

pub fn worker(cmd: WorkerCommand) -> Result<()> {
	let WorkerCommand::Run(args) = cmd;
	let common = common(&args.role.chain, args.role.data_dir.clone())?;
	let signer = args.role.signer.signer()?;
	if args.role.publish.public_url().is_none() {
		tracing::warn!(
			"no --listen/--public-url: weights are revealed as file:// URIs (same machine only)"
		);
	}
	let options = WorkerOptions {
		training: args.hyper.config(),
		backend: args.backend,
		public_url: args.role.publish.public_url(),
		listen: args.role.publish.listen,
		tasks: args.tasks,
		fetch: args.uris.limits(),
		checkpoints: (args.keep_checkpoints > 0).then(|| common.data_dir.join("checkpoints")),
		keep_checkpoints: args.keep_checkpoints,
		trainings_at_once: args.trainings_at_once.into(),
	};
	runtime()?.block_on(roles::worker_run(&common, &signer, &options))
}

#[derive(Subcommand)]
pub enum EvaluatorCommand {
	/// Register with a stake if needed, then score every task this account is drawn for.
	Run {
		#[command(flatten)]
		chain: ChainArgs,
		#[command(flatten)]
		signer: SignerArgs,
		/// Data directory (downloads and state).
		#[arg(long)]
		data_dir: PathBuf,
		/// Stake to register with, in units.
		#[arg(long, default_value = "10")]
		stake: String,
		/// Backend.
		#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
		backend: Backend,
		/// Exit after revealing scores in this many tasks that then ended (counted from this start).
		#[arg(long)]
		tasks: Option<u32>,
		/// Memory a scoring pass may take, in MiB: the rows scored per pass follow from the
		/// model's activations per sample (at least one row).
		#[arg(long, default_value_t = inference::DEFAULT_MEMORY_BUDGET >> 20)]
		memory_budget_mib: u64,
		#[command(flatten)]
		uris: UriPolicyArgs,
	},
}

pub fn evaluator(cmd: EvaluatorCommand) -> Result<()> {
	let EvaluatorCommand::Run {
		chain,
		signer,
		data_dir,
		stake,
		backend,
		tasks,
		memory_budget_mib,
		uris,
	} = cmd;
	let common = common(&chain, data_dir)?;
	let signer = signer.signer()?;
	let options = EvaluatorOptions {
		stake: chain::parse_amount(&stake)?,
		memory_budget: memory_budget_mib.saturating_mul(1 << 20),
		backend,
		tasks,
		fetch: uris.limits(),
	};
	runtime()?.block_on(roles::evaluator_run(&common, &signer, &options))
}

#[derive(Args)]
pub struct StatusArgs {
	/// A task; all tasks when absent.
	task: Option<u64>,
	#[command(flatten)]
	chain: ChainArgs,
	/// JSON instead of tables.
	#[arg(long)]
	json: bool,
	/// Wait until the task has ended first (printing its phases), at most this many seconds.
	#[arg(long)]
	wait: Option<u64>,
	/// A snapshot from `pouw accounts --json` to compare balances and reputation with.
	#[arg(long)]
	before: Option<PathBuf>,
}

pub fn show_status(args: StatusArgs) -> Result<()> {
	let before: Option<status::Snapshot> = match &args.before {
		Some(p) => Some(
			serde_json::from_slice(
				&std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
			)
			.with_context(|| format!("{} is not a `pouw accounts --json` snapshot", p.display()))?,
		),
		None => None,
	};
	runtime()?.block_on(async {
		let chain = Chain::connect(&args.chain.url).await?;
		match args.task {
			None => status::list(&chain, args.json).await,
			Some(task) => {
				let timeline = match args.wait {
					Some(secs) => Some(
						status::wait_until_ended(&chain, TaskId(task), Duration::from_secs(secs))
							.await?,
					),
					None => None,
				};
				status::show(&chain, TaskId(task), args.json, before.as_ref()).await?;
				if let (Some(timeline), false) = (timeline, args.json) {
					println!();
					println!(
						"  {:<12} {:>11} {:>7} {:>9}",
						"phase", "from block", "blocks", "seconds"
					);
					for pair in timeline.windows(2) {
						let ((phase, block, t0), (_, next_block, t1)) = (pair[0], pair[1]);
						println!(
							"  {:<12} {:>11} {:>7} {:>9.1}",
							format!("{phase:?}"),
							block,
							next_block.saturating_sub(block),
							t1.duration_since(t0).as_secs_f64()
						);
					}
				}
				Ok(())
			},
		}
	})
}

#[derive(Args)]
pub struct AccountsArgs {
	/// Accounts: SS58 addresses, `0x` public keys or secret URIs such as `//Alice`.
	#[arg(required = true)]
	accounts: Vec<String>,
	#[command(flatten)]
	chain: ChainArgs,
	/// JSON (the snapshot `pouw status --before` reads).
	#[arg(long)]
	json: bool,
}

pub fn accounts(args: AccountsArgs) -> Result<()> {
	let mut list = Vec::new();
	for text in &args.accounts {
		let account = if text.starts_with("//") || text.contains(' ') {
			chain::account_of(&chain::signer_from_suri(text)?)
		} else {
			chain::parse_account(text)?
		};
		list.push((text.clone(), account));
	}
	runtime()?.block_on(async {
		let chain = Chain::connect(&args.chain.url).await?;
		let snap = status::snapshot(&chain, &list).await?;
		if args.json {
			println!("{}", serde_json::to_string_pretty(&snap)?);
		} else {
			for s in &snap.accounts {
				println!(
					"{:<10} {}  free {}  held {}  reputation worker {:.2} % evaluator {:.2} % sponsor {:.2} %",
					s.label,
					s.address,
					chain::format_amount(s.balances.free),
					chain::format_amount(s.balances.held),
					f64::from(s.reputation[0]) / 10_000.0,
					f64::from(s.reputation[1]) / 10_000.0,
					f64::from(s.reputation[2]) / 10_000.0
				);
			}
		}
		Ok(())
	})
}
