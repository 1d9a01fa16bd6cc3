//! An idle pool sleeps: its workers use (next to) no CPU between computes.

#![cfg(target_os = "linux")]

use std::thread;
use std::time::Duration;

use lazydag::prelude::*;
use lazydag::scheduler::{Threaded, WorkStealing};

/// CPU time (user + system) this process has used, in clock ticks, from `/proc/self/stat`.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file: 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[test]
fn idle_workers_do_not_spin() {
    let ws = WorkStealing::new(4);
    let threads = Threaded::new(4);
    let work: Vec<_> = (0..1_000).map(|i| delayed!(add(i, 1))).collect();
    let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(&work));
    assert_eq!(total.compute_with(&ws).unwrap(), 500_500);
    assert_eq!(total.compute_with(&threads).unwrap(), 500_500);

    let before = cpu_ticks();
    thread::sleep(Duration::from_millis(500));
    let used = cpu_ticks() - before;
    // 8 spinning workers would burn ~400 ticks (at 100 Hz) in 0.5 s on 2+ cores; sleeping ones
    // burn none. Allow a little for the test harness itself.
    assert!(used <= 5, "idle pools used {used} clock ticks in 0.5 s");
}
