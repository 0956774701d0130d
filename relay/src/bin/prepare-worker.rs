//! The PVF prepare worker `polkadot` starts from its own folder to compile parachain
//! validation code; its version must equal the node's (checked at start).

polkadot_node_core_pvf_common::decl_worker_main!(
	"prepare-worker",
	polkadot_node_core_pvf_prepare_worker::worker_entrypoint,
	polkadot_cli::NODE_VERSION,
	env!("SUBSTRATE_CLI_COMMIT_HASH"),
);
