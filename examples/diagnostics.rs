//! Diagnostics tour: computes a few-thousand-task graph on the work-stealing pool with a
//! progress bar and a profiler attached, then writes into `target/diagnostics/` (under
//! `$CARGO_TARGET_DIR` when it is set, or into the folder given as the first argument):
//!
//! - `progress.txt`: the progress bar's summary line (the bar itself is drawn on stderr when
//!   it is a terminal and the compute lasts longer than 0.2 s);
//! - `trace.json`: the Chrome trace; open it in Perfetto (ui.perfetto.dev);
//! - `tasks.svg`: the task stream, one row per worker;
//! - `graph.svg` (and `graph.dot`): a smaller graph coloured by measured duration;
//! - `priority.svg`: the same graph coloured by priority.
//!
//! Run it with `cargo run --release -p lazydag-diagnostics --example diagnostics`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lazydag::scheduler::WorkStealing;
use lazydag::{Control, Delayed, compute_with_control, delayed};
use lazydag_diagnostics::{Profiler, ProgressBar, Visualize, visualize};

/// Loads one "partition": some CPU work proportional to its size.
fn load(part: u64) -> Vec<u64> {
    (0..2_000 + (part % 7) * 500).map(|i| i * part % 1_013).collect()
}

/// Cleans a partition.
fn clean(rows: Vec<u64>) -> Vec<u64> {
    rows.into_iter().filter(|x| x % 3 != 0).collect()
}

/// Sums a partition.
fn total(rows: Vec<u64>) -> u64 {
    std::thread::sleep(Duration::from_millis(1));
    rows.iter().sum()
}

/// Adds two partial sums.
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// `parts` partitions loaded, cleaned and summed, then a tree of adds: `4 * parts - 1` tasks.
fn pipeline(parts: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> =
        (0..parts).map(|p| delayed!(total(delayed!(clean(delayed!(load(p))))))).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            next.push(match pair {
                [a, b] => delayed!(add(a, b)),
                [a] => a.clone(),
                _ => unreachable!("chunks of two"),
            });
        }
        level = next;
    }
    level.pop().expect("at least one partition")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty());
    let out: PathBuf = match std::env::args().nth(1) {
        Some(dir) => dir.into(),
        None => PathBuf::from(target.unwrap_or_else(|| "target".into())).join("diagnostics"),
    };
    std::fs::create_dir_all(&out)?;

    // The big run: 4,095 tasks recorded, 2,047 run once the chains are fused; profiled, with
    // a progress bar.
    let big = pipeline(1_024);
    let profiler = Arc::new(Profiler::new());
    let bar = Arc::new(ProgressBar::new().minimum(Duration::from_millis(200)));
    let control = Control::new().callback(bar.clone()).callback(profiler.clone());
    let pool = WorkStealing::new(4);
    let sum = compute_with_control(&big, &pool, &control)?;
    println!("sum = {sum}");

    let summary = bar.summary().unwrap_or_default();
    std::fs::write(out.join("progress.txt"), format!("{summary}\n"))?;
    profiler.write_chrome_trace(out.join("trace.json"))?;
    profiler.write_task_stream(out.join("tasks.svg"))?;

    // A graph small enough to read, profiled on its own, coloured by duration and by priority.
    let small = pipeline(8);
    let small_profile = Arc::new(Profiler::new());
    compute_with_control(&small, &pool, &Control::new().callback(small_profile.clone()))?;
    let mut written = vec![out.join("progress.txt"), out.join("trace.json"), out.join("tasks.svg")];
    for (name, options) in [
        ("graph.svg", Visualize::new().durations(&small_profile)),
        ("priority.svg", Visualize::new()),
    ] {
        match visualize(&small, out.join(name), &options) {
            Ok(dot) => written.extend([out.join(name), dot]),
            Err(err) => eprintln!("{err}"),
        }
    }
    println!("{summary}");
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}
