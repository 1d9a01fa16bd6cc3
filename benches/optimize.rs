//! The optimizer: what fusion buys end to end, and what optimizing costs per task.
//!
//! `cargo bench -p lazydag-benches --bench optimize`; figures go to docs/benchmarks.md.
//! Every compute here names its optimizer explicitly, so the configuration cannot leak in.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lazydag::scheduler::{Sequential, WorkStealing};
use lazydag::{Control, Optimizer, Plan, Scheduler, compute_with_control};
use lazydag_benches::{binary_tree, chain, map_reduce};

const WORKERS: usize = 2;

/// 1M-task chain: unfused vs fused, end to end (collect, optimize, run), sync and stealing.
fn chain_fusion(c: &mut Criterion) {
    let (tip, tasks) = chain(1_000_000);
    let mut group = c.benchmark_group("fusion/chain_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tasks));
    let stealing = WorkStealing::new(WORKERS);
    let schedulers: [(&str, &dyn Scheduler); 2] =
        [("sync", &Sequential), ("work-stealing", &stealing)];
    for (name, scheduler) in schedulers {
        for (variant, optimizer) in [("unfused", Optimizer::off()), ("fused", Optimizer::new())] {
            let control = Control::new().optimize(optimizer);
            group.bench_function(format!("{name}/{variant}"), |b| {
                b.iter(|| compute_with_control(&tip, scheduler, &control).unwrap())
            });
        }
    }
    group.finish();
}

/// Planning alone, with and without the optimizer: the difference is the optimizer's cost.
fn optimize_cost(c: &mut Criterion) {
    let shapes = [("chain_1m", chain(1_000_000)), ("map_reduce_1m", map_reduce(1 << 19))];
    for (shape, (out, tasks)) in &shapes {
        let mut group = c.benchmark_group(format!("plan/{shape}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(*tasks));
        group.bench_function("collect", |b| b.iter(|| Plan::new(&[out.task()])));
        let optimizer = Optimizer::new();
        group.bench_function("collect+optimize", |b| {
            b.iter(|| Plan::optimized(&[out.task()], &optimizer).unwrap())
        });
        group.finish();
    }
}

/// Reduction fusion on a wide tree reduce (1M tasks), work-stealing on 2 workers.
fn reduction_fusion(c: &mut Criterion) {
    let (sum, tasks) = binary_tree(1 << 19);
    let stealing = WorkStealing::new(WORKERS);
    let mut group = c.benchmark_group("fusion/tree_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tasks));
    let variants = [
        ("unoptimized", Optimizer::off()),
        ("default", Optimizer::new()),
        ("reductions-8", Optimizer::new().fuse_reductions(Some(8))),
        ("reductions-64", Optimizer::new().fuse_reductions(Some(64))),
        ("reductions-1024", Optimizer::new().fuse_reductions(Some(1024))),
    ];
    for (name, optimizer) in variants {
        let control = Control::new().optimize(optimizer);
        group.bench_function(format!("work-stealing/{name}"), |b| {
            b.iter(|| compute_with_control(&sum, &stealing, &control).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, chain_fusion, optimize_cost, reduction_fusion);
criterion_main!(benches);
