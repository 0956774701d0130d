//! Checkpoints: a training killed at any point resumes from its last epoch and ends with the
//! same weights, byte for byte, as a run never interrupted; a checkpoint of another run is
//! never resumed from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

use common::mlp;

use burn::tensor::Device;
use pouw_primitives::commitment::content_hash;
use pouw_worker::{
	ml::checkpoint::Checkpoints,
	ml::data::Labels,
	ml::training::{train, train_with, LrSchedule, Run, TrainingConfig},
	ml::weights,
};
use std::{
	path::Path,
	process::{Command, Stdio},
	time::{Duration, Instant},
};

fn run(checkpoints: &Checkpoints) -> Run<'_> {
	Run { checkpoints: Some(checkpoints), ..Run::default() }
}

fn epochs_on_disk(dir: &Path) -> Vec<usize> {
	let mut found: Vec<usize> = std::fs::read_dir(dir)
		.map(|entries| {
			entries
				.filter_map(|e| e.ok()?.file_name().to_str()?.strip_prefix("epoch-")?.parse().ok())
				.collect()
		})
		.unwrap_or_default();
	found.sort();
	found
}

#[test]
fn an_interrupted_training_resumes_to_the_same_weights() {
	let device = Device::flex();
	let data = common::blobs(3, 4, 6, 60);
	let spec = mlp(6, 16, 4);
	// Adam's moments, the cosine schedule's step count, validation and the best epoch all have
	// to come back for the bytes to match.
	let config = TrainingConfig::new()
		.with_epochs(6)
		.with_batch_size(16)
		.with_learning_rate(1e-2)
		.with_lr_schedule(LrSchedule::Cosine)
		.with_validation_fraction(0.2)
		.with_patience(100);
	let plain = train(&spec, &data, &config, &device, None, false).unwrap();
	let plain_bytes = weights::to_bytes(&plain.network).unwrap();

	let dir = tempfile::tempdir().unwrap();
	let cp = Checkpoints::new(dir.path().join("run"), 10, b"blobs");
	let full = train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	assert_eq!(
		weights::to_bytes(&full.network).unwrap(),
		plain_bytes,
		"checkpoints change nothing"
	);
	assert_eq!(epochs_on_disk(cp.dir()), (1..=6).collect::<Vec<_>>());

	// Killed after epoch 3: epochs 4 to 6 never reached the disk.
	for epoch in 4..=6 {
		std::fs::remove_dir_all(cp.dir().join(format!("epoch-{epoch:06}"))).unwrap();
	}
	let resumed = train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	assert_eq!(weights::to_bytes(&resumed.network).unwrap(), plain_bytes);
	assert_eq!(resumed.report.epochs_run, plain.report.epochs_run);
	assert_eq!(resumed.report.best_epoch, plain.report.best_epoch);
	assert_eq!(resumed.report.validation_loss, plain.report.validation_loss);
	assert_eq!(resumed.report.train_loss.to_bits(), plain.report.train_loss.to_bits());

	// Killed after the last epoch, before the weights were stored: nothing is trained again.
	let again = train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	assert_eq!(weights::to_bytes(&again.network).unwrap(), plain_bytes);

	// Other hyperparameters are another run: its checkpoints are not resumed from.
	let other = config.clone().with_learning_rate(5e-3);
	let fresh = train(&spec, &data, &other, &device, None, false).unwrap();
	let beside = train_with(&spec, &data, &other, &device, None, run(&cp)).unwrap();
	assert_eq!(
		weights::to_bytes(&beside.network).unwrap(),
		weights::to_bytes(&fresh.network).unwrap()
	);
	assert_ne!(weights::to_bytes(&fresh.network).unwrap(), plain_bytes);
}

