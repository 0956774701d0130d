//! Mock runtime and helpers; tests split by topic.

use crate as pallet_escrow;
use frame::{deps::frame_support::traits::fungible::Inspect, testing_prelude::*};
use polkadot_sdk::pallet_balances;

mod holds;
mod invariants;
mod stakes;

pub type AccountId = u64;
pub type Balance = u64;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const TREASURY: AccountId = 99;
/// Has no account before a test pays it.
pub const NOBODY: AccountId = 1000;
pub const ED: Balance = 10;
pub const INITIAL: Balance = 1_000;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type ExistentialDeposit = ConstU64<ED>;
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Treasury = Treasury;
	type WeightInfo = ();
}

/// Builds test externalities: ALICE to DAVE hold [`INITIAL`], the treasury the existential
/// deposit.
pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(ALICE, INITIAL),
				(BOB, INITIAL),
				(CHARLIE, INITIAL),
				(DAVE, INITIAL),
				(TREASURY, ED),
			],
		}
	}
}

impl ExtBuilder {
	pub fn build(self) -> TestState {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> { balances: self.balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = TestState::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the escrow invariants and that total issuance did not change.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			let issuance = Balances::total_issuance();
			test();
			Escrow::do_try_state().unwrap();
			assert_eq!(Balances::total_issuance(), issuance, "total issuance changed");
		})
	}
}

/// `new_test_ext` for the benchmark test suite.
#[allow(dead_code)]
pub fn new_test_ext() -> TestState {
	ExtBuilder::default().build()
}

/// Advances to block `n`, running the hooks of every block on the way.
#[allow(dead_code)]
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// The escrow events deposited so far, oldest first.
pub fn events() -> Vec<pallet_escrow::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Escrow(e) = r.event { Some(e) } else { None })
		.collect()
}

pub fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

pub fn on_hold(reason: pallet_escrow::HoldReason, who: AccountId) -> Balance {
	use frame::deps::frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::Escrow(reason), &who)
}
