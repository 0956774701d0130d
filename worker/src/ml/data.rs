//! Datasets: the bytes' blake2-256 is checked against the expected hash before anything is
//! parsed; then CSV or safetensors is read and validated (shape, label range, finite values),
//! each failure a named [`DataError`].
//!
//! Images travel as safetensors rather than NPY: one format for weights and data, a JSON header
//! with explicit dtype and shape that is checked before any byte is read, several named tensors
//! (`features`, `labels`) in one file, and readers in every ML stack.

use pouw_primitives::{commitment::content_hash, DatasetFormat, Hash256};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

/// Why a dataset was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
	/// The bytes do not hash to what was expected: nothing was parsed.
	#[error("hash mismatch: expected {expected}, the bytes hash to {actual}")]
	HashMismatch {
		/// Expected blake2-256, hex.
		expected: String,
		/// Actual blake2-256, hex.
		actual: String,
	},
	/// The file has a header but no rows.
	#[error("the dataset has no samples")]
	Empty,
	/// A CSV line cannot be read (bad UTF-8, bad quoting).
	#[error("malformed CSV at line {line}: {reason}")]
	MalformedCsv {
		/// 1-based line number.
		line: u64,
		/// What the CSV reader said.
		reason: String,
	},
	/// The label column named in the spec is not in the header.
	#[error("label column '{0}' is not in the CSV header")]
	MissingLabelColumn(String),
	/// A row has a different number of fields than the header.
	#[error("line {line} has {found} fields, the header has {expected}")]
	WrongColumnCount {
		/// 1-based line number.
		line: u64,
		/// Fields in the header.
		expected: usize,
		/// Fields on that line.
		found: usize,
	},
	/// A field is not a number.
	#[error("line {line}, column '{column}': '{value}' is not a number")]
	NotNumeric {
		/// 1-based line number.
		line: u64,
		/// Column name.
		column: String,
		/// The field.
		value: String,
	},
	/// A value is NaN or infinite.
	#[error("sample {sample}: a value is NaN or infinite")]
	NotFinite {
		/// 0-based sample index.
		sample: usize,
	},
	/// A class label is not an integer in `0..classes`.
	#[error("sample {sample}: label {label} is not a class in 0..{classes}")]
	LabelOutOfRange {
		/// 0-based sample index.
		sample: usize,
		/// The label as read.
		label: f64,
		/// Number of classes.
		classes: u32,
	},
	/// The data has a different number of features than declared.
	#[error("the data has {found} features per sample, {expected} were declared")]
	FeatureCountMismatch {
		/// Declared.
		expected: u32,
		/// Found.
		found: usize,
	},
	/// The data has a different number of samples than declared.
	#[error("the data has {found} samples, {expected} were declared")]
	SampleCountMismatch {
		/// Declared.
		expected: u32,
		/// Found.
		found: usize,
	},
	/// The safetensors file cannot be read (truncated, bad header, offsets out of range).
	#[error("malformed safetensors file: {0}")]
	MalformedSafetensors(String),
	/// A tensor the format requires is missing.
	#[error("safetensors file has no tensor '{0}'")]
	MissingTensor(&'static str),
	/// A tensor has a dtype or shape the format does not allow.
	#[error("tensor '{name}': {reason}")]
	BadTensor {
		/// Tensor name.
		name: &'static str,
		/// What is wrong with it.
		reason: String,
	},
}

/// Labels of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
	/// Class ids in `0..classes`.
	Classes {
		/// One per sample.
		ids: Vec<u32>,
		/// Number of classes.
		classes: u32,
	},
	/// Regression targets, one per sample.
	Targets(Vec<f32>),
}

/// Feature values, `samples * feature_count` of them, row-major.
///
/// Images stay bytes in memory (a quarter of `f32`: 60,000 Fashion-MNIST images are 47 MB, not
/// 188 MB) and each batch converts its own rows ([`Features::extend_row`]). A byte `v` reads as
/// `v / 255`, as torchvision's `ToTensor` reads pixel intensities, for the worker and every
/// evaluator alike.
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
	/// Values as read (CSV, or a safetensors `features` tensor of a float or integer dtype).
	F32(Vec<f32>),
	/// Pixel intensities (a safetensors `features` tensor of dtype `U8`).
	U8(Vec<u8>),
}

