//! The pouw off-chain engine: what sponsors, workers and evaluators run beside the chain.
//!
//! - [`data`]: datasets (CSV, safetensors), verified against their blake2-256 before parsing.
//! - [`model`]: the on-chain [`ModelSpec`](pouw_primitives::ModelSpec) as a burn module.
//! - [`training`]: seeded, reproducible training with early stopping.
//! - [`checkpoint`]: per-epoch training checkpoints a killed run resumes from.
//! - [`inference`]: scoring weights on a test set into the on-chain `Score`.
//! - [`weights`]: safetensors weights in PyTorch layout, checked against the spec.
//! - [`artifacts`]: the content-addressed store, its HTTP server and a verifying client.
//! - [`backend`]: the burn backend chosen at run time.
//! - [`spec_text`]: the command line's short model syntax (`mlp:64,32:relu`).
//! - [`chain`]: the subxt client (types generated from the runtime's metadata).
//! - [`roles`]: the sponsor, the worker daemon and the evaluator daemon.
//! - [`jobs`]: the daemons' long steps as background jobs with retries.
//! - [`status`]: tasks and accounts as tables or JSON.
//! - [`keys`], [`state`]: key files and the roles' durable state.
//!
//! Off-chain numeric code: floats and indexing are fine here, but a bad input is a named error,
//! never a panic.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
#![cfg_attr(
	test,
	allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::type_complexity)
)]

pub mod appeal;
pub mod artifacts;
pub mod backend;
pub mod chain;
pub mod checkpoint;
pub mod data;
pub mod inference;
pub mod jobs;
pub mod keys;
pub mod model;
pub mod roles;
pub mod spec_text;
pub mod state;
pub mod status;
pub mod training;
pub mod weights;
