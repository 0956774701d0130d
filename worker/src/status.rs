//! `pouw status` and `pouw accounts`: what the chain says about tasks and accounts, as text
//! tables or JSON, read through the `PouwApi` runtime API and storage.

use anyhow::{anyhow, Result};
use pouw_primitives::TaskId;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, time::Duration};

use crate::{
	chain::{self, AccountId, Balances, BlockNumber, Chain, Phase},
	chain::{format_amount, format_delta},
	ml::spec_text,
};

/// An account's balances and reputation at one moment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountSnapshot {
	/// A name for tables (`//Alice` or the address).
	pub label: String,
	/// SS58.
	pub address: String,
	/// Free and held.
	pub balances: Balances,
	/// Worker, evaluator, sponsor reputation in parts per million.
	pub reputation: [u32; 3],
}

/// Accounts at one block, with the total issuance (fees are burned, so its change is the fees).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
	/// The block read.
	pub block: BlockNumber,
	/// Total issuance of the native token.
	pub total_issuance: chain::Balance,
	/// The accounts, the treasury last.
	pub accounts: Vec<AccountSnapshot>,
}

/// Balances and reputation of each `(label, account)` and of the treasury.
pub async fn snapshot(chain: &Chain, accounts: &[(String, AccountId)]) -> Result<Snapshot> {
	let block = chain.block_number().await?;
	let total_issuance = chain.total_issuance().await?;
	let treasury = chain.treasury().await?;
	let mut all: Vec<(String, AccountId)> =
		accounts.iter().filter(|(_, a)| *a != treasury).cloned().collect();
	all.push(("treasury".into(), treasury));
	Ok(Snapshot { block, total_issuance, accounts: account_rows(chain, &all).await? })
}

async fn account_rows(
	chain: &Chain,
	accounts: &[(String, AccountId)],
) -> Result<Vec<AccountSnapshot>> {
	let mut out = Vec::new();
	for (label, account) in accounts {
		let balances = chain.balances(account).await?;
		let rep = chain.reputation(account).await?;
		out.push(AccountSnapshot {
			label: label.clone(),
			address: account.to_string(),
			balances,
			reputation: [
				rep.worker.deconstruct(),
				rep.evaluator.deconstruct(),
				rep.sponsor.deconstruct(),
			],
		});
	}
	Ok(out)
}

fn percent(parts_per_million: u32) -> String {
	format!("{:.2} %", f64::from(parts_per_million) / 10_000.0)
}

