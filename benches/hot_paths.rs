//! The hot paths, one operation each: recording a task, and scheduling empty tasks on each
//! scheduler (the fixed cost of a one-task compute, and the per-task cost in a wide graph).
//!
//! `cargo bench -p lazydag-benches --bench hot_paths`; CI runs it once in test mode
//! (`cargo test -p lazydag-benches --benches`). The graph shapes and the comparison with rayon
//! and Dask are in the harness: `cargo run --release -p lazydag-bench`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lazydag::Scheduler;
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag_benches::{empty_tasks, inc, nothing};

const WORKERS: usize = 2;
const WIDE: u64 = 4_096;

fn schedulers() -> Vec<(&'static str, Box<dyn Scheduler>)> {
    vec![
        ("sync", Box::new(Sequential)),
        ("threads", Box::new(Threaded::new(WORKERS))),
        ("work-stealing", Box::new(WorkStealing::new(WORKERS))),
        ("async", Box::new(Async::new(WORKERS))),
    ]
}

/// Recording one task on an existing handle, and one on a plain value (task + literal).
fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    let base = delayed(1_u64);
    group.bench_function("task_on_handle", |b| b.iter_with_large_drop(|| delayed!(inc(&base))));
    group.bench_function("task_on_value", |b| b.iter_with_large_drop(|| delayed!(inc(1_u64))));
    group.bench_function("empty_task", |b| b.iter_with_large_drop(|| delayed!(nothing())));
    group.finish();
}

/// One empty task per compute (the fixed cost), and `WIDE` empty tasks (the per-task cost).
fn schedule(c: &mut Criterion) {
    let one = delayed!(nothing());
    let (wide, tasks) = empty_tasks(WIDE);
    for (name, scheduler) in schedulers() {
        let mut group = c.benchmark_group(format!("schedule/{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("one_empty_task", |b| {
            b.iter(|| one.compute_with(&*scheduler).unwrap())
        });
        group.throughput(Throughput::Elements(tasks));
        group.bench_function("empty_tasks_4096", |b| {
            b.iter(|| lazydag::compute_with(&wide, &*scheduler).unwrap());
        });
        group.finish();
    }
}

// The optimizer's per-task cost goes here once `lazydag-optimize` exists (issue 7): a group
// `optimize` with `map_reduce_131k` and `chain_1m` from `lazydag_benches`, timing the passes
// alone (Throughput::Elements(tasks)), then added to `criterion_group!` below. The harness's
// optimized variant is `Variant` in `crates/lazydag-bench/src/runner.rs`.

criterion_group!(benches, record, schedule);
criterion_main!(benches);
