//! Benchmarks (v2 syntax), worst cases: a full pool, a full quorum, every submission scored.

use super::*;
use frame::{benchmarking::prelude::*, token::fungible::Mutate};
use pouw_primitives::{commitment::scores_commitment, QuorumManager};

fn evaluator<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("evaluator", index, 0);
	let stake = T::MinEvaluatorStake::get();
	T::Currency::set_balance(&who, stake.saturating_mul(100u32.into()));
	who
}

fn registered<T: Config>(count: u32) -> Vec<T::AccountId> {
	(0..count)
		.map(|i| {
			let who = evaluator::<T>(i);
			let _ = Pallet::<T>::do_register(&who, T::MinEvaluatorStake::get());
			who
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_evaluator(p: Linear<0, { T::MaxEvaluators::get().saturating_sub(1) }>) {
		registered::<T>(p);
		let who = evaluator::<T>(p);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinEvaluatorStake::get());
		assert!(Evaluators::<T>::contains_key(&who));
	}

	#[benchmark]
	fn unregister_evaluator(
		p: Linear<1, { T::MaxEvaluators::get() }>,
	) -> Result<(), BenchmarkError> {
		let pool = registered::<T>(p);
		let who = pool.last().cloned().ok_or(BenchmarkError::Stop("empty pool"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		// It stays in the pool until it withdraws.
		assert!(matches!(
			Evaluators::<T>::get(&who).map(|info| info.status),
			Some(EvaluatorStatus::Leaving { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn withdraw_stake() -> Result<(), BenchmarkError> {
		// Worst case: the last of a full pool leaves it.
		let who = registered::<T>(T::MaxEvaluators::get())
			.pop()
			.ok_or(BenchmarkError::Stop("empty pool"))?;
		Pallet::<T>::do_unregister(&who)?;
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Evaluators::<T>::contains_key(&who));
		assert!(!Pool::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn commit_scores(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let task = TaskId(1);
		T::BenchmarkHelper::open_evaluation(task, 1);
		registered::<T>(q);
		let members = Pallet::<T>::draw_quorum(task, [7; 32], q, &[])
			.map_err(|_| BenchmarkError::Stop("quorum draw failed"))?;
		let who = members.last().cloned().ok_or(BenchmarkError::Stop("empty quorum"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, [1; 32]);
		assert!(ScoreCommitments::<T>::contains_key(task, &who));
		Ok(())
	}

	#[benchmark]
	fn reveal_scores(
		q: Linear<1, { T::MaxQuorum::get() }>,
		s: Linear<1, { T::MaxSubmissionsPerTask::get() }>,
	) -> Result<(), BenchmarkError> {
		let task = TaskId(1);
		let (commit_end, _) = T::BenchmarkHelper::open_evaluation(task, s);
		registered::<T>(q);
		let members = Pallet::<T>::draw_quorum(task, [7; 32], q, &[])
			.map_err(|_| BenchmarkError::Stop("quorum draw failed"))?;
		let who = members.last().cloned().ok_or(BenchmarkError::Stop("empty quorum"))?;
		let scores: ScoresOf<T> = T::Tasks::revealed_submissions(task)
			.into_iter()
			.map(|index| (index, Some(Score(900_000_000))))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Stop("too many submissions"))?;
		let salt = [3; 32];
		Pallet::<T>::do_commit_scores(&who, task, scores_commitment(&scores, &salt, &who))?;
		frame_system::Pallet::<T>::set_block_number(commit_end.saturating_add(One::one()));
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, scores, salt);
		assert!(RevealedScores::<T>::contains_key(task, &who));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::tests::new_test_ext(), crate::tests::Test);
}
