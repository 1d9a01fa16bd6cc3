//! The `distributed` figures, same run, same machine: lazydag-on-Dask per task against
//! plain-Python Dask on the same loopback cluster and graph shape, the bridge per call, and
//! 2 workers against 1 on CPU-bound tasks of ~100 ms.
//!
//! `export "$(bash scripts/dask-env.sh)" && cargo run --release -p lazydag-dask --features
//! python --example dask_bench -- [ROUNDS] [cpu|pertask]` (3 rounds by default; `cpu` or
//! `pertask`: only that section; medians and spread printed).

use std::time::Instant;

use lazydag_core::{
    Control, Delayed, Optimizer, Plan, compute_with, compute_with_control, delayed,
};
use lazydag_dask::{DaskCluster, RemoteGraph, bench, main_hook, remote};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Stats {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
}

#[remote]
fn chunk(seed: u64, len: u32) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[remote]
fn stats(xs: Vec<f64>) -> Stats {
    Stats {
        n: xs.len() as u64,
        sum: xs.iter().sum(),
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

#[remote]
fn merge(a: Stats, b: Stats) -> Stats {
    Stats { n: a.n + b.n, sum: a.sum + b.sum, min: a.min.min(b.min), max: a.max.max(b.max) }
}

/// CPU-bound work: `iters` rounds of a xorshift (about 100 ms for the count `calibrate` finds).
#[remote]
fn spin(seed: u64, iters: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// [`spin`], returning where and when it ran: the worker's process id and the start and end
/// of the spin in seconds since the Unix epoch (one machine, so one clock for every worker).
#[remote]
fn spin_traced(seed: u64, iters: u64) -> (u32, f64, f64) {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let start = now();
    std::hint::black_box(spin(seed, iters));
    (std::process::id(), start, now())
}

fn map_reduce(chunks: u64, len: u32) -> Delayed<Stats> {
    let mut level: Vec<Delayed<Stats>> =
        (0..chunks).map(|s| delayed!(stats(delayed!(chunk(s, len))))).collect();
    while level.len() > 1 {
        let mut next = Vec::new();
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => delayed!(merge(a, b)),
                None => a,
            });
        }
        level = next;
    }
    level.pop().unwrap()
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

fn spread(xs: &[f64]) -> String {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{lo:.3}..{hi:.3}")
}

/// Iterations of `spin` for ~100 ms, from the fastest of 5 timings (the least disturbed).
fn calibrate() -> u64 {
    let iters = 10_000_000;
    let per = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(spin(1, iters));
            t.elapsed().as_secs_f64() / iters as f64
        })
        .fold(f64::INFINITY, f64::min);
    (0.1 / per) as u64
}

