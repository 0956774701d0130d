//! Scoring a submission: load its weights against the spec, run the test set, compute the task's
//! metric on the host in `f64` and turn it into the on-chain [`Score`] with its one rounding rule.
//!
//! Weights that do not fit the spec, or a model whose outputs are not finite, are an
//! [`Evaluation::Invalid`] outcome (the evaluator reports `None` on chain), never a panic.

use super::{
	data::{Dataset, Labels},
	model::Network,
	training::batch,
	weights,
};
use burn::tensor::Device;
use pouw_primitives::{Metric, ModelSpec, Score};

/// Most rows per forward pass when scoring, to bound memory on large test sets.
pub const EVAL_BATCH: usize = 1024;

/// The memory a scoring pass may take by default: 2 GiB (`pouw evaluator run
/// --memory-budget-mib`).
pub const DEFAULT_MEMORY_BUDGET: u64 = 2 << 30;

/// Bytes a scoring pass may hold per activation element: the `f32` itself and room for the
/// backend's intermediates (the next layer's input while the output is written, the activation
/// function's result). `pouw bench-score` measured about 4.5 on the flex backend: 16 leaves room
/// for backends that keep more.
const BYTES_PER_ACTIVATION: u64 = 4 * 4;

/// Rows per forward pass for `spec` so that a pass stays under `budget` bytes: at most
/// [`EVAL_BATCH`], at least one (a single sample of the largest spec the chain accepts,
/// `MAX_ACTIVATIONS` elements, takes 64 MiB at this rate).
pub fn rows_per_pass(spec: &ModelSpec, budget: u64) -> usize {
	let per_row = spec.activations().unwrap_or(u64::MAX).saturating_mul(BYTES_PER_ACTIVATION);
	let rows = budget.checked_div(per_row).unwrap_or(0);
	usize::try_from(rows).unwrap_or(usize::MAX).clamp(1, EVAL_BATCH)
}

/// The outcome of scoring one submission.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluation {
	/// The model ran; its metric value and the fixed-point score.
	Valid {
		/// The metric as computed.
		value: f64,
		/// `Score::from_f64(value)`.
		score: Score,
	},
	/// The submission cannot be scored; the reason is for logs and the sponsor.
	Invalid(String),
}

/// Why the test set cannot be used with a metric (the evaluator's fault or the sponsor's, not
/// the worker's).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricError {
	/// Accuracy or cross-entropy asked of regression data.
	#[error("{0:?} needs class labels, the test set has regression targets")]
	NeedsClasses(Metric),
	/// The test set's feature count differs from the model's inputs.
	#[error("the test set has {data} features, the model takes {model}")]
	InputMismatch {
		/// Test set features.
		data: usize,
		/// Model inputs.
		model: u64,
	},
	/// The test set's classes differ from the model's outputs.
	#[error("the test set has {data} classes, the model has {model} outputs")]
	OutputMismatch {
		/// Test set classes.
		data: u32,
		/// Model outputs.
		model: u32,
	},
	/// The test set is empty.
	#[error("the test set is empty")]
	Empty,
}

/// Metric value of `outputs` (`[n, k]` row-major, as returned by the model) against `labels`.
/// Computed in `f64` in a fixed order, so the same outputs always give the same value.
pub fn metric_value(
	metric: Metric,
	outputs: &[f32],
	k: usize,
	labels: &Labels,
) -> Result<f64, MetricError> {
	let rows: Vec<&[f32]> = outputs.chunks_exact(k).collect();
	if rows.is_empty() {
		return Err(MetricError::Empty);
	}
	let n = rows.len() as f64;
	match (metric, labels) {
		(Metric::Accuracy, Labels::Classes { ids, .. }) => {
			let correct =
				rows.iter().zip(ids).filter(|(row, &id)| argmax(row) == id as usize).count();
			Ok(correct as f64 / n)
		},
		(Metric::CrossEntropy, Labels::Classes { ids, .. }) => {
			let mut total = 0.0;
			for (row, &id) in rows.iter().zip(ids) {
				let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
				let log_sum =
					row.iter().map(|&v| (f64::from(v) - max).exp()).sum::<f64>().ln() + max;
				total += log_sum - f64::from(row[id as usize]);
			}
			Ok(total / n)
		},
		(Metric::MeanSquaredError, labels) => {
			let mut total = 0.0;
			let mut count = 0usize;
			for (i, row) in rows.iter().enumerate() {
				for (j, &v) in row.iter().enumerate() {
					let target = match labels {
						Labels::Targets(t) => f64::from(t[i]),
						// On classification data MSE compares against the one-hot labels.
						Labels::Classes { ids, .. } => f64::from(u8::from(ids[i] as usize == j)),
					};
					total += (f64::from(v) - target).powi(2);
					count += 1;
				}
			}
			Ok(total / count as f64)
		},
		(m, Labels::Targets(_)) => Err(MetricError::NeedsClasses(m)),
	}
}

