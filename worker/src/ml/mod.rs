//! The machine learning: datasets, models, training, scoring, on burn.
//!
//! - [`data`]: datasets (CSV, safetensors), verified against their blake2-256 before parsing.
//! - [`model`]: the on-chain [`ModelSpec`](pouw_primitives::ModelSpec) as a burn module.
//! - [`training`]: seeded, reproducible training with early stopping.
//! - [`checkpoint`]: per-epoch training checkpoints a killed run resumes from.
//! - [`inference`]: scoring weights on a test set into the on-chain `Score`.
//! - [`weights`]: safetensors weights in PyTorch layout, checked against the spec.
//! - [`backend`]: the burn backend chosen at run time.
//! - [`allocator`]: the allocator settings that keep large tensor buffers in the process.
//! - [`spec_text`]: the command line's short model syntax (`mlp:64,32:relu`).

pub mod allocator;
pub mod backend;
pub mod checkpoint;
pub mod data;
pub mod inference;
pub mod model;
pub mod spec_text;
pub mod training;
pub mod weights;
