//! The daemons' long steps (a worker's download and training, an evaluator's downloads and
//! scoring) as background jobs, one per task, so that a task whose step takes minutes never holds
//! back another task's commit or reveal: the poll loop starts a job and moves on, and picks up
//! the result at a later look. A job that fails is started again after a backoff that doubles,
//! up to a number of attempts; then the failure is final and the caller records its reason.
//!
//! At most `at_once` jobs of one [`Jobs`] run at a time (the others wait their turn in the
//! order they were started): the CPU and the memory budget are the machine's, not a task's, so
//! 32 trainings or scorings started side by side would each take 32 times as long and need 32
//! budgets. A job that ends wakes the daemon ([`job_ended`]) so it commits without waiting out
//! its poll interval.

use anyhow::{anyhow, Result};
use std::{
	collections::HashMap,
	future::Future,
	sync::{Arc, LazyLock, Mutex, MutexGuard},
	time::{Duration, Instant},
};
use tokio::{
	sync::{Notify, Semaphore},
	task::JoinHandle,
};

static ENDED: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Completes when a job has ended since the last call (at once if one ended meanwhile).
pub async fn job_ended() {
	ENDED.notified().await
}

/// How failed jobs are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
	/// The wait after the first failure; each further failure doubles it.
	pub first: Duration,
	/// The longest wait.
	pub max: Duration,
	/// Attempts in all, the first included; after the last failure the error is final.
	pub attempts: u32,
}

impl Backoff {
	/// The daemons' default: 5 s, 10 s, 20 s, 40 s between five attempts (a network hiccup or a
	/// restarting server is retried; a file that does not parse is given up in about a minute).
	pub const DEFAULT: Self =
		Self { first: Duration::from_secs(5), max: Duration::from_secs(60), attempts: 5 };

	/// The wait after the `failures`-th failure (1-based).
	pub fn delay(&self, failures: u32) -> Duration {
		let doubling = failures.saturating_sub(1).min(16);
		self.first.saturating_mul(1u32 << doubling).min(self.max)
	}
}

/// Where a task's job stands at a look.
#[derive(Debug)]
pub enum Poll<T> {
	/// No job was running: one was started now.
	Started,
	/// The job is still running.
	Running,
	/// The job failed before and waits out its backoff until then.
	Waiting(Instant),
	/// The job ended with this (a failure is already counted for the next attempt).
	Ready(Result<T>),
	/// The job failed `attempts` times: this was its last error.
	GaveUp(anyhow::Error),
}

struct Failures {
	count: u32,
	next_try: Instant,
	last: String,
}

/// One background job per task id, with retries. Shared by the steps of several tasks at once
/// (`&self`): each step locks it only to look at or change its own task's entry.
pub struct Jobs<T> {
	backoff: Backoff,
	/// One permit a running job; a started job waits for one before it does anything.
	turns: Arc<Semaphore>,
	/// Keys whose job ended since [`Jobs::take_ended`] was last called.
	ended: Arc<Mutex<Vec<u64>>>,
	inner: Mutex<Inner<T>>,
}

struct Inner<T> {
	running: HashMap<u64, JoinHandle<Result<T>>>,
	failures: HashMap<u64, Failures>,
}

