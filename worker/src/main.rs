//! `pouw`: the command line of the pouw off-chain engine (see [`cli`]).

mod cli;

fn main() -> anyhow::Result<()> {
	cli::run()
}
