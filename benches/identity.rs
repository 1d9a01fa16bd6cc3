//! Task identity by content (issue 15): what recording costs with and without a content key,
//! and how fast a large byte buffer is hashed.
//!
//! `cargo bench -p lazydag-benches --bench identity`; figures in `docs/benchmarks.md`
//! ("Identity"). `record/*` is the same shape as `hot_paths`' `record` group, so the two can
//! be compared with the same bench on another commit.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lazydag::prelude::*;
use lazydag_benches::inc;

fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn len(data: Arc<Vec<u8>>) -> usize {
    data.len()
}

/// Recording an impure task, and the same task made pure: `pure - plain` is the key's cost.
fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("identity/record");
    group.throughput(Throughput::Elements(1));
    let base = delayed(1_u64);
    let (left, right) = (delayed!(inc(1_u64)).pure(), delayed!(inc(2_u64)).pure());
    group.bench_function("plain_on_handle", |b| b.iter_with_large_drop(|| delayed!(inc(&base))));
    group.bench_function("plain_on_value", |b| b.iter_with_large_drop(|| delayed!(inc(1_u64))));
    group.bench_function("plain_two_values", |b| {
        b.iter_with_large_drop(|| delayed!(add(1_u64, 2_u64)))
    });
    group.bench_function("pure_on_value", |b| {
        b.iter_with_large_drop(|| delayed!(inc(1_u64)).pure())
    });
    group.bench_function("pure_two_values", |b| {
        b.iter_with_large_drop(|| delayed!(add(1_u64, 2_u64)).pure())
    });
    group.bench_function("pure_on_two_pure_handles", |b| {
        b.iter_with_large_drop(|| delayed!(add(&left, &right)).pure())
    });
    group.finish();
}

/// Hashing a 64 MiB `Vec<u8>` literal: its key, taken by the first pure consumer.
fn hash(c: &mut Criterion) {
    const BYTES: usize = 64 << 20;
    let data = Arc::new(vec![0x5a_u8; BYTES]);
    let mut group = c.benchmark_group("identity/hash");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(BYTES as u64));
    group.bench_function("vec_u8_64MiB", |b| {
        b.iter_batched(
            || delayed_pure(Arc::clone(&data)),
            |literal| literal.map(len).pure(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, record, hash);
criterion_main!(benches);
