//! Probe: the per-task execution cost of a compiled plan's re-run, the schedulers' hot path
//! (`cargo run --release -p lazydag-core --example hotpath -- [map-reduce|chain] [leaves]`).
//!
//! It compiles the harness's map-reduce (or a chain) once and re-runs it on
//! `WorkStealing::new(1)`, `WorkStealing::new(2)` and `Sequential`, calling
//! `hotpath_mark` between the runs. Under callgrind each call dumps the counts since the
//! previous one (see docs/schedulers/work-stealing.md, "Per-task cost"):
//!
//! ```text
//! valgrind --tool=callgrind --dump-before='*hotpath_mark*' --callgrind-out-file=cg.out \
//!     target/release/examples/hotpath map-reduce 131072
//! ```
//!
//! Dumps 2.. are: WorkStealing(1) re-run, Sequential re-run, WorkStealing(2) re-run. Then
//! (ignore it under callgrind, `LAZYDAG_PROBE_REPEATS=0`) it prints wall and CPU time per
//! task of each, the median of 5 re-runs.
use std::time::Instant;

use lazydag_core::{Delayed, Optimizer, compile_with, delayed, scheduler::Sequential};
use lazydag_core::{Scheduler, scheduler::WorkStealing};

fn inc(x: u64) -> u64 {
    x + 1
}

fn add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// Marks the end of a phase (callgrind dumps before each call).
#[inline(never)]
fn hotpath_mark(phase: usize) {
    std::hint::black_box(phase);
}

fn map_reduce(leaves: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut pairs = level.into_iter();
        while let Some(a) = pairs.next() {
            match pairs.next() {
                Some(b) => next.push(delayed!(add(a, b))),
                None => next.push(a),
            }
        }
        level = next;
    }
    level.pop().expect("a leaf")
}

fn chain(n: u64) -> Delayed<u64> {
    let mut x = delayed!(inc(0));
    for _ in 1..n {
        x = delayed!(inc(x));
    }
    x
}

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = args.next().unwrap_or_else(|| "map-reduce".to_owned());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(131_072);
    let (graph, tasks, expected) = match shape.as_str() {
        "chain" => (chain(n), n, n),
        _ => (map_reduce(n), 2 * n - 1, (1..=n).sum::<u64>()),
    };
    let plan = compile_with(graph, &Optimizer::off()).expect("compiles");
    let ws1 = WorkStealing::new(1);
    let ws2 = WorkStealing::new(2);
    // Warm every pool once, so that the measured runs are re-runs.
    for s in [&ws1 as &dyn Scheduler, &Sequential, &ws2] {
        assert_eq!(plan.run_with(s).unwrap(), expected);
    }
    hotpath_mark(1);
    for (k, s) in [&ws1 as &dyn Scheduler, &Sequential, &ws2].into_iter().enumerate() {
        assert_eq!(plan.run_with(s).unwrap(), expected);
        hotpath_mark(k + 2);
    }
    // Outside callgrind: wall and CPU time (all threads, from /proc) per task, median of
    // `LAZYDAG_PROBE_REPEATS` (default 5) re-runs each.
    let repeats: usize =
        std::env::var("LAZYDAG_PROBE_REPEATS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    if repeats == 0 {
        return;
    }
    for (name, s) in [("ws1", &ws1 as &dyn Scheduler), ("sync", &Sequential), ("ws2", &ws2)] {
        let (mut walls, mut cpus) = (Vec::new(), Vec::new());
        let mut threads: Vec<Vec<(String, f64)>> = Vec::new();
        for _ in 0..repeats {
            let (t, c, before) = (Instant::now(), cpu_seconds(), thread_cpu());
            assert_eq!(plan.run_with(s).unwrap(), expected);
            walls.push(t.elapsed().as_secs_f64() * 1e9 / tasks as f64);
            cpus.push((cpu_seconds() - c) * 1e9 / tasks as f64);
            let after = thread_cpu();
            threads.push(
                after
                    .iter()
                    .map(|(name, ns)| {
                        let was = before.iter().find(|(n, _)| n == name).map_or(0.0, |b| b.1);
                        (name.clone(), (ns - was) * 1e9 / tasks as f64)
                    })
                    .filter(|(_, ns)| *ns > 0.05)
                    .collect(),
            );
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[v.len() / 2], v[0], v[v.len() - 1])
        };
        let (w, wmin, wmax) = median(&mut walls);
        let (c, cmin, cmax) = median(&mut cpus);
        println!(
            "{shape} {tasks} tasks, {name}: wall {w:.1} ns/task ({wmin:.1}-{wmax:.1}), \
             cpu {c:.1} ns/task ({cmin:.1}-{cmax:.1})"
        );
        // Each thread's CPU per task in the run with the median wall time: whether a second
        // worker did its share.
        if let Some(run) = threads.get(threads.len() / 2) {
            let split: Vec<String> = run.iter().map(|(n, ns)| format!("{n} {ns:.1}")).collect();
            println!("  per thread (one run), ns/task: {}", split.join(", "));
        }
    }
}

/// CPU time of each thread of this process so far, by thread name (with its id), in seconds.
fn thread_cpu() -> Vec<(String, f64)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    dir.filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            let ns: u64 = std::fs::read_to_string(path.join("schedstat"))
                .ok()?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            let id = entry.file_name().to_string_lossy().into_owned();
            Some((format!("{}#{id}", comm.trim()), ns as f64 * 1e-9))
        })
        .collect()
}

/// CPU time of every thread of this process so far, in seconds (0 without `/proc`).
fn cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("schedstat")).ok())
        .filter_map(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 * 1e-9)
        .sum()
}
