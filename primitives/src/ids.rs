use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Identifies a task; assigned sequentially by the task registry.
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
pub struct TaskId(pub u64);

impl TaskId {
	/// The next id, or `None` when the id space is exhausted.
	pub fn checked_next(self) -> Option<Self> {
		self.0.checked_add(1).map(Self)
	}
}

impl core::fmt::Display for TaskId {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "#{}", self.0)
	}
}

/// Position of a worker's submission within its task, in commit order (so a lower index is an
/// earlier commitment, which wins ties).
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
pub struct SubmissionIndex(pub u32);
