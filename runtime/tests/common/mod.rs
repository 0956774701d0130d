//! Test externalities from the runtime's own genesis presets, blocks, and signed extrinsics
//! with real fees.
#![allow(dead_code)]

use codec::Encode;
use polkadot_sdk::{
	sp_core::Pair,
	sp_io::TestExternalities,
	sp_keyring::Sr25519Keyring,
	sp_runtime::{
		generic,
		traits::{Hash as _, Header as _},
		transaction_validity::TransactionValidityError,
		BuildStorage, DispatchError,
	},
	*,
};
use pouw_primitives::{
	Activation, DataShape, DatasetFormat, DatasetRef, Metric, ModelSpec, Reputation, TaskSpec,
	Windows,
};
use pouw_runtime::{
	genesis_config_presets, AccountId, Balance, Executive, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeGenesisConfig, System, TxExtension, UncheckedExtrinsic,
};

/// Merges a JSON patch into a JSON value, as chain-spec building does.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (k, v) in patch {
				merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The full genesis config of a preset (`"development"` or `"local_testnet"`).
pub fn genesis(preset: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let patch: serde_json::Value = serde_json::from_slice(&patch).unwrap();
	let mut full = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut full, patch);
	serde_json::from_value(full).expect("the merged preset is a valid genesis config")
}

std::thread_local! {
	/// Fees paid in blocks already left (`System::events` holds only the current block's).
	static PAST_FEES: std::cell::RefCell<std::collections::BTreeMap<AccountId, Balance>> =
		Default::default();
}

fn current_fees() -> Vec<(AccountId, Balance)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, .. },
			) => Some((who, actual_fee)),
			_ => None,
		})
		.collect()
}

/// Externalities at genesis of the `development` preset, with block 1 initialized.
pub fn new_ext() -> TestExternalities {
	PAST_FEES.with(|f| f.borrow_mut().clear());
	let storage = genesis("development").build_storage().unwrap();
	let mut ext = TestExternalities::new(storage);
	ext.execute_with(|| start_block(1));
	ext
}

/// Initializes block `n` through the executive (running every `on_initialize`).
pub fn start_block(n: u32) {
	for (who, fee) in current_fees() {
		PAST_FEES.with(|f| *f.borrow_mut().entry(who).or_default() += fee);
	}
	let parent = if n == 0 { Default::default() } else { System::block_hash(n - 1) };
	let header = pouw_runtime::Header::new(
		n,
		Default::default(),
		Default::default(),
		parent,
		Default::default(),
	);
	Executive::initialize_block(&header);
	// No inherents here; then what follows them (the task registry's quorum draws).
	Executive::inherents_applied();
	// The executive stores block hashes on finalization, which these tests skip (it needs the
	// relay-chain inherent); give each block a distinct hash for `CheckGenesis`/mortality.
	frame_system::BlockHash::<Runtime>::insert(
		n,
		polkadot_sdk::sp_runtime::traits::BlakeTwo256::hash_of(&n),
	);
}

/// Moves to block `n`, initializing every block on the way.
pub fn run_to_block(n: u32) {
	while System::block_number() < n {
		start_block(System::block_number() + 1);
	}
}

pub fn account(key: Sr25519Keyring) -> AccountId {
	key.to_account_id()
}

fn tx_extension(nonce: u32) -> TxExtension {
	cumulus_pallet_weight_reclaim::StorageWeightReclaim::new((
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
	))
}

/// Signs `call` as `who` with its current nonce and applies it through the executive, as a
/// block author would: validity checks, fees, dispatch. Returns the dispatch result.
pub fn submit(who: Sr25519Keyring, call: RuntimeCall) -> Result<(), DispatchError> {
	apply_signed(&who.pair(), call).expect("the transaction is valid")
}

/// Signs `call` with `pair` (its account's current nonce) and applies it through the executive:
/// `Err` when the block author would leave it out (e.g. `ExhaustsResources`: no room left in the
/// block), else the dispatch result.
pub fn apply_signed(
	pair: &sp_core::sr25519::Pair,
	call: RuntimeCall,
) -> Result<Result<(), DispatchError>, TransactionValidityError> {
	let account: AccountId = pair.public().into();
	let nonce = System::account_nonce(&account);
	let ext = tx_extension(nonce);
	let payload = generic::SignedPayload::new(call.clone(), ext.clone()).expect("implicit data");
	let signature = payload.using_encoded(|bytes| pair.sign(bytes));
	let xt = UncheckedExtrinsic::new_signed(call, account.into(), signature.into(), ext);
	Executive::apply_extrinsic(xt)
}

/// Fees `who` paid so far (from `TransactionFeePaid` events of every block).
pub fn fees_paid(who: &AccountId) -> Balance {
	let past = PAST_FEES.with(|f| f.borrow().get(who).copied().unwrap_or_default());
	past + current_fees()
		.into_iter()
		.filter(|(payer, _)| payer == who)
		.map(|(_, fee)| fee)
		.sum::<Balance>()
}

pub fn uri(s: &str) -> pouw_primitives::Uri {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// A digits task from block 1, every phase `MinPhaseBlocks` (8) long.
pub fn spec() -> TaskSpec<u32> {
	TaskSpec {
		dataset: DatasetRef {
			uri: uri("http://127.0.0.1:8000/blob/train"),
			hash: [9; 32],
			format: DatasetFormat::Csv { label_column: b"label".to_vec().try_into().unwrap() },
			shape: DataShape { samples: 1437, features: 64, classes: 10 },
		},
		test_samples: 360,
		model: ModelSpec::Mlp {
			inputs: 64,
			hidden: vec![32].try_into().unwrap(),
			outputs: 10,
			activation: Activation::Relu,
		},
		metric: Metric::Accuracy,
		min_score: None,
		windows: Windows {
			// Phases of `MinPhaseBlocks` (8) from block 1.
			submission_end: 9,
			reveal_end: 17,
			test_reveal_end: 25,
			score_commit_end: 33,
			evaluation_end: 41,
		},
		quorum: 3,
		min_worker_reputation: Reputation::zero(),
		parent: None,
	}
}
