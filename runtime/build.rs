//! Builds the runtime's wasm blob with substrate-wasm-builder (set `SKIP_WASM_BUILD=1` to skip).
fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
