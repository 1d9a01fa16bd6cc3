//! Per-task cost of the callback hooks, sync compute of map-reduce 131k (31 interleaved runs):
//! no callback, a callback that does nothing, and the diagnostics `Profiler`.
//!
//! `cargo run --release -p lazydag-benches --example callback_overhead`

use std::sync::Arc;
use std::time::Instant;

use lazydag::scheduler::Sequential;
use lazydag::{Callback, Control, compute_with_control};
use lazydag_diagnostics::Profiler;

/// Implements no hook: measures the cost of the hook calls themselves.
struct Nothing;
impl Callback for Nothing {}

fn main() {
    let (graph, tasks) = lazydag_benches::map_reduce(131_072);
    let configs: [(&str, &dyn Fn() -> Control); 3] = [
        ("no callback", &Control::new),
        ("empty callback", &|| Control::new().callback(Arc::new(Nothing))),
        ("profiler", &|| Control::new().callback(Arc::new(Profiler::new()))),
    ];
    // Rounds interleave the configurations, so a busy spell on a shared machine hits all three.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    for _ in 0..31 {
        for (k, (_, control)) in configs.iter().enumerate() {
            let control = control();
            let start = Instant::now();
            std::hint::black_box(compute_with_control(&graph, &Sequential, &control).unwrap());
            times[k].push(start.elapsed().as_secs_f64() * 1e9 / tasks as f64);
        }
    }
    let stats = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        (t[0], t[t.len() / 2])
    };
    let (base_min, base_med) = stats(&mut times[0]);
    println!("{tasks} tasks; ns per task: min / median (extra over no callback)");
    for (k, (name, _)) in configs.iter().enumerate() {
        let (min, med) = stats(&mut times[k]);
        println!(
            "{name:15} {min:6.1} / {med:6.1}   (+{:.1} / +{:.1})",
            min - base_min,
            med - base_med
        );
    }
}
