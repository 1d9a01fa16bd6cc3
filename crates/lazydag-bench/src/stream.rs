//! The memory benchmark: a streaming reduction over many large blocks, each produced by a
//! task, summarized by the next task and merged into a running total as it goes.
//!
//! The graph: `acc_i = merge(acc_{i-1}, summarize(produce(i)))`. Every `produce` is ready at
//! once, so a scheduler that ran them eagerly would hold every block (8 GB at full size); one
//! that finishes a block before taking the next holds about `workers` blocks. Each runner runs
//! in its own child process (see `rss.rs`), which reports its `VmHWM`. A guard stops a runaway
//! case at [`CAP_BYTES`] of resident memory (the task panics, and the row says so) so that
//! the benchmark cannot take a shared machine down.
//!
//! Freed memory is not always returned to the kernel: glibc keeps a freed 8 MiB block in the
//! arena of the thread that freed it (after the first free its mmap threshold rises above the
//! block size), and every thread gets its own arena. So each case also runs with
//! [`MMAP_ENV`], which makes glibc map and unmap every block: that peak counts live blocks only,
//! and the difference is the allocator's, not the scheduler's.
//!
//! Invariant: the total is checked against its closed form (every value is a small integer,
//! so the `f64` sums are exact in any order).

use std::time::Instant;

use lazydag::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::Profile;
use crate::rss::{self, own_kib};
use crate::runner::Runner;

/// The hidden subcommand that runs one streaming case in a child.
pub(crate) const STREAM: &str = "__stream";

/// Resident memory at which a case is stopped: far above `workers x block`, far below RAM.
pub(crate) const CAP_BYTES: u64 = 4 << 30;

/// The environment that makes glibc map every block of 1 MiB or more on its own (and unmap it
/// when freed); ignored by other allocators.
pub(crate) const MMAP_ENV: (&str, &str) = ("MALLOC_MMAP_THRESHOLD_", "1048576");

/// How many blocks of how many bytes a profile streams.
pub(crate) fn params(profile: Profile) -> (u64, u64) {
    match profile {
        Profile::Full => (1_000, 8 << 20),
        Profile::Quick => (200, 8 << 20),
        Profile::Smoke => (16, 64 << 10),
    }
}

/// Block `i`: `len` values `j + i`. Panics (stopping the compute) past [`CAP_BYTES`].
fn produce(i: u64, len: u64) -> Vec<f64> {
    let resident = own_kib("VmRSS:") * 1024;
    assert!(resident < CAP_BYTES, "resident memory {resident} bytes passed the cap");
    (0..len).map(|j| (j + i) as f64).collect()
}

/// The sum of a block (consumed, so it is freed here).
fn summarize(block: Vec<f64>) -> f64 {
    lanes_sum(&block)
}

/// A sum in eight lanes, which the compiler vectorizes (a plain `f64` fold cannot be
/// reordered); exact for the integer-valued data of these benchmarks.
pub(crate) fn lanes_sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0_f64; 8];
    let chunks = values.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f64>() + tail
}

fn merge(total: f64, part: f64) -> f64 {
    total + part
}

/// The closed form of the total over `blocks` blocks of `len` values.
fn expected(blocks: u64, len: u64) -> f64 {
    (blocks * (len * (len - 1) / 2) + len * (blocks * (blocks - 1) / 2)) as f64
}

/// Records the streaming reduction.
fn build(blocks: u64, len: u64) -> Delayed<f64> {
    let mut total = delayed!(summarize(delayed!(produce(0_u64, len))));
    for i in 1..blocks {
        let part = delayed!(summarize(delayed!(produce(i, len))));
        total = delayed!(merge(total, part));
    }
    total
}

