//! Profiling aid: plans (and optionally runs) a 1M-task shape many times, so a profiler
//! (`valgrind --tool=callgrind`, `perf record`) sees where collecting, optimizing and running go.
//!
//! `cargo run --release -p lazydag-benches --example optimize_probe -- chain|tree|fan plan|run N [on|off]`

use std::time::Instant;

use lazydag::scheduler::Sequential;
use lazydag::{Control, Optimizer, Plan, compute_with_control};
use lazydag_benches::{chain, fan_out_tree, map_reduce};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let shape = args.get(1).map_or("chain", String::as_str);
    let what = args.get(2).map_or("plan", String::as_str);
    let times: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(5);
    let (outs, tasks) = match shape {
        "tree" => {
            let (out, tasks) = map_reduce(1 << 19);
            (vec![out], tasks)
        }
        "fan" => fan_out_tree(19),
        _ => {
            let (out, tasks) = chain(1_000_000);
            (vec![out], tasks)
        }
    };
    let roots: Vec<_> = outs.iter().map(|o| o.task()).collect();
    let which = args.get(4).map_or("both", String::as_str);
    let optimizers = match which {
        "on" => vec![Optimizer::new()],
        "off" => vec![Optimizer::off()],
        _ => vec![Optimizer::off(), Optimizer::new()],
    };
    for optimizer in optimizers {
        let started = Instant::now();
        for _ in 0..times {
            if what == "run" {
                let control = Control::new().optimize(optimizer.clone());
                std::hint::black_box(compute_with_control(&outs, &Sequential, &control).unwrap());
            } else {
                std::hint::black_box(Plan::optimized(&roots, &optimizer).unwrap());
            }
        }
        let per_task = started.elapsed().as_secs_f64() * 1e9 / (times as f64 * tasks as f64);
        println!("{shape} {what} enabled={}: {per_task:.1} ns/task", optimizer.is_enabled());
    }
}
