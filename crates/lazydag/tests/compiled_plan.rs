//! A plan compiled once (`z.plan()?`, `compile(outputs)?`) runs many times on every scheduler
//! and gives what a compute of the same outputs gives, each time.

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{Error, Optimizer, Scheduler, compile, compile_with, compute_with};

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn tree(leaves: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| delayed!(add(&p[0], &p[1]))).collect();
    }
    level.pop().unwrap()
}

#[test]
fn a_compiled_plan_runs_many_times_on_every_scheduler() {
    let schedulers: Vec<Box<dyn Scheduler>> = vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ];
    let z = tree(64);
    let expected = z.compute_with(&Sequential).unwrap();
    let plan = z.plan().unwrap();
    let raw = compile_with(&z, &Optimizer::off()).unwrap();
    for s in &schedulers {
        for _ in 0..5 {
            assert_eq!(plan.run_with(&**s).unwrap(), expected, "{}", s.name());
            assert_eq!(raw.run_with(&**s).unwrap(), expected, "{}", s.name());
        }
    }
    assert_eq!(plan.run().unwrap(), expected);
}

#[test]
fn a_compiled_plan_of_many_outputs_unpacks_like_compute() {
    let a = delayed!(inc(1));
    let b = delayed!(add(&a, 10));
    let outputs = (a.clone(), vec![b.clone(), a.clone()]);
    let plan = compile(outputs.clone()).unwrap();
    let pool = WorkStealing::new(2);
    for _ in 0..3 {
        assert_eq!(plan.run_with(&pool).unwrap(), compute_with(&outputs, &pool).unwrap());
    }
}

#[test]
fn a_moved_literal_fails_the_second_run_as_a_second_compute_would() {
    #[derive(Debug)]
    struct Token(u64);
    let token = delayed_once(Token(7));
    let out = token.map(|t: Token| t.0);
    let plan = out.plan().unwrap();
    assert_eq!(plan.run_with(&Sequential).unwrap(), 7);
    assert!(matches!(plan.run_with(&Sequential), Err(Error::LiteralMoved { .. })));
}

#[test]
fn small_literals_kept_by_the_plan_give_the_same_value_every_run() {
    // A small `Copy` literal's bits, kept in its node, are read by every run instead of
    // the literal's own clone: each run, on each scheduler, still sees the recorded values.
    let pool = WorkStealing::new(2);
    let kept = delayed!(add(delayed!(inc(5_u64)), delayed!(add(1_u64, 2_u64))));
    let plan = compile_with(kept.clone(), &Optimizer::off()).unwrap();
    for _ in 0..3 {
        assert_eq!(plan.run_with(&pool).unwrap(), 9);
        assert_eq!(plan.run_with(&Sequential).unwrap(), 9);
        assert_eq!(plan.run_with(&Threaded::new(2)).unwrap(), 9);
    }
    assert_eq!(compute_with(&kept, &pool).unwrap(), 9);
}

#[test]
fn a_value_used_twice_that_cannot_be_cloned_fails_at_compile_time() {
    #[derive(Debug)]
    struct Unique(u64);
    let u = delayed_once(0_u64).map(Unique);
    let both = (u.map(|u: Unique| u.0), u.map(|u: Unique| u.0 + 1));
    assert!(matches!(compile(both), Err(Error::NotClone { .. })));
}
