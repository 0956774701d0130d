//! Runtime APIs: the standard ones of a parachain, plus `PouwApi` for clients (`pouw status`,
//! dApps) to read tasks, submissions with medians, the leaderboard and reputation in one call.

use alloc::vec::Vec;

use polkadot_sdk::*;

use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_aura::Authorities;
use pallet_task_registry::{Phase, TaskInfo};
use pouw_primitives::{
	Reputation as Rep, ReputationProvider, Role, Score, SubmissionIndex, TaskId,
};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use super::{
	randomness::{RandomnessSource, RelayRandomness},
	AccountId, Balance, Block, BlockNumber, ConsensusHook, Executive, Nonce, ParachainSystem,
	Reputation, Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TaskRegistry,
	TransactionPayment, SLOT_DURATION, VERSION,
};

/// One submission as clients see it.
#[derive(Clone, PartialEq, Eq, Debug, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct SubmissionView {
	/// Its index (commit order).
	pub index: SubmissionIndex,
	/// The worker.
	pub worker: AccountId,
	/// The revealed weights' hash, once revealed.
	pub model_hash: Option<[u8; 32]>,
	/// The median score: `None` before aggregation; `Some(None)` when invalid by consensus.
	pub median: Option<Option<Score>>,
}

/// An account's reputation in each role.
#[derive(Clone, PartialEq, Eq, Debug, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct ReputationView {
	/// As a worker.
	pub worker: Rep,
	/// As an evaluator.
	pub evaluator: Rep,
	/// As a sponsor.
	pub sponsor: Rep,
}

/// The `PouwApi` declaration (in its own module: `impl_runtime_apis!` wants a path).
pub mod pouw_api {
	use super::*;

	sp_api::decl_runtime_apis! {
	/// Read access to the proof-of-useful-work state.
	pub trait PouwApi {
		/// A task and its phase at the best block.
		fn task(task: TaskId) -> Option<(TaskInfo<Runtime>, Phase)>;
		/// A task's submissions, ascending, with medians once aggregated.
		fn submissions(task: TaskId) -> Vec<SubmissionView>;
		/// Valid submissions by median, best first (ties: earliest commitment first).
		fn leaderboard(task: TaskId) -> Vec<(SubmissionIndex, AccountId, Score)>;
		/// The evaluators drawn for a task.
		fn quorum(task: TaskId) -> Vec<AccountId>;
		/// An account's reputation in each role, decay applied.
		fn reputation(who: AccountId) -> ReputationView;
		/// A task's ancestors (lineage), nearest first.
		fn lineage(task: TaskId) -> Vec<TaskId>;
		/// Where quorum randomness comes from at this block.
		fn randomness_source() -> RandomnessSource;
	}
	}
}

fn submissions(task: TaskId) -> Vec<SubmissionView> {
	let medians = pallet_verification::Medians::<Runtime>::get(task);
	let mut all: Vec<_> = pallet_task_registry::Submissions::<Runtime>::iter_prefix(task).collect();
	all.sort_by_key(|(index, _)| *index);
	all.into_iter()
		.map(|(index, s)| SubmissionView {
			index,
			worker: s.worker,
			model_hash: s.model.map(|m| m.hash),
			median: medians
				.as_ref()
				.and_then(|m| m.iter().find(|(i, _)| *i == index).map(|(_, score)| *score)),
		})
		.collect()
}

impl Runtime {
	fn impl_slot_duration() -> sp_consensus_aura::SlotDuration {
		sp_consensus_aura::SlotDuration::from_millis(SLOT_DURATION)
	}

	fn impl_can_build_upon(
		included_hash: <Block as BlockT>::Hash,
		slot: cumulus_primitives_aura::Slot,
	) -> bool {
		ConsensusHook::can_build_upon(included_hash, slot)
	}
}

// `impl_runtime_apis!` generates `RuntimeApi`, `RUNTIME_API_VERSIONS` and the `api` module without
// docs: this module exempts only them from `missing_docs`.
#[allow(missing_docs)]
mod generated {
	use super::*;

