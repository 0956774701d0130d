//! # pouw primitives
//!
//! Types and hashing rules shared by the pouw runtime (no_std, on chain) and the pouw worker
//! (std, off chain), so that both compute identical bytes and identical hashes.
//!
//! - [`TaskId`] and [`SubmissionIndex`]: newtype ids.
//! - [`TaskSpec`]: what a sponsor posts: the training data ([`DatasetRef`]), a bounded declarative
//!   model ([`ModelSpec`]), the objective ([`Metric`]), the phase [`Windows`], quorum size, minimum
//!   worker reputation and an optional parent task (lineage).
//! - [`Score`]: metric values in fixed point, with the single rounding rule from `f64`
//!   ([`Score::from_f64`], off chain only).
//! - [`Role`], [`Outcome`], [`ReputationProvider`], [`ReputationRecorder`]: how pallets read and
//!   move reputation.
//! - [`protocol`]: how the task registry and the verification pallet talk.
//! - [`commitment`]: the commit-reveal hashes for models, test sets and evaluator scores.
//!
//! Nothing here panics; every size is bounded so that the types have a `MaxEncodedLen`.
#![cfg_attr(not(feature = "std"), no_std)]
// Runtime code may not panic or overflow (see [workspace.lints]); test builds may, and FRAME's
// macros expand test-only code that calls `expect`.
#![cfg_attr(
	test,
	allow(
		clippy::unwrap_used,
		clippy::expect_used,
		clippy::panic,
		clippy::indexing_slicing,
		clippy::arithmetic_side_effects
	)
)]

extern crate alloc;

pub mod commitment;
mod ids;
mod model;
pub mod protocol;
mod reputation;
mod score;
mod spec;

pub use bounded_collections::{BoundedVec, ConstU32};
pub use ids::{SubmissionIndex, TaskId};
pub use model::{Activation, ConvLayer, ModelSpec, ModelSpecError};
pub use protocol::{QuorumError, QuorumManager, SeedSource, TaskInspector, Verdict};
pub use reputation::{Outcome, ReputationProvider, ReputationRecorder, Role};
pub use score::{median, Metric, Score, ScoreError, ScoreTolerance};
pub use sp_arithmetic::{Perbill, Permill};
pub use spec::{DataShape, DatasetFormat, DatasetRef, SpecError, TaskSpec, Windows};

/// A blake2-256 digest: the content address of every artifact (dataset, test set, weights).
pub type Hash256 = [u8; 32];

/// A 32-byte random salt chosen by whoever commits.
pub type Salt = [u8; 32];

/// Reputation in `[0, 1]` as parts per million (fixed point; no floats on chain).
pub type Reputation = Permill;

/// Upper bound of a URI's length in bytes (`file://`, `http(s)://`).
pub const MAX_URI_LEN: u32 = 256;
/// Upper bound of a CSV label column's name in bytes.
pub const MAX_COLUMN_NAME_LEN: u32 = 64;
/// Upper bound of hidden layers in an MLP.
pub const MAX_HIDDEN_LAYERS: u32 = 8;
/// Upper bound of convolution blocks in a CNN.
pub const MAX_CONV_LAYERS: u32 = 4;
/// Upper bound of trainable parameters a model spec may declare. Checked before a worker
/// allocates anything, so a task cannot make workers exhaust memory. 16 M parameters is 64 MiB of
/// `f32` weights.
pub const MAX_PARAMETERS: u64 = 16_000_000;
/// Upper bound of one layer's width, and of input features or classes.
pub const MAX_LAYER_WIDTH: u32 = 1 << 20;
/// Upper bound of the activation elements one sample produces through a model (its input and
/// every layer's output, counted by [`ModelSpec::activations`]): 4 Mi elements, 16 MiB of `f32`
/// per sample. The parameter bound alone let a valid spec need 256 MiB per sample (a 64-channel
/// convolution over a 1024 x 1024 image has 640 parameters), so a task could make every
/// evaluator run out of memory; evaluators size their scoring batches from this count.
pub const MAX_ACTIVATIONS: u64 = 1 << 22;

/// A URI, bounded by [`MAX_URI_LEN`].
pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;
