//! `Parallel::map` against rayon's `par_iter` on 1M trivial items, in one criterion group (so
//! the ratio comes from one run), and `Memory` hit costs.
//!
//! `cargo bench -p lazydag-parallel --bench parallel`; figures go to docs/benchmarks.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lazydag_parallel::{Memory, Parallel};
use rayon::prelude::*;

const ITEMS: u64 = 1_000_000;

/// The trivial per-item work.
fn work(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 7)
}

fn map_1m(c: &mut Criterion) {
    let mut group = c.benchmark_group("map_1m");
    group.sample_size(30);
    group.throughput(Throughput::Elements(ITEMS));
    let parallel = Parallel::new().n_jobs(-1);
    group.bench_function("lazydag_parallel", |b| {
        b.iter(|| parallel.map(0..ITEMS, work).unwrap());
    });
    group.bench_function("rayon_par_iter", |b| {
        b.iter(|| (0..ITEMS).into_par_iter().map(work).collect::<Vec<_>>());
    });
    group.bench_function("sequential", |b| b.iter(|| (0..ITEMS).map(work).collect::<Vec<_>>()));
    // The streaming engine (dispatcher threads, one lazydag task per batch), for comparison.
    group.bench_function("lazydag_parallel_map_iter", |b| {
        b.iter(|| {
            parallel.map_iter(0..ITEMS, work).unwrap().map(Result::unwrap).collect::<Vec<_>>()
        });
    });
    group.finish();
}

/// The upstream step of the graph-cache bench (never runs once cached).
fn upstream_1kb(n: usize) -> String {
    "b".repeat(n)
}

/// The cached step of the graph-cache bench: a 1 KB value.
fn step_1kb(s: String) -> String {
    s.replace('b', "a")
}

fn memory(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let mut group = c.benchmark_group("memory");
    group.sample_size(30);
    let small = memory.cache("small", |x: u64| x + 1);
    small.call(1).unwrap();
    group.bench_function("hit_small", |b| b.iter(|| small.call(1).unwrap()));

    // Issue 15's figure: a hit of a 1 KB value (a 1,000-character string, 1,003 bytes of
    // bincode), beside joblib's (benches/joblib/memory_hit.py, the same function).
    let one_kb = memory.cache("one_kb", |_: u64| "a".repeat(1000));
    one_kb.call(7).unwrap();
    group.bench_function("hit_1kb", |b| b.iter(|| one_kb.call(7).unwrap()));
    // The graph-aware cache: record `upstream -> step`, both pure and cached, and compute;
    // `step` is a hit, so `upstream` is not even planned. Recording, keying, planning, the
    // load and the decode are all in the figure.
    let graph = || {
        let up = lazydag::delayed!(upstream_1kb(1000)).pure().cache(&memory);
        lazydag::delayed!(step_1kb(up)).pure().cache(&memory)
    };
    assert_eq!(graph().compute().unwrap().len(), 1000);
    group.bench_function("task_hit_1kb_upstream_skip", |b| {
        b.iter(|| graph().compute().unwrap());
    });

    let values: Vec<f64> = (0..1_000_000).map(|i| f64::from(i) * 0.731).collect();
    let large = memory.cache("large", move |n: usize| values[..n].to_vec());
    large.call(1_000_000).unwrap();
    let bytes = std::fs::metadata(large.entry_path(&1_000_000usize).unwrap()).unwrap().len();
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("hit_large_8mb_f64", |b| b.iter(|| large.call(1_000_000).unwrap()));
    group.bench_function("store_large_8mb_f64", |b| {
        b.iter(|| {
            memory.clear().unwrap();
            large.call(1_000_000).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, map_1m, memory);
criterion_main!(benches);
