//! Chain specs by name, built from the runtime's genesis presets and its embedded wasm:
//! `dev` (one collator, Alice; for `--dev`) and `local` (Alice and Bob, on `rococo-local`, for
//! zombienet). Anything else is read as a chain-spec file.

use polkadot_sdk::{
	polkadot_omni_node_lib::chain_spec::{
		DiskChainSpecLoader, Extensions, GenericChainSpec, LoadSpec,
	},
	sc_chain_spec::ChainSpec,
	sc_service::ChainType,
};

/// Loads the built-in chain specs by name.
pub struct PouwChainSpecLoader;

fn properties() -> serde_json::Map<String, serde_json::Value> {
	let mut properties = serde_json::Map::new();
	properties.insert("tokenSymbol".into(), "POUW".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn built_in(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
	relay_chain: &str,
) -> Result<Box<dyn ChainSpec>, String> {
	let wasm = pouw_runtime::WASM_BINARY
		.ok_or("this pouw-node was built without the runtime wasm (SKIP_WASM_BUILD was set)")?;
	Ok(Box::new(
		GenericChainSpec::builder(
			wasm,
			Extensions::new(relay_chain.into(), pouw_runtime::PARACHAIN_ID),
		)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build(),
	))
}

impl LoadSpec for PouwChainSpecLoader {
	fn load_spec(&self, id: &str) -> Result<Box<dyn ChainSpec>, String> {
		match id {
			"" | "dev" => built_in(
				"pouw development",
				"pouw_dev",
				ChainType::Development,
				"development",
				"rococo-local",
			),
			"local" => built_in(
				"pouw local testnet",
				"pouw_local",
				ChainType::Local,
				"local_testnet",
				"rococo-local",
			),
			path => DiskChainSpecLoader.load_spec(path),
		}
	}
}
