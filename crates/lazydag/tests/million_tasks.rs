//! 1,000,000-task graphs — wide, chain and binary tree — complete on every scheduler.
//!
//! Heavy: ignored in the default test run, run by CI in release mode
//! (`cargo test --release -p lazydag --test million_tasks -- --ignored`).

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Scheduler, compute_with_control};

const N: u64 = 1_000_000;

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
}

#[test]
#[ignore = "heavy: CI runs it in release mode"]
fn wide() {
    let tasks: Vec<Delayed<u64>> = (0..N).map(|i| delayed!(inc(i))).collect();
    for s in schedulers() {
        let values = compute_with_control(&tasks, &*s, &Control::new()).unwrap();
        assert_eq!(values.len() as u64, N, "{}", s.name());
        assert_eq!(values.iter().sum::<u64>(), N * (N + 1) / 2, "{}", s.name());
    }
}

#[test]
#[ignore = "heavy: CI runs it in release mode"]
fn chain() {
    let mut tip = delayed(0_u64);
    for _ in 0..N {
        tip = delayed!(inc(tip));
    }
    for s in schedulers() {
        assert_eq!(tip.compute_with(&*s).unwrap(), N, "{}", s.name());
    }
}

#[test]
#[ignore = "heavy: CI runs it in release mode"]
fn binary_tree() {
    // 2^19 leaves: 1,048,575 tasks.
    let mut level: Vec<Delayed<u64>> = (0..1_u64 << 19).map(|i| delayed!(inc(i))).collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| delayed!(add(&p[0], &p[1]))).collect();
    }
    let leaves = 1_u64 << 19;
    for s in schedulers() {
        assert_eq!(level[0].compute_with(&*s).unwrap(), leaves * (leaves + 1) / 2, "{}", s.name());
    }
}
