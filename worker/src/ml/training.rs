//! Seeded, reproducible training of a spec's network on a dataset.
//!
//! Reproducible means: the same seed, data, config and backend give the same weights, byte for
//! byte (checked by a test on the CPU backend). Everything random comes from the seed: the
//! initial weights (the device's generator, seeded first), the validation split and the batch
//! order (a SplitMix64 stream, independent of any crate's RNG version).
//!
//! The backends keep one random generator per process (burn's `Backend::seed` sets a global), and
//! burn draws a parameter's initial values lazily, on its first use. Two trainings in one process
//! (test threads, or a tool training several tasks) would interleave their draws and lose the
//! guarantee, so seeding and drawing every initial weight happen at once under one lock
//! ([`fresh_network`]).

use super::{
	checkpoint::{Checkpoints, Loaded, Saved, SavedBest},
	data::{Dataset, Labels},
	model::{ModelError, Network},
	weights::{self, WeightsError},
};
use burn::{
	config::Config,
	grad_clipping::GradientClippingConfig,
	module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId},
	nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction},
	optim::{decay::WeightDecayConfig, AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig},
	tensor::{Device, Int, Tensor, TensorData},
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pouw_primitives::ModelSpec;
use std::{
	sync::{Mutex, PoisonError},
	time::Instant,
};

/// Held while a backend's global generator is seeded and the initial weights are drawn from it.
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// A freshly initialised network for `spec` whose initial weights depend on `seed` alone: the
/// device's generator is seeded and every (lazy) parameter materialised under [`INIT_LOCK`].
pub fn fresh_network(spec: &ModelSpec, device: &Device, seed: u64) -> Result<Network, ModelError> {
	// A poisoned lock guards no data: a panic elsewhere does not make the generator unusable.
	let _guard = INIT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
	device.seed(seed);
	let network = Network::new(spec, device)?;
	network.visit(&mut Materialise);
	Ok(network)
}

/// Draws every lazily initialised parameter now.
struct Materialise;

impl ModuleVisitor for Materialise {
	fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
		let _ = param.val();
	}
}

/// The parameter ids of a network, in module order.
struct CollectIds(Vec<u64>);

impl ModuleVisitor for CollectIds {
	fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
		self.0.push(param.id.val());
	}
}

fn param_ids(network: &Network) -> Vec<u64> {
	let mut ids = CollectIds(Vec::new());
	network.visit(&mut ids);
	ids.0
}

/// Gives a network's parameters the ids of a checkpoint, in module order, so the optimiser
/// state saved under those ids applies to them again.
struct SetIds<'a> {
	ids: std::slice::Iter<'a, u64>,
	mismatch: bool,
}

impl ModuleMapper for SetIds<'_> {
	fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
		match self.ids.next() {
			Some(id) => Param::initialized(ParamId::from(*id), param.into_value()),
			None => {
				self.mismatch = true;
				param
			},
		}
	}
}

/// The optimiser a worker trains with.
#[derive(Config, Debug, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizerKind {
	/// Adam.
	Adam,
	/// Plain stochastic gradient descent.
	Sgd,
}

/// How the learning rate moves over a run.
#[derive(Config, Debug, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LrSchedule {
	/// The configured rate at every step.
	Constant,
	/// Cosine annealing from the configured rate at the first step to zero after the last
	/// configured epoch (early stopping may end sooner).
	Cosine,
}

impl LrSchedule {
	/// The rate of step `step` (0-based) of `total`, from the configured `rate`.
	pub fn rate(self, rate: f64, step: usize, total: usize) -> f64 {
		match self {
			LrSchedule::Constant => rate,
			LrSchedule::Cosine => {
				let progress = step as f64 / total.max(1) as f64;
				rate * 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos())
			},
		}
	}
}

