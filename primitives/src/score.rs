//! Metric values in fixed point. The chain never sees a float: workers and evaluators turn their
//! `f64` metric into a [`Score`] with [`Score::from_f64`], the one rounding rule, and the runtime
//! compares integers.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// The objective a task is scored by.
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
pub enum Metric {
	/// Fraction of test samples classified correctly, in `[0, 1]`; higher is better.
	Accuracy,
	/// Mean squared error over every output; lower is better.
	MeanSquaredError,
	/// Mean cross-entropy of the softmax outputs against the labels (natural log); lower is
	/// better.
	CrossEntropy,
}

impl Metric {
	/// Whether a larger value is a better model.
	pub const fn higher_is_better(self) -> bool {
		matches!(self, Self::Accuracy)
	}

	/// Whether `a` is strictly better than `b` under this metric.
	pub fn is_better(self, a: Score, b: Score) -> bool {
		if self.higher_is_better() {
			a > b
		} else {
			a < b
		}
	}

	/// Whether `score` meets `minimum` (at least as good as it).
	pub fn meets(self, score: Score, minimum: Score) -> bool {
		score == minimum || self.is_better(score, minimum)
	}

	/// The largest value the metric can take: 1.0 for accuracy; MSE and cross-entropy have no
	/// upper bound (every [`Score`] is non-negative).
	pub const fn max_score(self) -> Option<Score> {
		match self {
			Self::Accuracy => Some(Score(Score::SCALE)),
			Self::MeanSquaredError | Self::CrossEntropy => None,
		}
	}

	/// Whether `score` is a value this metric can take.
	pub fn in_range(self, score: Score) -> bool {
		self.max_score().is_none_or(|max| score <= max)
	}
}

/// A non-negative metric value in fixed point: `value * 10^9`, stored as `u64`
/// (so from `0` to about `1.8 * 10^10`, nine decimals).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Score(pub u64);

/// How far apart two scores may be and still agree: `absolute` score units, or `relative` of the
/// larger of the two, whichever allows more. The absolute part covers metrics near zero; the
/// relative part covers large ones, whose `f32` rounding on different machines grows with their
/// size (an MSE of 5.3e7 on unnormalised regression targets came out 1.23 apart between burn and
/// a float64 reference: relative 2.3e-8, but far beyond any absolute tolerance that keeps
/// accuracy meaningful). The one rule for the chain and the worker.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct ScoreTolerance {
	/// Score units (`10^9` per metric unit).
	pub absolute: u64,
	/// Share of the larger score.
	pub relative: sp_arithmetic::Perbill,
}

impl ScoreTolerance {
	/// An absolute tolerance only.
	pub const fn absolute(units: u64) -> Self {
		Self { absolute: units, relative: sp_arithmetic::Perbill::from_parts(0) }
	}

	/// The largest distance at which `a` and `b` agree.
	pub fn allowed(&self, a: Score, b: Score) -> u64 {
		self.absolute.max(self.relative.mul_floor(a.0.max(b.0)))
	}

	/// Whether `a` and `b` agree.
	pub fn agree(&self, a: Score, b: Score) -> bool {
		a.abs_diff(b) <= self.allowed(a, b)
	}
}

/// Why an `f64` has no [`Score`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ScoreError {
	/// The value is NaN or infinite.
	NotFinite,
	/// The value is below zero; every metric is non-negative.
	Negative,
	/// The value is above [`Score::MAX_F64`].
	TooLarge,
}

impl Score {
	/// Fixed-point scale: one unit of the metric is `10^9`.
	pub const SCALE: u64 = 1_000_000_000;
	/// The largest value [`Score::from_f64`] accepts.
	pub const MAX_F64: f64 = 18_446_744_073.0;

	/// The one rounding rule from `f64`: multiply by [`Score::SCALE`] in IEEE-754 double precision,
	/// then round to the nearest integer, halves away from zero (up, since values are
	/// non-negative). NaN, infinities, negatives and values above [`Score::MAX_F64`] are errors.
	///
	/// Off-chain only: the runtime never converts floats.
	#[cfg(feature = "std")]
	#[allow(clippy::arithmetic_side_effects)] // float arithmetic cannot overflow or panic
	pub fn from_f64(value: f64) -> Result<Self, ScoreError> {
		if !value.is_finite() {
			return Err(ScoreError::NotFinite);
		}
		if value < 0.0 {
			return Err(ScoreError::Negative);
		}
		if value > Self::MAX_F64 {
			return Err(ScoreError::TooLarge);
		}
		let scaled = value * Self::SCALE as f64;
		let whole = scaled.trunc();
		let rounded = if scaled - whole >= 0.5 { whole + 1.0 } else { whole };
		// `rounded` is at most 1.8446744073e19 + 1 < 2^64, so the cast is exact.
		Ok(Self(rounded as u64))
	}

	/// The value as `f64`, for display only.
	#[cfg(feature = "std")]
	pub fn to_f64(self) -> f64 {
		self.0 as f64 / Self::SCALE as f64
	}

	/// The absolute difference of two scores.
	pub fn abs_diff(self, other: Self) -> u64 {
		self.0.abs_diff(other.0)
	}
}

