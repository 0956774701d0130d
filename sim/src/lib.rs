//! # pouw-sim: the task market against a rational adversary
//!
//! Runs the real pallets (in the mock runtime of [`runtime`]) for many rounds with a population
//! of honest sponsors, workers and evaluators, plus one attack [`Strategy`] at a time. Every
//! strategy is run twice on the same seed: once as the attack, once with the attacker's accounts
//! playing honestly (the counterfactual). The [`Row`] compares the two:
//!
//! - **attacker gain**: the attacker's accounts' balance (free + held) in the attack, minus in the
//!   counterfactual. Positive means the attack pays.
//! - **honest loss**: per honest role (sponsors, workers, evaluators), what the role's accounts
//!   together have less in the attack than in the counterfactual, summed over the roles (never
//!   negative per role). There are no fees in the mock, so this is the net loss beyond fees.
//! - **per account**: the same summed per honest account instead of per role. An attack that
//!   changes evaluators' reputations or stakes changes every later draw, so seats (and their
//!   pay) move between honest evaluators: this column counts the accounts that drew fewer seats
//!   as losers even when the honest evaluators together earned more. It shows how much moved.
//! - **attacker reputation**: the change of the attacker's reputation in the role it attacks
//!   with, over the run, in percentage points (sum over its accounts).
//! - **honest slashed**: how many times an honest evaluator lost stake in the attack.
//! - **honest tasks finalized**: tasks of honest sponsors that ended with a winner, in the attack.
//!
//! Honest evaluators are not perfect: each misses a task (never commits) with probability 1/32,
//! from the seed, identically in the attack and its counterfactual.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)] // off-chain simulation

pub mod runtime;

use codec::Encode;
use frame::{
	deps::frame_support::traits::{fungible::Inspect, PostInherents},
	prelude::*,
};
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment, unusable_commitment},
	Activation, DataShape, DatasetFormat, DatasetRef, Hash256, Metric, ModelSpec, Reputation,
	ReputationProvider, Role, Score, SubmissionIndex, TaskId, TaskSpec, Windows,
};
use runtime::*;
use std::collections::BTreeMap;

/// One attack, or none.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strategy {
	/// Nobody attacks: attack and counterfactual are the same run (a sanity row: all zeros).
	Honest,
	/// A third of the evaluator stake colludes with a weak worker: when drawn, it reveals
	/// `10^19` (far outside accuracy's range) for the friend and 0 for everyone else.
	ColludingOutOfRange,
	/// The same collusion within the metric's range: 1.0 for the friend, 0 for the others.
	ColludingInRange,
	/// The in-range collusion that also has its friend appeal every task it did not win,
	/// hoping the appeal quorum falls to the colluders (who then crown the friend and have the
	/// honest first quorum slashed as outliers).
	AppealAbuser,
	/// A third of the evaluator stake reveals random scores without evaluating anything.
	LazyEvaluator,
	/// A sponsor posts minimum-bounty tasks for 8 sybil workers with junk models and withholds
	/// the test set, so the bounty flows back to its sybils with reputation for each.
	ReputationFarmer,
	/// A sponsor reveals a test set that matches its commitment but cannot be used (empty, of
	/// the wrong width or never served): drawn evaluators cannot score, and are penalised.
	GriefingSponsor,
	/// 64 sybil workers (one with a 0.6 model, the rest junk) take every slot of every honest
	/// task before the honest workers commit, and reveal, so their bonds come back.
	SlotSquatter,
	/// The same 64 sybils, arriving once the market has run a third of its rounds: the
	/// honest workers have a record by then, and a commitment from a worker with more
	/// reputation displaces the lowest-reputation one when a task's slots are full.
	LateSlotSquatter,
	/// A sponsor with 4 evaluators posts tasks whose quorum (13) the pool fills only with them,
	/// then its evaluators leave, so the draw fails after the workers revealed: the models are
	/// public and the bounty comes back. When it cannot post such a task, it posts an honest
	/// one (quorum 3).
	FreeRidingSponsor,
	/// 16 sponsor accounts post 16 minimum-bounty tasks each (the per-sponsor cap) with windows
	/// months away: 256 tasks, which filled the old global cap of active tasks so that nobody
	/// else could post. There is no global cap now; each task holds a creation deposit.
	TaskSpammer,
}

impl Strategy {
	/// Every strategy, in table order.
	pub const ALL: [Strategy; 11] = [
		Strategy::Honest,
		Strategy::ColludingOutOfRange,
		Strategy::ColludingInRange,
		Strategy::AppealAbuser,
		Strategy::LazyEvaluator,
		Strategy::ReputationFarmer,
		Strategy::GriefingSponsor,
		Strategy::SlotSquatter,
		Strategy::LateSlotSquatter,
		Strategy::FreeRidingSponsor,
		Strategy::TaskSpammer,
	];

