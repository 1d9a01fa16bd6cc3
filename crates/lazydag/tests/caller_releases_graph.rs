//! The caller releases what it owns: after a compute returns, no pool thread frees the
//! caller's graph or plan. A worker that ran the last task used to hold the last handle on the
//! compute's run (and so on the plan, which owns the output nodes): when the caller dropped
//! its graph right after `compute`, the worker freed the whole graph, and the next compute on
//! that pool waited for it (0.3–1 s after a 262k-task graph).
//!
//! The check is deterministic, not a latency bound: a value captured by the output task's
//! closure records the thread that drops it, which must be the caller's, on every one of many
//! computes. The latency figure itself is an ignored test (`-- --ignored --nocapture`).

use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Instant;

use lazydag::prelude::*;
use lazydag::scheduler::WorkStealing;
use lazydag::{Scheduler, compute_with};

/// Records the thread that drops it.
struct DropProbe(Arc<Mutex<Vec<ThreadId>>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(thread::current().id());
    }
}

fn inc(x: u64) -> u64 {
    x + 1
}

/// `width` tasks summed by one whose closure owns a [`DropProbe`].
fn probed_sum(width: u64, dropped: &Arc<Mutex<Vec<ThreadId>>>) -> Delayed<u64> {
    let probe = DropProbe(Arc::clone(dropped));
    let parts: Vec<Delayed<u64>> = (0..width).map(|i| delayed!(inc(i))).collect();
    let sum = move |v: Vec<u64>| {
        let _owned = &probe;
        v.iter().sum::<u64>()
    };
    delayed!(sum(parts))
}

fn check_drops_on_caller(scheduler: &dyn Scheduler, computes: usize) {
    let dropped = Arc::new(Mutex::new(Vec::new()));
    for round in 0..computes {
        let width = 1 + (round as u64 % 64);
        let out = probed_sum(width, &dropped);
        assert_eq!(out.compute_with(scheduler).unwrap(), width * (width + 1) / 2);
        drop(out);
        let who = dropped.lock().unwrap().pop();
        assert_eq!(
            who,
            Some(thread::current().id()),
            "round {round} on {}: the graph was freed by another thread",
            scheduler.name()
        );
    }
}

#[test]
fn the_caller_frees_its_graph_after_a_pool_compute() {
    check_drops_on_caller(&WorkStealing::new(1), 300);
    check_drops_on_caller(&WorkStealing::new(2), 300);
    check_drops_on_caller(&lazydag::scheduler::Threaded::new(2), 300);
    check_drops_on_caller(&lazydag::scheduler::Async::new(2), 300);
}

#[test]
fn the_caller_frees_its_graph_after_many_outputs() {
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let pool = WorkStealing::new(2);
    for round in 0..200 {
        let outs = vec![probed_sum(3, &dropped), probed_sum(5, &dropped)];
        assert_eq!(compute_with(&outs, &pool).unwrap(), vec![6, 15], "round {round}");
        drop(outs);
        let who = std::mem::take(&mut *dropped.lock().unwrap());
        assert_eq!(who, vec![thread::current().id(); 2], "round {round}");
    }
}

/// The latency figure of the issue: a 1M-task graph computed and dropped, then a 2-task
/// compute on the same pool. Prints the 2-task compute's time (the goal: ≤ 1 ms); no assert on
/// it, as a loaded machine can stall any thread.
#[test]
#[ignore = "a timing figure: run with --release -- --ignored --nocapture"]
fn a_small_compute_after_dropping_a_large_graph_does_not_wait() {
    let pool = WorkStealing::new(2);
    let mut worst = 0.0_f64;
    for _ in 0..5 {
        let mut level: Vec<Delayed<u64>> = (0..1_u64 << 19).map(|i| delayed!(inc(i))).collect();
        while level.len() > 1 {
            level =
                level.chunks(2).map(|p| delayed!((|a: u64, b: u64| a + b)(&p[0], &p[1]))).collect();
        }
        let top = level.pop().unwrap();
        top.compute_with(&pool).unwrap();
        let start = Instant::now();
        drop(top);
        let dropped = start.elapsed();
        let start = Instant::now();
        assert_eq!(delayed!(inc(delayed!(inc(1)))).compute_with(&pool).unwrap(), 3);
        let small = start.elapsed();
        worst = worst.max(small.as_secs_f64());
        println!("caller's drop {dropped:?}, then a 2-task compute {small:?}");
    }
    println!("worst 2-task compute after a 1M-task graph: {:.3} ms", worst * 1e3);
    // The control: the same compute on an idle pool after a pause, with no large graph, to
    // tell a slow wake-up of a sleeping worker (the machine's) from waiting for a graph.
    let mut control = 0.0_f64;
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let start = Instant::now();
        assert_eq!(delayed!(inc(delayed!(inc(1)))).compute_with(&pool).unwrap(), 3);
        control = control.max(start.elapsed().as_secs_f64());
    }
    println!("worst 2-task compute on an idle pool, no large graph: {:.3} ms", control * 1e3);
}
