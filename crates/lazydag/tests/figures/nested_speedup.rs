//! The nested-parallelism figure of the scheduling contract, measured, not asserted: an outer
//! map of 2 items, each an inner map of 1,000 CPU-bound items (~0.3 ms each), on 2 workers,
//! against the same work on `Sequential`. Opt-in (CI must not read clocks to decide):
//!
//! `LAZYDAG_NESTED=1 cargo test --release -p lazydag --no-default-features --test contract_figures -- --nocapture`

use std::sync::Arc;
use std::time::{Duration, Instant};

use lazydag::parallel::Parallel;
use lazydag::scheduler::{Sequential, Threaded, WorkStealing};
use lazydag::{Delayed, Scheduler, compute_with, delayed};

/// About 0.3 ms of CPU work.
fn spin(x: u64) -> u64 {
    let until = Instant::now() + Duration::from_micros(300);
    let mut n = x;
    while Instant::now() < until {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    n & 1
}

/// Two outer tasks, each computing 1,000 inner tasks on `scheduler`.
fn nested(scheduler: Arc<dyn Scheduler>) -> Duration {
    let outer: Vec<Delayed<u64>> = (0..2)
        .map(|_| {
            let inner_pool = Arc::clone(&scheduler);
            delayed(0u64).map(move |_: u64| {
                let inner: Vec<Delayed<u64>> = (0..1000).map(|i| delayed(i).map(spin)).collect();
                compute_with(&inner, &*inner_pool).unwrap().iter().sum::<u64>()
            })
        })
        .collect();
    let start = Instant::now();
    compute_with(&outer, &*scheduler).unwrap();
    start.elapsed()
}

#[test]
fn nested_maps_speed_up_on_two_workers() {
    if std::env::var_os("LAZYDAG_NESTED").is_none() {
        eprintln!("skipped: set LAZYDAG_NESTED=1 to measure (see the file's docs)");
        return;
    }
    let sequential = nested(Arc::new(Sequential));
    let cases: Vec<(&str, Arc<dyn Scheduler>)> = vec![
        ("threads", Arc::new(Threaded::new(2))),
        ("work-stealing", Arc::new(WorkStealing::new(2))),
    ];
    println!("sequential: {:.3} s", sequential.as_secs_f64());
    for (name, scheduler) in cases {
        let took = nested(scheduler);
        println!(
            "{name:>13}: {:.3} s, {:.2}x over sequential",
            took.as_secs_f64(),
            sequential.as_secs_f64() / took.as_secs_f64()
        );
    }
    let start = Instant::now();
    let sums = Parallel::new()
        .n_jobs(2)
        .map(0..2u64, |_| {
            Parallel::new().n_jobs(2).map(0..1000u64, spin).unwrap().iter().sum::<u64>()
        })
        .unwrap();
    assert_eq!(sums.len(), 2);
    let took = start.elapsed();
    println!(
        "Parallel in Parallel: {:.3} s, {:.2}x over sequential",
        took.as_secs_f64(),
        sequential.as_secs_f64() / took.as_secs_f64()
    );
    // One outer task only (the case where nesting matters: no outer parallelism to hide it).
    let one = |scheduler: Arc<dyn Scheduler>| {
        let inner_pool = Arc::clone(&scheduler);
        let outer = delayed(0u64).map(move |_: u64| {
            let inner: Vec<Delayed<u64>> = (0..2000).map(|i| delayed(i).map(spin)).collect();
            compute_with(&inner, &*inner_pool).unwrap().iter().sum::<u64>()
        });
        let start = Instant::now();
        outer.compute_with(&*scheduler).unwrap();
        start.elapsed()
    };
    let seq = one(Arc::new(Sequential));
    // The control: the same 2,000 tasks in one flat compute, what the machine allows now.
    let flat = |scheduler: &dyn Scheduler| {
        let tasks: Vec<Delayed<u64>> = (0..2000).map(|i| delayed(i).map(spin)).collect();
        let start = Instant::now();
        compute_with(&tasks, scheduler).unwrap();
        start.elapsed()
    };
    let flat_seq = flat(&Sequential);
    let flat_two = flat(&Threaded::new(2));
    println!(
        "control, flat 2,000 tasks, threads: {:.2}x over sequential",
        flat_seq.as_secs_f64() / flat_two.as_secs_f64()
    );
    for (name, scheduler) in [
        ("threads", Arc::new(Threaded::new(2)) as Arc<dyn Scheduler>),
        ("work-stealing", Arc::new(WorkStealing::new(2))),
    ] {
        let took = one(scheduler);
        println!(
            "one outer task, 2,000 inner, {name:>13}: {:.2}x over sequential",
            seq.as_secs_f64() / took.as_secs_f64()
        );
    }
}
