//! The seed's array example at full size: a 100,000 x 100,000 random array (80 GB if it were
//! ever held), `y = x + x.T`, the means of its columns, and only the first five of them.
//!
//! Only what `z[:5]` needs runs: the slice is pushed down to `y[:, :5]`, and each of the 100
//! partial means generates its 1,000 x 5 box of `y` (5,000 values of `x`, 5,000 of `x.T`)
//! tile by tile, with no chunk of `x` ever materialised (docs/array.md, "Pushdown and fused
//! reductions"). A callback counts every task that runs (each member of a fused task
//! included), by name: the partials, the combines and gathers of the tree, the aggregate.
//!
//! `cargo run --release --example seed_array` (pass `full` to compute all of `z` instead,
//! and a size such as `20000` to change the shape).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use lazydag::array::{self as da, s};
use lazydag::{Callback, Control, PlanSummary, TaskEvent};

/// Counts the tasks that run, by name; fused tasks count each member.
#[derive(Default)]
struct TaskCount {
    members: Mutex<Vec<Vec<String>>>,
    ran: Mutex<BTreeMap<String, usize>>,
}

impl Callback for TaskCount {
    fn start(&self, plan: &PlanSummary<'_>) {
        let view = plan.plan();
        let names = (0..view.len())
            .map(|i| view.members(i).iter().map(|t| t.key().name().to_string()).collect())
            .collect();
        *self.members.lock().unwrap() = names;
    }

    fn pretask(&self, task: &TaskEvent<'_>) {
        let members = self.members.lock().unwrap();
        let mut ran = self.ran.lock().unwrap();
        for name in &members[task.index()] {
            *ran.entry(name.clone()).or_default() += 1;
        }
    }
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn main() -> Result<(), da::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "full");
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);

    let recording = Instant::now();
    let x = da::random::random([n, n], [1_000, 1_000]); // nothing allocated
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let recorded = recording.elapsed();

    let count = Arc::new(TaskCount::default());
    let control = Control::new().callback(count.clone());
    let scheduler = lazydag::scheduler::default_scheduler()?;
    let start = Instant::now();
    let values: Vec<f64> = if full {
        let all = z.compute_with_control(&*scheduler, &control)?;
        println!("z: {} means, mean of them {:.6}", all.len(), all.mean().unwrap_or(f64::NAN));
        all.iter().take(5).copied().collect()
    } else {
        z.slice(s![..5]).compute_with_control(&*scheduler, &control)?.iter().copied().collect()
    };
    let elapsed = start.elapsed();

    let ran = count.ran.lock().unwrap();
    let total: usize = ran.values().sum();
    println!("x: {:?} in chunks of 1,000 x 1,000 ({} chunks)", x.shape(), x.num_blocks());
    println!("recorded x, y and z in {:.1} ms", recorded.as_secs_f64() * 1e3);
    println!("tasks by name: {ran:?}");
    println!("time: {:.3} s", elapsed.as_secs_f64());
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.6}")).collect();
    println!("z[:5] = [{}]", shown.join(", "));
    println!("chunk tasks run: {total}");
    println!("peak RSS: {} MB", peak_rss_mb());
    Ok(())
}
