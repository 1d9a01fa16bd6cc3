//! Graphs built separately combine: an argument from another graph is just a dependency.

use lazydag::prelude::*;

fn mean(xs: Vec<f64>) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}
fn spread(mean_a: f64, mean_b: f64) -> f64 {
    (mean_a - mean_b).abs()
}

fn pipeline(data: Vec<f64>) -> Delayed<f64> {
    let scaled = delayed(data).map(|v: Vec<f64>| v.into_iter().map(|x| x * 2.0).collect());
    delayed!(mean(scaled))
}

#[test]
fn two_pipelines_feed_one_task() {
    let a = pipeline(vec![1.0, 2.0, 3.0]);
    let b = pipeline(vec![10.0, 20.0]);
    let s = delayed!(spread(&a, &b));
    assert_eq!(s.compute().unwrap(), 26.0);
    // Each graph still computes on its own.
    assert_eq!(a.compute().unwrap(), 4.0);
    assert_eq!(lazydag::compute((&a, &b, &s)).unwrap(), (4.0, 30.0, 26.0));
}

#[test]
fn graphs_are_acyclic_by_construction() {
    let a = pipeline(vec![1.0]);
    let b = delayed!(spread(&a, &a));
    let c = delayed!(spread(&b, &a));
    assert!(!lazydag::petgraph::algo::is_cyclic_directed(&c.graph()));
}
