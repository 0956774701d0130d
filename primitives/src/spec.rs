//! What a sponsor posts: [`TaskSpec`].

use crate::{
	BoundedVec, ConstU32, Hash256, Metric, ModelSpec, ModelSpecError, Reputation, Score, TaskId,
	Uri, MAX_COLUMN_NAME_LEN,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// How a dataset's bytes are laid out.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum DatasetFormat {
	/// UTF-8 CSV with a header row; every column numeric; the label is the named column, the
	/// features are all other columns in file order.
	Csv {
		/// Name of the label column in the header.
		label_column: BoundedVec<u8, ConstU32<MAX_COLUMN_NAME_LEN>>,
	},
	/// A safetensors file with an `f32` tensor `features` of shape `[samples, ...]` and a tensor
	/// `labels` of shape `[samples]` (integer class ids) or `[samples, outputs]` (regression).
	Safetensors,
}

/// The declared shape of a dataset; workers check the bytes against it before training.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct DataShape {
	/// Number of samples (rows).
	pub samples: u32,
	/// Number of input features per sample (`channels * height * width` for images).
	pub features: u32,
	/// Number of classes for classification (labels `0..classes`); `0` for regression.
	pub classes: u32,
}

/// A content-addressed dataset: where to fetch it, the blake2-256 of its bytes, how to read it.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct DatasetRef {
	/// `file://`, `http://` or `https://` URI of the bytes.
	pub uri: Uri,
	/// blake2-256 of the bytes; every download is checked against it before use.
	pub hash: Hash256,
	/// Layout of the bytes.
	pub format: DatasetFormat,
	/// Declared shape.
	pub shape: DataShape,
}

/// Absolute block numbers at which each phase ends (each bound inclusive). A task is `Open`
/// until `submission_end`, then in `Reveal` until `reveal_end` and `TestReveal` until
/// `test_reveal_end`. Evaluators drawn when the sponsor reveals the test set commit their scores
/// until `score_commit_end` and reveal them after it, until `evaluation_end`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Windows<BlockNumber> {
	/// Last block at which models may be committed.
	pub submission_end: BlockNumber,
	/// Last block at which models may be revealed.
	pub reveal_end: BlockNumber,
	/// Last block at which the sponsor may reveal the test set.
	pub test_reveal_end: BlockNumber,
	/// Last block at which drawn evaluators may commit their scores.
	pub score_commit_end: BlockNumber,
	/// Last block at which drawn evaluators may reveal their scores.
	pub evaluation_end: BlockNumber,
}

impl<B: PartialOrd> Windows<B> {
	/// Whether the windows are strictly increasing and the first ends after `now`.
	pub fn is_valid_at(&self, now: &B) -> bool {
		*now < self.submission_end
			&& self.submission_end < self.reveal_end
			&& self.reveal_end < self.test_reveal_end
			&& self.test_reveal_end < self.score_commit_end
			&& self.score_commit_end < self.evaluation_end
	}
}

/// A machine-learning training task as posted on chain.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct TaskSpec<BlockNumber> {
	/// The public training data.
	pub dataset: DatasetRef,
	/// How many samples the secret test set has (its layout is the training data's): the
	/// sponsor commits to it with the test set, and evaluators report a test set of another
	/// size *unusable*.
	pub test_samples: u32,
	/// The model every worker trains.
	pub model: ModelSpec,
	/// The objective evaluators compute on the secret test set.
	pub metric: Metric,
	/// A score the winner must meet (at least as good); `None` accepts any valid model.
	pub min_score: Option<Score>,
	/// When each phase ends.
	pub windows: Windows<BlockNumber>,
	/// Number of evaluators drawn to score the submissions.
	pub quorum: u32,
	/// Reputation a worker needs to commit; zero opens the task to newcomers.
	pub min_worker_reputation: Reputation,
	/// A finalized task whose winning model is the starting point (lineage), if any.
	pub parent: Option<TaskId>,
}

/// Why a [`TaskSpec`] is refused. The runtime maps each to a named pallet error.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SpecError {
	/// The model spec is invalid.
	Model(ModelSpecError),
	/// The dataset URI is empty.
	EmptyUri,
	/// The dataset declares no samples.
	NoSamples,
	/// The test set declares no samples.
	NoTestSamples,
	/// The model's input size differs from the dataset's features.
	InputMismatch,
	/// The model's outputs differ from the dataset's classes (or from 1 for regression).
	OutputMismatch,
	/// Accuracy or cross-entropy on regression data (no classes), or classification with fewer
	/// than two classes.
	MetricMismatch,
	/// The windows are not strictly increasing, or the first has already ended.
	BadWindows,
	/// The quorum is zero.
	ZeroQuorum,
}