	/// The row's name.
	pub fn name(self) -> &'static str {
		match self {
			Strategy::Honest => "honest (no attacker)",
			Strategy::ColludingOutOfRange => "colluding third, score 10^19",
			Strategy::ColludingInRange => "colluding third, in range",
			Strategy::AppealAbuser => "colluding third, appeals all",
			Strategy::LazyEvaluator => "lazy third, random scores",
			Strategy::ReputationFarmer => "reputation farmer, 8 sybils",
			Strategy::GriefingSponsor => "griefing sponsor",
			Strategy::SlotSquatter => "slot squatter, 64 sybils",
			Strategy::LateSlotSquatter => "slot squatter, late (1/3)",
			Strategy::FreeRidingSponsor => "free-riding sponsor",
			Strategy::TaskSpammer => "task spammer, 16 accounts",
		}
	}
}

/// What a run is made of.
#[derive(Clone, Copy, Debug)]
pub struct Params {
	/// Seeds the randomness of the chain and of the agents.
	pub seed: u64,
	/// Rounds; each round every sponsor posts one task.
	pub rounds: u32,
	/// Scales the evaluator pool: this many times the honest evaluators and the attacker's
	/// (12 or 18 honest, 6 or 4 attacking, at 1).
	pub pool: u32,
}

/// One strategy's figures (see the crate docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
	/// The strategy.
	pub strategy: Strategy,
	/// Attacker's balance in the attack minus in the counterfactual.
	pub attacker_gain: i128,
	/// Attacker's reputation change over the attack, in percentage points.
	pub attacker_reputation: i64,
	/// Honest roles' net loss against the counterfactual (see the crate docs).
	pub honest_loss: u128,
	/// Honest accounts' losses against the counterfactual, summed per account.
	pub honest_loss_per_account: u128,
	/// Slashes of honest evaluators in the attack.
	pub honest_slashed: u32,
	/// Honest sponsors' tasks finalized with a winner, in the attack.
	pub honest_finalized: u32,
	/// Honest sponsors' tasks.
	pub honest_tasks: u32,
}

/// Runs `strategy` and its counterfactual; compares them.
pub fn run(strategy: Strategy, params: Params) -> Row {
	let attack = World::new(strategy, params, true).play();
	let baseline = World::new(strategy, params, false).play();
	let population = Population::of(strategy, params.pool);
	let mut attacker_gain = 0i128;
	let mut attacker_reputation = 0i64;
	for who in population.attackers() {
		attacker_gain += attack.balance[&who] as i128 - baseline.balance[&who] as i128;
		// Models made public to a sponsor are worth the bounty it offered for them.
		let models = |o: &Outcome| o.models_received.get(&who).copied().unwrap_or(0) as i128;
		attacker_gain += (models(&attack) - models(&baseline)) * BOUNTY as i128;
		attacker_reputation += attack.reputation_change[&who];
	}
	let change = |who: &AccountId| attack.balance[who] as i128 - baseline.balance[who] as i128;
	let mut honest_loss_per_account = 0u128;
	for who in population.honest() {
		honest_loss_per_account += (-change(&who)).max(0) as u128;
		if std::env::var_os("POUW_SIM_DEBUG").is_some() {
			eprintln!("{strategy:?} account {who}: {:+}", change(&who));
		}
	}
	let workers: Vec<AccountId> = population.honest_workers.iter().map(|(w, _)| *w).collect();
	let honest_loss = [&population.honest_sponsors, &workers, &population.honest_evaluators]
		.iter()
		.map(|role| (-role.iter().map(change).sum::<i128>()).max(0) as u128)
		.sum();
	Row {
		strategy,
		attacker_gain,
		attacker_reputation,
		honest_loss,
		honest_loss_per_account,
		honest_slashed: attack.honest_slashed,
		honest_finalized: attack.honest_finalized,
		honest_tasks: attack.honest_tasks,
	}
}

/// Accounts and their parts.
#[derive(Clone, Debug, Default)]
struct Population {
	honest_sponsors: Vec<AccountId>,
	/// Honest workers and the true accuracy of the model each trains.
	honest_workers: Vec<(AccountId, f64)>,
	honest_evaluators: Vec<AccountId>,
	attacker_sponsor: Option<AccountId>,
	/// The attacker's workers and their models' true accuracy.
	attacker_workers: Vec<(AccountId, f64)>,
	attacker_evaluators: Vec<AccountId>,
	/// The task spammer's sponsor accounts.
	spammers: Vec<AccountId>,
}

