//! The shapes written by hand with rayon (`rayon::join`, `rayon::scope`): the baseline.
//!
//! Each function does the same work as the lazydag graph and returns the same digest, written
//! the way a rayon user would: the chain (no parallelism to find) is a loop on the pool, the
//! independent tasks are a `par_iter` (rayon splits the range, not one spawn per task), trees
//! fork with `join`. Shapes that need a barrier between
//! levels (wavefront, random DAG) run one `scope` per anti-diagonal or level, the usual way to
//! write them with rayon. Values that tasks hand to later tasks live in `AtomicU64` slots
//! written and read with `Relaxed`: the end of a `scope` is the happens-before edge.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use lazydag_benches::{self as builders, add, inc, left_child, right_child, wave, work};
use rayon::ThreadPool;
use rayon::prelude::*;

use crate::shape::{CPU_ITERS, Shape};

/// A shape's input, prepared before timing starts (the random DAG's structure is drawn here,
/// as lazydag's graph is built before its compute is timed).
#[derive(Debug)]
pub(crate) struct Input {
    shape: Shape,
    size: u64,
    dag: Option<(builders::RandomDag, Vec<bool>)>,
}

impl Input {
    /// Prepares `shape` at `size`.
    pub(crate) fn new(shape: Shape, size: u64) -> Self {
        let dag = (shape == Shape::RandomDag).then(|| {
            let dag = builders::RandomDag::new(size as usize, builders::SEED);
            let sinks = dag.sinks();
            (dag, sinks)
        });
        Self { shape, size, dag }
    }
}

/// Runs the prepared shape on `pool` and returns its digest.
pub(crate) fn run(input: &Input, pool: &ThreadPool) -> u64 {
    let size = input.size;
    pool.install(|| match input.shape {
        Shape::Chain => chain(size),
        Shape::BinaryTree => tree(1, size as u32),
        Shape::Wavefront => wavefront(size as usize),
        Shape::Independent => independent(size, inc),
        Shape::RandomDag => {
            let (dag, sinks) = input.dag.as_ref().expect("prepared");
            random_dag(dag, sinks)
        }
        Shape::MapReduce => map_reduce(0, size),
        Shape::CpuBound => independent(size, |i| work(i, CPU_ITERS)),
    })
}

/// A chain has nothing to run in parallel: its floor is a loop (on a pool thread).
fn chain(len: u64) -> u64 {
    (0..len).fold(0, |value, _| std::hint::black_box(inc(value)))
}

/// Fan-out: each node forks its two children with `join`; returns the sum of the leaves.
fn tree(value: u64, levels: u32) -> u64 {
    if levels <= 1 {
        return value;
    }
    let (a, b) = rayon::join(
        || tree(left_child(value), levels - 1),
        || tree(right_child(value), levels - 1),
    );
    a.wrapping_add(b)
}

/// `inc` over `lo..hi`, reduced pairwise by `add` with `join`.
fn map_reduce(lo: u64, hi: u64) -> u64 {
    if hi - lo == 1 {
        return inc(lo);
    }
    let mid = lo + (hi - lo).div_ceil(2);
    let (a, b) = rayon::join(|| map_reduce(lo, mid), || map_reduce(mid, hi));
    add(a, b)
}

/// A `par_iter` over the tasks, each result written to its own slot (as each lazydag task
/// keeps its own value); the digest is the sum of the slots.
fn independent(n: u64, f: fn(u64) -> u64) -> u64 {
    let mut slots = vec![0_u64; n as usize];
    slots.par_iter_mut().enumerate().for_each(|(i, slot)| *slot = f(i as u64));
    slots.into_iter().fold(0, |sum, v| sum.wrapping_add(v))
}

/// One `scope` per anti-diagonal, one `spawn` per cell; returns the corner.
fn wavefront(n: usize) -> u64 {
    let grid: Vec<AtomicU64> = (0..n * n).map(|_| AtomicU64::new(0)).collect();
    let grid = &grid;
    for diagonal in 0..2 * n - 1 {
        rayon::scope(|s| {
            for i in diagonal.saturating_sub(n - 1)..=diagonal.min(n - 1) {
                let j = diagonal - i;
                s.spawn(move |_| {
                    let get = |i: usize, j: usize| grid[i * n + j].load(Relaxed);
                    let v = match (i, j) {
                        (0, 0) => builders::one(),
                        (0, _) => inc(get(0, j - 1)),
                        (_, 0) => inc(get(i - 1, 0)),
                        _ => wave(get(i - 1, j), get(i, j - 1)),
                    };
                    grid[i * n + j].store(v, Relaxed);
                });
            }
        });
    }
    grid[n * n - 1].load(Relaxed)
}

/// One `scope` per level of the random DAG, one `spawn` per node; returns the sinks' sum.
fn random_dag(dag: &builders::RandomDag, sinks: &[bool]) -> u64 {
    let nodes = dag.nodes();
    let values: Vec<AtomicU64> = (0..nodes).map(|_| AtomicU64::new(0)).collect();
    let (dag_ref, values_ref) = (dag, &values);
    for start in (0..nodes).step_by(dag.width()) {
        rayon::scope(|s| {
            for i in start..(start + dag_ref.width()).min(nodes) {
                s.spawn(move |_| {
                    let v = dag_ref.deps(i).iter().fold(1_u64, |sum, &d| {
                        sum.wrapping_add(values_ref[d as usize].load(Relaxed))
                    });
                    values_ref[i].store(v, Relaxed);
                });
            }
        });
    }
    values
        .iter()
        .zip(sinks)
        .filter(|(_, s)| **s)
        .fold(0, |sum, (v, _)| sum.wrapping_add(v.load(Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Profile;

    #[test]
    fn rayon_baselines_match_the_expected_digests() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for shape in Shape::ALL {
            for size in shape.sizes(Profile::Smoke) {
                assert_eq!(
                    run(&Input::new(shape, size), &pool),
                    shape.expected(size),
                    "{}",
                    shape.name()
                );
            }
        }
    }
}
