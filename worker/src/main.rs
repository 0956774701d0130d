//! `pouw`: the command line of the pouw off-chain engine (see [`cli`]).

mod cli;

fn main() -> anyhow::Result<()> {
	pouw_worker::ml::allocator::keep_freed_memory();
	cli::run()
}
