//! Graph builders shared by lazydag's benchmarks and tests of benchmark shapes.
//!
//! Every builder returns the output handle and the number of tasks it recorded (literals
//! excluded), so benchmarks can report a cost per task.

#![deny(missing_docs)]

use lazydag::prelude::*;

/// Adds one.
pub fn inc(x: u64) -> u64 {
    x.wrapping_add(1)
}

/// Adds two values.
pub fn add(x: u64, y: u64) -> u64 {
    x.wrapping_add(y)
}

/// The wide map + tree reduce shape: `leaves` tasks `inc(i)`, then a binary tree of `add`
/// down to one value. Records `2 * leaves - 1` tasks (plus `leaves` literals).
///
/// ```
/// let (sum, tasks) = lazydag_benches::map_reduce(4);
/// assert_eq!((sum.compute().unwrap(), tasks), (1 + 2 + 3 + 4, 7));
/// ```
pub fn map_reduce(leaves: u64) -> (Delayed<u64>, u64) {
    reduce_pairs((0..leaves).map(|i| delayed!(inc(i))).collect())
}

/// [`map_reduce`] with each leaf's input bound into its task, a closure that captures `i`,
/// rather than recorded as a literal node: one node per task, the graph that C++ Taskflow's
/// driver builds (its leaf lambdas capture `i`). Records `2 * leaves - 1` tasks and nothing
/// else.
///
/// ```
/// let (sum, tasks) = lazydag_benches::map_reduce_bound(4);
/// assert_eq!((sum.compute().unwrap(), tasks), (1 + 2 + 3 + 4, 7));
/// assert_eq!(sum.graph().node_count(), 7);
/// ```
pub fn map_reduce_bound(leaves: u64) -> (Delayed<u64>, u64) {
    reduce_pairs((0..leaves).map(|i| delayed!((move || inc(i))())).collect())
}

/// Adds `level` pairwise, level by level (an odd one out moves up), down to one value; the
/// leaves' count plus one task per `add`.
fn reduce_pairs(mut level: Vec<Delayed<u64>>) -> (Delayed<u64>, u64) {
    let mut tasks = level.len() as u64;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut pairs = level.into_iter();
        while let Some(a) = pairs.next() {
            match pairs.next() {
                Some(b) => {
                    next.push(delayed!(add(a, b)));
                    tasks += 1;
                }
                None => next.push(a),
            }
        }
        level = next;
    }
    (level.pop().expect("at least one leaf"), tasks)
}

/// A perfect binary tree: `leaves` `inc` tasks reduced pairwise by `add` (`leaves` a power
/// of two). Records `2 * leaves - 1` tasks.
///
/// ```
/// let (sum, tasks) = lazydag_benches::binary_tree(8);
/// assert_eq!((sum.compute().unwrap(), tasks), ((1..=8).sum(), 15));
/// ```
pub fn binary_tree(leaves: u64) -> (Delayed<u64>, u64) {
    assert!(leaves.is_power_of_two(), "a perfect binary tree needs a power-of-two width");
    map_reduce(leaves)
}

/// A linear chain of `len` `inc` tasks on one literal `0`.
///
/// ```
/// let (tip, tasks) = lazydag_benches::chain(10);
/// assert_eq!((tip.compute().unwrap(), tasks), (10, 10));
/// ```
pub fn chain(len: u64) -> (Delayed<u64>, u64) {
    let mut tip = delayed(0_u64);
    for _ in 0..len {
        tip = delayed!(inc(tip));
    }
    (tip, len)
}

/// Does nothing: the task of the "schedule an empty task" benchmarks.
pub fn nothing() {}

/// One: the source cell of a wavefront, the root of a fan-out tree.
pub fn one() -> u64 {
    1
}

/// Twice the value: the left child in a fan-out tree (heap numbering).
pub fn left_child(x: u64) -> u64 {
    x.wrapping_mul(2)
}

/// Twice the value plus one: the right child in a fan-out tree (heap numbering).
pub fn right_child(x: u64) -> u64 {
    x.wrapping_mul(2).wrapping_add(1)
}

/// A wavefront cell: one more than the larger of its upper and left neighbours.
pub fn wave(up: u64, left: u64) -> u64 {
    up.max(left) + 1
}

