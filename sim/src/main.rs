//! `pouw-sim [--seed N] [--rounds N] [--pool N] [--strategy NAME]`: prints the adversarial
//! table.

use pouw_sim::{run, table, Params, Strategy};
use std::process::ExitCode;

fn main() -> ExitCode {
	let mut params = Params { seed: 1, rounds: 30, pool: 1 };
	let mut only: Option<String> = None;
	let mut args = std::env::args().skip(1);
	while let Some(arg) = args.next() {
		let mut value = |name: &str| match args.next() {
			Some(v) => Ok(v),
			None => Err(format!("{name} needs a value")),
		};
		let parsed = match arg.as_str() {
			"--seed" => value("--seed")
				.and_then(|v| v.parse().map_err(|e| format!("--seed: {e}")))
				.map(|v| params.seed = v),
			"--rounds" => value("--rounds")
				.and_then(|v| v.parse().map_err(|e| format!("--rounds: {e}")))
				.map(|v| params.rounds = v),
			"--pool" => value("--pool")
				.and_then(|v| v.parse().map_err(|e| format!("--pool: {e}")))
				.map(|v| params.pool = v),
			"--strategy" => value("--strategy").map(|v| only = Some(v)),
			"-h" | "--help" => {
				println!(
					"usage: pouw-sim [--seed N] [--rounds N] [--pool N] [--strategy SUBSTRING]"
				);
				println!("  --pool N: N times the evaluators, honest and attacking (default 1)");
				println!("strategies:");
				for s in Strategy::ALL {
					println!("  {}", s.name());
				}
				return ExitCode::SUCCESS;
			},
			other => Err(format!("unknown argument '{other}' (see --help)")),
		};
		if let Err(e) = parsed {
			eprintln!("pouw-sim: {e}");
			return ExitCode::from(2);
		}
	}
	let strategies: Vec<Strategy> = Strategy::ALL
		.into_iter()
		.filter(|s| only.as_deref().is_none_or(|o| s.name().contains(o)))
		.collect();
	if strategies.is_empty() {
		eprintln!("pouw-sim: no strategy matches (see --help)");
		return ExitCode::from(2);
	}
	println!(
		"pouw-sim: seed {}, {} rounds, pool x{}, 2 honest sponsors and 4 honest workers, quorum 3, bounty 100",
		params.seed, params.rounds, params.pool
	);
	let rows: Vec<_> = strategies.into_iter().map(|s| run(s, params)).collect();
	print!("{}", table(&rows));
	ExitCode::SUCCESS
}
