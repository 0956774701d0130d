//! The pouw off-chain engine: what sponsors, workers and evaluators run beside the chain.
//!
//! - [`ml`]: datasets, the model of a spec on burn, seeded training with checkpoints, scoring
//!   into the on-chain `Score`, weights files, the backend chosen at run time.
//! - [`artifacts`]: the content-addressed store, its HTTP server and the client that fetches
//!   URIs read from the chain under a policy.
//! - [`chain`]: the subxt client (types generated from the runtime's metadata), the calls, and
//!   [`chain::ChainApi`], what the daemons need of a chain.
//! - [`roles`]: the sponsor, the worker daemon and the evaluator daemon, their background jobs
//!   and their durable state.
//! - [`status`]: tasks and accounts as tables or JSON.
//! - [`keys`]: key files.
//!
//! Off-chain numeric code: floats and indexing are fine here, but a bad input is a named error,
//! never a panic.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
#![cfg_attr(
	test,
	allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::type_complexity)
)]

pub mod artifacts;
pub mod chain;
pub mod keys;
pub mod ml;
pub mod roles;
pub mod status;