/// CPU-bound work: `iters` steps of a 64-bit linear congruential generator seeded with `x`.
/// Each step depends on the previous one, so the loop cannot be vectorized or skipped; one
/// step is a few nanoseconds.
///
/// ```
/// assert_eq!(lazydag_benches::work(7, 0), 7);
/// assert_ne!(lazydag_benches::work(7, 10), lazydag_benches::work(8, 10));
/// ```
pub fn work(x: u64, iters: u64) -> u64 {
    let mut n = x;
    for _ in 0..iters {
        n = std::hint::black_box(n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    n
}

/// Taskflow's binary tree: a root task fans out to two children per node, `depth` levels
/// deep; the leaves are the outputs. Node values follow heap numbering (root 1, children
/// `2v` and `2v + 1`), so the leaves hold `2^(depth-1) .. 2^depth - 1`. Records
/// `2^depth - 1` tasks.
///
/// ```
/// let (leaves, tasks) = lazydag_benches::fan_out_tree(3);
/// let values: Vec<u64> = lazydag::compute(&leaves).unwrap();
/// assert_eq!((values, tasks), (vec![4, 5, 6, 7], 7));
/// ```
///
/// # Panics
/// If `depth` is 0 or above 40.
pub fn fan_out_tree(depth: u32) -> (Vec<Delayed<u64>>, u64) {
    assert!((1..=40).contains(&depth), "a fan-out tree needs 1 to 40 levels, not {depth}");
    let mut level = vec![delayed!(one())];
    for _ in 1..depth {
        level = level
            .iter()
            .flat_map(|parent| [delayed!(left_child(parent)), delayed!(right_child(parent))])
            .collect();
    }
    (level, (1_u64 << depth) - 1)
}

/// Taskflow's wavefront: an `n x n` grid in which cell `(i, j)` waits for `(i-1, j)` and
/// `(i, j-1)`; cell `(0, 0)` is a source. Returns the corner `(n-1, n-1)`, whose value is
/// `2n - 1` ([`wave`] adds one per step). Records `n * n` tasks.
///
/// ```
/// let (corner, tasks) = lazydag_benches::wavefront(4);
/// assert_eq!((corner.compute().unwrap(), tasks), (7, 16));
/// ```
///
/// # Panics
/// If `n` is 0.
pub fn wavefront(n: u64) -> (Delayed<u64>, u64) {
    assert!(n > 0, "a wavefront needs at least one cell");
    let mut row: Vec<Delayed<u64>> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut next: Vec<Delayed<u64>> = Vec::with_capacity(n as usize);
        for j in 0..n as usize {
            let cell = match (i, j) {
                (0, 0) => delayed!(one()),
                (0, _) => delayed!(inc(&next[j - 1])),
                (_, 0) => delayed!(inc(&row[0])),
                _ => delayed!(wave(&row[j], &next[j - 1])),
            };
            next.push(cell);
        }
        row = next;
    }
    (row.pop().expect("n > 0"), n * n)
}

/// Taskflow's embarrassingly parallel shape: `n` independent `inc(i)` tasks, all of them
/// outputs (values `1..=n`). Records `n` tasks.
///
/// ```
/// let (tasks, n) = lazydag_benches::independent(3);
/// assert_eq!((lazydag::compute(&tasks).unwrap(), n), (vec![1, 2, 3], 3));
/// ```
pub fn independent(n: u64) -> (Vec<Delayed<u64>>, u64) {
    ((0..n).map(|i| delayed!(inc(i))).collect(), n)
}

/// [`independent`] with each input bound into its task (a closure capturing `i`, no literal
/// node), as Taskflow's driver records it. Records `n` tasks and nothing else.
///
/// ```
/// let (tasks, n) = lazydag_benches::independent_bound(3);
/// assert_eq!((lazydag::compute(&tasks).unwrap(), n), (vec![1, 2, 3], 3));
/// assert_eq!(lazydag::graph(&tasks).node_count(), 3);
/// ```
pub fn independent_bound(n: u64) -> (Vec<Delayed<u64>>, u64) {
    ((0..n).map(|i| delayed!((move || inc(i))())).collect(), n)
}

/// `n` independent CPU-bound tasks, `work(i, iters)` each: for speedup, not overhead.
/// Records `n` tasks.
///
/// ```
/// let (tasks, n) = lazydag_benches::independent_work(2, 5);
/// let expected = vec![lazydag_benches::work(0, 5), lazydag_benches::work(1, 5)];
/// assert_eq!((lazydag::compute(&tasks).unwrap(), n), (expected, 2));
/// ```
pub fn independent_work(n: u64, iters: u64) -> (Vec<Delayed<u64>>, u64) {
    ((0..n).map(|i| delayed!(work(i, iters))).collect(), n)
}

/// `n` independent tasks that do nothing: the per-task floor of a scheduler.
///
/// ```
/// let (tasks, n) = lazydag_benches::empty_tasks(5);
/// assert_eq!((lazydag::compute(&tasks).unwrap().len(), n), (5, 5));
/// ```
pub fn empty_tasks(n: u64) -> (Vec<Delayed<()>>, u64) {
    ((0..n).map(|_| delayed!(nothing())).collect(), n)
}

mod random_dag;
pub use random_dag::{RandomDag, SEED};
