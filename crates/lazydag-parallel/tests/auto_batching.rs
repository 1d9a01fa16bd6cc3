//! Auto-batching runs many trivial items as a few tasks, and batches adapt to item cost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::scheduler::WorkStealing;
use lazydag::{Error, Plan, Scheduler, Value};
use lazydag_parallel::{BatchSize, Parallel};

/// A scheduler that counts the computes (one per batch) it runs for a wrapped one.
struct Counting {
    inner: WorkStealing,
    computes: AtomicUsize,
}

impl Scheduler for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        self.computes.fetch_add(1, Ordering::Relaxed);
        self.inner.execute(plan)
    }
}

fn counting() -> Arc<Counting> {
    Arc::new(Counting { inner: WorkStealing::new(2), computes: AtomicUsize::new(0) })
}

#[test]
fn a_million_trivial_items_run_as_a_few_batches() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone());
    let out = p.map(0..1_000_000u64, |x| x ^ 0xff).unwrap();
    assert_eq!(out[123_456], 123_456 ^ 0xff);
    let batches = scheduler.computes.load(Ordering::Relaxed);
    assert!(batches <= 64, "{batches} batches for 1M trivial items");
}

#[test]
fn slow_items_get_small_batches() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone());
    let out = p
        .map(0..40u64, |x| {
            std::thread::sleep(Duration::from_millis(5));
            x
        })
        .unwrap();
    assert_eq!(out, (0..40).collect::<Vec<_>>());
    // 5 ms items with a 20 ms target: batches of a few items, so both jobs stay busy.
    let batches = scheduler.computes.load(Ordering::Relaxed);
    assert!((8..=40).contains(&batches), "{batches} batches for 40 slow items");
}

#[test]
fn fixed_batches_are_exact() {
    let scheduler = counting();
    let p = Parallel::new().n_jobs(2).scheduler(scheduler.clone()).batch_size(BatchSize::Fixed(10));
    p.map(0..95u32, |x| x).unwrap();
    assert_eq!(scheduler.computes.load(Ordering::Relaxed), 10);
}
