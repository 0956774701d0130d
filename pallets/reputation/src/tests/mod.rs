//! Mock runtime and helpers; tests split by topic.

use crate as pallet_reputation;
use crate::{InitialReputation, Reputation as Rep, Role};
use frame::testing_prelude::*;

mod decay;
mod outcomes;

pub type AccountId = u64;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_reputation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Workers and sponsors start neutral; evaluators start at 60 %, their eligibility threshold.
pub struct Initial;
impl InitialReputation for Initial {
	fn initial(role: Role) -> Rep {
		match role {
			Role::Evaluator => Rep::from_percent(60),
			Role::Worker | Role::Sponsor => Rep::from_percent(50),
		}
	}
}

parameter_types! {
	pub const Neutral: Rep = Rep::from_percent(50);
	pub const SuccessGain: Rep = Rep::from_percent(1);
	pub const FailurePenalty: Rep = Rep::from_percent(3);
	pub storage DecayPeriod: u64 = 100;
	pub const DecayPerPeriod: Rep = Rep::from_percent(10);
}

impl pallet_reputation::Config for Test {
	type InitialReputation = Initial;
	type Neutral = Neutral;
	type SuccessGain = SuccessGain;
	type FailurePenalty = FailurePenalty;
	type DecayPeriod = DecayPeriod;
	type DecayPerPeriod = DecayPerPeriod;
	type WeightInfo = ();
}

#[derive(Default)]
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build(self) -> TestState {
		let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut ext = TestState::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Reputation::do_try_state().unwrap();
		})
	}
}

/// `new_test_ext` for the benchmark test suite.
#[allow(dead_code)]
pub fn new_test_ext() -> TestState {
	ExtBuilder.build()
}

/// Advances to block `n`, running the hooks of every block on the way.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// The reputation events deposited so far, oldest first.
pub fn events() -> Vec<pallet_reputation::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Reputation(e) = r.event { Some(e) } else { None })
		.collect()
}

pub fn pct(p: u32) -> Rep {
	Rep::from_percent(p)
}

pub fn ppm(parts: u32) -> Rep {
	Rep::from_parts(parts)
}
