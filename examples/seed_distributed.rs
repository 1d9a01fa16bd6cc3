//! The seed's distributed step, `client = Client(); x.mean().compute()`, on Dask distributed
//! with this binary as the scheduler and the workers.
//!
//! `x` is a 10,000 × 10,000 `lazydag::array` of uniform random numbers in 100 chunks of
//! 1,000 × 1,000, exactly as in the local seed. Its reductions are named tasks (a random
//! source is a serde recipe, the partial and combine steps are `#[remote]` functions of
//! lazydag-array: see docs/distributed.md), so the same graph runs locally and on the
//! cluster, bit-identical: `x.mean()`, then `(x + x.T).sum()`.
//!
//! ```sh
//! export "$(bash scripts/dask-env.sh)"      # the venv with Dask; sets PYO3_PYTHON
//! cargo run --release -p lazydag --no-default-features --features dask,array --example seed_distributed
//! # on a cluster started with `seed_distributed lazydag scheduler` / `... lazydag worker ADDR`:
//! LAZYDAG_DASK_ADDRESS=tcp://head:8786 target/release/examples/seed_distributed
//! ```

use std::time::Instant;

use lazydag::array as da;
use lazydag::dask::{DaskCluster, main_hook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    main_hook(); // `seed_distributed lazydag worker …` runs a Dask worker and never returns

    let x = da::random::random([10_000, 10_000], [1_000, 1_000]);
    let y = &x + &x.t();

    let cluster = match std::env::var("LAZYDAG_DASK_ADDRESS") {
        Ok(address) => DaskCluster::connect(&address)?,
        Err(_) => DaskCluster::local(2)?, // like `Client()`: a scheduler and 2 workers here
    };
    println!("dashboard: {}", cluster.dashboard_link().unwrap_or("none"));
    for (what, z) in [("x.mean()", x.mean()), ("(x + x.T).sum()", y.sum())] {
        let t = Instant::now();
        let here = z.compute_scalar()?;
        let local = t.elapsed();
        let t = Instant::now();
        let there = z.compute_with(&cluster)?.into_iter().next().expect("a 0-d array");
        let remote = t.elapsed();
        assert_eq!(here.to_bits(), there.to_bits(), "the cluster computed other bits");
        println!("{what} = {there} (local {local:.2?}, cluster {remote:.2?}; bit-identical)",);
    }
    Ok(())
}