	impl_runtime_apis! {
		impl pouw_api::PouwApi<Block> for Runtime {
			fn task(task: TaskId) -> Option<(TaskInfo<Runtime>, Phase)> {
				let info = pallet_task_registry::Tasks::<Runtime>::get(task)?;
				let phase = TaskRegistry::phase(task, System::block_number())?;
				Some((info, phase))
			}

			fn submissions(task: TaskId) -> Vec<SubmissionView> {
				submissions(task)
			}

			fn leaderboard(task: TaskId) -> Vec<(SubmissionIndex, AccountId, Score)> {
				let Some(info) = pallet_task_registry::Tasks::<Runtime>::get(task) else {
					return Vec::new();
				};
				let mut board: Vec<_> = submissions(task)
					.into_iter()
					.filter_map(|s| s.median.flatten().map(|score| (s.index, s.worker, score)))
					.collect();
				let metric = info.spec.metric;
				board.sort_by(|a, b| {
					if metric.is_better(a.2, b.2) {
						core::cmp::Ordering::Less
					} else if metric.is_better(b.2, a.2) {
						core::cmp::Ordering::Greater
					} else {
						a.0.cmp(&b.0)
					}
				});
				board
			}

			fn quorum(task: TaskId) -> Vec<AccountId> {
				pallet_verification::Quorums::<Runtime>::get(task)
					.map(|q| q.members.into_inner())
					.unwrap_or_default()
			}

			fn reputation(who: AccountId) -> ReputationView {
				ReputationView {
					worker: Reputation::reputation(&who, Role::Worker),
					evaluator: Reputation::reputation(&who, Role::Evaluator),
					sponsor: Reputation::reputation(&who, Role::Sponsor),
				}
			}

			fn lineage(task: TaskId) -> Vec<TaskId> {
				TaskRegistry::lineage(task)
			}

			fn randomness_source() -> RandomnessSource {
				RelayRandomness::source()
			}
		}

		impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
			fn slot_duration() -> sp_consensus_aura::SlotDuration {
				Runtime::impl_slot_duration()
			}

			fn authorities() -> Vec<AuraId> {
				Authorities::<Runtime>::get().into_inner()
			}
		}

		impl cumulus_primitives_aura::AuraUnincludedSegmentApi<Block> for Runtime {
			fn can_build_upon(
				included_hash: <Block as BlockT>::Hash,
				slot: cumulus_primitives_aura::Slot,
			) -> bool {
				Runtime::impl_can_build_upon(included_hash, slot)
			}
		}

		impl sp_api::Core<Block> for Runtime {
			fn version() -> RuntimeVersion {
				VERSION
			}

			fn execute_block(block: <Block as BlockT>::LazyBlock) {
				Executive::execute_block(block)
			}

			fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
				Executive::initialize_block(header)
			}
		}

		impl sp_api::Metadata<Block> for Runtime {
			fn metadata() -> OpaqueMetadata {
				OpaqueMetadata::new(Runtime::metadata().into())
			}

			fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
				Runtime::metadata_at_version(version)
			}

			fn metadata_versions() -> Vec<u32> {
				Runtime::metadata_versions()
			}
		}

		impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
			fn execute_view_function(
				id: frame_support::view_functions::ViewFunctionId,
				input: Vec<u8>,
			) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
				Runtime::execute_view_function(id, input)
			}
		}

		impl sp_block_builder::BlockBuilder<Block> for Runtime {
			fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
				Executive::apply_extrinsic(extrinsic)
			}

			fn finalize_block() -> <Block as BlockT>::Header {
				Executive::finalize_block()
			}

			fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
				crate::construct::create_inherent_extrinsics(data)
			}

			fn check_inherents(
				block: <Block as BlockT>::LazyBlock,
				data: sp_inherents::InherentData,
			) -> sp_inherents::CheckInherentsResult {
				crate::construct::check_inherent_extrinsics(&block, data)
			}
		}

		impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
			fn validate_transaction(
				source: TransactionSource,
				tx: <Block as BlockT>::Extrinsic,
				block_hash: <Block as BlockT>::Hash,
			) -> TransactionValidity {
				Executive::validate_transaction(source, tx, block_hash)
			}
		}

		impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
			fn offchain_worker(header: &<Block as BlockT>::Header) {
				Executive::offchain_worker(header)
			}
		}

		impl sp_session::SessionKeys<Block> for Runtime {
			fn generate_session_keys(owner: Vec<u8>, seed: Option<Vec<u8>>) -> sp_session::OpaqueGeneratedSessionKeys {
				SessionKeys::generate(&owner, seed).into()
			}

			fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
				SessionKeys::decode_into_raw_public_keys(&encoded)
			}
		}

		impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
			fn account_nonce(account: AccountId) -> Nonce {
				System::account_nonce(account)
			}
		}

		impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
			fn query_info(
				uxt: <Block as BlockT>::Extrinsic,
				len: u32,
			) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
				TransactionPayment::query_info(uxt, len)
			}
			fn query_fee_details(
				uxt: <Block as BlockT>::Extrinsic,
				len: u32,
			) -> pallet_transaction_payment::FeeDetails<Balance> {
				TransactionPayment::query_fee_details(uxt, len)
			}
			fn query_weight_to_fee(weight: Weight) -> Balance {
				TransactionPayment::weight_to_fee(weight)
			}
			fn query_length_to_fee(length: u32) -> Balance {
				TransactionPayment::length_to_fee(length)
			}
		}

		impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
			for Runtime
		{
			fn query_call_info(
				call: RuntimeCall,
				len: u32,
			) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
				TransactionPayment::query_call_info(call, len)
			}
			fn query_call_fee_details(
				call: RuntimeCall,
				len: u32,
			) -> pallet_transaction_payment::FeeDetails<Balance> {
				TransactionPayment::query_call_fee_details(call, len)
			}
			fn query_weight_to_fee(weight: Weight) -> Balance {
				TransactionPayment::weight_to_fee(weight)
			}
			fn query_length_to_fee(length: u32) -> Balance {
				TransactionPayment::length_to_fee(length)
			}
		}

		impl cumulus_primitives_core::CollectCollationInfo<Block> for Runtime {
			fn collect_collation_info(header: &<Block as BlockT>::Header) -> cumulus_primitives_core::CollationInfo {
				ParachainSystem::collect_collation_info(header)
			}
		}

		// Try-runtime runs off chain and panics on purpose, with a backtrace, when a check fails.
		#[cfg(feature = "try-runtime")]
		#[allow(clippy::unwrap_used)]
		impl frame_try_runtime::TryRuntime<Block> for Runtime {
			fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
				use crate::configs::RuntimeBlockWeights;
				let weight = Executive::try_runtime_upgrade(checks).unwrap();
				(weight, RuntimeBlockWeights::get().max_block)
			}

			fn execute_block(
				block: <Block as BlockT>::LazyBlock,
				state_root_check: bool,
				signature_check: bool,
				select: frame_try_runtime::TryStateSelect,
			) -> Weight {
				Executive::try_execute_block(block, state_root_check, signature_check, select).unwrap()
			}
		}

		#[cfg(feature = "runtime-benchmarks")]
		impl frame_benchmarking::Benchmark<Block> for Runtime {
			fn benchmark_metadata(extra: bool) -> (
				Vec<frame_benchmarking::BenchmarkList>,
				Vec<polkadot_sdk::frame_support::traits::StorageInfo>,
			) {
				use frame_benchmarking::BenchmarkList;
				use polkadot_sdk::frame_support::traits::StorageInfoTrait;
				use frame_system_benchmarking::Pallet as SystemBench;
				use cumulus_pallet_session_benchmarking::Pallet as SessionBench;
				use crate::*;

				let mut list = Vec::<BenchmarkList>::new();
				list_benchmarks!(list, extra);

				let storage_info = AllPalletsWithSystem::storage_info();
				(list, storage_info)
			}

			#[allow(non_local_definitions)]
			fn dispatch_benchmark(
				config: frame_benchmarking::BenchmarkConfig
			) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
				use frame_benchmarking::{BenchmarkError, BenchmarkBatch};
				use crate::*;

				use frame_system_benchmarking::Pallet as SystemBench;
				impl frame_system_benchmarking::Config for Runtime {
					fn setup_set_code_requirements(code: &Vec<u8>) -> Result<(), BenchmarkError> {
						ParachainSystem::initialize_for_set_code_benchmark(code.len() as u32);
						Ok(())
					}

					fn verify_set_code() {
						System::assert_last_event(cumulus_pallet_parachain_system::Event::<Runtime>::ValidationFunctionStored.into());
					}
				}

				use cumulus_pallet_session_benchmarking::Pallet as SessionBench;
				impl cumulus_pallet_session_benchmarking::Config for Runtime {
					fn generate_session_keys_and_proof(owner: AccountId) -> (SessionKeys, Vec<u8>) {
						use codec::Encode;
						let generated = SessionKeys::generate(&owner.encode(), None);
						(generated.keys, generated.proof.encode())
					}
				}

				use polkadot_sdk::frame_support::traits::WhitelistedStorageKeys;
				let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();

				let mut batches = Vec::<BenchmarkBatch>::new();
				let params = (&config, &whitelist);
				add_benchmarks!(params, batches);

				if batches.is_empty() { return Err("Benchmark not found for this pallet.".into()) }
				Ok(batches)
			}
		}

		impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
			fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
				build_state::<RuntimeGenesisConfig>(config)
			}

			fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
				get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
			}

			fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
				crate::genesis_config_presets::preset_names()
			}
		}
	}
}
pub use generated::*;

#[allow(unused_imports)]
use BlockNumber as _;
