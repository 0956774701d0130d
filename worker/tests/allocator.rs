//! The allocator settings: a large buffer freed and allocated again comes from memory the
//! process kept, not from fresh pages (what made a CNN's scoring chunks fault in every page;
//! `pouw_worker::ml::allocator`). Its own test binary without the test harness: the settings
//! are process-wide and must come before any thread starts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

/// The process's minor page faults so far (`/proc/self/stat`, field 10).
fn minor_faults() -> u64 {
	let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
	// The command name (field 2) is in parentheses and may hold spaces: count after it.
	let after = &stat[stat.rfind(')').unwrap() + 2..];
	after.split_whitespace().nth(7).unwrap().parse().unwrap()
}

/// Allocates and writes `bytes` bytes, then frees them; the page faults that took.
fn faults_of_a_buffer(bytes: usize) -> u64 {
	let before = minor_faults();
	let buffer = vec![1u8; bytes];
	std::hint::black_box(&buffer);
	drop(buffer);
	minor_faults() - before
}

/// `harness = false` (Cargo.toml): the settings are made first thing in `main`, as `pouw`
/// does, before any other thread exists; the buffers are then allocated on a spawned thread, as
/// the daemons score and train in `spawn_blocking` threads.
fn main() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	{
		pouw_worker::ml::allocator::keep_freed_memory();
		std::thread::spawn(a_freed_scoring_buffer_is_reused_without_new_page_faults)
			.join()
			.unwrap();
		println!("test a_freed_scoring_buffer_is_reused_without_new_page_faults ... ok");
		// libtest's closing line, which scripts/test.sh's summary counts.
		println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
	}
}

fn a_freed_scoring_buffer_is_reused_without_new_page_faults() {
	const BYTES: usize = 64 << 20; // a CNN's im2col chunk is larger; glibc's mmap cap is 32 MiB
	let first = faults_of_a_buffer(BYTES);
	let again: Vec<u64> = (0..3).map(|_| faults_of_a_buffer(BYTES)).collect();
	// 64 MiB is 16,384 pages of 4 KiB (32 of 2 MiB with transparent huge pages): a buffer from
	// fresh pages faults at least 32 times, a reused one a handful at most.
	assert!(first >= 32, "the first buffer took only {first} faults: is the test measuring?");
	for (i, faults) in again.iter().enumerate() {
		assert!(*faults < 16, "allocation {} after a free took {faults} page faults", i + 2);
	}
}
