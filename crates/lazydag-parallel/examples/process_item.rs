//! joblib's first example: a slow `process_item`, sequentially and with 4 jobs.
//!
//! `cargo run --release -p lazydag-parallel --example process_item`

use std::time::{Duration, Instant};

use lazydag_parallel::Parallel;

/// A slow function: 100 ms per item (joblib's example sleeps 1 s; shortened here).
fn process_item(x: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(100));
    x * x
}

fn main() -> Result<(), lazydag_parallel::Error> {
    let items: Vec<u64> = (0..10).collect();

    let start = Instant::now();
    let sequential: Vec<u64> = items.iter().copied().map(process_item).collect();
    let sequential_time = start.elapsed();

    let start = Instant::now();
    let parallel = Parallel::new().n_jobs(4).map(items, process_item)?;
    let parallel_time = start.elapsed();

    assert_eq!(parallel, sequential);
    println!("results:    {parallel:?}");
    println!("sequential: {sequential_time:.2?}");
    println!("n_jobs(4):  {parallel_time:.2?}");
    Ok(())
}
