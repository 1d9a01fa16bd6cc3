//! A work-stealing pool wakes few workers per compute (one per initial task, at most one per
//! core) and relies on steal tickets to hand out the rest: work left on a deque by a worker
//! that then blocks must still be found by others, in a pool of any size. Here one task makes
//! eight tasks ready at once (all pushed on its worker's deque), and each of them waits until
//! all eight run together: they finish only if seven other workers find that deque. The
//! wait's bound is a hang guard only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lazydag::compute_with;
use lazydag::prelude::*;
use lazydag::scheduler::WorkStealing;

fn fan_of_eight_that_meet(round: usize) -> Vec<Delayed<u64>> {
    let arrived = Arc::new(AtomicUsize::new(0));
    let root = delayed(0_u64).map(|x: u64| x + 1).shared();
    (0..8u64)
        .map(|i| {
            let arrived = Arc::clone(&arrived);
            root.map(move |x: u64| {
                arrived.fetch_add(1, Ordering::SeqCst);
                let give_up = Instant::now() + Duration::from_secs(120);
                while arrived.load(Ordering::SeqCst) < 8 {
                    assert!(Instant::now() < give_up, "round {round}: a task never ran");
                    std::thread::yield_now();
                }
                x + i
            })
        })
        .collect()
}

#[test]
fn work_pushed_on_one_deque_reaches_other_workers_in_small_and_large_pools() {
    for workers in [8, 9, 200] {
        let pool = WorkStealing::new(workers);
        for round in 0..10 {
            let values = compute_with(&fan_of_eight_that_meet(round), &pool).unwrap();
            assert_eq!(values, [1, 2, 3, 4, 5, 6, 7, 8], "{workers} workers, round {round}");
        }
    }
}