/// The median of ascending `values` (`None` when empty); with an even count, the floor of the
/// mean of the two middle values, without overflow. The one rule the verification pallet
/// aggregates scores with, the registry ranks models by, and a worker checks a finding with.
pub fn median(sorted: &[u64]) -> Option<u64> {
	let mid = sorted.len().checked_div(2)?;
	let upper = *sorted.get(mid)?;
	if sorted.len() % 2 == 1 {
		return Some(upper);
	}
	let lower = *sorted.get(mid.checked_sub(1)?)?;
	Some(
		(lower / 2)
			.saturating_add(upper / 2)
			.saturating_add((lower % 2).saturating_add(upper % 2) / 2),
	)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn median_rule() {
		assert_eq!(median(&[5]), Some(5));
		assert_eq!(median(&[1, 5, 9]), Some(5));
		assert_eq!(median(&[1, 4]), Some(2));
		assert_eq!(median(&[3, 5]), Some(4));
		assert_eq!(median(&[u64::MAX, u64::MAX]), Some(u64::MAX));
		assert_eq!(median(&[]), None);
	}

	#[test]
	fn rounding_rule() {
		assert_eq!(Score::from_f64(0.0), Ok(Score(0)));
		assert_eq!(Score::from_f64(1.0), Ok(Score(1_000_000_000)));
		assert_eq!(Score::from_f64(0.95), Ok(Score(950_000_000)));
		// Halves round up; below a half rounds down.
		assert_eq!(Score::from_f64(0.0000000005), Ok(Score(1)));
		assert_eq!(Score::from_f64(0.0000000004), Ok(Score(0)));
		assert_eq!(Score::from_f64(2.5e-9), Ok(Score(3)));
		assert_eq!(Score::from_f64(1.0 / 3.0), Ok(Score(333_333_333)));
		assert_eq!(Score::from_f64(2.0 / 3.0), Ok(Score(666_666_667)));
		// At the top of the range the product is the nearest double, not the decimal value.
		assert_eq!(Score::from_f64(Score::MAX_F64), Ok(Score(18_446_744_072_999_999_488)));
		assert_eq!(
			Score::from_f64(Score::from_f64(0.123456789).unwrap().to_f64()).unwrap().0,
			123_456_789
		);
	}

	#[test]
	fn rejects_what_has_no_score() {
		assert_eq!(Score::from_f64(f64::NAN), Err(ScoreError::NotFinite));
		assert_eq!(Score::from_f64(f64::INFINITY), Err(ScoreError::NotFinite));
		assert_eq!(Score::from_f64(-1e-12), Err(ScoreError::Negative));
		assert_eq!(Score::from_f64(1e11), Err(ScoreError::TooLarge));
	}

	#[test]
	fn metric_direction() {
		let (low, high) = (Score(1), Score(2));
		assert!(Metric::Accuracy.is_better(high, low));
		assert!(!Metric::Accuracy.is_better(low, high));
		assert!(Metric::MeanSquaredError.is_better(low, high));
		assert!(Metric::CrossEntropy.is_better(low, high));
		assert!(!Metric::CrossEntropy.is_better(low, low));
		assert!(Metric::Accuracy.meets(high, high));
		assert!(Metric::Accuracy.meets(high, low));
		assert!(!Metric::Accuracy.meets(low, high));
		assert!(Metric::MeanSquaredError.meets(low, high));
	}

	#[test]
	fn metric_range() {
		assert!(Metric::Accuracy.in_range(Score(0)));
		assert!(Metric::Accuracy.in_range(Score(Score::SCALE)));
		assert!(!Metric::Accuracy.in_range(Score(Score::SCALE + 1)));
		assert!(Metric::MeanSquaredError.in_range(Score(u64::MAX)));
		assert!(Metric::CrossEntropy.in_range(Score(u64::MAX)));
	}
}

#[cfg(test)]
mod tolerance_tests {
	use super::*;
	use sp_arithmetic::Perbill;

	#[test]
	fn the_larger_of_the_absolute_and_the_relative_part_applies() {
		let t = ScoreTolerance { absolute: 5_000_000, relative: Perbill::from_parts(10_000) };
		// Near 1 (accuracy) the absolute part: 0.005.
		assert!(t.agree(Score(900_000_000), Score(905_000_000)));
		assert!(!t.agree(Score(900_000_000), Score(905_000_001)));
		// At 5.3e7 (an MSE) the relative part: 1e-5 of the larger, 534 metric units.
		let big = Score(53_443_967_240_000_000);
		assert!(t.agree(big, Score(big.0 + 1_230_000_000)));
		assert!(t.agree(Score(big.0 + 534_000_000_000), big));
		assert!(!t.agree(big, Score(big.0 + 535_000_000_000)));
		// Symmetric, and an absolute tolerance alone is what it says.
		assert_eq!(t.allowed(Score(1), Score(2)), t.allowed(Score(2), Score(1)));
		assert!(!ScoreTolerance::absolute(5).agree(big, Score(big.0 + 6)));
		// No overflow at the ends.
		assert!(t.agree(Score(u64::MAX), Score(u64::MAX - 1)));
		assert!(!t.agree(Score(0), Score(u64::MAX)));
	}
}
