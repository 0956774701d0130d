//! The commands that work on files: datasets, training, scoring, the store, benchmarks.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use pouw_primitives::{commitment::content_hash, DatasetFormat, Metric, ModelSpec};
use pouw_worker::{
	artifacts::{self, ArtifactStore, FetchLimits},
	ml::backend::Backend,
	ml::checkpoint::Checkpoints,
	ml::data::{self, Dataset, Labels, Layout},
	ml::inference::{self, Evaluation},
	ml::spec_text,
	ml::training::{self, LrSchedule, OptimizerKind, SplitMix64, TrainingConfig},
	ml::weights,
};
use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	time::Instant,
};

#[derive(Subcommand)]
pub(super) enum DatasetCommand {
	/// Print the blake2-256 of a file (its content address on chain).
	Hash {
		/// The file.
		file: PathBuf,
	},
	/// Validate a dataset and print its shape.
	Inspect {
		/// The file.
		file: PathBuf,
		#[command(flatten)]
		layout: LayoutArgs,
	},
	/// Split a dataset into a training and a held-out test CSV.
	Split {
		/// The file.
		file: PathBuf,
		#[command(flatten)]
		layout: LayoutArgs,
		/// Fraction of samples in the test set.
		#[arg(long, default_value_t = 0.2)]
		test_fraction: f64,
		/// Seed of the shuffle.
		#[arg(long, default_value_t = 7)]
		seed: u64,
		/// Output directory for `train.csv` and `test.csv`.
		#[arg(long)]
		out: PathBuf,
	},
}

#[derive(Args, Clone)]
pub(super) struct LayoutArgs {
	/// `csv` or `safetensors`; by default from the file's extension.
	#[arg(long)]
	format: Option<String>,
	/// Label column of a CSV.
	#[arg(long, default_value = "label")]
	label_column: String,
	/// Number of classes; 0 for regression.
	#[arg(long)]
	classes: u32,
	/// Expected features per sample; by default whatever the file has.
	#[arg(long)]
	features: Option<u32>,
}

/// A dataset file, how to read it, and the model it is for.
#[derive(Args, Clone)]
pub(super) struct DataModelArgs {
	/// The data (training data for `train`, test data for `eval`).
	#[arg(long)]
	data: PathBuf,
	#[command(flatten)]
	layout: LayoutArgs,
	/// Model: `linear`, `mlp:64,32:relu`, `cnn:1x8x8:16k3p2:relu`, `cnn:1x28x28:16k3p2,32k3p2:128:relu`
	/// (convolutions, then dense layers of 128, then the outputs).
	#[arg(long)]
	model: String,
}

#[derive(Args)]
pub(super) struct TrainArgs {
	#[command(flatten)]
	input: DataModelArgs,
	/// Where to write the weights.
	#[arg(long)]
	out: PathBuf,
	/// Start from these weights (lineage: a parent task's winning model).
	#[arg(long)]
	parent: Option<PathBuf>,
	/// Also write the training report (JSON) here.
	#[arg(long)]
	report: Option<PathBuf>,
	/// Write a checkpoint into this folder after every epoch, and resume from the newest one
	/// of the same run (same data, model, hyperparameters, parent and backend) if there is
	/// one: a killed run ends with the same weights as one never interrupted.
	#[arg(long)]
	checkpoints: Option<PathBuf>,
	/// Checkpoints kept.
	#[arg(long, default_value_t = 2, requires = "checkpoints")]
	keep_checkpoints: usize,
	#[command(flatten)]
	hyper: HyperArgs,
	/// Backend.
	#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
	backend: Backend,
}

