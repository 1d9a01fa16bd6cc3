//! Per-task costs of the core: recording a task, and computing with the sync scheduler.
//!
//! `cargo bench -p lazydag-benches --bench core`; figures go to docs/benchmarks.md.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lazydag::scheduler::Sequential;
use lazydag_benches::{chain, map_reduce};

const LEAVES: u64 = 131_072;

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(20);
    let (_, tasks) = map_reduce(LEAVES);
    group.throughput(Throughput::Elements(tasks));
    group.bench_function("map_reduce_131k", |b| {
        b.iter_with_large_drop(|| map_reduce(LEAVES));
    });
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("chain_1m", |b| b.iter_with_large_drop(|| chain(1_000_000)));
    group.finish();
}

fn sync_compute(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync_compute");
    group.sample_size(20);
    let (graph, tasks) = map_reduce(LEAVES);
    group.throughput(Throughput::Elements(tasks));
    group
        .bench_function("map_reduce_131k", |b| b.iter(|| graph.compute_with(&Sequential).unwrap()));
    let (tip, tasks) = chain(1_000_000);
    group.throughput(Throughput::Elements(tasks));
    group.bench_function("chain_1m", |b| b.iter(|| tip.compute_with(&Sequential).unwrap()));
    group.finish();
}

fn drop_graph(c: &mut Criterion) {
    let mut group = c.benchmark_group("drop");
    group.sample_size(20);
    let (_, tasks) = map_reduce(LEAVES);
    group.throughput(Throughput::Elements(tasks));
    group.bench_function("map_reduce_131k", |b| {
        b.iter_batched(|| map_reduce(LEAVES), drop, BatchSize::PerIteration);
    });
    group.finish();
}

criterion_group!(benches, build, sync_compute, drop_graph);
criterion_main!(benches);