impl<B: PartialOrd> TaskSpec<B> {
	/// Checks everything that can be checked without chain state other than the current block:
	/// the model, the shape agreement between data, model and metric, the windows against `now`
	/// and a non-zero quorum. Returns the model's parameter count.
	pub fn validate(&self, now: &B) -> Result<u64, SpecError> {
		let params = self.model.validate().map_err(SpecError::Model)?;
		if self.dataset.uri.is_empty() {
			return Err(SpecError::EmptyUri);
		}
		let shape = &self.dataset.shape;
		if shape.samples == 0 {
			return Err(SpecError::NoSamples);
		}
		if self.test_samples == 0 {
			return Err(SpecError::NoTestSamples);
		}
		if self.model.input_features() != u64::from(shape.features) {
			return Err(SpecError::InputMismatch);
		}
		let classification = shape.classes > 0;
		match self.metric {
			Metric::Accuracy | Metric::CrossEntropy if shape.classes < 2 => {
				return Err(SpecError::MetricMismatch)
			},
			_ => {},
		}
		let expected_outputs = if classification { shape.classes } else { 1 };
		if self.model.outputs() != expected_outputs {
			return Err(SpecError::OutputMismatch);
		}
		if !self.windows.is_valid_at(now) {
			return Err(SpecError::BadWindows);
		}
		if self.quorum == 0 {
			return Err(SpecError::ZeroQuorum);
		}
		Ok(params)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::Activation;

	pub(crate) fn digits_spec() -> TaskSpec<u32> {
		TaskSpec {
			dataset: DatasetRef {
				uri: b"http://127.0.0.1:8000/blob/00".to_vec().try_into().unwrap(),
				hash: [7; 32],
				format: DatasetFormat::Csv { label_column: b"label".to_vec().try_into().unwrap() },
				shape: DataShape { samples: 1437, features: 64, classes: 10 },
			},
			test_samples: 360,
			model: ModelSpec::Mlp {
				inputs: 64,
				hidden: vec![64].try_into().unwrap(),
				outputs: 10,
				activation: Activation::Relu,
			},
			metric: Metric::Accuracy,
			min_score: Some(Score(800_000_000)),
			windows: Windows {
				submission_end: 10,
				reveal_end: 20,
				test_reveal_end: 30,
				score_commit_end: 35,
				evaluation_end: 40,
			},
			quorum: 3,
			min_worker_reputation: Reputation::zero(),
			parent: None,
		}
	}

	#[test]
	fn accepts_a_consistent_spec() {
		assert_eq!(digits_spec().validate(&1), Ok(64 * 64 + 64 + 64 * 10 + 10));
	}

	#[test]
	fn refuses_inconsistent_specs() {
		let mut s = digits_spec();
		s.dataset.shape.features = 63;
		assert_eq!(s.validate(&1), Err(SpecError::InputMismatch));

		let mut s = digits_spec();
		s.test_samples = 0;
		assert_eq!(s.validate(&1), Err(SpecError::NoTestSamples));

		let mut s = digits_spec();
		s.dataset.shape.classes = 9;
		assert_eq!(s.validate(&1), Err(SpecError::OutputMismatch));

		let mut s = digits_spec();
		s.dataset.shape.classes = 0;
		assert_eq!(s.validate(&1), Err(SpecError::MetricMismatch));

		let mut s = digits_spec();
		s.dataset.shape.classes = 0;
		s.metric = Metric::MeanSquaredError;
		s.model = ModelSpec::Linear { inputs: 64, outputs: 1 };
		assert_eq!(s.validate(&1), Ok(65));

		let mut s = digits_spec();
		s.dataset.uri = Default::default();
		assert_eq!(s.validate(&1), Err(SpecError::EmptyUri));

		let mut s = digits_spec();
		s.dataset.shape.samples = 0;
		assert_eq!(s.validate(&1), Err(SpecError::NoSamples));

		assert_eq!(digits_spec().validate(&10), Err(SpecError::BadWindows));
		let mut s = digits_spec();
		s.windows.reveal_end = 10;
		assert_eq!(s.validate(&1), Err(SpecError::BadWindows));
		let mut s = digits_spec();
		s.windows.score_commit_end = 40;
		assert_eq!(s.validate(&1), Err(SpecError::BadWindows));

		let mut s = digits_spec();
		s.quorum = 0;
		assert_eq!(s.validate(&1), Err(SpecError::ZeroQuorum));

		let mut s = digits_spec();
		s.model = ModelSpec::Linear { inputs: 0, outputs: 10 };
		assert_eq!(s.validate(&1), Err(SpecError::Model(ModelSpecError::ZeroSize)));
	}
}
