//! Probe: start-up of a large work-stealing pool and the cost of a 100-task compute on it
//! (`cargo run --release -p lazydag-core --example ws_scale`; see docs/schedulers/work-stealing.md).
use std::time::Instant;

use lazydag_core::{delayed, scheduler::WorkStealing};

fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn main() {
    for workers in [2usize, 64, 2000] {
        let t = Instant::now();
        let pool = WorkStealing::new(workers);
        let start = t.elapsed();
        let mut times = Vec::new();
        for _ in 0..20 {
            let parts: Vec<_> = (0..99).map(|i| delayed!(add(i, 1))).collect();
            let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(parts));
            let t = Instant::now();
            assert_eq!(total.compute_with(&pool).unwrap(), 4950);
            times.push(t.elapsed());
        }
        times.sort();
        let t = Instant::now();
        drop(pool);
        println!(
            "workers {workers}: start {start:?}, 100-task compute median {:?} (min {:?}, max {:?}), drop {:?}",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            t.elapsed()
        );
    }
}