/// A worker's own hyperparameters. With the defaults a 64-64-32-10 MLP reaches about 94 % test
/// accuracy on the UCI digits, a 64-128-10 one about 96 % (see the README).
#[derive(Config, Debug)]
pub struct TrainingConfig {
	/// Passes over the training data at most.
	#[config(default = 100)]
	pub epochs: usize,
	/// Samples per gradient step.
	#[config(default = 32)]
	pub batch_size: usize,
	/// Step size.
	#[config(default = 3e-3)]
	pub learning_rate: f64,
	/// Optimiser.
	#[config(default = "OptimizerKind::Adam")]
	pub optimizer: OptimizerKind,
	/// L2 penalty; `0` for none.
	#[config(default = 0.0)]
	pub weight_decay: f64,
	/// Fraction of the training data held out for validation and early stopping; `0` trains on
	/// everything for exactly `epochs`.
	#[config(default = 0.1)]
	pub validation_fraction: f64,
	/// Epochs without a better validation loss before stopping.
	#[config(default = 15)]
	pub patience: usize,
	/// Seed of everything random.
	#[config(default = 42)]
	pub seed: u64,
	/// How the learning rate moves over the run.
	#[config(default = "LrSchedule::Constant")]
	pub lr_schedule: LrSchedule,
	/// Each parameter's gradient is scaled down to at most this L2 norm before a step; `0`
	/// for none.
	#[config(default = 0.0)]
	pub grad_clip_norm: f64,
}

/// Why training could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
	/// The spec is invalid or does not fit the data.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// The starting weights do not fit the spec.
	#[error("parent weights: {0}")]
	Parent(WeightsError),
	/// The dataset's features differ from the model's inputs.
	#[error("the data has {data} features, the model takes {model}")]
	InputMismatch {
		/// Features in the data.
		data: usize,
		/// Model inputs.
		model: u64,
	},
	/// Classification data for a model whose outputs are not its classes, or regression data for
	/// a model with more than one output.
	#[error("the data needs {data} outputs, the model has {model}")]
	OutputMismatch {
		/// Outputs the labels need.
		data: u32,
		/// Model outputs.
		model: u32,
	},
	/// A hyperparameter is out of range.
	#[error("bad training config: {0}")]
	BadConfig(&'static str),
	/// No sample is left to train on after the validation split.
	#[error("no training samples")]
	NoSamples,
	/// The loss became NaN or infinite (learning rate too high?).
	#[error("the loss diverged at epoch {0} (NaN or infinite); try a lower learning rate")]
	Diverged(usize),
}

/// What happened during training.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TrainReport {
	/// Epochs run (early stopping may end before the configured number).
	pub epochs_run: usize,
	/// The epoch whose weights were kept (1-based).
	pub best_epoch: usize,
	/// Mean training loss of the last epoch.
	pub train_loss: f64,
	/// Validation loss of the kept weights (`None` without a validation split).
	pub validation_loss: Option<f64>,
	/// Validation accuracy of the kept weights, for classification.
	pub validation_accuracy: Option<f64>,
	/// Samples trained on, and held out.
	pub train_samples: usize,
	/// Samples held out for validation.
	pub validation_samples: usize,
	/// Wall time of the training loop, seconds.
	pub seconds: f64,
	/// Training throughput: samples through forward and backward per second.
	pub samples_per_second: f64,
	/// Training stopped before its configured epochs to end before a deadline.
	pub stopped_for_deadline: bool,
}

/// The burn release pouw trains with: the `=` pin in `worker/Cargo.toml` (a test checks it).
pub const BURN_VERSION: &str = "0.22.1";

/// What a weights file came from, kept beside it: the seed, every hyperparameter, the backend,
/// the burn and pouw versions and the samples: enough to train it again to the same bytes.
pub fn training_record(
	config: &TrainingConfig,
	backend: &str,
	report: &TrainReport,
) -> serde_json::Value {
	serde_json::json!({
		"seed": config.seed,
		"config": serde_json::to_value(config).unwrap_or_default(),
		"backend": backend,
		"burn": BURN_VERSION,
		"pouw": env!("CARGO_PKG_VERSION"),
		"samples": report.train_samples + report.validation_samples,
		"seconds": report.seconds,
		"report": report,
	})
}

/// A trained network and its report.
pub struct Trained {
	/// The kept weights, without autodiff.
	pub network: Network,
	/// What happened.
	pub report: TrainReport,
}

/// A SplitMix64 stream: tiny, fast and fixed forever, so a seed means the same split and batch
/// order in every version of pouw.
pub struct SplitMix64(u64);

impl SplitMix64 {
	/// A stream from `seed`.
	pub fn new(seed: u64) -> Self {
		Self(seed)
	}