impl Features {
	/// Number of values.
	pub fn len(&self) -> usize {
		match self {
			Features::F32(v) => v.len(),
			Features::U8(v) => v.len(),
		}
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Bytes the values take in memory.
	pub fn memory_bytes(&self) -> usize {
		match self {
			Features::F32(v) => v.len().saturating_mul(4),
			Features::U8(v) => v.len(),
		}
	}

	/// Appends row `row` (of `width` values) to `out` as `f32`.
	pub fn extend_row(&self, row: usize, width: usize, out: &mut Vec<f32>) {
		let range = row * width..(row + 1) * width;
		match self {
			Features::F32(v) => out.extend_from_slice(&v[range]),
			Features::U8(v) => out.extend(v[range].iter().map(|&b| f32::from(b) / 255.0)),
		}
	}

	/// The rows at `rows` (of `width` values each), in that order.
	fn select(&self, rows: &[usize], width: usize) -> Self {
		fn pick<T: Copy>(v: &[T], rows: &[usize], width: usize) -> Vec<T> {
			let mut out = Vec::with_capacity(rows.len() * width);
			for &r in rows {
				out.extend_from_slice(&v[r * width..(r + 1) * width]);
			}
			out
		}
		match self {
			Features::F32(v) => Features::F32(pick(v, rows, width)),
			Features::U8(v) => Features::U8(pick(v, rows, width)),
		}
	}
}

impl From<Vec<f32>> for Features {
	fn from(v: Vec<f32>) -> Self {
		Features::F32(v)
	}
}

/// A parsed, validated dataset held in memory: row-major features and one label per sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
	/// `samples * feature_count` values, row-major.
	pub features: Features,
	/// Features per sample.
	pub feature_count: usize,
	/// One label per sample.
	pub labels: Labels,
}

/// What a dataset is declared to look like: the task's format plus the shape fields that hold
/// for its training and test files alike.
#[derive(Clone, Debug)]
pub struct Layout {
	/// CSV or safetensors.
	pub format: DatasetFormat,
	/// Features per sample.
	pub features: u32,
	/// Classes; `0` for regression.
	pub classes: u32,
}

impl Dataset {
	/// Number of samples.
	pub fn len(&self) -> usize {
		match &self.labels {
			Labels::Classes { ids, .. } => ids.len(),
			Labels::Targets(t) => t.len(),
		}
	}

	/// Whether there are no samples.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Checks `bytes` against `expected_hash`, then parses them as `layout` says. With
	/// `samples`, the sample count must match too.
	pub fn from_bytes(
		bytes: &[u8],
		expected_hash: &Hash256,
		layout: &Layout,
		samples: Option<u32>,
	) -> Result<Self, DataError> {
		verify_hash(bytes, expected_hash)?;
		Self::parse(bytes, layout, samples)
	}

	/// Parses bytes already verified by the caller.
	pub fn parse(bytes: &[u8], layout: &Layout, samples: Option<u32>) -> Result<Self, DataError> {
		let data = match &layout.format {
			DatasetFormat::Csv { label_column } => {
				let name = String::from_utf8_lossy(label_column).into_owned();
				parse_csv(bytes, &name, layout.classes)?
			},
			DatasetFormat::Safetensors => parse_safetensors(bytes, layout, samples)?,
		};
		// Safetensors checked its header's shape before reading values; CSV can only now.
		check_shape(data.len(), data.feature_count, layout, samples)?;
		Ok(data)
	}

	/// Parses bytes whose feature count is not known yet: `layout.features` is ignored and the
	/// width is the file's own; everything else is validated as [`Dataset::parse`] does.
	pub fn parse_any_width(bytes: &[u8], layout: &Layout) -> Result<Self, DataError> {
		let mut layout = layout.clone();
		match Self::parse(bytes, &layout, None) {
			Err(DataError::FeatureCountMismatch { found, .. }) => {
				layout.features = found as u32;
				Self::parse(bytes, &layout, None)
			},
			other => other,
		}
	}