/// Each evaluator stakes two seats' worth.
const EVALUATOR_STAKE: Balance = 2 * MIN_STAKE;
const BOUNTY: Balance = 100 * UNIT;
const QUORUM: u32 = 3;
/// The free-riding sponsor's quorum: more than the honest evaluators of its row (12).
const FREE_RIDER_QUORUM: u32 = 13;
/// How often an honest evaluator misses a task.
const OFFLINE: f64 = 1.0 / 32.0;
/// Blocks per phase.
const PHASE: u64 = 4;

impl Population {
	fn of(strategy: Strategy, pool: u32) -> Self {
		let pool = pool.max(1);
		let mut p = Population {
			honest_sponsors: vec![1, 2],
			honest_workers: vec![(10, 0.90), (11, 0.85), (12, 0.80), (13, 0.70)],
			..Default::default()
		};
		let honest_evaluators = match strategy {
			Strategy::ColludingOutOfRange
			| Strategy::ColludingInRange
			| Strategy::AppealAbuser
			| Strategy::LazyEvaluator
			| Strategy::FreeRidingSponsor => 12,
			_ => 18,
		};
		p.honest_evaluators = (1_000..1_000 + honest_evaluators * u64::from(pool)).collect();
		let attacking = |n: u64| (2_000..2_000 + n * u64::from(pool)).collect::<Vec<_>>();
		match strategy {
			Strategy::Honest => {},
			Strategy::ColludingOutOfRange | Strategy::ColludingInRange | Strategy::AppealAbuser => {
				p.attacker_evaluators = attacking(6);
				p.attacker_workers = vec![(41, 0.50)];
			},
			Strategy::LazyEvaluator => p.attacker_evaluators = attacking(6),
			Strategy::ReputationFarmer => {
				p.attacker_sponsor = Some(40);
				p.attacker_workers = (41..49).map(|w| (w, 0.10)).collect();
			},
			Strategy::GriefingSponsor => p.attacker_sponsor = Some(40),
			Strategy::FreeRidingSponsor => {
				p.attacker_sponsor = Some(40);
				p.attacker_evaluators = attacking(4);
			},
			Strategy::TaskSpammer => p.spammers = (200..216).collect(),
			Strategy::SlotSquatter | Strategy::LateSlotSquatter => {
				p.attacker_workers =
					(100..164).map(|w| (w, if w == 100 { 0.6 } else { 0.1 })).collect();
			},
		}
		p
	}

	fn attackers(&self) -> Vec<AccountId> {
		let mut all: Vec<AccountId> = self.attacker_sponsor.into_iter().collect();
		all.extend(self.attacker_workers.iter().map(|(w, _)| *w));
		all.extend(&self.attacker_evaluators);
		all.extend(&self.spammers);
		all
	}

	fn honest(&self) -> Vec<AccountId> {
		let mut all = self.honest_sponsors.clone();
		all.extend(self.honest_workers.iter().map(|(w, _)| *w));
		all.extend(&self.honest_evaluators);
		all
	}

	fn everyone(&self) -> Vec<AccountId> {
		let mut all = self.honest();
		all.extend(self.attackers());
		all
	}

	fn quality(&self, worker: AccountId) -> f64 {
		self.honest_workers
			.iter()
			.chain(&self.attacker_workers)
			.find(|(w, _)| *w == worker)
			.map(|(_, q)| *q)
			.unwrap_or(0.0)
	}
}

/// What a finished run leaves.
struct Outcome {
	balance: BTreeMap<AccountId, Balance>,
	/// Per sponsor, its tasks at whose end at least one model was public.
	models_received: BTreeMap<AccountId, u32>,
	reputation_change: BTreeMap<AccountId, i64>,
	honest_slashed: u32,
	honest_finalized: u32,
	honest_tasks: u32,
}

/// One run: a chain, a population and whether the attacker attacks.
struct World {
	strategy: Strategy,
	params: Params,
	attacking: bool,
	population: Population,
}