impl<T: Send + 'static> Jobs<T> {
	/// No jobs yet; at most `at_once` (at least 1) will run at a time.
	pub fn new(backoff: Backoff, at_once: usize) -> Self {
		Self {
			backoff,
			turns: Arc::new(Semaphore::new(at_once.max(1))),
			ended: Arc::default(),
			inner: Mutex::new(Inner { running: HashMap::new(), failures: HashMap::new() }),
		}
	}

	fn inner(&self) -> MutexGuard<'_, Inner<T>> {
		self.inner.lock().unwrap_or_else(|e| e.into_inner())
	}

	/// The job of `key`: its result once it has ended, else starts it with `start` (unless it
	/// waits out a backoff or has used its attempts). Never waits for a running job.
	pub async fn poll<F, Fut>(&self, key: u64, start: F) -> Poll<T>
	where
		F: FnOnce() -> Fut,
		Fut: Future<Output = Result<T>> + Send + 'static,
	{
		let finished = {
			let mut inner = self.inner();
			match inner.running.remove(&key) {
				Some(handle) if !handle.is_finished() => {
					inner.running.insert(key, handle);
					return Poll::Running;
				},
				Some(handle) => Some(handle),
				None => None,
			}
		};
		if let Some(handle) = finished {
			// Finished: the await returns at once (no lock is held across it).
			let result =
				handle.await.map_err(|e| anyhow!("job of task {key}: {e}")).and_then(|r| r);
			let mut inner = self.inner();
			return match result {
				Ok(value) => {
					inner.failures.remove(&key);
					Poll::Ready(Ok(value))
				},
				Err(e) => {
					let count = inner.failures.get(&key).map_or(0, |f| f.count).saturating_add(1);
					let next_try = Instant::now() + self.backoff.delay(count);
					inner
						.failures
						.insert(key, Failures { count, next_try, last: format!("{e:#}") });
					if count >= self.backoff.attempts {
						Poll::GaveUp(e)
					} else {
						Poll::Ready(Err(e))
					}
				},
			};
		}
		let mut inner = self.inner();
		if let Some(f) = inner.failures.get(&key) {
			if f.count >= self.backoff.attempts {
				return Poll::GaveUp(anyhow!("{} (after {} attempts)", f.last, f.count));
			}
			if Instant::now() < f.next_try {
				return Poll::Waiting(f.next_try);
			}
		}
		let (turns, ended, job) = (self.turns.clone(), self.ended.clone(), start());
		inner.running.insert(
			key,
			tokio::spawn(async move {
				let _turn = turns.acquire_owned().await.map_err(|e| anyhow!("{e}"))?;
				let result = job.await;
				ended.lock().unwrap_or_else(|e| e.into_inner()).push(key);
				// A permit stays stored when nobody waits: the daemon's next wait ends at once.
				ENDED.notify_one();
				result
			}),
		);
		Poll::Started
	}

	/// The keys whose job ended since the last call.
	pub fn take_ended(&self) -> Vec<u64> {
		std::mem::take(&mut *self.ended.lock().unwrap_or_else(|e| e.into_inner()))
	}

	/// Whether a job of `key` is running now.
	pub fn is_running(&self, key: u64) -> bool {
		self.inner().running.contains_key(&key)
	}

	/// Forgets `key`: aborts its running job (a task that is over), drops its failures.
	pub fn forget(&self, key: u64) {
		let mut inner = self.inner();
		if let Some(handle) = inner.running.remove(&key) {
			handle.abort();
		}
		inner.failures.remove(&key);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	};
	use tokio::sync::oneshot;

	const FAST: Backoff =
		Backoff { first: Duration::from_millis(40), max: Duration::from_millis(80), attempts: 3 };

	#[test]
	fn the_backoff_doubles_up_to_its_maximum() {
		let b = Backoff::DEFAULT;
		let waits: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
		assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
		assert_eq!(b.delay(u32::MAX), b.max);
	}

	#[tokio::test]
	async fn a_long_job_never_holds_back_the_look_at_another_task() {
		// Before, a daemon trained inside its look at a task: a task whose training took longer
		// than another task's reveal window cost that other task its reveal (and the bond).
		let jobs: Jobs<&'static str> = Jobs::new(FAST, 4);
		let (release, wait) = oneshot::channel::<()>();
		let slow = async move {
			wait.await.map_err(|_| anyhow!("dropped"))?;
			Ok("trained")
		};
		assert!(matches!(jobs.poll(1, || slow).await, Poll::Started));
		let look = tokio::time::timeout(Duration::from_secs(1), async {
			// Task 1 is still training: its look returns at once...
			assert!(matches!(jobs.poll(1, || async { Ok("never started") }).await, Poll::Running));
			// ... and task 2's quick step runs and ends meanwhile.
			assert!(matches!(jobs.poll(2, || async { Ok("revealed") }).await, Poll::Started));
			match settle(&jobs, 2).await {
				Poll::Ready(Ok(v)) => v,
				other => panic!("task 2: {other:?}"),
			}
		})
		.await
		.expect("a look at another task waited for the long job");
		assert_eq!(look, "revealed");
		assert!(jobs.is_running(1));
		release.send(()).unwrap();
		let result = match settle(&jobs, 1).await {
			Poll::Ready(r) => r.unwrap(),
			other => panic!("task 1: {other:?}"),
		};
		assert_eq!(result, "trained");
		assert!(!jobs.is_running(1));
	}

	/// Looks at `key`'s job until it is no longer running (never starts one).
	async fn settle<T: Send + 'static + std::fmt::Debug>(jobs: &Jobs<T>, key: u64) -> Poll<T> {
		loop {
			match jobs.poll(key, || async { Err(anyhow!("not started")) }).await {
				Poll::Running => tokio::time::sleep(Duration::from_millis(2)).await,
				other => return other,
			}
		}
	}

	#[tokio::test]
	async fn jobs_past_the_limit_wait_their_turn_and_an_ended_job_wakes_the_daemon() {
		// Before, every task's training (or scoring) ran at once: 32 of them on 2 cores each
		// took 32 times as long, all missing their windows, and each held its own memory.
		let jobs: Jobs<u32> = Jobs::new(FAST, 1);
		let (release, wait) = oneshot::channel::<()>();
		let second_ran = Arc::new(AtomicU32::new(0));
		jobs.poll(1, || async move {
			wait.await.map_err(|_| anyhow!("dropped"))?;
			Ok(1)
		})
		.await;
		let ran = second_ran.clone();
		let started = jobs
			.poll(2, || async move {
				ran.fetch_add(1, Ordering::SeqCst);
				Ok(2)
			})
			.await;
		assert!(matches!(started, Poll::Started));
		tokio::time::sleep(Duration::from_millis(100)).await;
		assert_eq!(second_ran.load(Ordering::SeqCst), 0, "ran beside the first job");
		assert!(matches!(jobs.poll(2, || async { Ok(0) }).await, Poll::Running));
		release.send(()).unwrap();
		// An ended job wakes a wait far shorter than a poll interval.
		tokio::time::timeout(Duration::from_secs(5), job_ended()).await.expect("no wake");
		assert!(matches!(settle(&jobs, 1).await, Poll::Ready(Ok(1))));
		assert!(matches!(settle(&jobs, 2).await, Poll::Ready(Ok(2))));
		assert_eq!(second_ran.load(Ordering::SeqCst), 1);
		// The daemon learns which tasks to look at (even idle ones), once.
		assert_eq!(jobs.take_ended(), [1, 2]);
		assert!(jobs.take_ended().is_empty());
	}

	#[tokio::test]
	async fn a_failed_job_is_retried_after_its_backoff_then_given_up() {
		// Before, any error while training (a download that timed out once) marked the task
		// done for good: the worker never tried again.
		let jobs: Jobs<()> = Jobs::new(FAST, 4);
		let tries = Arc::new(AtomicU32::new(0));
		let failing = |tries: Arc<AtomicU32>| {
			move || async move {
				tries.fetch_add(1, Ordering::SeqCst);
				Err::<(), _>(anyhow!("connection reset"))
			}
		};
		assert!(matches!(jobs.poll(7, failing(tries.clone())).await, Poll::Started));
		assert!(matches!(settle(&jobs, 7).await, Poll::Ready(Err(_))));
		// Within the backoff nothing starts.
		assert!(matches!(jobs.poll(7, failing(tries.clone())).await, Poll::Waiting(_)));
		assert_eq!(tries.load(Ordering::SeqCst), 1);
		tokio::time::sleep(FAST.delay(1)).await;
		assert!(matches!(jobs.poll(7, failing(tries.clone())).await, Poll::Started));
		assert!(matches!(settle(&jobs, 7).await, Poll::Ready(Err(_))));
		tokio::time::sleep(FAST.delay(2)).await;
		assert!(matches!(jobs.poll(7, failing(tries.clone())).await, Poll::Started));
		// The third failure is the last attempt: final, with its reason.
		match settle(&jobs, 7).await {
			Poll::GaveUp(e) => assert!(e.to_string().contains("connection reset")),
			other => panic!("{other:?}"),
		}
		tokio::time::sleep(FAST.max).await;
		match jobs.poll(7, failing(tries.clone())).await {
			Poll::GaveUp(e) => assert!(e.to_string().contains("after 3 attempts"), "{e}"),
			other => panic!("{other:?}"),
		}
		assert_eq!(tries.load(Ordering::SeqCst), 3);
	}

	#[tokio::test]
	async fn a_success_after_a_failure_clears_the_count_and_forget_aborts() {
		let jobs: Jobs<u32> = Jobs::new(FAST, 4);
		jobs.poll(3, || async { Err(anyhow!("timeout")) }).await;
		assert!(matches!(settle(&jobs, 3).await, Poll::Ready(Err(_))));
		tokio::time::sleep(FAST.delay(1)).await;
		jobs.poll(3, || async { Ok(42) }).await;
		assert!(matches!(settle(&jobs, 3).await, Poll::Ready(Ok(42))));
		// Two more failures do not give up: the earlier one was cleared by the success.
		for _ in 0..2 {
			tokio::time::sleep(FAST.max).await;
			jobs.poll(3, || async { Err(anyhow!("timeout")) }).await;
			assert!(matches!(settle(&jobs, 3).await, Poll::Ready(Err(_))));
		}
		// A task that is over: its job is aborted and forgotten.
		let (_keep, wait) = oneshot::channel::<()>();
		tokio::time::sleep(FAST.max).await;
		jobs.poll(4, || async move {
			let _ = wait.await;
			Ok(1)
		})
		.await;
		assert!(jobs.is_running(4));
		jobs.forget(4);
		assert!(!jobs.is_running(4));
		assert!(matches!(jobs.poll(4, || async { Ok(2) }).await, Poll::Started));
	}
}
