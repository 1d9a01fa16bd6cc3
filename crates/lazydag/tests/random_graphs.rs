//! Property: on random DAGs, computing returns what a direct evaluation returns, runs every
//! needed task exactly once, never runs a culled task, and reports a failing task by name.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::Error;
use lazydag::prelude::*;
use proptest::prelude::*;

/// A random DAG: node `i` depends on `deps[i]` (all smaller than `i`), some nodes fail.
#[derive(Clone, Debug)]
struct Shape {
    deps: Vec<Vec<usize>>,
    failing: Vec<bool>,
    outputs: Vec<usize>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (1usize..120).prop_flat_map(|n| {
        let deps = (0..n)
            .map(|i| {
                if i == 0 {
                    Just(Vec::new()).boxed()
                } else {
                    proptest::collection::vec(0..i, 0..4).boxed()
                }
            })
            .collect::<Vec<_>>();
        let failing = proptest::collection::vec(proptest::bool::weighted(0.03), n);
        let outputs = proptest::collection::vec(0..n, 1..5);
        (deps, failing, outputs).prop_map(|(deps, failing, outputs)| Shape {
            deps,
            failing,
            outputs,
        })
    })
}

#[derive(Debug)]
struct Boom(usize);
impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node {} fails", self.0)
    }
}
impl std::error::Error for Boom {}

/// Records the shape; node `i` computes `i + sum(deps)` (wrapping).
fn record(shape: &Shape, runs: &Arc<Vec<AtomicUsize>>) -> Vec<Delayed<u64>> {
    let mut nodes: Vec<Delayed<u64>> = Vec::with_capacity(shape.deps.len());
    for (i, deps) in shape.deps.iter().enumerate() {
        let inputs: Vec<Delayed<u64>> = deps.iter().map(|&d| nodes[d].clone()).collect();
        let runs = Arc::clone(runs);
        let fails = shape.failing[i];
        let gathered: Delayed<Vec<u64>> = inputs.into_iter().collect();
        let node = gathered
            .try_map(move |xs: Vec<u64>| {
                runs[i].fetch_add(1, Ordering::SeqCst);
                if fails {
                    Err(Boom(i))
                } else {
                    Ok(xs.iter().fold(i as u64, |a, x| a.wrapping_add(*x)))
                }
            })
            .name(format!("node{i}"))
            .shared();
        nodes.push(node);
    }
    nodes
}

/// The nodes the outputs need, and each node's value, evaluated directly.
fn reference(shape: &Shape) -> (Vec<bool>, Vec<u64>) {
    let n = shape.deps.len();
    let mut needed = vec![false; n];
    for &o in &shape.outputs {
        needed[o] = true;
    }
    for i in (0..n).rev() {
        if needed[i] {
            for &d in &shape.deps[i] {
                needed[d] = true;
            }
        }
    }
    let mut value = vec![0u64; n];
    for i in 0..n {
        value[i] = shape.deps[i].iter().fold(i as u64, |a, &d| a.wrapping_add(value[d]));
    }
    (needed, value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn sync_matches_direct_evaluation(shape in shape()) {
        let runs = Arc::new((0..shape.deps.len()).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
        let nodes = record(&shape, &runs);
        let outputs: Vec<Delayed<u64>> = shape.outputs.iter().map(|&o| nodes[o].clone()).collect();
        let (needed, value) = reference(&shape);
        let needed_failing: Vec<usize> =
            (0..needed.len()).filter(|&i| needed[i] && shape.failing[i]).collect();

        match compute_all(&outputs) {
            Ok(values) => {
                prop_assert!(needed_failing.is_empty());
                let expected: Vec<u64> = shape.outputs.iter().map(|&o| value[o]).collect();
                prop_assert_eq!(values, expected);
                for (i, count) in runs.iter().enumerate() {
                    prop_assert_eq!(count.load(Ordering::SeqCst), usize::from(needed[i]), "node {}", i);
                }
            }
            Err(Error::Failed { task, source }) => {
                let i: usize = task.name().trim_start_matches("node").parse().unwrap();
                prop_assert!(needed_failing.contains(&i), "reported {} not in {:?}", i, needed_failing);
                prop_assert_eq!(source.to_string(), format!("node {i} fails"));
                for (i, count) in runs.iter().enumerate() {
                    prop_assert!(count.load(Ordering::SeqCst) <= usize::from(needed[i]));
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}
