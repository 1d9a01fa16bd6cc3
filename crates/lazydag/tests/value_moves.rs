//! Values move into their last consumer: `k` consumers cost at most `k - 1` clones, and every
//! intermediate value is freed as soon as its last consumer has run.

use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::prelude::*;

/// Counts clones and live instances. Each test uses its own counters.
#[derive(Debug)]
struct Tracked {
    counters: &'static Counters,
}

#[derive(Debug, Default)]
struct Counters {
    clones: AtomicUsize,
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl Counters {
    const fn new() -> Self {
        Counters {
            clones: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }
    fn make(&'static self) -> Tracked {
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(live, Ordering::SeqCst);
        Tracked { counters: self }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        self.counters.clones.fetch_add(1, Ordering::SeqCst);
        self.counters.make()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.counters.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn k_consumers_cost_k_minus_one_clones() {
    static C: Counters = Counters::new();
    let source = delayed!((|| C.make())());
    fn consume(t: Tracked, i: usize) -> usize {
        drop(t);
        i
    }
    let consumers: Vec<Delayed<usize>> = (0..5).map(|i| delayed!(consume(&source, i))).collect();
    assert_eq!(compute_all(&consumers).unwrap(), vec![0, 1, 2, 3, 4]);
    assert_eq!(C.clones.load(Ordering::SeqCst), 4);
    assert_eq!(C.live.load(Ordering::SeqCst), 0);
}

#[test]
fn single_consumer_moves_without_cloning() {
    static C: Counters = Counters::new();
    let mut tip = delayed!((|| C.make())());
    for _ in 0..100 {
        tip = delayed!((|t: Tracked| t)(tip));
    }
    let out = tip.compute().unwrap();
    assert_eq!(C.clones.load(Ordering::SeqCst), 0);
    drop(out);
    assert_eq!(C.live.load(Ordering::SeqCst), 0);
}

#[test]
fn intermediates_are_freed_after_their_last_consumer() {
    // A chain of 1,000 tasks each making a fresh value from the previous one: at most the
    // input and the output are alive at once.
    static C: Counters = Counters::new();
    fn step(t: Tracked) -> Tracked {
        let next = t.counters.make();
        drop(t);
        next
    }
    let mut tip = delayed!((|| C.make())());
    for _ in 0..1_000 {
        tip = delayed!(step(tip));
    }
    drop(tip.compute().unwrap());
    assert_eq!(C.peak.load(Ordering::SeqCst), 2);
    assert_eq!(C.live.load(Ordering::SeqCst), 0);
}

/// Live `Tracked` values while a 1,024-leaf tree (depth 10) is reduced pairwise.
macro_rules! tree_peak {
    ($scheduler:expr) => {{
        static C: Counters = Counters::new();
        fn leaf(_: u32) -> Tracked {
            C.make()
        }
        fn merge(a: Tracked, b: Tracked) -> Tracked {
            drop((a, b));
            C.make()
        }
        let mut level: Vec<Delayed<Tracked>> = (0..1024).map(|i| delayed!(leaf(i))).collect();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| delayed!(merge(&p[0], &p[1]))).collect();
        }
        drop(level[0].compute_with(&$scheduler).unwrap());
        assert_eq!(C.live.load(Ordering::SeqCst), 0);
        C.peak.load(Ordering::SeqCst)
    }};
}

#[test]
fn tree_reduction_keeps_about_depth_values_alive() {
    // The memory-friendly order finishes each subtree before opening the next, so on the
    // synchronous scheduler live values stay at the tree depth (plus one), not the width.
    let peak = tree_peak!(lazydag::scheduler::Sequential);
    assert!(peak <= 12, "peak live values {peak} for a depth-10 tree");
}

#[test]
fn parallel_tree_reduction_stays_far_below_the_width() {
    // With two workers the exact peak depends on timing (each worker runs its own subtrees,
    // and a stolen batch of leaves may run ahead), but it stays far below the 1,024 leaves.
    let peak = tree_peak!(lazydag::scheduler::WorkStealing::new(2));
    assert!(peak <= 64, "peak live values {peak} for 1,024 leaves on 2 workers");
}

#[test]
fn a_failed_compute_frees_everything() {
    static C: Counters = Counters::new();
    fn fail(_: Tracked, _: Tracked) -> Result<u8, std::fmt::Error> {
        Err(std::fmt::Error)
    }
    let a = delayed!((|| C.make())());
    let b = delayed!((|| C.make())());
    assert!(try_delayed!(fail(a, b)).compute().is_err());
    assert_eq!(C.live.load(Ordering::SeqCst), 0);
}