#[derive(Args, Clone)]
pub(crate) struct HyperArgs {
	/// Epochs at most.
	#[arg(long, default_value_t = 100)]
	epochs: usize,
	/// Batch size.
	#[arg(long, default_value_t = 32)]
	batch_size: usize,
	/// Learning rate.
	#[arg(long, default_value_t = 3e-3)]
	lr: f64,
	/// Optimiser.
	#[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
	optimizer: OptimizerKind,
	/// L2 weight decay.
	#[arg(long, default_value_t = 0.0)]
	weight_decay: f64,
	/// Fraction held out for early stopping; 0 trains on everything.
	#[arg(long, default_value_t = 0.1)]
	validation_fraction: f64,
	/// Epochs without improvement before stopping.
	#[arg(long, default_value_t = 15)]
	patience: usize,
	/// Seed.
	#[arg(long, default_value_t = 42)]
	seed: u64,
	/// Learning-rate schedule over the configured epochs.
	#[arg(long, value_enum, default_value_t = LrSchedule::Constant)]
	lr_schedule: LrSchedule,
	/// Clip each parameter's gradient to this L2 norm before a step; 0 for none.
	#[arg(long, default_value_t = 0.0)]
	grad_clip_norm: f64,
}

impl HyperArgs {
	pub(crate) fn config(&self) -> TrainingConfig {
		TrainingConfig::new()
			.with_epochs(self.epochs)
			.with_batch_size(self.batch_size)
			.with_learning_rate(self.lr)
			.with_optimizer(self.optimizer)
			.with_weight_decay(self.weight_decay)
			.with_validation_fraction(self.validation_fraction)
			.with_patience(self.patience)
			.with_seed(self.seed)
			.with_lr_schedule(self.lr_schedule)
			.with_grad_clip_norm(self.grad_clip_norm)
	}
}

#[derive(Args)]
pub(super) struct ProbeArgs {
	/// Backend.
	#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
	backend: Backend,
}

#[derive(Args)]
pub(super) struct EvalArgs {
	/// Weights (safetensors).
	#[arg(long)]
	weights: PathBuf,
	#[command(flatten)]
	input: DataModelArgs,
	/// `accuracy`, `mse` or `cross-entropy`.
	#[arg(long, default_value = "accuracy")]
	metric: String,
	/// Backend.
	#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
	backend: Backend,
	/// Print JSON.
	#[arg(long)]
	json: bool,
}

#[derive(Args)]
pub(super) struct ServeArgs {
	/// The store's directory.
	#[arg(long)]
	dir: PathBuf,
	/// Address to listen on.
	#[arg(long, default_value = "127.0.0.1:8000")]
	addr: SocketAddr,
	/// Files to add to the store first (their hashes are printed).
	#[arg(long)]
	add: Vec<PathBuf>,
}

#[derive(Args)]
pub(super) struct FetchArgs {
	/// `http(s)://…` or `file://…`.
	uri: String,
	/// Expected blake2-256, hex.
	#[arg(long)]
	hash: String,
	/// The store's directory.
	#[arg(long)]
	dir: PathBuf,
	/// Size limit in bytes.
	#[arg(long, default_value_t = 512 * 1024 * 1024)]
	max_bytes: u64,
	/// Timeout of the whole transfer, seconds.
	#[arg(long, default_value_t = 300)]
	timeout: u64,
}

#[derive(Args)]
pub(super) struct BenchArgs {
	/// Training data (CSV).
	#[arg(long)]
	data: PathBuf,
	#[command(flatten)]
	layout: LayoutArgs,
	/// Model.
	#[arg(long, default_value = "mlp:64,32:relu")]
	model: String,
	/// Backends to measure.
	#[arg(long, value_enum, value_delimiter = ',', default_value = "flex")]
	backends: Vec<Backend>,
	/// Epochs per measurement.
	#[arg(long, default_value_t = 5)]
	epochs: usize,
	/// Batch size.
	#[arg(long, default_value_t = 64)]
	batch_size: usize,
	/// Train on the first N samples only (all by default).
	#[arg(long)]
	samples: Option<usize>,
	/// A test set (same layout): then evaluation is timed on it, the accuracy reached is
	/// printed, and the cost of scoring it once against the training run.
	#[arg(long)]
	test: Option<PathBuf>,
}

