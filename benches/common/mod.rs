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
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    let mut tasks = leaves;
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