	/// The next value.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// The generator's state (a checkpoint checks its replay against it).
	pub fn state(&self) -> u64 {
		self.0
	}

	/// Fisher-Yates shuffle.
	pub fn shuffle<T>(&mut self, items: &mut [T]) {
		for i in (1..items.len()).rev() {
			let j = (self.next_u64() % (i as u64 + 1)) as usize;
			items.swap(i, j);
		}
	}
}

/// A batch of rows as tensors: features `[n, f]`, plus class ids or targets `[n, 1]`.
pub(crate) enum Targets {
	Classes(Tensor<1, Int>),
	Values(Tensor<2>),
}

pub(crate) fn batch(data: &Dataset, rows: &[usize], device: &Device) -> (Tensor<2>, Targets) {
	let f = data.feature_count;
	let mut x = Vec::with_capacity(rows.len() * f);
	for &r in rows {
		data.features.extend_row(r, f, &mut x);
	}
	let x = Tensor::<2>::from_data(TensorData::new(x, [rows.len(), f]), device);
	let y = match &data.labels {
		Labels::Classes { ids, .. } => {
			let y: Vec<i64> = rows.iter().map(|&r| i64::from(ids[r])).collect();
			Targets::Classes(Tensor::<1, Int>::from_data(TensorData::new(y, [rows.len()]), device))
		},
		Labels::Targets(t) => {
			let y: Vec<f32> = rows.iter().map(|&r| t[r]).collect();
			Targets::Values(Tensor::<2>::from_data(TensorData::new(y, [rows.len(), 1]), device))
		},
	};
	(x, y)
}

fn loss(network: &Network, x: Tensor<2>, y: Targets, device: &Device) -> Tensor<1> {
	let out = network.forward(x);
	match y {
		Targets::Classes(ids) => CrossEntropyLossConfig::new().init(device).forward(out, ids),
		Targets::Values(t) => MseLoss::new().forward(out, t, Reduction::Mean),
	}
}

/// Validation loss and, for classification, accuracy, over `rows` in batches.
fn validate(
	network: &Network,
	data: &Dataset,
	rows: &[usize],
	device: &Device,
) -> (f64, Option<f64>) {
	let mut total = 0.0;
	let mut correct = 0usize;
	for chunk in rows.chunks(1024) {
		let (x, y) = batch(data, chunk, device);
		let n = chunk.len() as f64;
		match y {
			Targets::Classes(ids) => {
				let out = network.forward(x);
				let predicted = out.clone().argmax(1).reshape([chunk.len()]);
				correct += predicted.equal(ids.clone()).int().sum().into_scalar::<i64>() as usize;
				let l = CrossEntropyLossConfig::new().init(device).forward(out, ids);
				total += f64::from(l.into_scalar::<f32>()) * n;
			},
			Targets::Values(t) => {
				let l = MseLoss::new().forward(network.forward(x), t, Reduction::Mean);
				total += f64::from(l.into_scalar::<f32>()) * n;
			},
		}
	}
	let n = rows.len().max(1) as f64;
	let accuracy = matches!(data.labels, Labels::Classes { .. }).then(|| correct as f64 / n);
	(total / n, accuracy)
}

/// Trains `spec`'s network on `data` with `config` on `device` (a plain device; autodiff is
/// added here). With `parent`, training starts from those safetensors weights (lineage)
/// instead of a fresh initialisation. `progress` shows a bar on a terminal.
pub fn train(
	spec: &ModelSpec,
	data: &Dataset,
	config: &TrainingConfig,
	device: &Device,
	parent: Option<&[u8]>,
	progress: bool,
) -> Result<Trained, TrainError> {
	train_with(spec, data, config, device, parent, Run { progress, ..Run::default() })
}

/// How [`train_with`] runs, beyond the hyperparameters (none of this changes the weights of a
/// run that ends normally).
#[derive(Clone, Copy, Debug, Default)]
pub struct Run<'a> {
	/// Show a progress bar on a terminal.
	pub progress: bool,
	/// Write a checkpoint after every epoch, and resume from the newest of the same run.
	pub checkpoints: Option<&'a Checkpoints>,
	/// Stop after the last epoch that ends before this instant (at the pace of the epochs so
	/// far) and keep the best weights up to it: a worker's commit window does not wait.
	pub deadline: Option<Instant>,
}