#[derive(Args)]
pub(super) struct BenchScoreArgs {
	/// Test samples to score.
	#[arg(long, default_value_t = 64)]
	samples: usize,
	/// The evaluator's memory budget for a scoring pass, in MiB (`pouw evaluator run
	/// --memory-budget-mib`).
	#[arg(long, default_value_t = inference::DEFAULT_MEMORY_BUDGET >> 20)]
	memory_budget_mib: u64,
	/// Backend.
	#[arg(long, value_enum, default_value_t = Backend::DEFAULT)]
	backend: Backend,
}

/// Scores a CNN over 1024 x 1024 single-channel images with two 1 x 1 convolution channels
/// and two classes: 3 M activation elements a sample, three quarters of `MAX_ACTIVATIONS`
/// (a wider one is refused on chain), with freshly initialised weights, on random images.
pub(super) fn bench_score(args: BenchScoreArgs) -> Result<()> {
	use pouw_primitives::{Activation, ConvLayer};
	let spec = ModelSpec::Cnn {
		hidden: Default::default(),
		channels: 1,
		height: 1024,
		width: 1024,
		conv: vec![ConvLayer { out_channels: 2, kernel: 1, pool: 1 }]
			.try_into()
			.map_err(|_| anyhow::anyhow!("conv layers"))?,
		outputs: 2,
		activation: Activation::Relu,
	};
	spec.validate().map_err(|e| anyhow::anyhow!("{e:?}"))?;
	let device = args.backend.probe()?;
	let network = pouw_worker::ml::model::Network::new(&spec, &device)?;
	let bytes = weights::to_bytes(&network)?;
	drop(network);
	let features = spec.input_features() as usize;
	let mut state = 0x9e37_79b9_u32;
	let mut next = || {
		state ^= state << 13;
		state ^= state >> 17;
		state ^= state << 5;
		(state % 256) as f32 / 255.0
	};
	let data = Dataset {
		features: (0..args.samples * features).map(|_| next()).collect::<Vec<f32>>().into(),
		feature_count: features,
		labels: Labels::Classes {
			ids: (0..args.samples).map(|i| (i % 2) as u32).collect(),
			classes: 2,
		},
	};
	let before = peak_rss_kib();
	let budget = args.memory_budget_mib.saturating_mul(1 << 20);
	let started = Instant::now();
	let outcome = inference::evaluate(&spec, Metric::Accuracy, &bytes, &data, &device, budget)?;
	println!(
		"{}",
		serde_json::json!({
			"model": spec_text::format(&spec),
			"activations_per_sample": spec.activations(),
			"samples": args.samples,
			"memory_budget_mib": args.memory_budget_mib,
			"rows_per_pass": inference::rows_per_pass(&spec, budget),
			"valid": matches!(outcome, Evaluation::Valid { .. }),
			"seconds": started.elapsed().as_secs_f64(),
			"data_mib": data.features.memory_bytes() >> 20,
			"peak_rss_kib_before_scoring": before,
			"peak_rss_kib": peak_rss_kib(),
		})
	);
	Ok(())
}

pub(crate) fn parse_metric(s: &str) -> Result<Metric> {
	Ok(match s.to_ascii_lowercase().as_str() {
		"accuracy" | "acc" => Metric::Accuracy,
		"mse" | "mean-squared-error" => Metric::MeanSquaredError,
		"cross-entropy" | "ce" => Metric::CrossEntropy,
		other => bail!("unknown metric '{other}': use accuracy, mse or cross-entropy"),
	})
}