/// One streaming case, from its own process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StreamRss {
    pub(crate) runner: Runner,
    pub(crate) workers: usize,
    pub(crate) blocks: u64,
    pub(crate) block_bytes: u64,
    /// `VmHWM` before the compute (the process, the graph), KiB.
    pub(crate) before_kib: u64,
    /// `VmHWM` after the compute, KiB.
    pub(crate) peak_kib: u64,
    pub(crate) seconds: f64,
    /// The run was stopped at [`CAP_BYTES`] (its peak is then a lower bound).
    pub(crate) capped: bool,
    /// Ran with [`MMAP_ENV`]: every block mapped and unmapped on its own.
    #[serde(default)]
    pub(crate) mmap: bool,
}

impl StreamRss {
    /// How many blocks' worth the compute added to the resident set at its peak.
    pub(crate) fn blocks_held(&self) -> f64 {
        (self.peak_kib.saturating_sub(self.before_kib) * 1024) as f64 / self.block_bytes as f64
    }
}

/// Runs `runner` with `workers` on the profile's blocks in a child process, with
/// [`MMAP_ENV`] when `mmap`.
///
/// # Errors
/// As [`rss::child`].
pub(crate) fn measure(
    profile: Profile,
    runner: Runner,
    workers: usize,
    mmap: bool,
) -> Result<StreamRss, String> {
    let (blocks, bytes) = params(profile);
    let args =
        [STREAM, runner.name(), &workers.to_string(), &blocks.to_string(), &bytes.to_string()];
    let env: &[(&str, &str)] = if mmap { &[MMAP_ENV] } else { &[] };
    let mut result: StreamRss = rss::child(&args.map(str::to_owned), env)?;
    result.mmap = mmap;
    Ok(result)
}

/// The child's side of [`measure`]: `__stream RUNNER WORKERS BLOCKS BLOCK_BYTES`.
///
/// # Errors
/// Bad arguments, a failed compute (other than the cap) or a wrong total.
pub(crate) fn child(args: &[String]) -> Result<(), String> {
    let [runner, workers, blocks, bytes] = args else {
        return Err(format!("{STREAM} takes RUNNER WORKERS BLOCKS BLOCK_BYTES, not {args:?}"));
    };
    let runner = Runner::parse(runner).ok_or_else(|| format!("unknown runner {runner}"))?;
    let parse = |s: &String| s.parse::<u64>().map_err(|_| format!("not a count: {s}"));
    let (workers, blocks, block_bytes) = (parse(workers)? as usize, parse(blocks)?, parse(bytes)?);
    let len = block_bytes / 8;
    let scheduler = rss::scheduler(runner, workers);
    let graph = scheduler.is_some().then(|| build(blocks, len));
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(workers).build().map_err(|e| e.to_string())?;
    let before_kib = own_kib("VmHWM:");
    let start = Instant::now();
    let total = match (&scheduler, &graph) {
        (Some(s), Some(g)) => g.compute_with(&**s).map_err(|e| e.to_string()),
        _ => Ok(pool.install(|| {
            (0..blocks).into_par_iter().map(|i| summarize(produce(i, len))).sum::<f64>()
        })),
    };
    let seconds = start.elapsed().as_secs_f64();
    let capped = match total {
        Ok(total) if total == expected(blocks, len) => false,
        Ok(total) => {
            return Err(format!("streaming total {total}, expected {}", expected(blocks, len)));
        }
        Err(e) if e.contains("passed the cap") => true,
        Err(e) => return Err(e),
    };
    let peak_kib = own_kib("VmHWM:");
    let result = StreamRss {
        runner,
        workers,
        blocks,
        block_bytes,
        before_kib,
        peak_kib,
        seconds,
        capped,
        mmap: false,
    };
    println!("{}", serde_json::to_string(&result).map_err(|e| e.to_string())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reduction_matches_its_closed_form() {
        let (blocks, len) = (5, 1_003);
        assert_eq!(
            build(blocks, len).compute_with(&lazydag::scheduler::Sequential).unwrap(),
            expected(blocks, len)
        );
        assert_eq!(summarize(produce(2, 3)), 2.0 + 3.0 + 4.0);
    }
}
