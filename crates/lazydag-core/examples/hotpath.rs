//! Probe: the per-task execution cost of a compiled plan's re-run, the schedulers' hot path
//! (`cargo run --release -p lazydag-core --example hotpath -- [map-reduce|chain] [leaves]`).
//!
//! It compiles the harness's map-reduce (or a chain) once and re-runs it on
//! `WorkStealing::new(1)`, `WorkStealing::new(2)` and `Sequential`, calling
//! `hotpath_mark` between the runs. Under callgrind each call dumps the counts since the
//! previous one (see docs/schedulers/work-stealing.md, "Per-task cost"):
//!
//! ```text
//! valgrind --tool=callgrind --dump-before='*hotpath_mark*' --callgrind-out-file=cg.out \
//!     target/release/examples/hotpath map-reduce 131072
//! ```
//!
//! Dumps 2.. are: WorkStealing(1) re-run, Sequential re-run, WorkStealing(2) re-run.
use std::time::Instant;

use lazydag_core::{Delayed, Optimizer, compile_with, delayed, scheduler::Sequential};
use lazydag_core::{Scheduler, scheduler::WorkStealing};

fn inc(x: u64) -> u64 {
    x + 1
}

fn add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// Marks the end of a phase (callgrind dumps before each call).
#[inline(never)]
fn hotpath_mark(phase: usize) {
    std::hint::black_box(phase);
}

fn map_reduce(leaves: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut pairs = level.into_iter();
        while let Some(a) = pairs.next() {
            match pairs.next() {
                Some(b) => next.push(delayed!(add(a, b))),
                None => next.push(a),
            }
        }
        level = next;
    }
    level.pop().expect("a leaf")
}

fn chain(n: u64) -> Delayed<u64> {
    let mut x = delayed!(inc(0));
    for _ in 1..n {
        x = delayed!(inc(x));
    }
    x
}

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = args.next().unwrap_or_else(|| "map-reduce".to_owned());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(131_072);
    let (graph, tasks, expected) = match shape.as_str() {
        "chain" => (chain(n), n, n),
        _ => (map_reduce(n), 2 * n - 1, (1..=n).sum::<u64>()),
    };
    let plan = compile_with(graph, &Optimizer::off()).expect("compiles");
    let ws1 = WorkStealing::new(1);
    let ws2 = WorkStealing::new(2);
    // Warm every pool once, so that the measured runs are re-runs.
    for s in [&ws1 as &dyn Scheduler, &Sequential, &ws2] {
        assert_eq!(plan.run_with(s).unwrap(), expected);
    }
    hotpath_mark(1);
    for (k, (name, s)) in
        [("ws1", &ws1 as &dyn Scheduler), ("sync", &Sequential), ("ws2", &ws2)].iter().enumerate()
    {
        let t = Instant::now();
        assert_eq!(plan.run_with(*s).unwrap(), expected);
        let wall = t.elapsed();
        hotpath_mark(k + 2);
        eprintln!(
            "{shape} {tasks} tasks, {name}: {:.1} ns/task",
            wall.as_nanos() as f64 / tasks as f64
        );
    }
}
