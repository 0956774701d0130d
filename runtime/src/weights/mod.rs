//! Weights of the pouw pallets in this runtime, measured by `scripts/benchmark.sh`
//! (frame-omni-bencher on this runtime's wasm, template `scripts/weight-template.hbs`). The
//! figures and the machine they were measured on are in each file's header.

pub mod pallet_escrow;
pub mod pallet_reputation;
pub mod pallet_task_registry;
pub mod pallet_verification;