fn short(account: &[u8; 32], names: &BTreeMap<[u8; 32], String>) -> String {
	if let Some(name) = names.get(account) {
		return name.clone();
	}
	let s = AccountId::from(*account).to_string();
	format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

fn score_text(metric: pouw_primitives::Metric, score: Option<pouw_primitives::Score>) -> String {
	match score {
		None => "invalid".into(),
		Some(s) => match metric {
			pouw_primitives::Metric::Accuracy => format!("{:.4} %", s.to_f64() * 100.0),
			_ => format!("{:.6}", s.to_f64()),
		},
	}
}

/// One line per task.
pub async fn list(chain: &Chain, json: bool) -> Result<()> {
	let next = chain.next_task_id().await?;
	let mut rows = Vec::new();
	for id in 0..next.0 {
		if let Some((info, phase)) = chain.task(TaskId(id)).await? {
			rows.push((id, info, phase));
		}
	}
	if json {
		let value: Vec<_> = rows
			.iter()
			.map(|(id, info, phase)| {
				serde_json::json!({
					"task": id,
					"phase": phase,
					"status": info.status,
					"bounty": info.bounty.to_string(),
					"submissions": info.submissions,
					"revealed": info.revealed,
				})
			})
			.collect();
		println!("{}", serde_json::to_string_pretty(&value)?);
		return Ok(());
	}
	println!(
		"{:>5}  {:<12} {:<28} {:>12} {:>7} {:>8}",
		"task", "phase", "status", "bounty", "commits", "reveals"
	);
	for (id, info, phase) in rows {
		println!(
			"{:>5}  {:<12} {:<28} {:>12} {:>7} {:>8}",
			id,
			format!("{phase:?}"),
			format!("{:?}", info.status),
			format_amount(info.bounty),
			info.submissions,
			info.revealed
		);
	}
	Ok(())
}

/// Waits until `task` has ended, logging each phase change with its block; returns the blocks
/// at which each phase was first seen.
pub async fn wait_until_ended(
	chain: &Chain,
	task: TaskId,
	timeout: Duration,
) -> Result<Vec<(Phase, BlockNumber, std::time::Instant)>> {
	let deadline = tokio::time::Instant::now() + timeout;
	let mut seen: Vec<(Phase, BlockNumber, std::time::Instant)> = Vec::new();
	loop {
		let block = chain.block_number().await?;
		let (_, phase) =
			chain.task(task).await?.ok_or_else(|| anyhow!("task {} not found", task.0))?;
		if seen.last().map(|(p, _, _)| *p) != Some(phase) {
			eprintln!("[status] task {} is {:?} at block {}", task.0, phase, block);
			seen.push((phase, block, std::time::Instant::now()));
		}
		if phase == Phase::Ended {
			return Ok(seen);
		}
		if tokio::time::Instant::now() >= deadline {
			return Err(anyhow!("task {} still {:?} after {:?}", task.0, phase, timeout));
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Everything about one task: spec, phase, submissions with medians, each evaluator's scores,
/// the winner and payouts; with `before`, balance and reputation changes of those accounts.
pub async fn show(
	chain: &Chain,
	task: TaskId,
	json: bool,
	before: Option<&Snapshot>,
) -> Result<()> {
	let (info, phase) =
		chain.task(task).await?.ok_or_else(|| anyhow!("task {} not found", task.0))?;
	let submissions = chain.submissions(task).await?;
	let quorum = chain.quorum(task).await?;
	let scores = chain.revealed_scores(task).await?;
	let randomness = chain.randomness_source().await?;
	let block = chain.block_number().await?;
	let mut names: BTreeMap<[u8; 32], String> = BTreeMap::new();
	if let Some(before) = before {
		for s in &before.accounts {
			if let Ok(account) = chain::parse_account(&s.address) {
				names.insert(account.0, s.label.clone());
			}
		}
	}
	let (after, scan) = match before {
		Some(b) => {
			let accounts: Vec<(String, AccountId)> = b
				.accounts
				.iter()
				.filter_map(|s| chain::parse_account(&s.address).ok().map(|a| (s.label.clone(), a)))
				.collect();
			let after = Snapshot {
				block,
				total_issuance: chain.total_issuance().await?,
				accounts: account_rows(chain, &accounts).await?,
			};
			// Fees and the payout come from every block's events since `before`; a node that
			// prunes state (the default keeps 256 blocks) has discarded the older ones.
			let scan = match chain.scan(b.block.saturating_add(1), block, task).await {
				Ok(scan) => Some(scan),
				Err(e) => {
					eprintln!(
						"[status] fees and payout not shown: {e} (a node keeps the state of its \
						 last 256 blocks unless started with --state-pruning archive)"
					);
					None
				},
			};
			(Some(after), scan)
		},
		None => (None, None),
	};
	let fee_of = |address: &str| -> chain::Balance {
		let Some(scan) = &scan else { return 0 };
		chain::parse_account(address).ok().and_then(|a| scan.fees.get(&a.0).copied()).unwrap_or(0)
	};
	let metric = info.spec.metric;
	let w = info.spec.windows;

	if json {
		let value = serde_json::json!({
			"task": task.0,
			"block": block,
			"phase": phase,
			"status": info.status,
			"sponsor": AccountId::from(info.sponsor).to_string(),
			"bounty": info.bounty.to_string(),
			"model": spec_text::format(&info.spec.model),
			"metric": format!("{metric:?}"),
			"quorum_size": info.spec.quorum,
			"windows": {
				"created_at": info.created_at,
				"submission_end": w.submission_end,
				"reveal_end": w.reveal_end,
				"test_reveal_end": w.test_reveal_end,
				"score_commit_end": w.score_commit_end,
				"evaluation_end": w.evaluation_end,
			},
			"randomness_source": randomness,
			"quorum": quorum.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
			"submissions": submissions.iter().map(|s| serde_json::json!({
				"index": s.index.0,
				"worker": AccountId::from(s.worker).to_string(),
				"model_hash": s.model_hash.map(|h| format!("0x{}", hex::encode(h))),
				"median": s.median.map(|m| m.map(|x| x.0)),
			})).collect::<Vec<_>>(),
			"scores": scores.iter().map(|(who, list)| serde_json::json!({
				"evaluator": who.to_string(),
				"scores": list.iter().map(|(i, s)| (i.0, s.map(|x| x.0))).collect::<Vec<_>>(),
			})).collect::<Vec<_>>(),
			"winner": info.winner.as_ref().map(|win| serde_json::json!({
				"submission": win.submission.0,
				"worker": AccountId::from(win.worker).to_string(),
				"score": win.score.0,
				"model_uri": String::from_utf8_lossy(&win.model_uri),
				"model_hash": format!("0x{}", hex::encode(win.model_hash)),
			})),
			"before": before,
			"after": after,
			"payout": scan.as_ref().and_then(|s| s.payout),
			"fees": before.map(|b| b.accounts.iter().map(|a| (a.address.clone(), fee_of(&a.address).to_string())).collect::<BTreeMap<_, _>>()),
		});
		println!("{}", serde_json::to_string_pretty(&value)?);
		return Ok(());
	}

	println!("Task {} at block {}: {:?}, {:?}", task.0, block, phase, info.status);
	println!(
		"  sponsor {}  bounty {}  model {}  metric {:?}  quorum {}",
		short(&info.sponsor, &names),
		format_amount(info.bounty),
		spec_text::format(&info.spec.model),
		metric,
		info.spec.quorum
	);
	println!(
		"  blocks: created {}  open until {}  reveal until {}  test reveal until {}  score commit until {}  score reveal until {}",
		info.created_at, w.submission_end, w.reveal_end, w.test_reveal_end, w.score_commit_end, w.evaluation_end
	);
	println!("  quorum randomness: {randomness}");
	if !quorum.is_empty() {
		let members: Vec<String> = quorum.iter().map(|a| short(&a.0, &names)).collect();
		println!("  quorum: {}", members.join(", "));
	}
	println!();
	let evaluators: Vec<&(AccountId, Vec<_>)> = scores.iter().collect();
	print!("  {:<4} {:<10}", "sub", "worker");
	for (who, _) in &evaluators {
		print!(" {:>12}", short(&who.0, &names));
	}
	println!(" {:>12}", "median");
	let winner = info.winner.as_ref().map(|w| w.submission);
	for s in &submissions {
		print!("  {:<4} {:<10}", s.index.0, short(&s.worker, &names));
		for (_, list) in &evaluators {
			let cell = list
				.iter()
				.find(|(i, _)| *i == s.index)
				.map(|(_, score)| score_text(metric, *score))
				.unwrap_or_else(|| "-".into());
			print!(" {cell:>12}");
		}
		let median = match s.median {
			None if s.model_hash.is_none() => "not revealed".to_string(),
			None => "-".to_string(),
			Some(m) => score_text(metric, m),
		};
		let mark = if winner == Some(s.index) { "  <- winner" } else { "" };
		println!(" {median:>12}{mark}");
	}
	if let Some(win) = &info.winner {
		println!();
		println!(
			"  winner: submission {} by {} with {} ({})",
			win.submission.0,
			short(&win.worker, &names),
			score_text(metric, Some(win.score)),
			String::from_utf8_lossy(&win.model_uri)
		);
	}
	if let Some(payout) = scan.as_ref().and_then(|s| s.payout) {
		println!(
			"  paid at block {}: winner {}, evaluators {}, treasury {}",
			payout.block,
			format_amount(payout.winner_paid),
			format_amount(payout.evaluators_paid),
			format_amount(payout.treasury_paid)
		);
	}
	if let (Some(before), Some(after)) = (before, after) {
		println!();
		println!(
			"  {:<10} {:>12} {:>12} {:>11} {:>8} {:>10}  {:<24} {:<24}",
			"account",
			"before",
			"after",
			"change",
			"fees",
			"held",
			"worker reputation",
			"evaluator reputation"
		);
		for (b, a) in before.accounts.iter().zip(after.accounts.iter()) {
			println!(
				"  {:<10} {:>12} {:>12} {:>11} {:>8} {:>10}  {:<24} {:<24}",
				b.label,
				format_amount(b.balances.free + b.balances.held),
				format_amount(a.balances.free + a.balances.held),
				format_delta(b.balances.free + b.balances.held, a.balances.free + a.balances.held),
				format_amount(fee_of(&b.address)),
				format_amount(a.balances.held),
				format!("{} -> {}", percent(b.reputation[0]), percent(a.reputation[0])),
				format!("{} -> {}", percent(b.reputation[1]), percent(a.reputation[1])),
			);
		}
		println!(
			"  (before/after: free + held, in units; total issuance {} -> {}: fees are burned)",
			format_amount(before.total_issuance),
			format_amount(after.total_issuance)
		);
	}
	Ok(())
}
