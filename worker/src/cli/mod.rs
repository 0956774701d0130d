//! The `pouw` command line: [`ml`] holds the commands that work on files (datasets, training,
//! scoring, the store, benchmarks), [`chain`] those that act on a node (keys, the sponsor, the
//! daemons, status).

use anyhow::Result;
use clap::{Parser, Subcommand};

mod chain;
mod ml;

#[derive(Parser)]
#[command(name = "pouw", version, about = "pouw: proof of useful work, off-chain engine")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Prepare datasets: hash, inspect, split.
	#[command(subcommand)]
	Dataset(ml::DatasetCommand),
	/// Train a model on a dataset and write its weights (safetensors).
	Train(ml::TrainArgs),
	/// Score weights on a test set with a metric.
	Eval(ml::EvalArgs),
	/// Serve a content-addressed store over HTTP (`GET /blob/<hex>`).
	Serve(ml::ServeArgs),
	/// Download a blob by URI, verify its hash and keep it in a store.
	Fetch(ml::FetchArgs),
	/// Measure training and evaluation throughput on the CPU backends.
	Bench(ml::BenchArgs),
	/// Check that a backend runs on this machine: a device comes up and computes a sum.
	Probe(ml::ProbeArgs),
	/// Score a model near the chain's activation bound and print the peak memory: what an
	/// evaluator needs for the largest task a stranger can post.
	BenchScore(ml::BenchScoreArgs),
	/// Account keys: generate a key file, inspect a key.
	#[command(subcommand)]
	Key(chain::KeyCommand),
	/// Post a task and reveal its test set.
	#[command(subcommand)]
	Sponsor(chain::SponsorCommand),
	/// The worker daemon: trains on open tasks, commits and reveals weights.
	#[command(subcommand)]
	Worker(chain::WorkerCommand),
	/// The evaluator daemon: scores the models of tasks it is drawn for.
	#[command(subcommand)]
	Evaluator(chain::EvaluatorCommand),
	/// Tasks, submissions, scores, winner and payouts (PouwApi).
	Status(chain::StatusArgs),
	/// Balances and reputation of accounts.
	Accounts(chain::AccountsArgs),
}

/// Parses the command line and runs the command.
pub fn run() -> Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let cli = Cli::parse();
	match cli.command {
		Command::Dataset(cmd) => ml::dataset(cmd),
		Command::Train(args) => ml::train(args),
		Command::Eval(args) => ml::eval(args),
		Command::Serve(args) => ml::serve(args),
		Command::Fetch(args) => ml::fetch(args),
		Command::Bench(args) => ml::bench(args),
		Command::Probe(args) => ml::probe(args),
		Command::BenchScore(args) => ml::bench_score(args),
		Command::Key(cmd) => chain::key(cmd),
		Command::Sponsor(cmd) => chain::sponsor(cmd),
		Command::Worker(cmd) => chain::worker(cmd),
		Command::Evaluator(cmd) => chain::evaluator(cmd),
		Command::Status(args) => chain::show_status(args),
		Command::Accounts(args) => chain::accounts(args),
	}
}