	/// The rows at `indices`, as a new dataset (for splits).
	pub fn select(&self, indices: &[usize]) -> Self {
		let f = self.feature_count;
		let features = self.features.select(indices, f);
		let labels = match &self.labels {
			Labels::Classes { ids, classes } => Labels::Classes {
				ids: indices.iter().map(|&i| ids[i]).collect(),
				classes: *classes,
			},
			Labels::Targets(t) => Labels::Targets(indices.iter().map(|&i| t[i]).collect()),
		};
		Self { features, feature_count: f, labels }
	}
}

/// The most bytes a dataset file of `samples` x `features` in `format` can reasonably take:
/// safetensors at 8 bytes a value (the widest dtype a dataset may use) and a label each, CSV at
/// 32 characters a value (`-1.2345678901234567e-308,` is 25) and a header of 64 characters a
/// column; 64 KiB more for headers. The daemons download with this cap: a hostile server
/// cannot make them store more than the declared shape implies.
pub fn max_file_bytes(format: &DatasetFormat, samples: u32, features: u32) -> u64 {
	let (samples, features) = (u64::from(samples), u64::from(features));
	let body = match format {
		DatasetFormat::Safetensors => {
			samples.saturating_mul(features.saturating_add(1)).saturating_mul(8)
		},
		DatasetFormat::Csv { .. } => samples
			.saturating_mul(features.saturating_add(1))
			.saturating_mul(32)
			.saturating_add(features.saturating_add(1).saturating_mul(64)),
	};
	body.saturating_add(64 * 1024)
}

/// Errors with [`DataError::HashMismatch`] unless `bytes` hash to `expected`.
pub fn verify_hash(bytes: &[u8], expected: &Hash256) -> Result<(), DataError> {
	let actual = content_hash(bytes);
	if &actual != expected {
		return Err(DataError::HashMismatch {
			expected: hex::encode(expected),
			actual: hex::encode(actual),
		});
	}
	Ok(())
}

fn label_from(value: f64, sample: usize, classes: u32) -> Result<u32, DataError> {
	let out_of_range = || DataError::LabelOutOfRange { sample, label: value, classes };
	if value.fract() != 0.0 || value < 0.0 || value >= f64::from(classes) {
		return Err(out_of_range());
	}
	Ok(value as u32)
}

fn parse_csv(bytes: &[u8], label_column: &str, classes: u32) -> Result<Dataset, DataError> {
	let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
	let malformed = |e: csv::Error| {
		let line = e.position().map(|p| p.line()).unwrap_or(0);
		match e.kind() {
			csv::ErrorKind::UnequalLengths { expected_len, len, pos } => {
				DataError::WrongColumnCount {
					line: pos.as_ref().map(|p| p.line()).unwrap_or(line),
					expected: *expected_len as usize,
					found: *len as usize,
				}
			},
			_ => DataError::MalformedCsv { line, reason: e.to_string() },
		}
	};
	let header: Vec<String> =
		reader.headers().map_err(malformed)?.iter().map(|h| h.trim().to_string()).collect();
	let label_at = header
		.iter()
		.position(|h| h == label_column)
		.ok_or_else(|| DataError::MissingLabelColumn(label_column.to_string()))?;
	let feature_count = header.len().saturating_sub(1);
	let mut features = Vec::new();
	let mut ids = Vec::new();
	let mut targets = Vec::new();
	for (sample, record) in reader.records().enumerate() {
		let record = record.map_err(malformed)?;
		let line = record.position().map(|p| p.line()).unwrap_or(0);
		if record.len() != header.len() {
			return Err(DataError::WrongColumnCount {
				line,
				expected: header.len(),
				found: record.len(),
			});
		}
		for (column, field) in record.iter().enumerate() {
			let value: f64 = field.trim().parse().map_err(|_| DataError::NotNumeric {
				line,
				column: header[column].clone(),
				value: field.to_string(),
			})?;
			if !value.is_finite() {
				return Err(DataError::NotFinite { sample });
			}
			if column == label_at {
				if classes > 0 {
					ids.push(label_from(value, sample, classes)?);
				} else {
					targets.push(value as f32);
				}
			} else {
				features.push(value as f32);
			}
		}
	}
	let labels =
		if classes > 0 { Labels::Classes { ids, classes } } else { Labels::Targets(targets) };
	Ok(Dataset { features: Features::F32(features), feature_count, labels })
}

