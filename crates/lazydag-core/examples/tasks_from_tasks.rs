//! Tasks that return graphs (`Delayed::flatten`): the graph's shape depends on values computed
//! while it runs. A directory-walk-like fan-out (how many children a node has is known only
//! once the node is computed), and Fibonacci unfolding one level per task.
//!
//! `cargo run --release -p lazydag-core --example tasks_from_tasks`

use lazydag_core::scheduler::WorkStealing;
use lazydag_core::{Delayed, delayed};

/// A node's "size" and how many children it has, known only once it is computed.
fn visit(id: u64) -> (u64, u64) {
    (id % 7 + 1, if id < 100 { id % 3 + 1 } else { 0 })
}

fn total(sizes: Vec<u64>) -> u64 {
    sizes.iter().sum()
}

/// The total size below node `id`: a task computes the node, then returns the graph of its
/// children, whose number it has just learnt.
fn tree(id: u64) -> Delayed<u64> {
    let node = delayed!(visit(id));
    let below = node.map(move |(size, children): (u64, u64)| {
        let parts: Vec<Delayed<u64>> =
            (0..children).map(|c| tree(id * 4 + c + 1)).collect::<Vec<_>>();
        let sum = delayed!(total(parts));
        sum.map(move |s: u64| s + size)
    });
    below.flatten()
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// Fibonacci whose graph unfolds as it runs: each level is a task that returns the next two.
fn fib(n: u64) -> Delayed<u64> {
    if n < 2 {
        return delayed(n);
    }
    let a = delayed!(fib(n - 1)).flatten();
    let b = delayed!(fib(n - 2)).flatten();
    delayed!(add(a, b))
}

fn main() -> Result<(), lazydag_core::Error> {
    let pool = WorkStealing::new(lazydag_core::config::cores());
    let size = tree(0).compute_with(&pool)?;
    println!("tree: total size {size}");
    let f = fib(18).compute_with(&pool)?;
    assert_eq!(f, 2584);
    println!("fib(18) = {f}");
    Ok(())
}
