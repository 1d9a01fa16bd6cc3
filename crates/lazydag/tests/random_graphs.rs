//! Property: on random DAGs, every scheduler returns what a direct evaluation (and so the
//! `Sequential` scheduler) returns, runs every needed task exactly once, never runs a culled task,
//! frees every intermediate value, and reports a failing task by name.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Error, Scheduler, compute_with_control};
use proptest::prelude::*;

/// A task value that counts its live copies in the counter of its compute (one per case and
/// scheduler, so a task of a failed compute that finishes late never shows in the next one's).
#[derive(Debug)]
struct Counted(u64, Arc<AtomicUsize>);

impl Counted {
    fn new(v: u64, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Counted(v, Arc::clone(live))
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0, &self.1)
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Every scheduler under test; pools are built once and reused by all cases.
static SCHEDULERS: LazyLock<Vec<Box<dyn Scheduler>>> = LazyLock::new(|| {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(WorkStealing::new(8)),
        Box::new(Async::new(2)),
    ]
});

/// A random DAG: node `i` depends on `deps[i]` (all smaller than `i`), some nodes fail.
#[derive(Clone, Debug)]
struct Shape {
    deps: Vec<Vec<usize>>,
    failing: Vec<bool>,
    outputs: Vec<usize>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (1usize..500).prop_flat_map(|n| {
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
fn record(
    shape: &Shape,
    runs: &Arc<Vec<AtomicUsize>>,
    live: &Arc<AtomicUsize>,
) -> Vec<Delayed<Counted>> {
    let mut nodes: Vec<Delayed<Counted>> = Vec::with_capacity(shape.deps.len());
    for (i, deps) in shape.deps.iter().enumerate() {
        let inputs: Vec<Delayed<Counted>> = deps.iter().map(|&d| nodes[d].clone()).collect();
        let (runs, live) = (Arc::clone(runs), Arc::clone(live));
        let fails = shape.failing[i];
        let gathered: Delayed<Vec<Counted>> = inputs.into_iter().collect();
        let node = gathered
            .try_map(move |xs: Vec<Counted>| {
                runs[i].fetch_add(1, Ordering::SeqCst);
                if fails {
                    Err(Boom(i))
                } else {
                    Ok(Counted::new(xs.iter().fold(i as u64, |a, x| a.wrapping_add(x.0)), &live))
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
    fn every_scheduler_matches_direct_evaluation(shape in shape()) {
        let (needed, value) = reference(&shape);
        let needed_failing: Vec<usize> =
            (0..needed.len()).filter(|&i| needed[i] && shape.failing[i]).collect();
        for scheduler in SCHEDULERS.iter() {
            let name = scheduler.name();
            let runs = Arc::new((0..shape.deps.len()).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
            let live = Arc::new(AtomicUsize::new(0));
            let nodes = record(&shape, &runs, &live);
            let outputs: Vec<Delayed<Counted>> =
                shape.outputs.iter().map(|&o| nodes[o].clone()).collect();
            match compute_with_control(&outputs, &**scheduler, &Control::new()) {
                Ok(values) => {
                    prop_assert!(needed_failing.is_empty(), "{}", name);
                    let got: Vec<u64> = values.iter().map(|c| c.0).collect();
                    let expected: Vec<u64> = shape.outputs.iter().map(|&o| value[o]).collect();
                    prop_assert_eq!(got, expected, "{}", name);
                    for (i, count) in runs.iter().enumerate() {
                        prop_assert_eq!(count.load(Ordering::SeqCst), usize::from(needed[i]), "{} node {}", name, i);
                    }
                    prop_assert_eq!(live.load(Ordering::SeqCst), values.len(), "{}: intermediates freed", name);
                }
                Err(Error::Failed { task, source }) => {
                    let i: usize = task.name().trim_start_matches("node").parse().unwrap();
                    prop_assert!(needed_failing.contains(&i), "{}: {} not in {:?}", name, i, needed_failing);
                    prop_assert_eq!(source.to_string(), format!("node {i} fails"));
                    for count in runs.iter() {
                        prop_assert!(count.load(Ordering::SeqCst) <= 1, "{}", name);
                    }
                }
                Err(other) => prop_assert!(false, "{}: unexpected error {}", name, other),
            }
            drop(nodes);
            drop(outputs);
            // After a failure, tasks that were already running finish in the background;
            // once they have, nothing of this compute may remain alive: every task closure
            // and every value holds a clone of `live`, so only this one is left.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while Arc::strong_count(&live) > 1 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            prop_assert_eq!(Arc::strong_count(&live), 1, "{}: values or tasks leaked", name);
            prop_assert_eq!(live.load(Ordering::SeqCst), 0, "{}: values leaked", name);
        }
    }
}
