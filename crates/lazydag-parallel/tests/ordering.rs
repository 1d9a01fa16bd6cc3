//! Results come back in input order, on every backend, for `map` and `map_iter`.

use std::time::Duration;

use lazydag::config::SchedulerKind;
use lazydag_parallel::{BatchSize, Parallel};

/// Uneven work: later items are often faster, so batches finish out of order.
fn jitter(i: u64) -> u64 {
    if i.is_multiple_of(97) {
        std::thread::sleep(Duration::from_micros(300));
    }
    i * 3
}

#[test]
fn map_keeps_input_order_on_every_backend() {
    let expected: Vec<u64> = (0..5_000).map(|i| i * 3).collect();
    for kind in SchedulerKind::ALL {
        for batch in [BatchSize::Auto, BatchSize::Fixed(1), BatchSize::Fixed(7)] {
            let p = Parallel::new().n_jobs(3).backend(kind).batch_size(batch);
            assert_eq!(p.map(0..5_000, jitter).unwrap(), expected, "{kind} {batch:?}");
        }
    }
}

#[test]
fn map_iter_keeps_input_order() {
    let p = Parallel::new().n_jobs(4).batch_size(BatchSize::Fixed(5));
    let out: Vec<u64> = p.map_iter(0..2_000, jitter).unwrap().map(Result::unwrap).collect();
    assert_eq!(out, (0..2_000).map(|i| i * 3).collect::<Vec<_>>());
}

#[test]
fn owned_inputs_and_non_clone_outputs() {
    struct Token(String); // neither Clone nor Debug
    let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
    let out = Parallel::new().n_jobs(2).map(words, Token).unwrap();
    assert_eq!(out.len(), 100);
    assert_eq!(out[42].0, "w42");
}

#[test]
fn empty_input() {
    let out = Parallel::new().n_jobs(2).map(Vec::<u8>::new(), |x| x).unwrap();
    assert!(out.is_empty());
    assert_eq!(Parallel::new().n_jobs(2).map_iter(0..0, |x: u8| x).unwrap().count(), 0);
}

#[test]
fn million_trivial_items() {
    let out = Parallel::new().map(0..1_000_000u64, |x| x + 1).unwrap();
    assert_eq!(out.len(), 1_000_000);
    assert!(out.iter().enumerate().all(|(i, &x)| x == i as u64 + 1));
}

#[test]
fn nested_maps_run_sequentially_without_deadlock() {
    let p = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(1));
    let inner = p.clone();
    let out = p
        .map(0..8u64, move |i| inner.map(0..100u64, move |j| i * j).unwrap().iter().sum::<u64>())
        .unwrap();
    assert_eq!(out, (0..8).map(|i| i * 4950).collect::<Vec<_>>());
}
