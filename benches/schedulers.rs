//! Per-task overhead of each scheduler, and speedup on CPU-bound work.
//!
//! `cargo bench -p lazydag-benches --bench schedulers`; figures go to docs/benchmarks.md.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lazydag::Scheduler;
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag_benches::{binary_tree, chain, map_reduce};

const WORKERS: usize = 2;

fn schedulers() -> Vec<(&'static str, Box<dyn Scheduler>)> {
    vec![
        ("sync", Box::new(Sequential)),
        ("threads", Box::new(Threaded::new(WORKERS))),
        ("work-stealing", Box::new(WorkStealing::new(WORKERS))),
        ("async", Box::new(Async::new(WORKERS))),
    ]
}

fn overhead(c: &mut Criterion) {
    let shapes = [
        ("map_reduce_131k", map_reduce(131_072)),
        ("binary_tree_1m", binary_tree(1 << 19)),
        ("chain_1m", chain(1_000_000)),
    ];
    for (shape, (graph, tasks)) in &shapes {
        let mut group = c.benchmark_group(format!("overhead/{shape}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(*tasks));
        for (name, scheduler) in schedulers() {
            if name == "async" && *shape != "map_reduce_131k" {
                continue; // ~10 µs per CPU task: one shape is enough to show it
            }
            group.bench_function(name, |b| b.iter(|| graph.compute_with(&*scheduler).unwrap()));
        }
        group.finish();
    }
}

/// Busy for about a millisecond (spinning, not sleeping: CPU-bound).
fn spin_1ms(x: u64) -> u64 {
    let end = Instant::now() + Duration::from_millis(1);
    let mut n = x;
    while Instant::now() < end {
        n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    n
}

fn cpu_bound(c: &mut Criterion) {
    let tasks: Vec<Delayed<u64>> = (0..200).map(|i| delayed!(spin_1ms(i))).collect();
    let mut group = c.benchmark_group("cpu_bound_200x1ms");
    group.sample_size(10);
    group.throughput(Throughput::Elements(200));
    for (name, scheduler) in schedulers() {
        group.bench_function(name, |b| {
            b.iter(|| lazydag::compute_with(&tasks, &*scheduler).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, overhead, cpu_bound);
criterion_main!(benches);