fn layout_for(file: &Path, args: &LayoutArgs, features: u32) -> Result<Layout> {
	let format = match args.format.as_deref() {
		Some("csv") => "csv",
		Some("safetensors") => "safetensors",
		Some(other) => bail!("unknown format '{other}': use csv or safetensors"),
		None => match file.extension().and_then(|e| e.to_str()) {
			Some("safetensors") => "safetensors",
			_ => "csv",
		},
	};
	let format = if format == "csv" {
		DatasetFormat::Csv {
			label_column: args
				.label_column
				.as_bytes()
				.to_vec()
				.try_into()
				.map_err(|_| anyhow::anyhow!("label column name longer than 64 bytes"))?,
		}
	} else {
		DatasetFormat::Safetensors
	};
	Ok(Layout { format, features, classes: args.classes })
}

/// Reads and validates a dataset; its feature count is `--features` or whatever the file has.
fn load_dataset(file: &Path, args: &LayoutArgs) -> Result<Dataset> {
	let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
	let layout = layout_for(file, args, args.features.unwrap_or(0))?;
	let parsed = match args.features {
		Some(_) => Dataset::parse(&bytes, &layout, None),
		None => Dataset::parse_any_width(&bytes, &layout),
	};
	parsed.with_context(|| format!("{}", file.display()))
}

fn outputs_of(data: &Dataset) -> u32 {
	match &data.labels {
		Labels::Classes { classes, .. } => *classes,
		Labels::Targets(_) => 1,
	}
}

pub(super) fn dataset(cmd: DatasetCommand) -> Result<()> {
	match cmd {
		DatasetCommand::Hash { file } => {
			let bytes =
				std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
			println!("0x{}", hex::encode(content_hash(&bytes)));
		},
		DatasetCommand::Inspect { file, layout } => {
			let d = load_dataset(&file, &layout)?;
			let bytes = std::fs::read(&file)?;
			println!(
				"{}",
				serde_json::json!({
					"file": file,
					"hash": format!("0x{}", hex::encode(content_hash(&bytes))),
					"samples": d.len(),
					"features": d.feature_count,
					"classes": layout.classes,
				})
			);
		},
		DatasetCommand::Split { file, layout, test_fraction, seed, out } => {
			if !(test_fraction > 0.0 && test_fraction < 1.0) {
				bail!("--test-fraction must be between 0 and 1");
			}
			let d = load_dataset(&file, &layout)?;
			if d.len() < 2 {
				bail!("need at least 2 samples to split");
			}
			let mut order: Vec<usize> = (0..d.len()).collect();
			SplitMix64::new(seed).shuffle(&mut order);
			let n_test = ((d.len() as f64 * test_fraction).round() as usize).clamp(1, d.len() - 1);
			let (test_rows, train_rows) = order.split_at(n_test);
			let mut test_rows = test_rows.to_vec();
			let mut train_rows = train_rows.to_vec();
			test_rows.sort_unstable();
			train_rows.sort_unstable();
			let names: Vec<String> = (0..d.feature_count).map(|i| format!("f{i}")).collect();
			std::fs::create_dir_all(&out)?;
			let mut summary = serde_json::Map::new();
			for (name, rows) in [("train", &train_rows), ("test", &test_rows)] {
				let part = d.select(rows);
				let bytes = data::to_csv(&part, &names, &layout.label_column);
				let path = out.join(format!("{name}.csv"));
				std::fs::write(&path, &bytes)?;
				summary.insert(
					name.into(),
					serde_json::json!({
						"file": path,
						"hash": format!("0x{}", hex::encode(content_hash(&bytes))),
						"samples": part.len(),
					}),
				);
			}
			summary.insert("features".into(), d.feature_count.into());
			summary.insert("classes".into(), layout.classes.into());
			println!("{}", serde_json::Value::Object(summary));
		},
	}
	Ok(())
}

/// Reads the data and builds the spec from the model text and the data's shape.
fn load_input(input: &DataModelArgs) -> Result<(Dataset, ModelSpec)> {
	let data = load_dataset(&input.data, &input.layout)?;
	let spec = spec_text::parse(&input.model, data.feature_count as u32, outputs_of(&data))?;
	Ok((data, spec))
}