/// The best epoch so far: validation loss, epoch, weights, validation accuracy.
type Best = (f64, usize, Network, Option<f64>);

/// What a run resumes from: the weights, optimiser and counters of a checkpoint.
struct Resume {
	network: Network,
	optimizer: ModuleOptimizer,
	best: Option<Best>,
	saved: Saved,
}

/// [`train`] with [`Run`]'s options. With checkpoints it writes one after every epoch and
/// first resumes from the newest one of the same run, if any: the result is the same, byte for
/// byte, as a run that was never interrupted. A checkpoint that cannot be used is logged and
/// ignored.
pub fn train_with(
	spec: &ModelSpec,
	data: &Dataset,
	config: &TrainingConfig,
	device: &Device,
	parent: Option<&[u8]>,
	run: Run<'_>,
) -> Result<Trained, TrainError> {
	let Run { progress, checkpoints, deadline } = run;
	check_inputs(spec, data, config)?;

	let mut rng = SplitMix64::new(config.seed);
	let mut order: Vec<usize> = (0..data.len()).collect();
	rng.shuffle(&mut order);
	let held_out = if config.validation_fraction > 0.0 && data.len() >= 2 {
		((data.len() as f64 * config.validation_fraction).round() as usize).clamp(1, data.len() - 1)
	} else {
		0
	};
	let (train_rows, val_rows) = order.split_at(data.len() - held_out);
	let mut train_rows = train_rows.to_vec();
	let val_rows = val_rows.to_vec();
	if train_rows.is_empty() {
		return Err(TrainError::NoSamples);
	}

	let ad = device.clone().autodiff();
	let fingerprint = checkpoints.map(|c| {
		use codec::Encode;
		c.fingerprint(&[&spec.encode(), config.to_string().as_bytes(), parent.unwrap_or_default()])
	});
	let resume = match (checkpoints, &fingerprint) {
		(Some(c), Some(f)) => c.latest(f).and_then(|loaded| {
			let epoch = loaded.saved.epoch;
			// Replayed on copies: a checkpoint that cannot be used leaves the run as it was.
			let (mut replayed, mut rows) = (SplitMix64::new(rng.state()), train_rows.clone());
			let optimizer = new_optimizer(config);
			match resume_from(spec, device, &ad, loaded, optimizer, &mut replayed, &mut rows) {
				Ok(r) => {
					tracing::info!(epoch, dir = %c.dir().display(), "resuming from the checkpoint");
					(rng, train_rows) = (replayed, rows);
					Some(r)
				},
				Err(e) => {
					tracing::warn!(epoch, "cannot resume from the checkpoint, starting over: {e}");
					None
				},
			}
		}),
		_ => None,
	};

	let (mut network, mut optimizer, mut best, saved) = match resume {
		Some(r) => (r.network, r.optimizer, r.best, Some(r.saved)),
		None => {
			let network = match parent {
				// Loaded on the plain device, then forked: a fresh autodiff graph whose leaves
				// are the parent's weights.
				Some(bytes) => weights::load(spec, bytes, device)
					.map_err(TrainError::Parent)?
					.fork(&ad)
					.train(),
				None => fresh_network(spec, &ad, config.seed)?,
			};
			(network, new_optimizer(config), None, None)
		},
	};
	let mut since_best = saved.as_ref().map_or(0, |s| s.since_best);
	let mut epochs_run = saved.as_ref().map_or(0, |s| s.epoch);
	let mut train_loss = saved.as_ref().map_or(f64::NAN, |s| f64::from_bits(s.train_loss_bits));
	let mut trained_samples = saved.as_ref().map_or(0, |s| s.trained_samples);
	let mut step = saved.as_ref().map_or(0, |s| s.step);
	let seconds_before = saved.as_ref().map_or(0.0, |s| s.seconds);
	// A run that stopped early before the kill stays stopped.
	let stopped = saved.as_ref().is_some_and(|s| s.stopped);
	let mut deadline_stop = false;

	let steps = train_rows.len().div_ceil(config.batch_size);
	let bar = if progress {
		ProgressBar::with_draw_target(
			Some((config.epochs * steps) as u64),
			ProgressDrawTarget::stderr(),
		)
	} else {
		ProgressBar::hidden()
	};
	bar.set_style(
		ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed} eta {eta} {msg}")
			.unwrap_or_else(|_| ProgressStyle::default_bar()),
	);
	bar.set_position(step as u64);

	let started = Instant::now();
	let total_steps = config.epochs.saturating_mul(steps);
	let first = if stopped { config.epochs + 1 } else { epochs_run + 1 };
	for epoch in first..=config.epochs {
		epochs_run = epoch;
		rng.shuffle(&mut train_rows);
		let mut sum = 0.0;
		for rows in train_rows.chunks(config.batch_size) {
			let (x, y) = batch(data, rows, &ad);
			let l = loss(&network, x, y, &ad);
			let grads = GradientsParams::from_grads(l.backward(), &network);
			sum += f64::from(l.into_scalar::<f32>()) * rows.len() as f64;
			let rate = config.lr_schedule.rate(config.learning_rate, step, total_steps);
			network = optimizer.step(rate, network, grads);
			step += 1;
			trained_samples += rows.len();
			bar.inc(1);
		}
		train_loss = sum / train_rows.len() as f64;
		if !train_loss.is_finite() {
			bar.abandon();
			return Err(TrainError::Diverged(epoch));
		}
		let mut stop = false;
		// Progress in the logs too: a daemon trains without a terminal.
		if val_rows.is_empty() {
			tracing::info!(epoch, of = config.epochs, train_loss, "epoch done");
			bar.set_message(format!("epoch {epoch} loss {train_loss:.4}"));
		} else {
			let frozen = network.valid();
			let (val_loss, val_acc) = validate(&frozen, data, &val_rows, device);
			tracing::info!(epoch, of = config.epochs, train_loss, val_loss, ?val_acc, "epoch done");
			bar.set_message(format!(
				"epoch {epoch} loss {train_loss:.4} val {val_loss:.4}{}",
				val_acc.map(|a| format!(" acc {:.2}%", a * 100.0)).unwrap_or_default()
			));
			if best.as_ref().is_none_or(|(b, ..)| val_loss < *b) {
				best = Some((val_loss, epoch, frozen, val_acc));
				since_best = 0;
			} else {
				since_best += 1;
				stop = since_best >= config.patience;
			}
		}
		if let (Some(c), Some(fingerprint)) = (checkpoints, &fingerprint) {
			let saved = Saved {
				version: super::checkpoint::VERSION,
				fingerprint: fingerprint.clone(),
				epoch,
				step,
				since_best,
				trained_samples,
				train_loss_bits: train_loss.to_bits(),
				seconds: seconds_before + started.elapsed().as_secs_f64(),
				best: best.as_ref().map(|(loss, epoch, _, acc)| SavedBest {
					epoch: *epoch,
					loss_bits: loss.to_bits(),
					accuracy_bits: acc.map(f64::to_bits),
				}),
				stopped: stop,
				param_ids: param_ids(&network),
				rng: rng.state(),
			};
			let written =
				save_checkpoint(c, &saved, &network, best.as_ref().map(|b| &b.2), &optimizer);
			// A full disk must not cost the training itself.
			if let Err(e) = written {
				tracing::warn!(epoch, dir = %c.dir().display(), "cannot write the checkpoint: {e:#}");
			}
		}
		if stop {
			tracing::info!(
				epoch,
				"early stop: no better validation loss for {} epochs",
				config.patience
			);
			break;
		}
		if let Some(deadline) = deadline {
			let per_epoch = started.elapsed() / (epoch + 1 - first).max(1) as u32;
			if epoch < config.epochs && Instant::now() + per_epoch > deadline {
				tracing::warn!(
					epoch,
					of = config.epochs,
					"stopping: another epoch would end after the deadline; keeping the best weights so far"
				);
				deadline_stop = true;
				break;
			}
		}
	}
	bar.finish_and_clear();
	let seconds = seconds_before + started.elapsed().as_secs_f64();
	let (network, best_epoch, validation_loss, validation_accuracy) = match best {
		Some((l, e, n, a)) => (n, e, Some(l), a),
		None => (network.valid(), epochs_run, None, None),
	};
	Ok(Trained {
		network,
		report: TrainReport {
			epochs_run,
			best_epoch,
			train_loss,
			validation_loss,
			validation_accuracy,
			train_samples: train_rows.len(),
			validation_samples: val_rows.len(),
			seconds,
			samples_per_second: trained_samples as f64 / seconds.max(1e-9),
			stopped_for_deadline: deadline_stop,
		},
	})
}