/// Index of the largest value; the first on ties, so the rule is fixed.
fn argmax(row: &[f32]) -> usize {
	let mut best = 0;
	for (i, &v) in row.iter().enumerate() {
		if v > row[best] {
			best = i;
		}
	}
	best
}

/// The model's outputs on every test row, row-major `[n, outputs]`, as `f32` whatever the
/// backend's float type; `rows_per_pass` rows a forward pass (see [`rows_per_pass`]).
pub fn predict(
	network: &Network,
	test: &Dataset,
	device: &Device,
	rows_per_pass: usize,
) -> Result<Vec<f32>, String> {
	let rows: Vec<usize> = (0..test.len()).collect();
	let mut out = Vec::with_capacity(test.len() * network_outputs(network));
	for chunk in rows.chunks(rows_per_pass.max(1)) {
		let (x, _) = batch(test, chunk, device);
		let y = network.forward(x).into_data();
		out.extend(y.try_into_vec_as::<f32>().map_err(|e| format!("reading outputs: {e:?}"))?);
	}
	Ok(out)
}

fn network_outputs(network: &Network) -> usize {
	network.layers.last().map(|l| l.weight.dims()[1]).unwrap_or(0)
}

/// Scores the weights `bytes` for `spec` on `test` with `metric`, each forward pass within
/// `memory_budget` bytes ([`rows_per_pass`]). An unusable test set is an error (it is not the
/// worker's fault); unusable weights are [`Evaluation::Invalid`].
pub fn evaluate(
	spec: &ModelSpec,
	metric: Metric,
	bytes: &[u8],
	test: &Dataset,
	device: &Device,
	memory_budget: u64,
) -> Result<Evaluation, MetricError> {
	if test.is_empty() {
		return Err(MetricError::Empty);
	}
	if test.feature_count as u64 != spec.input_features() {
		return Err(MetricError::InputMismatch {
			data: test.feature_count,
			model: spec.input_features(),
		});
	}
	if let Labels::Classes { classes, .. } = test.labels {
		if classes != spec.outputs() {
			return Err(MetricError::OutputMismatch { data: classes, model: spec.outputs() });
		}
	}
	if metric != Metric::MeanSquaredError && matches!(test.labels, Labels::Targets(_)) {
		return Err(MetricError::NeedsClasses(metric));
	}
	let network = match weights::load(spec, bytes, device) {
		Ok(n) => n,
		Err(e) => return Ok(Evaluation::Invalid(e.to_string())),
	};
	let outputs = match predict(&network, test, device, rows_per_pass(spec, memory_budget)) {
		Ok(o) => o,
		Err(reason) => return Ok(Evaluation::Invalid(reason)),
	};
	let k = spec.outputs() as usize;
	if outputs.len() != test.len() * k {
		return Ok(Evaluation::Invalid(format!(
			"the model produced {} outputs for {} rows",
			outputs.len(),
			test.len()
		)));
	}
	if outputs.iter().any(|v| !v.is_finite()) {
		return Ok(Evaluation::Invalid("the model's outputs are NaN or infinite".into()));
	}
	let value = metric_value(metric, &outputs, k, &test.labels)?;
	Ok(match Score::from_f64(value) {
		Ok(score) => Evaluation::Valid { value, score },
		Err(e) => Evaluation::Invalid(format!("metric value {value} has no score: {e:?}")),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn metrics_on_known_outputs() {
		let classes = Labels::Classes { ids: vec![0, 1, 1], classes: 2 };
		let out = [2.0, 1.0, 0.0, 3.0, 5.0, 1.0];
		assert_eq!(metric_value(Metric::Accuracy, &out, 2, &classes), Ok(2.0 / 3.0));
		let ce = metric_value(Metric::CrossEntropy, &out, 2, &classes).unwrap();
		let expected = ((1.0f64 + (-1.0f64).exp()).ln()
			+ (1.0f64 + (-3.0f64).exp()).ln()
			+ (1.0f64 + 4.0f64.exp()).ln())
			/ 3.0;
		assert!((ce - expected).abs() < 1e-12, "{ce} vs {expected}");
		let targets = Labels::Targets(vec![1.0, 3.0]);
		assert_eq!(metric_value(Metric::MeanSquaredError, &[2.0, 1.0], 1, &targets), Ok(2.5));
		assert_eq!(
			metric_value(Metric::Accuracy, &[1.0], 1, &targets),
			Err(MetricError::NeedsClasses(Metric::Accuracy))
		);
		// Ties go to the first class.
		assert_eq!(argmax(&[1.0, 1.0]), 0);
	}
}