/// The CPU seconds (user + system) used so far by the cluster's processes: the scheduler,
/// the nannies and their workers (every descendant of `cluster.pids()`), from `/proc`. Less
/// sensitive to the machine's load than wall time.
fn cluster_cpu_s(cluster: &DaskCluster) -> f64 {
    let mut todo = cluster.pids();
    let mut ticks = 0u64;
    while let Some(p) = todo.pop() {
        ticks += cpu_ticks(&p.to_string());
        for task in std::fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten() {
            let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            todo.extend(list.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    ticks as f64 / 100.0 // USER_HZ
}

/// The CPU ticks (user + system, USER_HZ) process `pid` (or `self`) has used so far, from
/// `/proc/PID/stat` (man 5 proc: after the command, utime and stime are fields 14 and 15).
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// The CPU seconds this process (the client) has used so far.
fn own_cpu_s() -> f64 {
    cpu_ticks("self") as f64 / 100.0 // USER_HZ
}

fn per_task(rounds: usize, load: &dyn Fn() -> String) {
    // Per task: 1,025 tiny tasks, not fused (the same shape as the Python graph), both on the
    // same 2-worker cluster, interleaved.
    let cluster = DaskCluster::local(2).unwrap();
    let total = map_reduce(342, 100);
    let unfused = Control::new().optimize(Optimizer::off());
    let _ = compute_with_control(&total, &cluster, &unfused).unwrap(); // warm-up
    let _ = bench::python_map_reduce(&cluster, 342, 100).unwrap();
    let (mut ours, mut theirs, mut fused) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_cpu, mut theirs_cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (t, cpu) = (Instant::now(), cluster_cpu_s(&cluster));
        compute_with_control(&total, &cluster, &unfused).unwrap();
        ours.push(t.elapsed().as_secs_f64() * 1e3 / 1025.0);
        ours_cpu.push((cluster_cpu_s(&cluster) - cpu) * 1e3 / 1025.0);
        let cpu = cluster_cpu_s(&cluster);
        theirs.push(bench::python_map_reduce(&cluster, 342, 100).unwrap() * 1e3 / 1025.0);
        theirs_cpu.push((cluster_cpu_s(&cluster) - cpu) * 1e3 / 1025.0);
        let t = Instant::now();
        compute_with(&total, &cluster).unwrap();
        fused.push(t.elapsed().as_secs_f64() * 1e3 / 1025.0);
        println!(
            "  round: lazydag {:.3} ms/task (cluster CPU {:.3}), plain-Python Dask {:.3} (CPU {:.3}), lazydag fused {:.3} (load {})",
            ours.last().unwrap(),
            ours_cpu.last().unwrap(),
            theirs.last().unwrap(),
            theirs_cpu.last().unwrap(),
            fused.last().unwrap(),
            load().split(' ').next().unwrap_or("?")
        );
    }
    let ratio: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
    let plan = Plan::new(&[total.task()]);
    let g = RemoteGraph::from_plan(plan.view()).unwrap();
    println!(
        "per task (1,025 tasks, 2 workers x 1 thread): lazydag {:.3} ms median ({}), plain-Python Dask {:.3} ms ({}), ratio {:.2} ({}); lazydag fused (683 Dask tasks) {:.3} ms per lazydag task ({}); spec bytes per task {}",
        median(&mut ours.clone()),
        spread(&ours),
        median(&mut theirs.clone()),
        spread(&theirs),
        median(&mut ratio.clone()),
        spread(&ratio),
        median(&mut fused.clone()),
        spread(&fused),
        g.spec_bytes() / g.len()
    );
    println!(
        "cluster CPU per task (scheduler + nannies + workers, user + system): lazydag {:.3} ms median ({}), plain-Python Dask {:.3} ms ({})",
        median(&mut ours_cpu.clone()),
        spread(&ours_cpu),
        median(&mut theirs_cpu.clone()),
        spread(&theirs_cpu)
    );
}

/// 20 spins of `iters` on 1 thread, then on 2 plain Rust threads (no Dask, no Python): the
/// machine's own 2-vs-1 ceiling at this moment.
fn plain_threads(iters: u64) -> f64 {
    let t = Instant::now();
    (0..20).for_each(|i| {
        std::hint::black_box(spin(i, iters));
    });
    let one = t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::thread::scope(|s| {
        for half in 0..2u64 {
            s.spawn(move || {
                (0..10).for_each(|i| {
                    std::hint::black_box(spin(half * 10 + i, iters));
                })
            });
        }
    });
    one / t.elapsed().as_secs_f64()
}

/// A loopback cluster of `workers`, warmed up by one tiny compute.
fn warm_cluster(workers: usize) -> DaskCluster {
    let cluster = DaskCluster::local(workers).unwrap();
    let _ = compute_with(&delayed!(spin(0, 1)), &cluster).unwrap();
    cluster
}

/// One compute of the same 20 spins on `workers` workers, traced: where the wall time beyond
/// the spins goes (the time to the first task, the gaps between one worker's tasks, the split
/// of tasks between workers, and the time from the last task's end to the result).
fn trace(workers: usize, iters: u64) {
    let traced: Vec<Delayed<(u32, f64, f64)>> =
        (0..20).map(|i| delayed!(spin_traced(i, iters))).collect();
    let cluster = warm_cluster(workers);
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let t0 = unix();
    let runs = compute_with(&traced, &cluster).unwrap();
    let t1 = unix();
    drop(cluster);
    let mut pids: Vec<u32> = runs.iter().map(|r| r.0).collect();
    pids.sort_unstable();
    pids.dedup();
    let mut line = format!(
        "  trace, {workers} worker(s): {:.3} s in all, result {:.1} ms after the last task ended;",
        t1 - t0,
        (t1 - runs.iter().map(|r| r.2).fold(0.0, f64::max)) * 1e3
    );
    for pid in pids {
        let mut mine: Vec<(f64, f64)> =
            runs.iter().filter(|r| r.0 == pid).map(|r| (r.1, r.2)).collect();
        mine.sort_by(|a, b| a.0.total_cmp(&b.0));
        let busy: f64 = mine.iter().map(|(s, e)| e - s).sum();
        let gaps: f64 = mine.windows(2).map(|w| w[1].0 - w[0].1).sum();
        line += &format!(
            " worker {pid}: {} tasks, first started {:.1} ms after submit, busy {:.3} s, gaps between its tasks {:.1} ms, last ended {:.3} s;",
            mine.len(),
            (mine[0].0 - t0) * 1e3,
            busy,
            gaps * 1e3,
            mine[mine.len() - 1].1 - t0
        );
    }
    println!("{}", line.trim_end_matches(';'));
}

fn cpu_bound(rounds: usize) {
    // 2 workers against 1 on 20 CPU-bound tasks of ~100 ms. Each round times each cluster
    // while it is the only one up: an idle Dask cluster is not idle (its scheduler, nanny and
    // worker event loops tick), and on 2 cores an idle cluster left up beside the one being
    // timed takes CPU from the 2-worker run only (the 1-worker run has a spare core).
    let iters = calibrate();
    let cpu: Vec<Delayed<u64>> = (0..20).map(|i| delayed!(spin(i, iters))).collect();
    let mut secs = [Vec::new(), Vec::new()];
    let (mut ceiling, mut beside_idle, mut idle_cores) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // The machine's ceiling in the same round, with no cluster up.
        ceiling.push(plain_threads(iters));
        // The same with both clusters up and idle (how this benchmark measured before), and
        // how many cores the idle clusters use meanwhile.
        {
            let clusters = [warm_cluster(1), warm_cluster(2)];
            let cpu0: f64 = clusters.iter().map(cluster_cpu_s).sum();
            let t = Instant::now();
            beside_idle.push(plain_threads(iters));
            let used: f64 = clusters.iter().map(cluster_cpu_s).sum::<f64>() - cpu0;
            idle_cores.push(used / t.elapsed().as_secs_f64());
        }
        println!(
            "  round: plain Rust threads, 2 vs 1: {:.2}x alone, {:.2}x beside two idle clusters (using {:.3} cores)",
            ceiling.last().unwrap(),
            beside_idle.last().unwrap(),
            idle_cores.last().unwrap()
        );
        for (w, secs) in secs.iter_mut().enumerate() {
            let cluster = warm_cluster(w + 1);
            let (t, cpu0, own0) = (Instant::now(), cluster_cpu_s(&cluster), own_cpu_s());
            compute_with(&cpu, &cluster).unwrap();
            secs.push(t.elapsed().as_secs_f64());
            let (used, own) = (cluster_cpu_s(&cluster) - cpu0, own_cpu_s() - own0);
            drop(cluster);
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            let load = load.split(' ').next().unwrap_or("?").to_owned();
            println!(
                "  round: {} worker(s) {:.2} s, cluster CPU {used:.2} s, this process {own:.2} s (load {load})",
                w + 1,
                secs.last().unwrap()
            );
        }
    }
    for workers in [1, 2] {
        trace(workers, iters);
    }
    let speedup: Vec<f64> = secs[0].iter().zip(&secs[1]).map(|(a, b)| a / b).collect();
    println!(
        "cpu-bound (20 tasks of ~100 ms): 1 worker {:.2} s median ({}), 2 workers {:.2} s ({}), speedup {:.2}x ({})",
        median(&mut secs[0].clone()),
        spread(&secs[0]),
        median(&mut secs[1].clone()),
        spread(&secs[1]),
        median(&mut speedup.clone()),
        spread(&speedup)
    );
    println!(
        "the same spins on plain Rust threads, same rounds: 2 vs 1 thread {:.2}x median ({}) with no cluster up; {:.2}x ({}) beside two idle clusters, which used {:.3} cores ({})",
        median(&mut ceiling.clone()),
        spread(&ceiling),
        median(&mut beside_idle.clone()),
        spread(&beside_idle),
        median(&mut idle_cores.clone()),
        spread(&idle_cores)
    );
}

fn main() {
    main_hook();
    let rounds: usize = std::env::args().nth(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load at start: {}", load().trim());

    // The bridge alone: one `merge` of two literal Stats per call.
    let s = stats(chunk(1, 100));
    let one = delayed!(merge(s.clone(), s.clone()));
    let graph = RemoteGraph::from_plan(Plan::new(&[one.task()]).view()).unwrap();
    let mut bridge: Vec<f64> =
        (0..rounds).map(|_| bench::bridge_us(&graph, 100_000).unwrap()).collect();
    let t = Instant::now();
    for _ in 0..100_000 {
        std::hint::black_box(merge(
            std::hint::black_box(s.clone()),
            std::hint::black_box(s.clone()),
        ));
    }
    let direct_us = t.elapsed().as_secs_f64() * 1e6 / 100_000.0;
    println!(
        "bridge: lazydag_native.call (merge of two Stats) {:.2} us/call median ({} us over {rounds} rounds); the Rust call alone {direct_us:.3} us",
        median(&mut bridge),
        spread(&bridge)
    );

    if std::env::args().nth(2).as_deref() != Some("cpu") {
        per_task(rounds, &load);
    }

    if std::env::args().nth(2).as_deref() != Some("pertask") {
        cpu_bound(rounds);
    }
    println!("load at end: {}", load().trim());
}
