//! joblib's `Memory` example: the second call returns at once, new arguments recompute.
//!
//! `cargo run --release -p lazydag-parallel --example cache`

use std::time::{Duration, Instant};

use lazydag_parallel::Memory;

/// An expensive computation (here: 1 s of sleep).
fn expensive(args: (u64, u64)) -> Vec<u64> {
    std::thread::sleep(Duration::from_secs(1));
    (args.0..args.1).map(|x| x * x).collect()
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("{label:<28} {:>9.2?}", start.elapsed());
    value
}

fn main() -> Result<(), lazydag_parallel::Error> {
    let location = std::env::temp_dir().join("lazydag-parallel-cache-example");
    let memory = Memory::new(&location).size_limit(64 << 20);
    memory.clear()?; // start cold, so the first call computes
    let cached = memory.cache("expensive", expensive).version("1");

    let first = timed("first call (computes)", || cached.call((0, 1000)))?;
    let second = timed("second call (from disk)", || cached.call((0, 1000)))?;
    assert_eq!(first, second);
    timed("new arguments (computes)", || cached.call((0, 2000)))?;
    timed("new version (computes)", || cached.clone().version("2").call((0, 1000)))?;
    println!("cache: {} bytes in {}", memory.size()?, location.display());
    memory.clear()?;
    Ok(())
}