#[test]
fn a_damaged_checkpoint_is_skipped_for_the_one_before_or_a_fresh_start() {
	let device = Device::flex();
	let data = common::blobs(5, 3, 4, 40);
	let spec = mlp(4, 8, 3);
	let config = TrainingConfig::new().with_epochs(4).with_batch_size(8).with_patience(100);
	let plain =
		weights::to_bytes(&train(&spec, &data, &config, &device, None, false).unwrap().network)
			.unwrap();
	let dir = tempfile::tempdir().unwrap();
	let cp = Checkpoints::new(dir.path(), 10, b"blobs");
	train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	// The last checkpoint's optimiser file is garbage (a disk error): the one before serves.
	std::fs::write(dir.path().join("epoch-000004/optimizer.bpk"), b"not burnpack").unwrap();
	let resumed = train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	assert_eq!(weights::to_bytes(&resumed.network).unwrap(), plain);
	// Every checkpoint's weights are garbage: training starts over, same result.
	for epoch in epochs_on_disk(dir.path()) {
		std::fs::write(dir.path().join(format!("epoch-{epoch:06}/network.safetensors")), b"x")
			.unwrap();
	}
	let fresh = train_with(&spec, &data, &config, &device, None, run(&cp)).unwrap();
	assert_eq!(weights::to_bytes(&fresh.network).unwrap(), plain);
}

/// The `pouw` binary built with this test.
fn pouw() -> Command {
	Command::new(env!("CARGO_BIN_EXE_pouw"))
}

fn write_csv(path: &Path) {
	let data = common::blobs(11, 10, 32, 400);
	let Labels::Classes { ids, .. } = &data.labels else { unreachable!() };
	let f = data.feature_count;
	let mut out = (0..f).map(|i| format!("x{i}")).collect::<Vec<_>>().join(",") + ",label\n";
	for (row, id) in ids.iter().enumerate() {
		let mut values = Vec::new();
		data.features.extend_row(row, f, &mut values);
		let cells: Vec<String> = values.iter().map(|v| v.to_string()).collect();
		out += &format!("{},{id}\n", cells.join(","));
	}
	std::fs::write(path, out).unwrap();
}

fn train_args(cmd: &mut Command, data: &Path, out: &Path) {
	cmd.args(["train", "--classes", "10", "--model", "mlp:256,128:relu", "--epochs", "12"])
		.args(["--batch-size", "8", "--lr-schedule", "cosine", "--patience", "100"])
		.arg("--data")
		.arg(data)
		.arg("--out")
		.arg(out)
		.env("RAYON_NUM_THREADS", "1");
}

#[test]
fn a_worker_killed_with_sigkill_mid_training_resumes_to_the_same_weights_hash() {
	let dir = tempfile::tempdir().unwrap();
	let data = dir.path().join("train.csv");
	write_csv(&data);

	let whole = dir.path().join("whole.safetensors");
	let mut cmd = pouw();
	train_args(&mut cmd, &data, &whole);
	let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
	assert!(status.success());

	let checkpoints = dir.path().join("checkpoints");
	let killed = dir.path().join("killed.safetensors");
	let mut cmd = pouw();
	train_args(&mut cmd, &data, &killed);
	let mut child = cmd
		.arg("--checkpoints")
		.arg(&checkpoints)
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.unwrap();
	// SIGKILL as soon as two epochs are on disk: no chance to clean up or flush anything.
	let deadline = Instant::now() + Duration::from_secs(300);
	while epochs_on_disk(&checkpoints).last() < Some(&2) {
		assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
		assert!(Instant::now() < deadline, "no checkpoint after 300 s");
		std::thread::sleep(Duration::from_millis(5));
	}
	child.kill().unwrap();
	child.wait().unwrap();
	assert!(!killed.exists(), "killed before it wrote its weights");
	let at_kill = *epochs_on_disk(&checkpoints).last().unwrap();
	assert!(at_kill < 12, "killed mid-training, at epoch {at_kill}");

	let mut cmd = pouw();
	train_args(&mut cmd, &data, &killed);
	let output = cmd.arg("--checkpoints").arg(&checkpoints).output().unwrap();
	let log = String::from_utf8_lossy(&output.stderr);
	assert!(output.status.success(), "{log}");
	assert!(log.contains("resuming from the checkpoint"), "{log}");
	assert_eq!(
		hex(&std::fs::read(&killed).unwrap()),
		hex(&std::fs::read(&whole).unwrap()),
		"the resumed run commits the same weights hash"
	);
	assert_eq!(epochs_on_disk(&checkpoints), vec![11, 12], "the newest 2 are kept");
}

fn hex(bytes: &[u8]) -> String {
	content_hash(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
