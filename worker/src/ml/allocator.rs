//! The process's allocator settings for tensor work.
//!
//! A forward pass over a scoring chunk (up to [`EVAL_BATCH`](super::inference::EVAL_BATCH) rows)
//! allocates buffers of tens of MiB (a CNN's im2col matrix: 1024 rows x 196 positions x 144
//! values, 115 MB) and frees them a moment later. glibc serves anything above its mmap threshold
//! (at most 32 MiB, 128 KiB to start) with `mmap` and returns it with `munmap`, so every chunk
//! paid fresh zeroed pages and, with the rayon threads on other cores, TLB shoot-downs between
//! them: `perf` on `pouw eval` of a CNN put 38 % of the time in the kernel (`native_write_msr`,
//! `smp_call_function_many_cond`, page faults). [`keep_freed_memory`] has glibc keep freed
//! memory for the next allocation instead: the same CNN scores 2.3 times as fast
//! (`docs/measurements.md`). The peak RSS does not grow: the next chunk reuses what the last one
//! freed.

/// Has the C allocator keep freed memory in the process rather than handing it back to the
/// kernel at once: no `mmap` for large blocks (they come from the heap, which is reused), no
/// trimming of the heap's top below 2 GiB, and one arena for every thread. The last is needed
/// because the daemons score and train in `spawn_blocking` threads: glibc's per-thread arenas
/// live in 64 MiB heaps and map anything larger with `mmap` whatever `M_MMAP_MAX` says (a
/// 64 MiB buffer freed on a test thread faulted in all its 16,385 pages again without it).
/// Measured beside it: no change in training throughput. Call it first thing in `main`,
/// before threads start. Only glibc needs it; elsewhere it does nothing.
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	// SAFETY: `mallopt` only sets glibc malloc parameters; it is called before any other
	// thread exists, and every value is in the range glibc documents.
	unsafe {
		libc::mallopt(libc::M_ARENA_MAX, 1);
		libc::mallopt(libc::M_MMAP_MAX, 0);
		libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
		libc::mallopt(libc::M_TOP_PAD, 64 << 20);
	}
}
