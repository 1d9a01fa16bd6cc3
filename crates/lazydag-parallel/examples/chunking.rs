//! Chunking work appropriately: automatic batches vs one item per batch, and a 100 MB array
//! shared read-only through an `Arc` (never copied per task).
//!
//! `cargo run --release -p lazydag-parallel --example chunking`

use std::sync::Arc;
use std::time::Instant;

use lazydag_parallel::{BatchSize, Parallel};

fn main() -> Result<(), lazydag_parallel::Error> {
    let parallel = Parallel::new().n_jobs(-1);

    // 1M tiny items: automatic batching runs a few dozen batches, not a million tasks.
    let start = Instant::now();
    let out = parallel.map(0..1_000_000u64, |x| x * 2)?;
    println!("1M items, auto batches:        {:>9.2?}", start.elapsed());
    assert_eq!(out[999_999], 1_999_998);

    // The same work one item per batch pays the cost of taking a batch per item (20k items).
    let one = parallel.clone().batch_size(BatchSize::Fixed(1));
    let start = Instant::now();
    one.map(0..20_000u64, |x| x * 2)?;
    let per_item = start.elapsed() / 20_000;
    println!("20k items, one per batch:      {per_item:>9.2?} per item");
    let fixed = parallel.clone().batch_size(BatchSize::Fixed(10_000));
    let start = Instant::now();
    fixed.map(0..1_000_000u64, |x| x * 2)?;
    println!("1M items, batches of 10,000:   {:>9.2?}", start.elapsed());

    // A 100 MB read-only array shared by every task through an Arc: items are chunk indices.
    let data: Arc<Vec<u8>> = Arc::new((0..100usize << 20).map(|i| (i % 251) as u8).collect());
    let chunk = 1 << 20;
    let start = Instant::now();
    let shared = Arc::clone(&data);
    let sums = parallel.map(0..data.len() / chunk, move |c| {
        shared[c * chunk..(c + 1) * chunk].iter().map(|&b| u64::from(b)).sum::<u64>()
    })?;
    let total: u64 = sums.iter().sum();
    println!("sum of 100 MB in 1 MB chunks:  {:>9.2?} (total {total})", start.elapsed());
    assert_eq!(total, data.iter().map(|&b| u64::from(b)).sum::<u64>());
    Ok(())
}