pub(super) fn train(args: TrainArgs) -> Result<()> {
	let device = args.backend.probe()?;
	let (data, spec) = load_input(&args.input)?;
	let parent = match &args.parent {
		Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
		None => None,
	};
	tracing::info!(
		model = %spec_text::format(&spec),
		params = spec.validate().unwrap_or(0),
		samples = data.len(),
		backend = %args.backend,
		"training"
	);
	let config = args.hyper.config();
	let checkpoints = match &args.checkpoints {
		Some(dir) => {
			let data = std::fs::read(&args.input.data)
				.with_context(|| format!("reading {}", args.input.data.display()))?;
			let identity = [&content_hash(&data)[..], args.backend.to_string().as_bytes()].concat();
			Some(Checkpoints::new(dir, args.keep_checkpoints, identity))
		},
		None => None,
	};
	let trained = training::train_with(
		&spec,
		&data,
		&config,
		&device,
		parent.as_deref(),
		training::Run { progress: true, checkpoints: checkpoints.as_ref(), deadline: None },
	)?;
	let bytes = weights::to_bytes(&trained.network)?;
	std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
	let record = training::training_record(&config, &args.backend.to_string(), &trained.report);
	let record_path = args.out.with_extension("record.json");
	std::fs::write(&record_path, serde_json::to_vec_pretty(&record)?)
		.with_context(|| format!("writing {}", record_path.display()))?;
	let report = serde_json::json!({
		"weights": args.out,
		"hash": format!("0x{}", hex::encode(content_hash(&bytes))),
		"model": spec_text::format(&spec),
		"backend": args.backend.to_string(),
		"config": record["config"],
		"record": record_path,
		"report": trained.report,
	});
	if let Some(path) = &args.report {
		std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
	}
	println!("{report}");
	Ok(())
}

pub(super) fn probe(args: ProbeArgs) -> Result<()> {
	args.backend.probe()?;
	println!("backend {}: ok", args.backend);
	Ok(())
}

pub(super) fn eval(args: EvalArgs) -> Result<()> {
	let device = args.backend.probe()?;
	let metric = parse_metric(&args.metric)?;
	let (data, spec) = load_input(&args.input)?;
	let bytes = std::fs::read(&args.weights)
		.with_context(|| format!("reading {}", args.weights.display()))?;
	let started = Instant::now();
	let budget = inference::DEFAULT_MEMORY_BUDGET;
	let outcome = inference::evaluate(&spec, metric, &bytes, &data, &device, budget)?;
	let seconds = started.elapsed().as_secs_f64();
	let json = match &outcome {
		Evaluation::Valid { value, score } => serde_json::json!({
			"valid": true, "metric": format!("{metric:?}"), "value": value, "score": score.0,
			"samples": data.len(), "seconds": seconds,
		}),
		Evaluation::Invalid(reason) => serde_json::json!({ "valid": false, "reason": reason }),
	};
	if args.json {
		println!("{json}");
	} else {
		match outcome {
			Evaluation::Valid { value, score } => {
				println!("{metric:?} {value:.6} (score {}) on {} samples", score.0, data.len())
			},
			Evaluation::Invalid(reason) => println!("invalid submission: {reason}"),
		}
	}
	Ok(())
}

pub(super) fn serve(args: ServeArgs) -> Result<()> {
	let store = ArtifactStore::open(&args.dir)?;
	for file in &args.add {
		let hash = store.put_file(file).with_context(|| format!("adding {}", file.display()))?;
		println!("0x{} {}", hex::encode(hash), file.display());
	}
	let rt = tokio::runtime::Runtime::new()?;
	rt.block_on(async move {
		let (bound, server) = artifacts::bind(store, args.addr).await?;
		tracing::info!("serving {} on http://{bound}/blob/<hash>", args.dir.display());
		tokio::select! {
			r = server => r?,
			_ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
		}
		Ok(())
	})
}

