//! A pool survives a panicking callback (`pretask`, `posttask`) and a capture whose `Drop`
//! panics: the compute fails with an error, every worker thread is still alive (counted in
//! /proc/self/task) and the next compute returns. One test in this file, so no other test's
//! threads are counted.

mod common;

use std::sync::Arc;
use std::time::Duration;

use lazydag::prelude::*;
use lazydag::scheduler::{Scheduler, Threaded, WorkStealing};
use lazydag::{Callback, Control, TaskEvent, Worker, compute_with_control};

use common::{returns, threads};

/// Panics in `pretask` or in `posttask`.
struct Broken {
    in_pretask: bool,
}

impl Callback for Broken {
    fn pretask(&self, _: &TaskEvent<'_>) {
        if self.in_pretask {
            panic!("pretask broke");
        }
    }
    fn posttask(&self, _: &TaskEvent<'_>, _: Duration, _: Worker) {
        panic!("posttask broke");
    }
}

/// A capture whose `Drop` panics.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a capture's Drop panicked");
        }
    }
}

/// Panics in callbacks and captures on `scheduler`, a pool of `workers` threads named
/// `prefix…`; then every one of them must still be alive.
fn survive(scheduler: Arc<dyn Scheduler>, prefix: &str, workers: usize) {
    // Count only this pool's workers, once they are all there: a new thread takes its name
    // from inside itself, just after it starts, and an earlier pool's workers may still be
    // exiting.
    let give_up = std::time::Instant::now() + Duration::from_secs(120);
    while threads(prefix) != Some(workers) {
        assert!(std::time::Instant::now() < give_up, "the pool's workers never all started");
        std::thread::sleep(Duration::from_millis(1));
    }
    for in_pretask in [true, false] {
        let control = Control::new().callback(Arc::new(Broken { in_pretask }));
        let parts: Vec<_> = (0..8u32).map(|i| delayed(i).map(|x: u32| x + 1)).collect();
        let total = delayed!((|v: Vec<u32>| v.iter().sum::<u32>())(parts));
        let err = compute_with_control(&total, &*scheduler, &control).unwrap_err();
        assert!(err.to_string().contains("broke"), "{}: {err}", scheduler.name());
    }
    for _ in 0..10 {
        // The task's closure holds the capture; the graph (and so the capture) may be
        // dropped last by a worker.
        let grenade = Grenade;
        let task = delayed(1u32).map(move |x: u32| {
            let _held = &grenade;
            x
        });
        let pool = Arc::clone(&scheduler);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            assert_eq!(task.compute_with(&*pool).unwrap(), 1);
        }));
    }
    let pool = Arc::clone(&scheduler);
    let value = returns(move || delayed(20).map(|x: u32| x * 2 + 2).compute_with(&*pool));
    assert_eq!(value.unwrap(), 42);
    assert_eq!(threads(prefix), Some(workers), "{}: a worker thread died", scheduler.name());
}

#[test]
fn pools_keep_every_worker_when_a_callback_or_capture_panics() {
    if threads("").is_none() {
        eprintln!("skipped: no /proc/self/task to count threads in");
        return;
    }
    survive(Arc::new(WorkStealing::new(2)), "lazydag-ws-", 2);
    survive(Arc::new(Threaded::new(2)), "lazydag-threads", 2);
}
