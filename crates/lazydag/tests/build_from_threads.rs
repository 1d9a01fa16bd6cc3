//! Handles can be recorded, shared and computed from several threads at once.

use std::sync::Arc;
use std::thread;

use lazydag::prelude::*;

fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[test]
fn two_threads_extend_one_graph() {
    let root = delayed!(add(1, 1));
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let root = root.clone();
            thread::spawn(move || {
                let mut tip = root;
                for i in 0..10_000 {
                    tip = delayed!(add(tip, t * 10 + i % 2));
                }
                tip
            })
        })
        .collect();
    let tips: Vec<Delayed<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let total = delayed!(add(&tips[0], &tips[1]));
    // thread 0 adds 5_000, thread 1 adds 105_000; the root (2) is shared.
    assert_eq!(total.compute().unwrap(), (2 + 5_000) + (2 + 105_000));
}

#[test]
fn computing_the_same_graph_from_many_threads() {
    let shared = Arc::new(delayed!(add(delayed!(add(20, 1)), 21)));
    let results: Vec<u64> = (0..8)
        .map(|_| {
            let g = Arc::clone(&shared);
            thread::spawn(move || (0..200).map(|_| g.compute().unwrap()).sum::<u64>())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(results.iter().all(|&r| r == 42 * 200));
}

#[test]
fn task_ids_are_unique_across_threads() {
    let keys: Vec<_> = (0..4)
        .map(|_| thread::spawn(|| (0..1000).map(|i| delayed!(add(i, 1)).key()).collect::<Vec<_>>()))
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut ids: Vec<u64> = keys.iter().map(|k| k.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4000);
}
