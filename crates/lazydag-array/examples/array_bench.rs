//! Small measurements for docs/benchmarks.md (issue 13's performance list), medians of 3:
//!
//! - recording cost per chunk task (the seed graph at 100,000 x 100,000),
//! - `a + b` then `sum()` over two in-memory arrays (`from_ndarray`) against a plain sum over
//!   a `Vec<f64>` of the same size (memory bandwidth, same run),
//! - random generation per task against SplitMix64's own single-thread speed,
//! - `dot` of two 4,096 x 4,096 arrays in chunks of 1,024 against ndarray's single `dot`.
//!
//! `cargo run --release -p lazydag-array --example array_bench [MB]` (MB per operand of the
//! sum, default 512).

use std::time::{Duration, Instant};

use lazydag_array as da;
use ndarray::Array2;
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

/// CPU time of this process so far (user + system, from /proc/self/stat), so that a figure
/// per worker does not depend on how loaded the machine is.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 =
        fields.get(11..13).map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..3).map(|_| f()).collect();
    v.sort();
    v[1]
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn main() {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(512);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("workers: {workers}");

    // Recording: the seed graph at full size.
    let mut tasks = 0;
    let build = median(|| {
        let (z, t) = timed(|| {
            let x = da::random::random([100_000, 100_000], [1_000, 1_000]);
            let y = &x + &x.t();
            y.mean_axis(0)
        });
        tasks = z.to_delayed().map_or(0, |g| {
            let all: Vec<_> = g.iter().cloned().collect();
            lazydag_core::graph(&all).node_count()
        });
        t
    });
    println!(
        "build: {tasks} nodes in {:.1} ms = {:.2} us per node",
        build.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e6 / tasks as f64
    );

    // Bandwidth: a plain sum over a Vec, then a + b and sum over chunked arrays.
    let n = mb * 1024 * 1024 / 8;
    let v: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
    let plain = median(|| timed(|| std::hint::black_box(v.iter().sum::<f64>())).1);
    let gbs = |bytes: usize, d: Duration| bytes as f64 / d.as_secs_f64() / 1e9;
    println!("plain Vec sum: {:.1} GB/s ({mb} MB)", gbs(n * 8, plain));
    let side = (n as f64).sqrt() as usize;
    let a = da::from_ndarray(Array2::from_elem((side, side), 1.0), [1_024, 1_024]);
    let b = da::from_ndarray(Array2::from_elem((side, side), 2.0), [1_024, 1_024]);
    let total = (&a + &b).sum();
    let chunked = median(|| timed(|| total.compute_scalar().unwrap()).1);
    println!(
        "a + b then sum ({} x {side}, 2 x {mb} MB): {:.1} GB/s read = {:.0}% of the plain sum",
        side,
        gbs(2 * side * side * 8, chunked),
        100.0 * gbs(2 * side * side * 8, chunked) / gbs(n * 8, plain)
    );
    drop(v);

    // Random generation: SplitMix64 alone on one thread, and random chunks summed by tasks.
    let mut rng = SplitMix64::seed_from_u64(0);
    let m = 64 * 1024 * 1024 / 8;
    let raw = median(|| {
        timed(|| {
            let mut acc = 0u64;
            for _ in 0..m {
                acc = acc.wrapping_add(rng.next_u64());
            }
            std::hint::black_box(acc)
        })
        .1
    });
    let per_value_raw = raw.as_secs_f64() / m as f64;
    let x = da::random::RandomState::new(1).random([16_000, 16_000], [1_000, 1_000]);
    let gen_sum = x.sum();
    let generated = median(|| {
        let before = cpu_time();
        gen_sum.compute_scalar().unwrap();
        cpu_time() - before
    });
    let per_value = generated.as_secs_f64() / 256e6;
    println!(
        "random: SplitMix64 alone {:.2} ns/value; random().sum() {:.2} ns of CPU per value ({:.2}x)",
        per_value_raw * 1e9,
        per_value * 1e9,
        per_value / per_value_raw
    );

    // dot: 4096 x 4096 in chunks of 1024 against ndarray's dot on the whole arrays.
    let k = 4_096;
    let p = Array2::from_shape_fn((k, k), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
    let q = Array2::from_shape_fn((k, k), |(i, j)| ((i * 5 + j) % 13) as f64);
    // One run each: a 4096 dot is seconds of work.
    let (want, whole) = timed(|| p.dot(&q));
    let c = da::from_ndarray(p.clone(), [1_024, 1_024])
        .dot(&da::from_ndarray(q.clone(), [1_024, 1_024]));
    let (got, blocked) = timed(|| c.compute().unwrap());
    assert_eq!(got, want.into_dyn());
    println!(
        "dot 4096 (chunks 1024): ndarray {:.2} s, lazydag {:.2} s ({:.2}x ndarray's time)",
        whole.as_secs_f64(),
        blocked.as_secs_f64(),
        blocked.as_secs_f64() / whole.as_secs_f64()
    );
}
