//! # The pouw parachain runtime
//!
//! The parachain template's pallets (system, parachain system, timestamp, parachain info,
//! weight reclaim, balances, transaction payment, sudo for development, authorship, collator
//! selection, session, Aura, Aura-ext, XCMP queue, XCM, message queue) plus the four pouw
//! pallets: escrow, reputation, verification and the task registry.
//!
//! Blocks every 6 s with 2 s of execution (async backing); normal extrinsics may fill 75 % of a
//! block.
//!
//! The quorum draw uses the relay chain's randomness read out of the relay state proof
//! ([`randomness::RelayRandomness`]); where the proof carries none (a dev chain with mocked relay
//! data) it falls back to a documented, predictable source, and says so (runtime API
//! `PouwApi::randomness_source` and a log line).
#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

// Make the wasm binary available (`WASM_BINARY`, `WASM_BINARY_BLOATY`; `None` when the build
// skipped it with `SKIP_WASM_BUILD`). The file is generated: its items carry no docs.
#[cfg(feature = "std")]
#[allow(missing_docs)]
mod wasm_binary {
	include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
}
#[cfg(feature = "std")]
pub use wasm_binary::*;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod randomness;
pub mod weights;

extern crate alloc;
use alloc::vec::Vec;
use smallvec::smallvec;

use polkadot_sdk::{staging_parachain_info as parachain_info, *};

use frame_support::weights::{
	constants::{ExtrinsicBaseWeight, WEIGHT_REF_TIME_PER_SECOND},
	Weight, WeightToFeeCoefficient, WeightToFeeCoefficients, WeightToFeePolynomial,
};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};
use sp_version::RuntimeVersion;

pub use genesis_config_presets::PARACHAIN_ID;
pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;
pub use sp_runtime::{MultiAddress, Perbill, Permill};

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// An account: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account.
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// An index to a block.
pub type BlockNumber = u32;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The extension to the basic transaction logic.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::AuthorizeCall<Runtime>,
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	),
>;

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// Migrations of the runtime, aside from the ones declared in the pallets.
#[allow(unused_parens)]
type Migrations = ();

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Maps weight to fee: the extrinsic base weight costs 1/10 of a milli-unit.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = MILLI_UNIT / 10;
		let q = Balance::from(ExtrinsicBaseWeight::get().ref_time()).saturating_mul(100).max(1);
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p.checked_rem(q).unwrap_or(0), q),
			coeff_integer: p.checked_div(q).unwrap_or(0),
		}]
	}
}

/// Opaque types for the node, agnostic of the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use polkadot_sdk::sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	use polkadot_sdk::sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as HashT},
	};

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys of a collator.
	pub struct SessionKeys {
		/// Block authoring.
		pub aura: Aura,
	}
}

/// The runtime's version.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("pouw"),
	impl_name: alloc::borrow::Cow::Borrowed("pouw"),
	authoring_version: 1,
	spec_version: 1,
	impl_version: 0,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Target block time: blocks are produced at least every `SLOT_DURATION`.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration; cannot change once the chain runs.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// One unit of the native token (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a unit.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// A millionth of a unit.
pub const MICRO_UNIT: Balance = 1_000_000;

/// The existential deposit.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// ~5 % of the block weight goes to `on_initialize` handlers.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);

/// Normal extrinsics may fill 75 % of a block; the rest is for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// 2 seconds of compute per 6-second block.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);

/// Parachain blocks accepted by the runtime and not yet included in the relay chain.
const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
/// Parachain blocks processed by the relay chain per parent.
const BLOCK_PROCESSING_VELOCITY: u32 = 1;
/// Relay-chain slot duration, in milliseconds.
const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6000;

/// Aura consensus hook.
type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

// `frame_support::runtime` generates `Runtime`, `RuntimeCall` and the other outer types without
// docs: the module exempts only them from `missing_docs`; the crate root re-exports them.
#[allow(missing_docs)]
mod construct {
	use super::*;

	#[frame_support::runtime]
	mod runtime {
		#[runtime::runtime]
		#[runtime::derive(
			RuntimeCall,
			RuntimeEvent,
			RuntimeError,
			RuntimeOrigin,
			RuntimeFreezeReason,
			RuntimeHoldReason,
			RuntimeSlashReason,
			RuntimeLockId,
			RuntimeTask,
			RuntimeViewFunction
		)]
		pub struct Runtime;

		// System support.
		#[runtime::pallet_index(0)]
		pub type System = frame_system;
		#[runtime::pallet_index(1)]
		pub type ParachainSystem = cumulus_pallet_parachain_system;
		#[runtime::pallet_index(2)]
		pub type Timestamp = pallet_timestamp;
		#[runtime::pallet_index(3)]
		pub type ParachainInfo = parachain_info;
		#[runtime::pallet_index(4)]
		pub type WeightReclaim = cumulus_pallet_weight_reclaim;

		// Monetary.
		#[runtime::pallet_index(10)]
		pub type Balances = pallet_balances;
		#[runtime::pallet_index(11)]
		pub type TransactionPayment = pallet_transaction_payment;

		// Governance (development).
		#[runtime::pallet_index(15)]
		pub type Sudo = pallet_sudo;

		// Collator support. The order of these 4 is important and shall not change.
		#[runtime::pallet_index(20)]
		pub type Authorship = pallet_authorship;
		#[runtime::pallet_index(21)]
		pub type CollatorSelection = pallet_collator_selection;
		#[runtime::pallet_index(22)]
		pub type Session = pallet_session;
		#[runtime::pallet_index(23)]
		pub type Aura = pallet_aura;
		#[runtime::pallet_index(24)]
		pub type AuraExt = cumulus_pallet_aura_ext;

		// XCM helpers.
		#[runtime::pallet_index(30)]
		pub type XcmpQueue = cumulus_pallet_xcmp_queue;
		#[runtime::pallet_index(31)]
		pub type PolkadotXcm = pallet_xcm;
		#[runtime::pallet_index(32)]
		pub type CumulusXcm = cumulus_pallet_xcm;
		#[runtime::pallet_index(33)]
		pub type MessageQueue = pallet_message_queue;

		// Proof of useful work.
		#[runtime::pallet_index(50)]
		pub type Escrow = pallet_escrow;
		#[runtime::pallet_index(51)]
		pub type Reputation = pallet_reputation;
		#[runtime::pallet_index(52)]
		pub type Verification = pallet_verification;
		#[runtime::pallet_index(53)]
		pub type TaskRegistry = pallet_task_registry;
	}

	// The macro's `InherentDataExt` trait is private to this module: `BlockBuilder` (in `apis`)
	// reaches it through these two.
	/// The extrinsics that carry the inherent data into a block.
	pub(crate) fn create_inherent_extrinsics(
		data: sp_inherents::InherentData,
	) -> Vec<<Block as sp_runtime::traits::Block>::Extrinsic> {
		data.create_extrinsics()
	}

	/// Checks a block's inherent extrinsics against the inherent data.
	pub(crate) fn check_inherent_extrinsics(
		block: &<Block as sp_runtime::traits::Block>::LazyBlock,
		data: sp_inherents::InherentData,
	) -> sp_inherents::CheckInherentsResult {
		data.check_extrinsics(block)
	}
}
pub use construct::*;

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
