//! Auto-batching runs many trivial items as a few tasks, and batches adapt to item cost.
//!
//! A stream (`map_iter`) runs each batch as one compute on its scheduler, so a counting
//! scheduler sees its batches. A collecting map (`map`) is one compute of `n_jobs` lanes that
//! take batches themselves: its batch sizes are checked by the unit tests of
//! `src/parallel/lane.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::scheduler::WorkStealing;
use lazydag::{Error, Plan, Scheduler, Value};
use lazydag_parallel::{BatchSize, Parallel};

/// A scheduler that counts the computes it runs for a wrapped one, and their outputs.
struct Counting {
    inner: WorkStealing,
    computes: AtomicUsize,
    outputs: AtomicUsize,
}

impl Scheduler for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        self.computes.fetch_add(1, Ordering::Relaxed);
        self.outputs.fetch_add(plan.view().outputs().len(), Ordering::Relaxed);
        self.inner.execute(plan)
    }
}

fn counting() -> Arc<Counting> {
    let (computes, outputs) = (AtomicUsize::new(0), AtomicUsize::new(0));
    Arc::new(Counting { inner: WorkStealing::new(2), computes, outputs })
}

#[test]
fn a_map_is_one_compute_of_n_jobs_lanes() {
    for jobs in [2, 3] {
        let scheduler = counting();
        let p = Parallel::new().n_jobs(jobs).scheduler(scheduler.clone());
        let out = p.map(0..1_000_000u64, |x| x ^ 0xff).unwrap();
        assert_eq!(out[123_456], 123_456 ^ 0xff);
        assert_eq!(scheduler.computes.load(Ordering::Relaxed), 1);
        assert_eq!(scheduler.outputs.load(Ordering::Relaxed), jobs as usize, "one lane per job");
    }
}

#[test]
fn a_million_trivial_items_stream_as_a_few_batches() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone());
    let out: Vec<u64> =
        p.map_iter(0..1_000_000u64, |x| x ^ 0xff).unwrap().map(Result::unwrap).collect();
    assert_eq!(out[123_456], 123_456 ^ 0xff);
    let batches = scheduler.computes.load(Ordering::Relaxed);
    // About 20 on a quiet machine. Batch sizes follow measured wall time, which a loaded
    // machine stretches, so the bound is loose: a few hundred tasks, never one per item.
    assert!(batches <= 1_000, "{batches} batches for 1M trivial items");
}

#[test]
fn slow_items_get_small_batches() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone());
    let out: Vec<u64> = p
        .map_iter(0..40u64, |x| {
            std::thread::sleep(Duration::from_millis(5));
            x
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..40).collect::<Vec<_>>());
    // 5 ms items with a 20 ms target: batches of a few items, so both jobs stay busy.
    let batches = scheduler.computes.load(Ordering::Relaxed);
    assert!((8..=40).contains(&batches), "{batches} batches for 40 slow items");
}

#[test]
fn fixed_batches_are_exact() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone()).batch_size(BatchSize::Fixed(10));
    assert_eq!(p.map_iter(0..95u32, |x| x).unwrap().count(), 95);
    assert_eq!(scheduler.computes.load(Ordering::Relaxed), 10);
}
