//! A shared dependency runs once, however many tasks use it.

use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::prelude::*;

static LOADS: AtomicUsize = AtomicUsize::new(0);

fn load(x: i64) -> i64 {
    LOADS.fetch_add(1, Ordering::SeqCst);
    x * 10
}
fn left(x: i64) -> i64 {
    x + 1
}
fn right(x: i64) -> i64 {
    x + 2
}
fn join(a: i64, b: i64) -> i64 {
    a * b
}

#[test]
fn shared_dependency_runs_once_per_compute() {
    let base = delayed!(load(1));
    let a = delayed!(left(&base));
    let b = delayed!(right(&base));
    let top = delayed!(join(a, b));

    let before = LOADS.load(Ordering::SeqCst);
    assert_eq!(top.compute().unwrap(), 11 * 12);
    assert_eq!(LOADS.load(Ordering::SeqCst) - before, 1);

    // Computing again runs the graph again, once more per shared task.
    assert_eq!(top.compute().unwrap(), 132);
    assert_eq!(LOADS.load(Ordering::SeqCst) - before, 2);
}

#[test]
fn same_value_twice_as_arguments() {
    fn add(a: i64, b: i64) -> i64 {
        a + b
    }
    let x = delayed!(add(2, 3));
    let doubled = delayed!(add(&x, &x));
    assert_eq!(doubled.compute().unwrap(), 10);
    let plan_graph = doubled.graph();
    assert_eq!(plan_graph.node_count(), 4); // 2, 3, add, add
    assert_eq!(plan_graph.edge_count(), 4);
}
