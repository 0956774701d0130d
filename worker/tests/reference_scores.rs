//! Scores agree across implementations: burn in `f32` scores committed weights on committed test
//! sets, and must land within the chain's score tolerance of an independent `float64` reference
//! (plain Python, `tests/fixtures/reference/make.py`, which wrote the files and
//! `expected.json`). Evaluators on different machines differ from each other by less than each
//! differs from this reference, so the tolerance has room. Where the forward pass can differ
//! between machines, and the margins measured here: `worker/README.md`.
#![allow(
	clippy::unwrap_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::panic
)]

use burn::tensor::Device;
use pouw_primitives::{
	Activation, ConvLayer, DatasetFormat, Metric, ModelSpec, Perbill, Score, ScoreTolerance,
};
use pouw_worker::{
	ml::data::{Dataset, Layout},
	ml::inference::{evaluate, Evaluation, DEFAULT_MEMORY_BUDGET},
};
use serde_json::Value;
use std::path::PathBuf;

/// The runtime's `ScoreTolerance`: 0.005 of the metric, or 10^-5 of the score.
const TOLERANCE: ScoreTolerance =
	ScoreTolerance { absolute: 5_000_000, relative: Perbill::from_parts(10_000) };

fn fixtures() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

fn activation(v: &Value) -> Activation {
	match v.as_str().unwrap() {
		"relu" => Activation::Relu,
		"tanh" => Activation::Tanh,
		"sigmoid" => Activation::Sigmoid,
		"gelu" => Activation::Gelu,
		other => panic!("activation {other}"),
	}
}

fn spec(v: &Value) -> ModelSpec {
	let u = |k: &str| v[k].as_u64().unwrap() as u32;
	match v["kind"].as_str().unwrap() {
		"mlp" => ModelSpec::Mlp {
			inputs: u("inputs"),
			hidden: v["hidden"]
				.as_array()
				.unwrap()
				.iter()
				.map(|h| h.as_u64().unwrap() as u32)
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
			outputs: u("outputs"),
			activation: activation(&v["activation"]),
		},
		"cnn" => ModelSpec::Cnn {
			hidden: Default::default(),
			channels: u("channels"),
			height: u("height"),
			width: u("width"),
			conv: v["conv"]
				.as_array()
				.unwrap()
				.iter()
				.map(|c| ConvLayer {
					out_channels: c["out_channels"].as_u64().unwrap() as u32,
					kernel: c["kernel"].as_u64().unwrap() as u8,
					pool: c["pool"].as_u64().unwrap() as u8,
				})
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
			outputs: u("outputs"),
			activation: activation(&v["activation"]),
		},
		other => panic!("kind {other}"),
	}
}

#[test]
fn burn_scores_within_the_tolerance_of_a_float64_reference() {
	let dir = fixtures();
	let expected: Value =
		serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
	let device = Device::flex();
	let mut checked = 0;
	for (name, case) in expected.as_object().unwrap() {
		let spec = spec(&case["spec"]);
		let regression = case.get("accuracy").is_none();
		let layout = Layout {
			format: DatasetFormat::Safetensors,
			features: spec.input_features() as u32,
			classes: if regression { 0 } else { spec.outputs() },
		};
		let test_bytes = std::fs::read(dir.join(format!("{name}.test.safetensors"))).unwrap();
		let test =
			Dataset::parse(&test_bytes, &layout, Some(case["samples"].as_u64().unwrap() as u32))
				.unwrap();
		let weights = std::fs::read(dir.join(format!("{name}.weights.safetensors"))).unwrap();
		let metrics: &[(Metric, &str)] = if regression {
			&[(Metric::MeanSquaredError, "mean_squared_error")]
		} else {
			&[
				(Metric::Accuracy, "accuracy"),
				(Metric::CrossEntropy, "cross_entropy"),
				(Metric::MeanSquaredError, "mean_squared_error"),
			]
		};
		for (metric, key) in metrics {
			let reference = case[*key].as_f64().unwrap();
			let e =
				evaluate(&spec, *metric, &weights, &test, &device, DEFAULT_MEMORY_BUDGET).unwrap();
			let Evaluation::Valid { value, .. } = e else { panic!("{name} {key}: {e:?}") };
			let diff = (value - reference).abs();
			println!(
				"{name:16} {key:19} reference {reference:<22} burn {value:<22} |diff| {diff:.3e} relative {:.3e}",
				diff / reference.abs().max(f64::MIN_POSITIVE)
			);
			let (ours, theirs) =
				(Score::from_f64(value).unwrap(), Score::from_f64(reference).unwrap());
			assert!(TOLERANCE.agree(ours, theirs), "{name} {key}: {value} vs {reference}");
			if regression {
				// Targets around 10^4: beyond the absolute part (see worker/README.md), within
				// the relative one with room.
				assert!(diff > 0.005, "{name} {key}: the absolute part alone would hold here");
				assert!(diff / reference.abs() < 1e-6, "{name} {key}: {value} vs {reference}");
			} else {
				// Far inside the absolute part: f32 rounding, not a different computation.
				assert!(diff < 1e-4, "{name} {key}: {value} vs {reference}");
			}
			checked += 1;
		}
	}
	assert_eq!(checked, 16, "every case and metric of expected.json");
}
