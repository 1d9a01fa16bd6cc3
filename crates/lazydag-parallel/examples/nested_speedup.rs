//! The nested-parallelism figure of #12: an outer map of 2 items, each an inner map of 1,000
//! CPU-bound items (~0.3 ms each), on 2 workers, against the same work run sequentially;
//! medians and spread of `REPEATS` runs, with the machine's load average and, in the same
//! run, the ceiling the machine allows now: the same 2,000 items on two plain threads.
//!
//! `cargo run --release -p lazydag-parallel --example nested_speedup` (figures in
//! docs/benchmarks.md, "Nested parallelism").
//!
//! The items do a fixed amount of arithmetic, calibrated once to about 0.3 ms: a busy machine
//! makes them slower, never shorter (a spin until a deadline would hide the load).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lazydag_core::scheduler::{Sequential, WorkStealing};
use lazydag_core::{Delayed, Scheduler, compute_with, delayed};
use lazydag_parallel::Parallel;

const OUTER: u64 = 2;
const INNER: u64 = 1_000;
const REPEATS: usize = 7;

/// `rounds` steps of a linear congruential generator: CPU work the optimizer cannot skip.
fn spin(x: u64, rounds: u64) -> u64 {
    let mut n = x;
    for _ in 0..rounds {
        n = black_box(n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    n & 1
}

/// The rounds that take about 0.3 ms here, now.
fn calibrate() -> u64 {
    let mut rounds = 1_000;
    loop {
        let start = Instant::now();
        spin(1, rounds);
        let took = start.elapsed();
        if took >= Duration::from_millis(30) {
            return (rounds as f64 * 0.3 / (took.as_secs_f64() * 1e3)) as u64;
        }
        rounds *= 2;
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Median and (min, max) of `runs`, in seconds.
fn stats(mut runs: Vec<f64>) -> (f64, f64, f64) {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2], runs[0], runs[runs.len() - 1])
}

fn time(f: &dyn Fn()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// The outer map's items, each an inner compute of `INNER` tasks, on `pool` inside a task.
fn computes_in_tasks(pool: &Arc<dyn Scheduler>, rounds: u64) -> u64 {
    let outer: Vec<Delayed<u64>> = (0..OUTER)
        .map(|_| {
            let inner_pool = Arc::clone(pool);
            delayed(0_u64).map(move |_: u64| {
                let inner: Vec<Delayed<u64>> =
                    (0..INNER).map(|i| delayed(i).map(move |i: u64| spin(i, rounds))).collect();
                compute_with(&inner, &*inner_pool).expect("inner").iter().sum::<u64>()
            })
        })
        .collect();
    compute_with(&outer, &**pool).expect("outer").iter().sum()
}

fn main() {
    let rounds = calibrate();
    println!("load average before: {}", load());
    println!("item: {rounds} rounds (about 0.3 ms when calibrated)");
    let sequential = || {
        black_box((0..OUTER * INNER).map(|i| spin(i, rounds)).sum::<u64>());
    };
    let two_threads = || {
        std::thread::scope(|s| {
            for t in 0..2 {
                s.spawn(move || black_box((0..INNER).map(|i| spin(i + t, rounds)).sum::<u64>()));
            }
        });
    };
    let ws: Arc<dyn Scheduler> = Arc::new(WorkStealing::new(2));
    let seq_pool: Arc<dyn Scheduler> = Arc::new(Sequential);
    let outer_map = Parallel::new().n_jobs(2).scheduler(Arc::clone(&ws));
    let nested_maps = || {
        let inner_pool = Arc::clone(&ws);
        let sums = outer_map
            .map(0..OUTER, move |_| {
                let inner = Parallel::new().n_jobs(2).scheduler(Arc::clone(&inner_pool));
                inner.map(0..INNER, move |i| spin(i, rounds)).expect("inner").iter().sum::<u64>()
            })
            .expect("outer");
        black_box(sums);
    };
    let nested_computes = || {
        black_box(computes_in_tasks(&ws, rounds));
    };
    let nested_on_sequential = || {
        black_box(computes_in_tasks(&seq_pool, rounds));
    };
    let cases: [(&str, &dyn Fn()); 5] = [
        ("sequential loop", &sequential),
        ("computes in tasks, Sequential", &nested_on_sequential),
        ("two plain threads (ceiling)", &two_threads),
        ("Parallel in Parallel, 2 jobs", &nested_maps),
        ("compute in WorkStealing(2) task", &nested_computes),
    ];
    // Interleaved repeats: a change in load hits every case alike.
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..REPEATS {
        for (case, (_, f)) in cases.iter().enumerate() {
            runs[case].push(time(*f));
        }
    }
    let (base, _, _) = stats(runs[0].clone());
    println!("| case | median | min – max | speedup over sequential (median) |");
    println!("|---|---|---|---|");
    for ((name, _), runs) in cases.iter().zip(runs) {
        let (median, min, max) = stats(runs);
        println!(
            "| {name} | {:.0} ms | {:.0} – {:.0} ms | {:.2}x |",
            median * 1e3,
            min * 1e3,
            max * 1e3,
            base / median
        );
    }
    println!("load average after: {}", load());
}
