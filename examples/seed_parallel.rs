//! The seed's `process_item` example: ten items that each take one second, computed
//! sequentially and then on four workers.
//!
//! Run with `cargo run --release -p lazydag-examples --example seed_parallel` (about 13 s: ~10 s, then ~3 s).

use std::thread;
use std::time::{Duration, Instant};

use lazydag::prelude::*;
use lazydag::scheduler::{Sequential, WorkStealing};

/// Pretend to work on one item for a second.
fn process_item(x: u64) -> u64 {
    thread::sleep(Duration::from_secs(1));
    x * x
}

fn main() -> Result<(), lazydag::Error> {
    let results: Vec<Delayed<u64>> = (0..10).map(|x| delayed!(process_item(x))).collect();
    let total = delayed!((|squares: Vec<u64>| squares.iter().sum::<u64>())(&results));

    let start = Instant::now();
    let sequential = total.compute_with(&Sequential)?;
    println!("sequential (sync scheduler):    {sequential} in {:.2?}", start.elapsed());

    let pool = WorkStealing::new(4);
    let start = Instant::now();
    let parallel = total.compute_with(&pool)?;
    println!("parallel (4 work-stealing workers): {parallel} in {:.2?}", start.elapsed());

    assert_eq!(sequential, parallel);
    Ok(())
}
