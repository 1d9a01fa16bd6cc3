//! A work-stealing pool of 2,000 workers: starting it and computing 100 tiny tasks on it
//! (issue 18, item 6: start-up ≤ 1 s, a 100-task compute ≤ 10 ms). Timing figures, so the
//! test is ignored and asserts only the results; run it with
//! `cargo test --release -p lazydag --no-default-features --test two_thousand_workers -- --ignored --nocapture`.

use std::time::Instant;

use lazydag::prelude::*;
use lazydag::scheduler::WorkStealing;

/// CPU time of the whole process so far (all threads), in clock ticks (usually 10 ms), from
/// `/proc/self/stat`; 0 where there is no `/proc`.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(14) + field(15)
}

fn inc(x: u64) -> u64 {
    x + 1
}

#[test]
#[ignore = "a timing figure on 2,000 threads: run with --release -- --ignored --nocapture"]
fn a_hundred_task_compute_on_two_thousand_workers() {
    let start = Instant::now();
    let pool = WorkStealing::new(2000);
    println!("start-up of 2,000 workers: {:.3} s", start.elapsed().as_secs_f64());
    std::thread::sleep(std::time::Duration::from_millis(200)); // let the workers fall asleep
    let mut times = Vec::new();
    let ticks = cpu_ticks();
    for _ in 0..21 {
        let parts: Vec<Delayed<u64>> = (0..99).map(|i| delayed!(inc(i))).collect();
        let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(parts));
        let start = Instant::now();
        assert_eq!(total.compute_with(&pool).unwrap(), (1..=99).sum::<u64>());
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let cpu_ms = (cpu_ticks() - ticks) as f64 * 10.0 / 21.0;
    times.sort_by(f64::total_cmp);
    println!(
        "100-task compute on 2,000 workers: median {:.2} ms, min {:.2} ms, max {:.2} ms (21 \
         runs); CPU of all threads {cpu_ms:.1} ms per compute (10 ms ticks)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