pub(super) fn fetch(args: FetchArgs) -> Result<()> {
	let hash = artifacts::parse_hash(&args.hash)
		.ok_or_else(|| anyhow::anyhow!("--hash must be 64 hex digits"))?;
	let store = ArtifactStore::open(&args.dir)?;
	// A URI typed by the user, not one from the chain: any host, and local files.
	let limits = FetchLimits {
		max_bytes: args.max_bytes,
		timeout: std::time::Duration::from_secs(args.timeout),
		allow_private: true,
		allow_file: true,
		..Default::default()
	};
	let rt = tokio::runtime::Runtime::new()?;
	let path = rt.block_on(artifacts::fetch(&store, &args.uri, &hash, limits))?;
	println!("{}", path.display());
	Ok(())
}

/// The process's peak resident memory (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	line.split_whitespace().nth(1)?.parse().ok()
}

pub(super) fn bench(args: BenchArgs) -> Result<()> {
	let mut data = load_dataset(&args.data, &args.layout)?;
	if let Some(n) = args.samples.filter(|n| *n < data.len()) {
		data = data.select(&(0..n).collect::<Vec<_>>());
	}
	let test = args.test.as_ref().map(|p| load_dataset(p, &args.layout)).transpose()?;
	let spec = spec_text::parse(&args.model, data.feature_count as u32, outputs_of(&data))?;
	for backend in &args.backends {
		let device = backend.device()?;
		// Adam at 1e-3, as `bench/torch_bench.py` uses.
		let config = TrainingConfig::new()
			.with_epochs(args.epochs)
			.with_batch_size(args.batch_size)
			.with_learning_rate(1e-3)
			.with_validation_fraction(0.0);
		// One warm-up epoch, then the measured run.
		let warm =
			training::train(&spec, &data, &config.clone().with_epochs(1), &device, None, false)?;
		let trained = training::train(&spec, &data, &config, &device, None, false)?;
		let scored = test.as_ref().unwrap_or(&data);
		let rounds = if test.is_some() { 5 } else { 20 };
		let started = Instant::now();
		for _ in 0..rounds {
			std::hint::black_box(
				inference::predict(&trained.network, scored, &device, inference::EVAL_BATCH)
					.map_err(anyhow::Error::msg)?,
			);
		}
		let eval_rate = (rounds * scored.len()) as f64 / started.elapsed().as_secs_f64();
		let accuracy = |network| -> Result<Option<f64>> {
			let Some(test) = &test else { return Ok(None) };
			let bytes = weights::to_bytes(network)?;
			let budget = inference::DEFAULT_MEMORY_BUDGET;
			Ok(match inference::evaluate(&spec, Metric::Accuracy, &bytes, test, &device, budget)? {
				Evaluation::Valid { value, .. } => Some(value),
				Evaluation::Invalid(_) => None,
			})
		};
		// An evaluator scores the test set once; the worker trained for the measured epochs.
		let score_seconds = scored.len() as f64 / eval_rate;
		println!(
			"{}",
			serde_json::json!({
				"backend": backend.to_string(),
				"model": spec_text::format(&spec),
				"samples": data.len(),
				"test_samples": test.as_ref().map(Dataset::len),
				"batch_size": args.batch_size,
				"epochs": args.epochs,
				"train_samples_per_second": trained.report.samples_per_second,
				"eval_samples_per_second": eval_rate,
				"first_epoch_train_loss": warm.report.train_loss,
				"final_train_loss": trained.report.train_loss,
				"test_accuracy_after_one_epoch": accuracy(&warm.network)?,
				"test_accuracy": accuracy(&trained.network)?,
				"verification_cost": score_seconds / trained.report.seconds.max(1e-9),
				"threads": std::env::var("RAYON_NUM_THREADS").ok(),
				// Process-wide: run one backend per process to read one backend's peak.
				"peak_rss_kib": peak_rss_kib(),
			})
		);
	}
	Ok(())
}
