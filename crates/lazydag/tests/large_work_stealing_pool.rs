//! A work-stealing pool larger than its steal scan (each search looks at 64 other deques from
//! a random start) and woken one worker per initial task still runs every task exactly once,
//! agrees with `Sequential`, and serves computes from several threads at once: no job is
//! stranded in a deque no search looks at, and tasks published at once all find a worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::compute_with;
use lazydag::prelude::*;
use lazydag::scheduler::{Sequential, WorkStealing};

fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// A fan-out of `width` from one root, each branch a chain of `depth`, summed at the end;
/// `runs` counts every task run.
fn fan(width: u64, depth: u64, runs: &Arc<AtomicUsize>) -> Delayed<u64> {
    let count = |runs: &Arc<AtomicUsize>| {
        let runs = Arc::clone(runs);
        move |x: u64| {
            runs.fetch_add(1, Ordering::Relaxed);
            x + 1
        }
    };
    let root = delayed(0_u64).map(count(runs));
    let branches: Vec<_> = (0..width)
        .map(|i| {
            let mut tip = delayed!(add(&root, i));
            for _ in 0..depth {
                tip = tip.map(count(runs));
            }
            tip
        })
        .collect();
    delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(branches))
}

#[test]
fn a_pool_larger_than_the_steal_scan_runs_every_task_once() {
    let pool = Arc::new(WorkStealing::new(200));
    let expected = {
        let runs = Arc::new(AtomicUsize::new(0));
        fan(300, 5, &runs).compute_with(&Sequential).unwrap()
    };
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let runs = Arc::new(AtomicUsize::new(0));
                    assert_eq!(fan(300, 5, &runs).compute_with(&*pool).unwrap(), expected);
                    assert_eq!(runs.load(Ordering::Relaxed), 1 + 300 * 5, "every task once");
                    // Few tasks on a large, idle pool: one wake per task, still all done.
                    let few: Vec<_> = (0..3u64).map(|i| delayed!(add(i, 1))).collect();
                    assert_eq!(compute_with(&few, &*pool).unwrap(), [1, 2, 3]);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().unwrap();
    }
}

#[test]
fn on_a_large_pool_every_published_task_finds_a_worker() {
    // Eight tasks that each wait until all eight run at once: they finish only if eight of
    // the 200 workers pick them up together, wherever they were queued (the injector, or the
    // deque of a worker that took a batch of them). The wait's bound is a hang guard only.
    let pool = WorkStealing::new(200);
    for round in 0..20 {
        let arrived = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8u64)
            .map(|i| {
                let arrived = Arc::clone(&arrived);
                delayed(i).map(move |x: u64| {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(120);
                    while arrived.load(Ordering::SeqCst) < 8 {
                        assert!(
                            std::time::Instant::now() < give_up,
                            "round {round}: a task never ran"
                        );
                        std::thread::yield_now();
                    }
                    x
                })
            })
            .collect();
        assert_eq!(compute_with(&tasks, &pool).unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