/// The checks [`train_with`] and [`estimate_epoch_seconds`] make before any work: the spec is
/// valid, the data fits it, the hyperparameters are usable.
fn check_inputs(
	spec: &ModelSpec,
	data: &Dataset,
	config: &TrainingConfig,
) -> Result<(), TrainError> {
	spec.validate().map_err(ModelError::InvalidSpec)?;
	if data.feature_count as u64 != spec.input_features() {
		return Err(TrainError::InputMismatch {
			data: data.feature_count,
			model: spec.input_features(),
		});
	}
	let needed = match &data.labels {
		Labels::Classes { classes, .. } => *classes,
		Labels::Targets(_) => 1,
	};
	if needed != spec.outputs() {
		return Err(TrainError::OutputMismatch { data: needed, model: spec.outputs() });
	}
	if config.batch_size == 0 {
		return Err(TrainError::BadConfig("batch_size must be at least 1"));
	}
	if config.epochs == 0 {
		return Err(TrainError::BadConfig("epochs must be at least 1"));
	}
	if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
		return Err(TrainError::BadConfig("learning_rate must be a positive number"));
	}
	if !(0.0..1.0).contains(&config.validation_fraction) {
		return Err(TrainError::BadConfig("validation_fraction must be in [0, 1)"));
	}
	if !(config.weight_decay.is_finite() && config.weight_decay >= 0.0) {
		return Err(TrainError::BadConfig("weight_decay must be a non-negative number"));
	}
	if !(config.grad_clip_norm.is_finite() && config.grad_clip_norm >= 0.0) {
		return Err(TrainError::BadConfig("grad_clip_norm must be a non-negative number"));
	}
	Ok(())
}

