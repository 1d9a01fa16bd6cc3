//! Several outputs computed at once share their common sub-results.

use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::prelude::*;

static RUNS: AtomicUsize = AtomicUsize::new(0);

fn expensive(x: u64) -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    x * x
}
fn inc(x: u64) -> u64 {
    x + 1
}
fn double(x: u64) -> u64 {
    x * 2
}

#[test]
fn tuple_of_outputs_computes_shared_work_once() {
    let e = delayed!(expensive(7));
    let a = delayed!(inc(&e));
    let b = delayed!(double(&e));
    let label = delayed!((|n: u64| format!("n={n}"))(&e));

    let before = RUNS.load(Ordering::SeqCst);
    let (a, b, e, label) = lazydag::compute((a, b, &e, label)).unwrap();
    assert_eq!((a, b, e, label.as_str()), (50, 98, 49, "n=49"));
    assert_eq!(RUNS.load(Ordering::SeqCst) - before, 1);
}

#[test]
fn compute_all_returns_values_in_order() {
    let tasks: Vec<Delayed<u64>> = (0..100).map(|i| delayed!(double(i))).collect();
    let values = compute_all(&tasks).unwrap();
    assert_eq!(values, (0..100).map(|i| i * 2).collect::<Vec<_>>());
}

#[test]
fn the_same_output_requested_twice() {
    let x = delayed!(inc(1));
    let (a, b) = lazydag::compute((&x, &x)).unwrap();
    assert_eq!((a, b), (2, 2));
    assert_eq!(compute_all([&x, &x, &x]).unwrap(), vec![2, 2, 2]);
}

#[test]
fn nested_collections_of_outputs() {
    let xs: Vec<_> = (0..3).map(|i| delayed!(inc(i))).collect();
    let ys = [delayed!(double(1)), delayed!(double(2))];
    let (xs, ys, one) = lazydag::compute((xs, ys, delayed!(inc(0)))).unwrap();
    assert_eq!((xs, ys, one), (vec![1, 2, 3], vec![2, 4], 1));
}

#[test]
fn empty_collection_computes_to_empty() {
    let none: Vec<Delayed<u64>> = Vec::new();
    assert_eq!(compute_all(&none).unwrap(), Vec::<u64>::new());
}
