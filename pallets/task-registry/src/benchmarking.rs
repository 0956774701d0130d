//! Benchmarks (v2 syntax) with worst-case components: `s` revealed submissions and a quorum of
//! `q` evaluators who all commit and reveal scores. They need the real verification pallet
//! (`T: pallet_verification::Config`, with the registry as its `Tasks`), as in the runtime.
//!
//! [`VerificationBenchmarkHelper`] is the verification pallet's `BenchmarkHelper` for a runtime
//! with this registry.

use super::*;
use crate::{RevealedModel, Submission, TaskStatus, TestSet};
use alloc::vec::Vec;
use frame::{benchmarking::prelude::*, token::fungible::Mutate};
use pouw_primitives::{
	commitment::{model_commitment, scores_commitment, test_set_commitment},
	Activation, DataShape, DatasetFormat, DatasetRef, Metric, ModelSpec, Reputation, Score,
	Windows,
};

const TEST_HASH: Hash256 = [0x7e; 32];
const TEST_SALT: Salt = [0x5a; 32];

fn uri(text: &[u8]) -> Uri {
	text.to_vec().try_into().unwrap_or_default()
}

fn block<T: Config>(n: u32) -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number().saturating_add(n.into())
}

/// A valid spec whose windows start now: commit 10 blocks, reveal 10, test reveal 10, score
/// commit 10, score reveal 10.
fn spec<T: Config>(quorum: u32, parent: Option<TaskId>) -> TaskSpec<BlockNumberFor<T>> {
	TaskSpec {
		dataset: DatasetRef {
			uri: uri(b"http://127.0.0.1:8000/blob/train"),
			hash: [9; 32],
			format: DatasetFormat::Csv {
				label_column: b"label".to_vec().try_into().unwrap_or_default(),
			},
			shape: DataShape { samples: 1437, features: 64, classes: 10 },
		},
		test_samples: 360,
		model: ModelSpec::Mlp {
			inputs: 64,
			hidden: alloc::vec![32].try_into().unwrap_or_default(),
			outputs: 10,
			activation: Activation::Relu,
		},
		metric: Metric::Accuracy,
		min_score: None,
		windows: Windows {
			submission_end: block::<T>(10),
			reveal_end: block::<T>(20),
			test_reveal_end: block::<T>(30),
			score_commit_end: block::<T>(40),
			evaluation_end: block::<T>(50),
		},
		quorum: quorum.max(T::MinQuorum::get()),
		min_worker_reputation: Reputation::zero(),
		parent,
	}
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount =
		T::MinBounty::get().saturating_add(T::WorkerBond::get()).saturating_mul(1_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

fn model_hash(i: u32) -> Hash256 {
	(b"model", i).using_encoded(blake2_256)
}

/// Creates a task (registering evaluators enough for its quorum first) and has `s` workers
/// commit; returns the task, sponsor and workers.
fn task_with_commitments<T: Config + pallet_verification::Config>(
	s: u32,
	quorum: u32,
) -> Result<(TaskId, T::AccountId, Vec<T::AccountId>), BenchmarkError> {
	let sponsor = funded::<T>("sponsor", 0);
	let task = NextTaskId::<T>::get();
	let spec = spec::<T>(quorum, None);
	evaluators::<T>(spec.quorum)?;
	Pallet::<T>::do_create_task(
		sponsor.clone(),
		spec,
		test_set_commitment(&TEST_HASH, &TEST_SALT),
		T::MinBounty::get().saturating_mul(100u32.into()),
	)?;
	let mut workers = Vec::new();
	for i in 0..s {
		let worker = funded::<T>("worker", i);
		Pallet::<T>::do_commit_model(
			worker.clone(),
			task,
			model_commitment(&model_hash(i), &[i as u8; 32], &worker),
		)?;
		workers.push(worker);
	}
	Ok((task, sponsor, workers))
}

/// Sets the block number to one past the window `pick` chooses from the task's windows.
fn past<T: Config>(task: TaskId, pick: impl Fn(&Windows<BlockNumberFor<T>>) -> BlockNumberFor<T>) {
	if let Some(info) = Tasks::<T>::get(task) {
		frame_system::Pallet::<T>::set_block_number(
			pick(&info.spec.windows).saturating_add(One::one()),
		);
	}
}

fn reveal_all<T: Config>(task: TaskId, workers: &[T::AccountId]) -> DispatchResult {
	past::<T>(task, |w| w.submission_end);
	for (i, worker) in workers.iter().enumerate() {
		let i = i as u32;
		Pallet::<T>::do_reveal_model(
			worker.clone(),
			task,
			uri(b"http://127.0.0.1:9000/blob/model"),
			model_hash(i),
			[i as u8; 32],
		)?;
	}
	Ok(())
}

/// Registers `count` evaluators with the minimum stake (as many as the pool still takes).
fn evaluators<T: Config + pallet_verification::Config>(count: u32) -> Result<(), BenchmarkError> {
	let room = <T as pallet_verification::Config>::MaxEvaluators::get()
		.saturating_sub(pallet_verification::Pool::<T>::get().len() as u32);
	for i in 0..count.min(room) {
		let who: T::AccountId = account("evaluator", i, 0);
		let stake = <T as pallet_verification::Config>::MinEvaluatorStake::get();
		<T as pallet_verification::Config>::Currency::set_balance(
			&who,
			stake.saturating_mul(100u32.into()),
		);
		pallet_verification::Pallet::<T>::register_evaluator(RawOrigin::Signed(who).into(), stake)?;
	}
	Ok(())
}

fn quorum_bound<T: Config + pallet_verification::Config>() -> u32 {
	<T as Config>::MaxQuorum::get()
		.min(<T as pallet_verification::Config>::MaxQuorum::get())
		.min(<T as pallet_verification::Config>::MaxEvaluators::get())
}

/// The verification pallet's benchmark helper for a runtime with this registry: writes a task
/// in evaluation with `submissions` revealed models straight into storage.
pub struct VerificationBenchmarkHelper<T>(core::marker::PhantomData<T>);

impl<T: Config> pallet_verification::BenchmarkHelper<BlockNumberFor<T>>
	for VerificationBenchmarkHelper<T>
{
	fn open_evaluation(task: TaskId, submissions: u32) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		let sponsor: T::AccountId = account("sponsor", 0, 0);
		let mut spec = spec::<T>(1, None);
		// Only the score windows matter; put them ahead of now.
		spec.windows.score_commit_end = block::<T>(10);
		spec.windows.evaluation_end = block::<T>(20);
		let windows = (spec.windows.score_commit_end, spec.windows.evaluation_end);
		for i in 0..submissions {
			Submissions::<T>::insert(
				task,
				SubmissionIndex(i),
				Submission {
					worker: account("worker", i, 0),
					commitment: [0; 32],
					bond: Zero::zero(),
					committed_at: Zero::zero(),
					model: Some(RevealedModel { uri: uri(b"http://m"), hash: model_hash(i) }),
					slot_fee: Zero::zero(),
				},
			);
		}
		Tasks::<T>::insert(
			task,
			TaskInfo {
				sponsor,
				spec,
				bounty: Zero::zero(),
				test_set_commitment: [0; 32],
				created_at: Zero::zero(),
				status: TaskStatus::Active,
				submissions,
				next_submission: SubmissionIndex(submissions),
				revealed: submissions,
				test_set: Some(TestSet { uri: uri(b"http://t"), hash: TEST_HASH }),
				parent_model: None,
				winner: None,
				deposit: Zero::zero(),
				appeal: None,
			},
		);
		windows
	}
}

#[benchmarks(where T: pallet_verification::Config)]
mod benchmarks {
	use super::*;

	/// `p` evaluators in the pool, each read to count the eligible ones.
	#[benchmark]
	fn create_task(
		p: Linear<1, { <T as pallet_verification::Config>::MaxEvaluators::get() }>,
	) -> Result<(), BenchmarkError> {
		// Worst case: a parent to look up.
		let parent = NextTaskId::<T>::get();
		evaluators::<T>(p)?;
		let (_, _, workers) = task_with_commitments::<T>(1, 1)?;
		let first = workers.first().cloned().ok_or(BenchmarkError::Stop("no worker"))?;
		Tasks::<T>::mutate(parent, |info| {
			if let Some(info) = info {
				info.status = TaskStatus::Finalized;
				info.winner = Some(Winner {
					submission: SubmissionIndex(0),
					worker: first.clone(),
					model_uri: uri(b"http://m"),
					model_hash: model_hash(0),
					score: Score(1),
				});
			}
		});
		let sponsor = funded::<T>("sponsor", 1);
		let bounty = T::MinBounty::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), spec::<T>(1, Some(parent)), [1; 32], bounty);
		assert_eq!(NextTaskId::<T>::get(), TaskId(parent.0.saturating_add(2)));
		Ok(())
	}

	#[benchmark]
	fn cancel_task() -> Result<(), BenchmarkError> {
		let (task, sponsor, _) = task_with_commitments::<T>(0, 1)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), task);
		assert_eq!(Tasks::<T>::get(task).map(|t| t.status), Some(TaskStatus::Cancelled));
		Ok(())
	}

	/// The last free slot (the highest slot fee; no submission is read).
	#[benchmark]
	fn commit_model() -> Result<(), BenchmarkError> {
		let (task, _, _) = task_with_commitments::<T>(
			<T as Config>::MaxSubmissionsPerTask::get().saturating_sub(1),
			1,
		)?;
		let worker = funded::<T>("late-worker", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), task, [3; 32]);
		assert!(WorkerSubmission::<T>::contains_key(task, &worker));
		Ok(())
	}

	/// A full task of fresh workers; a worker with a record takes the latest one's slot.
	#[benchmark]
	fn commit_model_displacing() -> Result<(), BenchmarkError> {
		let (task, _, _) =
			task_with_commitments::<T>(<T as Config>::MaxSubmissionsPerTask::get(), 1)?;
		let worker = funded::<T>("known-worker", 0);
		for _ in 0..2 {
			<T as Config>::Reputation::record(
				&worker,
				pouw_primitives::Role::Worker,
				pouw_primitives::Outcome::Success,
			);
		}
		#[extrinsic_call]
		commit_model(RawOrigin::Signed(worker.clone()), task, [3; 32]);
		assert!(WorkerSubmission::<T>::contains_key(task, &worker));
		assert_eq!(
			Tasks::<T>::get(task).map(|t| t.submissions),
			Some(<T as Config>::MaxSubmissionsPerTask::get())
		);
		Ok(())
	}

	#[benchmark]
	fn reveal_model() -> Result<(), BenchmarkError> {
		let (task, _, workers) = task_with_commitments::<T>(1, 1)?;
		past::<T>(task, |w| w.submission_end);
		let worker = workers.first().cloned().ok_or(BenchmarkError::Stop("no worker"))?;
		#[extrinsic_call]
		_(
			RawOrigin::Signed(worker),
			task,
			uri(b"http://127.0.0.1:9000/blob/model"),
			model_hash(0),
			[0; 32],
		);
		assert_eq!(Tasks::<T>::get(task).map(|t| t.revealed), Some(1));
		Ok(())
	}

	#[benchmark]
	fn reveal_test_set(
		s: Linear<1, { <T as Config>::MaxSubmissionsPerTask::get() }>,
	) -> Result<(), BenchmarkError> {
		let q = quorum_bound::<T>();
		evaluators::<T>(<T as pallet_verification::Config>::MaxEvaluators::get())?;
		let (task, sponsor, workers) = task_with_commitments::<T>(s, q)?;
		reveal_all::<T>(task, &workers)?;
		past::<T>(task, |w| w.reveal_end);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(sponsor),
			task,
			uri(b"http://127.0.0.1:8000/blob/test"),
			TEST_HASH,
			TEST_SALT,
		);
		assert!(Tasks::<T>::get(task).and_then(|t| t.test_set).is_some());
		Ok(())
	}

	/// The hook's quorum draw over `p` evaluators for a full task whose workers are all
	/// excluded, the largest quorum.
	#[benchmark]
	fn draw_quorum(
		p: Linear<
			{ quorum_bound::<T>() },
			{ <T as pallet_verification::Config>::MaxEvaluators::get() },
		>,
	) -> Result<(), BenchmarkError> {
		let q = quorum_bound::<T>();
		evaluators::<T>(p)?;
		let (task, sponsor, workers) =
			task_with_commitments::<T>(<T as Config>::MaxSubmissionsPerTask::get(), q)?;
		reveal_all::<T>(task, &workers)?;
		past::<T>(task, |w| w.reveal_end);
		Pallet::<T>::do_reveal_test_set(sponsor, task, uri(b"http://t"), TEST_HASH, TEST_SALT)?;
		past::<T>(task, |w| w.test_reveal_end);
		frame_system::Pallet::<T>::note_inherents_applied();
		#[block]
		{
			Pallet::<T>::draw(task);
		}
		assert!(pallet_verification::Quorums::<T>::get(task).is_some());
		Ok(())
	}

	#[benchmark]
	fn finalize_task(
		s: Linear<1, { <T as Config>::MaxSubmissionsPerTask::get() }>,
		q: Linear<3, { quorum_bound::<T>() }>,
	) -> Result<(), BenchmarkError> {
		evaluators::<T>(q)?;
		let (task, sponsor, workers) = task_with_commitments::<T>(s, q)?;
		reveal_all::<T>(task, &workers)?;
		past::<T>(task, |w| w.reveal_end);
		Pallet::<T>::do_reveal_test_set(sponsor, task, uri(b"http://t"), TEST_HASH, TEST_SALT)?;
		// The draw runs after the block's inherents (which bring the relay randomness).
		frame_system::Pallet::<T>::note_inherents_applied();
		Pallet::<T>::draw(task);
		let members = pallet_verification::Quorums::<T>::get(task)
			.map(|quorum| quorum.members.to_vec())
			.unwrap_or_default();
		let scores: Vec<(SubmissionIndex, Option<Score>)> =
			(0..s).map(|i| (SubmissionIndex(i), Some(Score(u64::from(i))))).collect();
		let salt = [4; 32];
		for who in &members {
			pallet_verification::Pallet::<T>::commit_scores(
				RawOrigin::Signed(who.clone()).into(),
				task,
				scores_commitment(&scores, &salt, who),
			)?;
		}
		past::<T>(task, |w| w.score_commit_end);
		for who in &members {
			pallet_verification::Pallet::<T>::reveal_scores(
				RawOrigin::Signed(who.clone()).into(),
				task,
				scores.clone().try_into().map_err(|_| BenchmarkError::Stop("too many scores"))?,
				salt,
			)?;
		}
		// Unappealed: due after the appeal window.
		let appeal_end = Tasks::<T>::get(task)
			.map(|info| Pallet::<T>::appeal_end(&info.spec))
			.unwrap_or_default();
		frame_system::Pallet::<T>::set_block_number(appeal_end.saturating_add(One::one()));
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task);
		assert_eq!(Tasks::<T>::get(task).map(|t| t.status), Some(TaskStatus::Finalized));
		Ok(())
	}

	#[benchmark]
	fn prune_task(
		s: Linear<1, { <T as Config>::MaxSubmissionsPerTask::get() }>,
	) -> Result<(), BenchmarkError> {
		let (task, _, workers) = task_with_commitments::<T>(s, 1)?;
		past::<T>(task, |w| w.evaluation_end);
		Pallet::<T>::do_finalize_task(task)?;
		let _ = workers;
		#[block]
		{
			Pallet::<T>::prune(task);
		}
		assert_eq!(Submissions::<T>::iter_prefix(task).count(), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::tests::new_test_ext(), crate::tests::Test);
}
