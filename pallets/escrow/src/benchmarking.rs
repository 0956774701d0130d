//! Benchmarks of the escrow operations (v2 syntax). Each measures the worst case: the owner's
//! ledger entry exists before and after, and payouts go to an account that did not exist.

use super::*;
use crate::impls::Escrow as _;
use frame::{
	benchmarking::prelude::*,
	token::fungible::{Inspect, Mutate},
};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::Currency::minimum_balance().saturating_mul(1_000_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

fn unit<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance().saturating_mul(10u32.into())
}

fn with_treasury<T: Config>() {
	T::Currency::set_balance(&T::Treasury::get(), T::Currency::minimum_balance());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn hold() -> Result<(), BenchmarkError> {
		let who = funded::<T>("sponsor", 0);
		Pallet::<T>::hold(TaskId(1), &who, HoldReason::TaskBounty, unit::<T>())?;
		#[block]
		{
			Pallet::<T>::hold(TaskId(1), &who, HoldReason::TaskBounty, unit::<T>())?;
		}
		assert_eq!(
			Pallet::<T>::held(TaskId(1), &who, HoldReason::TaskBounty),
			unit::<T>().saturating_mul(2u32.into())
		);
		Ok(())
	}

	#[benchmark]
	fn release_to() -> Result<(), BenchmarkError> {
		let who = funded::<T>("sponsor", 0);
		let payee: T::AccountId = account("payee", 0, 0);
		Pallet::<T>::hold(
			TaskId(1),
			&who,
			HoldReason::TaskBounty,
			unit::<T>().saturating_mul(2u32.into()),
		)?;
		#[block]
		{
			Pallet::<T>::release_to(TaskId(1), &who, HoldReason::TaskBounty, &payee, unit::<T>())?;
		}
		assert_eq!(T::Currency::balance(&payee), unit::<T>());
		Ok(())
	}

	#[benchmark]
	fn refund() -> Result<(), BenchmarkError> {
		let who = funded::<T>("worker", 0);
		Pallet::<T>::hold(
			TaskId(1),
			&who,
			HoldReason::WorkerBond,
			unit::<T>().saturating_mul(2u32.into()),
		)?;
		#[block]
		{
			Pallet::<T>::refund(TaskId(1), &who, HoldReason::WorkerBond, unit::<T>())?;
		}
		assert_eq!(Pallet::<T>::held(TaskId(1), &who, HoldReason::WorkerBond), unit::<T>());
		Ok(())
	}

	#[benchmark]
	fn slash() -> Result<(), BenchmarkError> {
		with_treasury::<T>();
		let who = funded::<T>("worker", 0);
		Pallet::<T>::hold(
			TaskId(1),
			&who,
			HoldReason::WorkerBond,
			unit::<T>().saturating_mul(2u32.into()),
		)?;
		#[block]
		{
			Pallet::<T>::slash(TaskId(1), &who, HoldReason::WorkerBond, unit::<T>())?;
		}
		assert_eq!(Pallet::<T>::held(TaskId(1), &who, HoldReason::WorkerBond), unit::<T>());
		Ok(())
	}

	#[benchmark]
	fn stake() -> Result<(), BenchmarkError> {
		let who = funded::<T>("evaluator", 0);
		Pallet::<T>::stake(&who, unit::<T>())?;
		#[block]
		{
			Pallet::<T>::stake(&who, unit::<T>())?;
		}
		assert_eq!(Pallet::<T>::staked(&who), unit::<T>().saturating_mul(2u32.into()));
		Ok(())
	}

	#[benchmark]
	fn unstake() -> Result<(), BenchmarkError> {
		let who = funded::<T>("evaluator", 0);
		Pallet::<T>::stake(&who, unit::<T>().saturating_mul(2u32.into()))?;
		#[block]
		{
			Pallet::<T>::unstake(&who, unit::<T>())?;
		}
		assert_eq!(Pallet::<T>::staked(&who), unit::<T>());
		Ok(())
	}

	#[benchmark]
	fn slash_stake() -> Result<(), BenchmarkError> {
		with_treasury::<T>();
		let who = funded::<T>("evaluator", 0);
		Pallet::<T>::stake(&who, unit::<T>().saturating_mul(2u32.into()))?;
		#[block]
		{
			Pallet::<T>::slash_stake(&who, unit::<T>())?;
		}
		assert_eq!(Pallet::<T>::staked(&who), unit::<T>());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::tests::new_test_ext(), crate::tests::Test);
}
