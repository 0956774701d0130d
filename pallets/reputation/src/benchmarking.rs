//! Benchmarks (v2 syntax). Worst case: an existing record many periods old, so decay runs.

use super::*;
use frame::benchmarking::prelude::*;

fn aged_record<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("worker", 0, 0);
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	Pallet::<T>::record(&who, Role::Worker, Outcome::Success);
	let later = T::DecayPeriod::get().saturating_mul(1_000u32.into()).saturating_add(1u32.into());
	frame_system::Pallet::<T>::set_block_number(later);
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn record() {
		let who = aged_record::<T>();
		#[block]
		{
			Pallet::<T>::record(&who, Role::Worker, Outcome::Failure);
		}
		assert!(Reputations::<T>::contains_key(&who, Role::Worker));
	}

	#[benchmark]
	fn reputation() {
		let who = aged_record::<T>();
		let value;
		#[block]
		{
			value = Pallet::<T>::reputation(&who, Role::Worker);
		}
		assert!(value <= Reputation::one());
	}

	impl_benchmark_test_suite!(Pallet, crate::tests::new_test_ext(), crate::tests::Test);
}