/// A fresh optimiser of the kind and settings `config` names.
fn new_optimizer(config: &TrainingConfig) -> ModuleOptimizer {
	let decay =
		(config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
	let clip = (config.grad_clip_norm > 0.0)
		.then_some(GradientClippingConfig::Norm(config.grad_clip_norm as f32));
	match config.optimizer {
		OptimizerKind::Adam => {
			AdamConfig::new().with_weight_decay(decay).with_grad_clipping(clip).init()
		},
		OptimizerKind::Sgd => {
			SgdConfig::new().with_weight_decay(decay).with_gradient_clipping(clip).init()
		},
	}
}

/// Seconds one epoch of `config` on `data` is likely to take on `device`: a few timed steps on
/// a throw-away copy of the network (after one untimed warm-up step), scaled to the epoch's
/// steps plus its validation pass. Used to skip a task that cannot be finished in time.
pub fn estimate_epoch_seconds(
	spec: &ModelSpec,
	data: &Dataset,
	config: &TrainingConfig,
	device: &Device,
) -> Result<f64, TrainError> {
	check_inputs(spec, data, config)?;
	let batch_size = config.batch_size;
	let held_out = (data.len() as f64 * config.validation_fraction).round() as usize;
	let train_samples = data.len().saturating_sub(held_out).max(1);
	let steps = train_samples.div_ceil(batch_size);
	let probe = steps.min(4);
	let ad = device.clone().autodiff();
	let mut network = fresh_network(spec, &ad, config.seed)?;
	let mut optimizer = new_optimizer(config);
	let rows: Vec<usize> = (0..data.len()).cycle().take(batch_size * probe).collect();
	let mut timed = std::time::Duration::ZERO;
	for (i, chunk) in rows.chunks(batch_size).enumerate() {
		let t = Instant::now();
		let (x, y) = batch(data, chunk, &ad);
		let l = loss(&network, x, y, &ad);
		let grads = GradientsParams::from_grads(l.backward(), &network);
		let _ = l.into_scalar::<f32>();
		network = optimizer.step(config.learning_rate, network, grads);
		if i > 0 || probe == 1 {
			timed += t.elapsed();
		}
	}
	let per_step = timed.as_secs_f64() / (probe.saturating_sub(1)).max(1) as f64;
	// A validation row costs about a third of a training row (forward only).
	let validation = held_out as f64 / batch_size as f64 * per_step / 3.0;
	Ok(per_step * steps as f64 + validation)
}

fn save_checkpoint(
	checkpoints: &Checkpoints,
	saved: &Saved,
	network: &Network,
	best: Option<&Network>,
	optimizer: &ModuleOptimizer,
) -> anyhow::Result<()> {
	let current = weights::to_bytes(&network.valid())?;
	let best = best.map(weights::to_bytes).transpose()?;
	checkpoints.save(saved, &current, best.as_deref(), |path| {
		optimizer.save(path).map_err(|e| anyhow::anyhow!("optimiser state: {e:?}"))
	})
}

/// Rebuilds a run's state from a checkpoint: the batch order is replayed from the seed (and must
/// end at the saved generator state), the weights get their saved parameter ids back, the
/// optimiser its saved state.
fn resume_from(
	spec: &ModelSpec,
	device: &Device,
	ad: &Device,
	loaded: Loaded,
	optimizer: ModuleOptimizer,
	rng: &mut SplitMix64,
	train_rows: &mut [usize],
) -> Result<Resume, String> {
	let Loaded { saved, network, best, optimizer: optimizer_file } = loaded;
	for _ in 0..saved.epoch {
		rng.shuffle(train_rows);
	}
	if rng.state() != saved.rng {
		return Err("the batch order does not replay to the saved state".into());
	}
	let network = weights::load(spec, &network, device).map_err(|e| e.to_string())?;
	let mut set = SetIds { ids: saved.param_ids.iter(), mismatch: false };
	let network = network.fork(ad).train().map(&mut set);
	if set.mismatch || set.ids.next().is_some() {
		return Err("the saved parameter ids do not fit the network".into());
	}
	// burn's loader expects its own files; a damaged one must not take the worker down.
	let optimizer =
		std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| optimizer.load(&optimizer_file)))
			.map_err(|_| "the optimiser state is damaged".to_string())?
			.map_err(|e| format!("optimiser state: {e:?}"))?;
	let best = match (&saved.best, best) {
		(Some(b), Some(bytes)) => {
			let n = weights::load(spec, &bytes, device).map_err(|e| e.to_string())?;
			Some((f64::from_bits(b.loss_bits), b.epoch, n, b.accuracy_bits.map(f64::from_bits)))
		},
		(None, _) => None,
		(Some(_), None) => return Err("the best weights are missing".into()),
	};
	Ok(Resume { network, optimizer, best, saved })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_recorded_burn_version_is_the_one_built_with() {
		let manifest = include_str!("../../Cargo.toml");
		assert!(manifest.contains(&format!("burn = {{ version = \"={BURN_VERSION}\"")));
		let record = training_record(
			&TrainingConfig::new().with_seed(9),
			"flex",
			&TrainReport {
				epochs_run: 1,
				best_epoch: 1,
				train_loss: 0.5,
				validation_loss: None,
				validation_accuracy: None,
				train_samples: 90,
				validation_samples: 10,
				seconds: 1.5,
				samples_per_second: 60.0,
				stopped_for_deadline: false,
			},
		);
		assert_eq!(record["seed"], 9);
		assert_eq!(record["config"]["seed"], 9);
		assert_eq!(record["samples"], 100);
		assert_eq!(record["burn"], BURN_VERSION);
		assert_eq!(record["backend"], "flex");
	}

	#[test]
	fn cosine_anneals_from_the_rate_to_zero() {
		let r = |s, step| LrSchedule::rate(s, 0.1, step, 100);
		assert_eq!(r(LrSchedule::Constant, 0), 0.1);
		assert_eq!(r(LrSchedule::Constant, 99), 0.1);
		assert_eq!(r(LrSchedule::Cosine, 0), 0.1);
		assert!((r(LrSchedule::Cosine, 50) - 0.05).abs() < 1e-12);
		assert!(r(LrSchedule::Cosine, 99) < 1e-4);
		assert!(r(LrSchedule::Cosine, 99) > 0.0);
		// Past the planned steps it stays at zero rather than rising again.
		assert!(r(LrSchedule::Cosine, 150).abs() < 1e-12);
		assert!((1..100).all(|s| r(LrSchedule::Cosine, s) < r(LrSchedule::Cosine, s - 1)));
	}
}