fn tensor<'a>(st: &'a SafeTensors<'a>, name: &'static str) -> Result<TensorView<'a>, DataError> {
	st.tensor(name).map_err(|_| DataError::MissingTensor(name))
}

/// Every element of a tensor as `f64`, for the dtypes a dataset may use.
fn elements(view: &TensorView<'_>, name: &'static str) -> Result<Vec<f64>, DataError> {
	fn read<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
		data.chunks_exact(N)
			.map(|c| {
				let mut b = [0u8; N];
				b.copy_from_slice(c);
				f(b)
			})
			.collect()
	}
	let d = view.data();
	Ok(match view.dtype() {
		Dtype::F32 => read::<4>(d, |b| f64::from(f32::from_le_bytes(b))),
		Dtype::F64 => read::<8>(d, f64::from_le_bytes),
		Dtype::U8 => d.iter().map(|&b| f64::from(b)).collect(),
		Dtype::I32 => read::<4>(d, |b| f64::from(i32::from_le_bytes(b))),
		Dtype::I64 => read::<8>(d, |b| i64::from_le_bytes(b) as f64),
		other => {
			return Err(DataError::BadTensor {
				name,
				reason: format!("dtype {other:?} is not one of F32, F64, U8, I32, I64"),
			})
		},
	})
}

/// Errors unless a dataset of `rows` samples of `features` values is what `layout` (and
/// `samples`, when given) declare, and not empty.
fn check_shape(
	rows: usize,
	features: usize,
	layout: &Layout,
	samples: Option<u32>,
) -> Result<(), DataError> {
	if rows == 0 {
		return Err(DataError::Empty);
	}
	if features != layout.features as usize {
		return Err(DataError::FeatureCountMismatch { expected: layout.features, found: features });
	}
	match samples {
		Some(expected) if rows != expected as usize => {
			Err(DataError::SampleCountMismatch { expected, found: rows })
		},
		_ => Ok(()),
	}
}

/// Reads a `features` and a `labels` tensor. The shapes in the header are checked against
/// `layout` and `samples` before any value is converted, so a file of the wrong shape costs no
/// more than its header; `U8` features stay bytes ([`Features::U8`]).
fn parse_safetensors(
	bytes: &[u8],
	layout: &Layout,
	samples: Option<u32>,
) -> Result<Dataset, DataError> {
	let classes = layout.classes;
	let st = SafeTensors::deserialize(bytes)
		.map_err(|e| DataError::MalformedSafetensors(e.to_string()))?;
	let features = tensor(&st, "features")?;
	let labels = tensor(&st, "labels")?;
	let shape = features.shape();
	let Some((&rows, rest)) = shape.split_first() else {
		return Err(DataError::BadTensor { name: "features", reason: "a scalar".into() });
	};
	if rest.is_empty() {
		return Err(DataError::BadTensor {
			name: "features",
			reason: "needs shape [samples, ...]".into(),
		});
	}
	let feature_count: usize = rest.iter().product();
	let label_shape = labels.shape();
	let label_ok = match label_shape {
		[n] => *n == rows,
		[n, 1] => *n == rows && classes == 0,
		_ => false,
	};
	if !label_ok {
		return Err(DataError::BadTensor {
			name: "labels",
			reason: format!("shape {label_shape:?} does not fit {rows} samples"),
		});
	}
	check_shape(rows, feature_count, layout, samples)?;
	let out = match features.dtype() {
		Dtype::U8 => Features::U8(features.data().to_vec()),
		_ => {
			let values = elements(&features, "features")?;
			let mut out = Vec::with_capacity(values.len());
			for (i, v) in values.into_iter().enumerate() {
				if !v.is_finite() {
					return Err(DataError::NotFinite { sample: i / feature_count.max(1) });
				}
				out.push(v as f32);
			}
			Features::F32(out)
		},
	};
	let raw = elements(&labels, "labels")?;
	let labels = if classes > 0 {
		let mut ids = Vec::with_capacity(raw.len());
		for (sample, v) in raw.into_iter().enumerate() {
			if !v.is_finite() {
				return Err(DataError::NotFinite { sample });
			}
			ids.push(label_from(v, sample, classes)?);
		}
		Labels::Classes { ids, classes }
	} else {
		let mut t = Vec::with_capacity(raw.len());
		for (sample, v) in raw.into_iter().enumerate() {
			if !v.is_finite() {
				return Err(DataError::NotFinite { sample });
			}
			t.push(v as f32);
		}
		Labels::Targets(t)
	};
	Ok(Dataset { features: out, feature_count, labels })
}

