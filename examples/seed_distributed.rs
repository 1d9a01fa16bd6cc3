//! The seed's distributed step, `client = Client(); x.mean().compute()`, on Dask distributed
//! with this binary as the scheduler and the workers.
//!
//! `x` is a 10,000 × 10,000 array of uniform random numbers in 100 chunks of 1,000 × 1,000,
//! written as a delayed graph of `#[lazydag::remote]` functions: `lazydag::array`'s operations
//! are closures inside, which a cluster refuses (see docs/distributed.md), so the chunk sums
//! are named functions here. The same graph runs locally and on the cluster, bit-identical.
//!
//! ```sh
//! eval "$(bash scripts/dask-env.sh)"      # the venv with Dask; sets PYO3_PYTHON
//! cargo run --release -p lazydag --features dask --example seed_distributed
//! # on a cluster started with `seed_distributed lazydag scheduler` / `... lazydag worker ADDR`:
//! LAZYDAG_DASK_ADDRESS=tcp://head:8786 target/release/examples/seed_distributed
//! ```

use lazydag::dask::{DaskCluster, main_hook};
use lazydag::prelude::*;

/// The sum and count of chunk `index` of `x` (`rows` × `cols` numbers from the chunk's seed).
#[lazydag::remote]
fn chunk_sum(index: u64, rows: u32, cols: u32) -> (f64, u64) {
    let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n = u64::from(rows) * u64::from(cols);
    let mut sum = 0.0;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        sum += (state >> 11) as f64 / (1u64 << 53) as f64;
    }
    (sum, n)
}

/// Two partial sums as one.
#[lazydag::remote]
fn combine(a: (f64, u64), b: (f64, u64)) -> (f64, u64) {
    (a.0 + b.0, a.1 + b.1)
}

/// The mean of a sum and count.
#[lazydag::remote]
fn mean(total: (f64, u64)) -> f64 {
    total.0 / total.1 as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    main_hook(); // `seed_distributed lazydag worker …` runs a Dask worker and never returns

    let mut parts: Vec<Delayed<(f64, u64)>> =
        (0..100).map(|i| delayed!(chunk_sum(i, 1000, 1000))).collect();
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => delayed!(combine(a, b)),
                None => a,
            });
        }
        parts = next;
    }
    let x_mean = delayed!(mean(parts.pop().expect("100 chunks")));

    let here = x_mean.compute()?;
    let cluster = match std::env::var("LAZYDAG_DASK_ADDRESS") {
        Ok(address) => DaskCluster::connect(&address)?,
        Err(_) => DaskCluster::local(2)?, // like `Client()`: a scheduler and 2 workers here
    };
    println!("dashboard: {}", cluster.dashboard_link().unwrap_or("none"));
    let there = x_mean.compute_with(&cluster)?;
    assert_eq!(here.to_bits(), there.to_bits(), "the cluster computed other bits");
    println!("x.mean() = {there} (local and cluster bit-identical)");
    Ok(())
}
