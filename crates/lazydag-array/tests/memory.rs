//! The memory rule: a full compute of the seed example holds a few chunks per worker, not
//! the array. Release only (it generates 1.6 GB of random numbers):
//! `cargo test --release -p lazydag-array --test memory -- --ignored`.

use std::sync::{Mutex, MutexGuard};

use lazydag_array as da;

/// The peak RSS is one high-water mark for the whole process: the tests run one at a time, so
/// the mark is the larger of their peaks, never their sum while they overlap.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[test]
#[ignore = "release only: cargo test --release -p lazydag-array --test memory -- --ignored"]
fn full_seed_compute_holds_a_few_chunks_not_the_array() {
    let _alone = alone();
    // 10,000 x 10,000 in chunks of 1,000: x would be 800 MB if held, y another 800 MB.
    let x = da::random::RandomState::new(9).random([10_000, 10_000], [1_000, 1_000]);
    let y = &x + &x.t();
    let z = y.mean_axis(0).compute().unwrap();
    assert_eq!(z.len(), 10_000);
    assert!(z.iter().all(|&m| (0.9..1.1).contains(&m)));
    let peak = peak_rss_mb();
    assert!(peak < 200, "peak RSS {peak} MB: chunks were held");
}

#[test]
#[ignore = "release only: cargo test --release -p lazydag-array --test memory -- --ignored"]
fn full_compute_without_a_region_holds_a_few_chunks() {
    let _alone = alone();
    // A `from_fn_pure` source has no region: no fused reduction, so this is the memory rule's
    // other path (each chunk recomputed inside each add that needs it, then freed).
    let x = da::from_fn_pure([8_000, 8_000], [1_000, 1_000], |b| {
        let (r, c) = (b.offset[0], b.offset[1]);
        ndarray::ArrayD::from_shape_fn(b.shape.clone(), |i| {
            (((r + i[0]) * 31 + (c + i[1]) * 17) % 97) as f64 / 48.0
        })
    });
    let y = &x + &x.t();
    let z = y.mean_axis(0).compute().unwrap();
    assert_eq!(z.len(), 8_000);
    assert!(z.iter().all(|&m| (1.9..2.1).contains(&m)), "{:?}", &z.as_slice().unwrap()[..4]);
    let peak = peak_rss_mb();
    assert!(peak < 200, "peak RSS {peak} MB: chunks were held");
}