/// A deterministic number in `[0, 1)` from the run's seed and what it is for.
fn unit_random(seed: u64, what: impl Encode) -> f64 {
	let hash = (seed, what).using_encoded(blake2_256);
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(&hash[..8]);
	(u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

fn score(x: f64) -> Score {
	Score::from_f64(x.clamp(0.0, 1.0)).unwrap_or_default()
}

fn model_hash(task: TaskId, worker: AccountId) -> Hash256 {
	(b"model", task, worker).using_encoded(blake2_256)
}

fn salt(task: TaskId, who: AccountId) -> [u8; 32] {
	(b"salt", task, who).using_encoded(blake2_256)
}

const TEST_HASH: Hash256 = [0x7e; 32];

fn uri(s: &str) -> pouw_primitives::Uri {
	s.as_bytes().to_vec().try_into().unwrap_or_default()
}

fn task_spec(now: u64, classes: u32) -> TaskSpec<u64> {
	TaskSpec {
		dataset: DatasetRef {
			uri: uri("http://127.0.0.1:8000/blob/train"),
			hash: [9; 32],
			format: DatasetFormat::Csv {
				label_column: b"label".to_vec().try_into().unwrap_or_default(),
			},
			shape: DataShape { samples: 1437, features: 64, classes },
		},
		test_samples: 360,
		model: ModelSpec::Mlp {
			inputs: 64,
			hidden: vec![32].try_into().unwrap_or_default(),
			outputs: classes,
			activation: Activation::Relu,
		},
		metric: Metric::Accuracy,
		min_score: None,
		windows: Windows {
			submission_end: now + PHASE,
			reveal_end: now + 2 * PHASE,
			test_reveal_end: now + 3 * PHASE,
			score_commit_end: now + 4 * PHASE,
			evaluation_end: now + 5 * PHASE,
		},
		quorum: QUORUM,
		min_worker_reputation: Reputation::zero(),
		parent: None,
	}
}

impl World {
	fn new(strategy: Strategy, params: Params, attacking: bool) -> Self {
		Self {
			strategy,
			params,
			attacking: attacking && strategy != Strategy::Honest,
			population: Population::of(strategy, params.pool),
		}
	}

	fn is_honest(&self, who: AccountId) -> bool {
		!self.population.attackers().contains(&who)
	}

	/// The role an attacker's account attacks with.
	fn role_of(&self, who: AccountId) -> Role {
		let p = &self.population;
		if p.honest_sponsors.contains(&who)
			|| p.attacker_sponsor == Some(who)
			|| p.spammers.contains(&who)
		{
			Role::Sponsor
		} else if p.honest_evaluators.contains(&who) || p.attacker_evaluators.contains(&who) {
			Role::Evaluator
		} else {
			Role::Worker
		}
	}

	fn play(self) -> Outcome {
		let everyone = self.population.everyone();
		let mut ext = genesis(&everyone);
		ext.execute_with(|| self.play_on_chain(&everyone))
	}

	fn play_on_chain(&self, everyone: &[AccountId]) -> Outcome {
		let p = &self.population;
		for who in p.honest_evaluators.iter().chain(&p.attacker_evaluators) {
			let _ = Verification::register_evaluator(RuntimeOrigin::signed(*who), EVALUATOR_STAKE);
		}
		let start_reputation: BTreeMap<AccountId, Reputation> = everyone
			.iter()
			.map(|a| {
				(
					*a,
					<runtime::Reputation as ReputationProvider<_>>::reputation(a, self.role_of(*a)),
				)
			})
			.collect();
		let mut events = Vec::new();
		let mut honest_tasks = Vec::new();
		if self.strategy == Strategy::TaskSpammer {
			// Honestly, the spammer's accounts take the same task ids back at once, so both
			// runs draw from the same seeds (a quorum's seed mixes in the task id).
			self.spam(!self.attacking);
		}
		for round in 0..self.params.rounds {
			let tasks = self.round(round, &mut events);
			honest_tasks.extend(tasks);
		}
		let balance = everyone.iter().map(|a| (*a, Balances::total_balance(a))).collect();
		let reputation_change = everyone
			.iter()
			.map(|a| {
				let now =
					<runtime::Reputation as ReputationProvider<_>>::reputation(a, self.role_of(*a));
				let before = start_reputation[a];
				let pp = (i64::from(now.deconstruct()) - i64::from(before.deconstruct())) / 10_000;
				(*a, pp)
			})
			.collect();
		let honest_slashed = events
			.iter()
			.filter(|e| {
				matches!(e, RuntimeEvent::Verification(pallet_verification::Event::EvaluatorPenalised { who, slashed, .. })
					if self.is_honest(*who) && *slashed > 0)
			})
			.count() as u32;
		let honest_finalized = honest_tasks
			.iter()
			.filter(|t| {
				pallet_task_registry::Tasks::<Sim>::get(**t)
					.is_some_and(|i| i.status == pallet_task_registry::TaskStatus::Finalized)
			})
			.count() as u32;
		// From the events: a pruned task no longer has a record.
		let mut sponsor_of = BTreeMap::new();
		let mut with_models = std::collections::BTreeSet::new();
		for event in &events {
			match event {
				RuntimeEvent::TaskRegistry(pallet_task_registry::Event::TaskCreated {
					task,
					sponsor,
					..
				}) => {
					sponsor_of.insert(*task, *sponsor);
				},
				RuntimeEvent::TaskRegistry(pallet_task_registry::Event::ModelRevealed {
					task,
					..
				}) => {
					with_models.insert(*task);
				},
				_ => {},
			}
		}
		let mut models_received = BTreeMap::new();
		for task in with_models {
			if let Some(sponsor) = sponsor_of.get(&task) {
				*models_received.entry(*sponsor).or_insert(0u32) += 1;
			}
		}
		Outcome {
			balance,
			models_received,
			reputation_change,
			honest_slashed,
			honest_finalized,
			// Every task an honest sponsor tried to post, refused ones included.
			honest_tasks: self.params.rounds * p.honest_sponsors.len() as u32,
		}
	}

	/// The task spammer fills every slot it can: 16 tasks per account, minimum bounty, windows
	/// spread over months (within the per-block bounds of deadlines and draws); `cancel`ling
	/// each at once is its honest counterpart.
	fn spam(&self, cancel: bool) {
		let now = System::block_number();
		let commitment = test_set_commitment(&TEST_HASH, &salt(TaskId(0), 0));
		let mut n = 0u64;
		for sponsor in &self.population.spammers {
			for _ in 0..16 {
				let start = now + 40_000 + n / 4;
				let mut spec = task_spec(now, 10);
				spec.windows = Windows {
					submission_end: start,
					reveal_end: start + 10_000,
					test_reveal_end: start + 20_000,
					score_commit_end: start + 30_000,
					evaluation_end: start + 40_000,
				};
				let task = pallet_task_registry::NextTaskId::<Sim>::get();
				let posted = TaskRegistry::create_task(
					RuntimeOrigin::signed(*sponsor),
					spec,
					commitment,
					MIN_BOUNTY,
				);
				if cancel && posted.is_ok() {
					let _ = TaskRegistry::cancel_task(RuntimeOrigin::signed(*sponsor), task);
				}
				n += 1;
			}
		}
	}

	/// Advances one block, keeping the events of the one that ends.
	fn advance(&self, events: &mut Vec<RuntimeEvent>) {
		events.extend(System::events().into_iter().map(|r| r.event));
		System::reset_events();
		let next = System::block_number() + 1;
		RandomSeed::set(&(self.params.seed, next).using_encoded(blake2_256));
		// As the executive does: `on_initialize`, then (no inherents here) the quorum draws.
		System::run_to_block_with::<AllPalletsWithSystem>(
			next,
			frame_system::RunToBlockHooks::default()
				.after_initialize(|_| <TaskRegistry as PostInherents>::post_inherents()),
		);
	}

	fn advance_to(&self, block: u64, events: &mut Vec<RuntimeEvent>) {
		while System::block_number() < block {
			self.advance(events);
		}
	}

	/// One round: every sponsor posts a task, workers train and submit, evaluators score, the
	/// hook settles. Returns the honest sponsors' tasks.
	fn round(&self, round: u32, events: &mut Vec<RuntimeEvent>) -> Vec<TaskId> {
		let p = &self.population;
		let now = System::block_number();
		let spec = task_spec(now, 10);
		let windows = spec.windows;
		let commitment = test_set_commitment(&TEST_HASH, &salt(TaskId(0), 0));
		let mut honest_tasks = Vec::new();
		// (task, sponsor, its workers)
		let mut tasks: Vec<(TaskId, AccountId, Vec<AccountId>)> = Vec::new();
		let honest_workers: Vec<AccountId> = p.honest_workers.iter().map(|(w, _)| *w).collect();
		for sponsor in &p.honest_sponsors {
			let task = pallet_task_registry::NextTaskId::<Sim>::get();
			if TaskRegistry::create_task(
				RuntimeOrigin::signed(*sponsor),
				spec.clone(),
				commitment,
				BOUNTY,
			)
			.is_ok()
			{
				let mut workers = honest_workers.clone();
				if matches!(
					self.strategy,
					Strategy::ColludingOutOfRange
						| Strategy::ColludingInRange
						| Strategy::AppealAbuser
				) {
					workers.extend(p.attacker_workers.iter().map(|(w, _)| *w));
				}
				let squats = match self.strategy {
					Strategy::SlotSquatter => true,
					Strategy::LateSlotSquatter => round >= self.params.rounds / 3,
					_ => false,
				};
				if squats && self.attacking {
					// The sybils commit first, in the task's first block.
					let mut first: Vec<AccountId> =
						p.attacker_workers.iter().map(|(w, _)| *w).collect();
					first.extend(workers);
					workers = first;
				}
				honest_tasks.push(task);
				tasks.push((task, *sponsor, workers));
			}
		}
		if let Some(sponsor) = p.attacker_sponsor {
			let (bounty, workers) = match self.strategy {
				Strategy::ReputationFarmer => {
					(MIN_BOUNTY, p.attacker_workers.iter().map(|(w, _)| *w).collect())
				},
				_ => (BOUNTY, honest_workers.clone()),
			};
			let task = pallet_task_registry::NextTaskId::<Sim>::get();
			let mut posted = false;
			if self.strategy == Strategy::FreeRidingSponsor {
				let mut big = spec.clone();
				big.quorum = FREE_RIDER_QUORUM;
				posted = TaskRegistry::create_task(
					RuntimeOrigin::signed(sponsor),
					big,
					commitment,
					bounty,
				)
				.is_ok();
				if posted && self.attacking {
					for who in &p.attacker_evaluators {
						let _ = Verification::unregister_evaluator(RuntimeOrigin::signed(*who));
					}
				}
			}
			posted = posted
				|| TaskRegistry::create_task(
					RuntimeOrigin::signed(sponsor),
					spec.clone(),
					commitment,
					bounty,
				)
				.is_ok();
			if posted {
				tasks.push((task, sponsor, workers));
			}
		}
		for (task, _, workers) in &tasks {
			for w in workers {
				let _ = TaskRegistry::commit_model(
					RuntimeOrigin::signed(*w),
					*task,
					model_commitment(&model_hash(*task, *w), &salt(*task, *w), w),
				);
			}
		}
		self.advance_to(windows.submission_end + 1, events);
		for (task, _, workers) in &tasks {
			for w in workers {
				let _ = TaskRegistry::reveal_model(
					RuntimeOrigin::signed(*w),
					*task,
					uri("http://127.0.0.1:9000/blob/model"),
					model_hash(*task, *w),
					salt(*task, *w),
				);
			}
		}
		self.advance_to(windows.reveal_end + 1, events);
		for (task, sponsor, _) in &tasks {
			let withholds = self.attacking
				&& self.strategy == Strategy::ReputationFarmer
				&& p.attacker_sponsor == Some(*sponsor);
			if !withholds {
				let _ = TaskRegistry::reveal_test_set(
					RuntimeOrigin::signed(*sponsor),
					*task,
					uri("http://127.0.0.1:8000/blob/test"),
					TEST_HASH,
					salt(TaskId(0), 0),
				);
			}
		}
		// The draw happens at the test-set reveal or at a fixed later block: wait for the
		// quorum, within the test-reveal window.
		let mut plans: Vec<(TaskId, AccountId, Vec<(SubmissionIndex, Option<Score>)>)> = Vec::new();
		let mut reports: Vec<(TaskId, AccountId)> = Vec::new();
		let mut planned: Vec<TaskId> = Vec::new();
		while System::block_number() <= windows.score_commit_end {
			for (task, sponsor, _) in &tasks {
				if planned.contains(task) {
					continue;
				}
				let Some(quorum) = pallet_verification::Quorums::<Sim>::get(*task) else {
					continue;
				};
				planned.push(*task);
				let revealed = TaskRegistry::revealed(*task);
				let unusable = self.attacking
					&& self.strategy == Strategy::GriefingSponsor
					&& p.attacker_sponsor == Some(*sponsor);
				for who in quorum.members.iter() {
					if unusable && self.is_honest(*who) {
						// Nothing to score against: an honest evaluator says so (it stayed
						// silent, and was slashed for it, before the *unusable* verdict).
						let _ = Verification::commit_scores(
							RuntimeOrigin::signed(*who),
							*task,
							unusable_commitment(&salt(*task, *who), who),
						);
						reports.push((*task, *who));
						continue;
					}
					if let Some(scores) =
						self.scores_of(*task, *who, &quorum.members, &revealed, unusable)
					{
						let _ = Verification::commit_scores(
							RuntimeOrigin::signed(*who),
							*task,
							scores_commitment(&scores, &salt(*task, *who), who),
						);
						plans.push((*task, *who, scores));
					}
				}
			}
			self.advance(events);
		}
		self.advance_to(windows.score_commit_end + 1, events);
		for (task, who) in reports {
			let _ =
				Verification::reveal_unusable(RuntimeOrigin::signed(who), task, salt(task, who));
		}
		for (task, who, scores) in plans {
			let _ = Verification::reveal_scores(
				RuntimeOrigin::signed(who),
				task,
				scores.try_into().unwrap_or_default(),
				salt(task, who),
			);
		}
		self.advance_to(windows.evaluation_end + 1, events);
		self.appeals(&tasks, &spec, events);
		let (_, appeal_end) = TaskRegistry::appeal_windows(&spec);
		self.advance_to(appeal_end + 3, events);
		if std::env::var_os("POUW_SIM_DEBUG").is_some() {
			for (task, sponsor, _) in &tasks {
				let info = pallet_task_registry::Tasks::<Sim>::get(*task);
				eprintln!(
					"{:?} attacking={} task {task:?} sponsor {sponsor}: {:?} winner {:?} quorum {:?}",
					self.strategy,
					self.attacking,
					info.as_ref().map(|i| i.status),
					info.and_then(|i| i.winner).map(|w| (w.worker, w.score)),
					pallet_verification::Quorums::<Sim>::get(*task).map(|q| q.members.to_vec()),
				);
			}
		}
		honest_tasks
	}

	/// The appeal window: each honest worker checks the first quorum's finding on its own
	/// model and on the model it crowns against their true scores (the test set and the models
	/// are public by now) and appeals a false one; the appeal quorum then scores the task again.
	fn appeals(
		&self,
		tasks: &[(TaskId, AccountId, Vec<AccountId>)],
		spec: &TaskSpec<u64>,
		events: &mut Vec<RuntimeEvent>,
	) {
		let p = &self.population;
		let griefed = |sponsor: AccountId| {
			self.attacking
				&& self.strategy == Strategy::GriefingSponsor
				&& p.attacker_sponsor == Some(sponsor)
		};
		for (task, sponsor, _) in tasks {
			if griefed(*sponsor) {
				// The workers fetch the test set too: it is unusable, as the quorum found.
				continue;
			}
			let Some(quorum) = pallet_verification::Quorums::<Sim>::get(*task) else { continue };
			let findings: Vec<(AccountId, Option<Option<Score>>)> = TaskRegistry::revealed(*task)
				.into_iter()
				.map(|(index, s)| (s.worker, first_finding(*task, &quorum.members, index)))
				.collect();
			// The model these findings crown (accuracy: higher is better; ties: earliest).
			let mut leader: Option<(AccountId, Score)> = None;
			for (worker, finding) in &findings {
				if let Some(Some(found)) = finding {
					if leader.is_none_or(|(_, best)| *found > best) {
						leader = Some((*worker, *found));
					}
				}
			}
			let right = |worker: AccountId, finding: Option<Option<Score>>| {
				finding == Some(Some(score(p.quality(worker))))
			};
			if self.attacking && self.strategy == Strategy::AppealAbuser {
				// The friend appeals every finding that does not crown it.
				for (friend, _) in &p.attacker_workers {
					if leader.is_none_or(|(l, _)| l != *friend) {
						let _ = TaskRegistry::appeal(RuntimeOrigin::signed(*friend), *task);
					}
				}
			}
			for (worker, finding) in &findings {
				if !self.is_honest(*worker) {
					continue;
				}
				// Its own model, and the one crowned (it scores both on the public test set).
				let wrong = !right(*worker, *finding)
					|| leader.is_some_and(|(l, found)| !right(l, Some(Some(found))));
				if wrong {
					let _ = TaskRegistry::appeal(RuntimeOrigin::signed(*worker), *task);
				}
			}
		}
		let (commit_end, _) = TaskRegistry::appeal_windows(spec);
		let draw_at = spec.windows.evaluation_end + runtime::APPEAL_WINDOW + 1;
		self.advance_to(draw_at + 1, events);
		let mut plans = Vec::new();
		for (task, _, _) in tasks {
			let Some(appeal) = pallet_verification::AppealQuorums::<Sim>::get(*task) else {
				continue;
			};
			let revealed = TaskRegistry::revealed(*task);
			for who in appeal.members.iter() {
				if let Some(scores) = self.scores_of(*task, *who, &appeal.members, &revealed, false)
				{
					let _ = Verification::commit_scores(
						RuntimeOrigin::signed(*who),
						*task,
						scores_commitment(&scores, &salt(*task, *who), who),
					);
					plans.push((*task, *who, scores));
				}
			}
		}
		self.advance_to(commit_end + 1, events);
		for (task, who, scores) in plans {
			let _ = Verification::reveal_scores(
				RuntimeOrigin::signed(who),
				task,
				scores.try_into().unwrap_or_default(),
				salt(task, who),
			);
		}
	}

	/// What evaluator `who` of the quorum `members` reveals for `task`, or `None` when it stays
	/// silent.
	fn scores_of(
		&self,
		task: TaskId,
		who: AccountId,
		members: &[AccountId],
		revealed: &[(SubmissionIndex, pallet_task_registry::Submission<Sim>)],
		unusable: bool,
	) -> Option<Vec<(SubmissionIndex, Option<Score>)>> {
		let p = &self.population;
		let honest_scores = || {
			revealed.iter().map(|(i, s)| (*i, Some(score(p.quality(s.worker))))).collect::<Vec<_>>()
		};
		if self.is_honest(who) || !self.attacking {
			if unusable {
				// Nothing to score against: an honest evaluator cannot reveal a score.
				return None;
			}
			if self.is_honest(who)
				&& unit_random(self.params.seed, (b"offline", task, who)) < OFFLINE
			{
				return None;
			}
			return Some(honest_scores());
		}
		if self.strategy == Strategy::FreeRidingSponsor {
			// Its evaluators left to fail the draw; drawn anyway, they have nothing to gain.
			return None;
		}
		let friend: Vec<AccountId> = p.attacker_workers.iter().map(|(w, _)| *w).collect();
		if matches!(
			self.strategy,
			Strategy::ColludingOutOfRange | Strategy::ColludingInRange | Strategy::AppealAbuser
		) {
			// A rational colluder deviates only where it holds a majority of the seats (the
			// quorum is public); elsewhere it plays honest to keep its stake and reputation.
			let seats = members.iter().filter(|m| p.attacker_evaluators.contains(m)).count();
			if seats * 2 <= members.len() {
				return Some(honest_scores());
			}
		}
		Some(match self.strategy {
			Strategy::ColludingOutOfRange => revealed
				.iter()
				.map(|(i, s)| {
					(
						*i,
						Some(if friend.contains(&s.worker) {
							Score(10u64.pow(19))
						} else {
							Score(0)
						}),
					)
				})
				.collect(),
			Strategy::ColludingInRange | Strategy::AppealAbuser => revealed
				.iter()
				.map(|(i, s)| (*i, Some(score(if friend.contains(&s.worker) { 1.0 } else { 0.0 }))))
				.collect(),
			Strategy::LazyEvaluator => revealed
				.iter()
				.map(|(i, _)| {
					(*i, Some(score(unit_random(self.params.seed, (b"lazy", task, who, *i)))))
				})
				.collect(),
			_ => honest_scores(),
		})
	}
}

/// The first quorum's finding on `submission`, as the chain aggregates it: `Some(Some(median))`
/// when a strict majority of the drawn `members` revealed a score within the tolerance of the
/// median, `Some(None)` when a strict majority found it invalid, `None` when neither.
fn first_finding(
	task: TaskId,
	members: &[AccountId],
	submission: SubmissionIndex,
) -> Option<Option<Score>> {
	let entries: Vec<Option<Score>> = members
		.iter()
		.filter_map(|who| pallet_verification::RevealedScores::<Sim>::get(task, who))
		.map(|scores| scores.iter().find(|(i, _)| *i == submission).and_then(|(_, s)| *s))
		.collect();
	let majority = members.len() / 2 + 1;
	let mut valid: Vec<u64> = entries.iter().flatten().map(|s| s.0).collect();
	valid.sort_unstable();
	let median = pouw_primitives::median(&valid);
	let agreeing = entries
		.iter()
		.flatten()
		.filter(|s| median.is_some_and(|m| runtime::ScoreTolerance::get().agree(**s, Score(m))))
		.count();
	if agreeing >= majority {
		return Some(median.map(Score));
	}
	if entries.iter().filter(|e| e.is_none()).count() >= majority {
		return Some(None);
	}
	None
}

/// The table, one line per row.
pub fn table(rows: &[Row]) -> String {
	let mut out = format!(
		"{:<30} {:>15} {:>12} {:>14} {:>12} {:>9} {:>11}\n",
		"strategy",
		"attacker gain",
		"attacker rep",
		"honest loss",
		"per account",
		"slashed",
		"finalized"
	);
	for r in rows {
		out.push_str(&format!(
			"{:<30} {:>15.4} {:>+12} {:>14.4} {:>12.4} {:>9} {:>11}\n",
			r.strategy.name(),
			r.attacker_gain as f64 / UNIT as f64,
			r.attacker_reputation,
			r.honest_loss as f64 / UNIT as f64,
			r.honest_loss_per_account as f64 / UNIT as f64,
			r.honest_slashed,
			format!("{}/{}", r.honest_finalized, r.honest_tasks),
		));
	}
	out
}