/// Serialises a dataset as CSV with columns `f0..fN` and `label` (used by `pouw dataset split`).
pub fn to_csv(data: &Dataset, feature_names: &[String], label_column: &str) -> Vec<u8> {
	let mut out = String::new();
	for name in feature_names {
		out.push_str(name);
		out.push(',');
	}
	out.push_str(label_column);
	out.push('\n');
	let mut row = Vec::with_capacity(data.feature_count);
	for i in 0..data.len() {
		row.clear();
		data.features.extend_row(i, data.feature_count, &mut row);
		for v in &row {
			out.push_str(&v.to_string());
			out.push(',');
		}
		match &data.labels {
			Labels::Classes { ids, .. } => out.push_str(&ids[i].to_string()),
			Labels::Targets(t) => out.push_str(&t[i].to_string()),
		}
		out.push('\n');
	}
	out.into_bytes()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn csv_layout(features: u32, classes: u32) -> Layout {
		Layout {
			format: DatasetFormat::Csv { label_column: b"label".to_vec().try_into().unwrap() },
			features,
			classes,
		}
	}

	const GOOD: &str = "a,b,label\n0.5,1,2\n-1,3.25,0\n";

	#[test]
	fn parses_a_good_csv() {
		let d = Dataset::parse(GOOD.as_bytes(), &csv_layout(2, 3), Some(2)).unwrap();
		assert_eq!(d.features, Features::F32(vec![0.5, 1.0, -1.0, 3.25]));
		assert_eq!(d.labels, Labels::Classes { ids: vec![2, 0], classes: 3 });
		// The label column may sit anywhere; regression keeps the values.
		let r = Dataset::parse(b"label,x\n1.5,2\n", &csv_layout(1, 0), None).unwrap();
		assert_eq!(r.labels, Labels::Targets(vec![1.5]));
		assert_eq!(r.features, Features::F32(vec![2.0]));
	}

	#[test]
	fn checks_the_hash_before_parsing() {
		let good = content_hash(GOOD.as_bytes());
		assert!(Dataset::from_bytes(GOOD.as_bytes(), &good, &csv_layout(2, 3), None).is_ok());
		let err =
			Dataset::from_bytes(b"not,even,csv\x00", &good, &csv_layout(2, 3), None).unwrap_err();
		assert!(matches!(err, DataError::HashMismatch { .. }), "{err:?}");
	}

	#[test]
	fn refuses_bad_csv() {
		let l = csv_layout(2, 3);
		let cases: Vec<(&str, fn(&DataError) -> bool)> = vec![
			("a,b,label\n1,2\n", |e| {
				matches!(e, DataError::WrongColumnCount { expected: 3, found: 2, line: 2 })
			}),
			("a,b,label\n1,2,3,4\n", |e| matches!(e, DataError::WrongColumnCount { .. })),
			("a,b,label\n1,x,2\n", |e| matches!(e, DataError::NotNumeric { line: 2, .. })),
			("a,b,label\n1,NaN,2\n", |e| matches!(e, DataError::NotFinite { sample: 0 })),
			("a,b,label\n1,2,3\n", |e| matches!(e, DataError::LabelOutOfRange { .. })),
			("a,b,label\n1,2,1.5\n", |e| matches!(e, DataError::LabelOutOfRange { .. })),
			("a,b,label\n1,2,-1\n", |e| matches!(e, DataError::LabelOutOfRange { .. })),
			("a,b,y\n1,2,1\n", |e| matches!(e, DataError::MissingLabelColumn(_))),
			("a,b,label\n", |e| matches!(e, DataError::Empty)),
			("a,b,c,label\n1,2,3,1\n", |e| {
				matches!(e, DataError::FeatureCountMismatch { expected: 2, found: 3 })
			}),
			("a,b,label\n1,\"2,1\n", |e| {
				matches!(e, DataError::MalformedCsv { .. } | DataError::WrongColumnCount { .. })
			}),
		];
		for (text, is_expected) in cases {
			let err = Dataset::parse(text.as_bytes(), &l, None).unwrap_err();
			assert!(is_expected(&err), "{text:?} gave {err:?}");
		}
		let err = Dataset::parse(b"a,b,label\n\xff,2,1\n", &l, None).unwrap_err();
		assert!(matches!(err, DataError::MalformedCsv { line: 2, .. }), "{err:?}");
		let err = Dataset::parse(GOOD.as_bytes(), &l, Some(3)).unwrap_err();
		assert_eq!(err, DataError::SampleCountMismatch { expected: 3, found: 2 });
	}

	fn st_bytes(features: (&[f32], Vec<usize>), labels: (&[i64], Vec<usize>)) -> Vec<u8> {
		let fb: Vec<u8> = features.0.iter().flat_map(|v| v.to_le_bytes()).collect();
		let lb: Vec<u8> = labels.0.iter().flat_map(|v| v.to_le_bytes()).collect();
		let f = TensorView::new(Dtype::F32, features.1, &fb).unwrap();
		let l = TensorView::new(Dtype::I64, labels.1, &lb).unwrap();
		safetensors::serialize([("features", f), ("labels", l)], None).unwrap()
	}

	#[test]
	fn reads_images_from_safetensors() {
		let layout = Layout { format: DatasetFormat::Safetensors, features: 4, classes: 2 };
		let bytes = st_bytes(
			(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], vec![2, 1, 2, 2]),
			(&[1, 0], vec![2]),
		);
		let d = Dataset::parse(&bytes, &layout, Some(2)).unwrap();
		assert_eq!(d.feature_count, 4);
		assert_eq!(d.labels, Labels::Classes { ids: vec![1, 0], classes: 2 });
	}

	#[test]
	fn images_stay_bytes_and_read_as_intensities() {
		let layout = Layout { format: DatasetFormat::Safetensors, features: 4, classes: 2 };
		let pixels = [0u8, 51, 255, 102, 1, 2, 3, 4];
		let labels: Vec<u8> = vec![1, 0];
		let f = TensorView::new(Dtype::U8, vec![2, 1, 2, 2], &pixels).unwrap();
		let l = TensorView::new(Dtype::U8, vec![2], &labels).unwrap();
		let bytes = safetensors::serialize([("features", f), ("labels", l)], None).unwrap();
		let d = Dataset::parse(&bytes, &layout, Some(2)).unwrap();
		assert_eq!(d.features, Features::U8(pixels.to_vec()));
		assert_eq!(d.features.memory_bytes(), 8);
		let mut row = Vec::new();
		d.features.extend_row(0, 4, &mut row);
		assert_eq!(row, vec![0.0, 0.2, 1.0, 0.4]);
		// Splits keep the bytes.
		assert_eq!(d.select(&[1]).features, Features::U8(vec![1, 2, 3, 4]));
	}

	#[test]
	fn a_safetensors_file_of_the_wrong_shape_is_refused_before_its_values_are_read() {
		let layout = Layout { format: DatasetFormat::Safetensors, features: 4, classes: 2 };
		// The values are NaN: had they been converted, the error would be NotFinite.
		let bytes = st_bytes((&[f32::NAN; 12], vec![3, 4]), (&[1, 0, 1], vec![3]));
		assert_eq!(
			Dataset::parse(&bytes, &layout, Some(2)).unwrap_err(),
			DataError::SampleCountMismatch { expected: 2, found: 3 }
		);
		let wide = Layout { features: 6, ..layout.clone() };
		assert_eq!(
			Dataset::parse(&bytes, &wide, None).unwrap_err(),
			DataError::FeatureCountMismatch { expected: 6, found: 4 }
		);
		let empty = st_bytes((&[], vec![0, 4]), (&[], vec![0]));
		assert_eq!(Dataset::parse(&empty, &layout, None).unwrap_err(), DataError::Empty);
	}

	#[test]
	fn refuses_bad_safetensors() {
		let layout = Layout { format: DatasetFormat::Safetensors, features: 4, classes: 2 };
		let bytes = st_bytes((&[0.0; 8], vec![2, 4]), (&[1, 0], vec![2]));
		// Truncated: the header promises more bytes than there are.
		let err = Dataset::parse(&bytes[..bytes.len() - 3], &layout, None).unwrap_err();
		assert!(matches!(err, DataError::MalformedSafetensors(_)), "{err:?}");
		let err = Dataset::parse(&bytes[..4], &layout, None).unwrap_err();
		assert!(matches!(err, DataError::MalformedSafetensors(_)), "{err:?}");
		// Labels out of range, wrong label count, NaN features.
		let bad = st_bytes((&[0.0; 8], vec![2, 4]), (&[1, 2], vec![2]));
		assert!(matches!(
			Dataset::parse(&bad, &layout, None).unwrap_err(),
			DataError::LabelOutOfRange { sample: 1, .. }
		));
		let bad = st_bytes((&[0.0; 8], vec![2, 4]), (&[1, 0, 1], vec![3]));
		assert!(matches!(
			Dataset::parse(&bad, &layout, None).unwrap_err(),
			DataError::BadTensor { name: "labels", .. }
		));
		let mut nan = [0.0f32; 8];
		nan[5] = f32::NAN;
		let bad = st_bytes((&nan, vec![2, 4]), (&[1, 0], vec![2]));
		assert_eq!(
			Dataset::parse(&bad, &layout, None).unwrap_err(),
			DataError::NotFinite { sample: 1 }
		);
	}

	#[test]
	fn select_and_csv_round_trip() {
		let d = Dataset::parse(GOOD.as_bytes(), &csv_layout(2, 3), None).unwrap();
		let back = d.select(&[1]);
		assert_eq!(back.features, Features::F32(vec![-1.0, 3.25]));
		let csv = to_csv(&back, &["a".into(), "b".into()], "label");
		assert_eq!(Dataset::parse(&csv, &csv_layout(2, 3), None).unwrap(), back);
	}

	#[test]
	fn a_dataset_file_fits_the_cap_its_declared_shape_implies() {
		// The widest CSV values the writer produces, and a header.
		let samples = 50usize;
		let features = 7usize;
		let data = Dataset {
			features: Features::F32(vec![-1.234_567_9e-30; samples * features]),
			feature_count: features,
			labels: Labels::Classes { ids: vec![9; samples], classes: 10 },
		};
		let names: Vec<String> = (0..features).map(|i| format!("feature_{i}")).collect();
		let csv = to_csv(&data, &names, "label");
		let format = DatasetFormat::Csv { label_column: b"label".to_vec().try_into().unwrap() };
		let cap = max_file_bytes(&format, samples as u32, features as u32);
		assert!(csv.len() as u64 <= cap, "{} > {cap}", csv.len());
		// Declaring 50 samples does not let a server send a gigabyte.
		assert!(cap < 1 << 20);
		assert!(
			max_file_bytes(&DatasetFormat::Safetensors, 1_000, 784) < 7 * 1024 * 1024,
			"MNIST-sized"
		);
	}
}
