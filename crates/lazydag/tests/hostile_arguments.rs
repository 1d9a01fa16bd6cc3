//! API arguments at their extremes give a value or a clear error, never a panic: a timeout of
//! `Duration::MAX`, worker counts of 0 and past the limit, and a user scheduler that panics
//! (its compute still reports `finish` to the callbacks told it started).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::config::MAX_WORKERS;
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{Callback, Control, Error, Outcome, Plan, PlanSummary, Value, compute_with_control};

fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[test]
fn a_timeout_of_duration_max_means_no_deadline() {
    let schedulers: [Box<dyn Scheduler>; 4] = [
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ];
    let x = delayed!(add(1, 2));
    let total = delayed!(add(&x, &x));
    for long in [Duration::MAX, Duration::from_secs(u64::MAX), Duration::new(u64::MAX / 2, 0)] {
        let control = Control::new().timeout(long);
        for scheduler in &schedulers {
            let value = compute_with_control(&total, &**scheduler, &control);
            assert_eq!(value.unwrap(), 6, "{} with timeout {long:?}", scheduler.name());
        }
    }
}

#[test]
fn pool_worker_counts_are_bounded_with_config_errors() {
    for bad in [0, MAX_WORKERS + 1, usize::MAX] {
        let err = WorkStealing::try_new(bad).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
        let err = Threaded::try_new(bad).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
    }
    let err = WorkStealing::try_new(usize::MAX).unwrap_err().to_string();
    assert!(err.contains("at most 4096"), "{err}");
    // The infallible constructors clamp instead, as documented.
    assert_eq!(WorkStealing::new(0).workers(), 1);
    assert_eq!(Threaded::new(0).workers(), 1);
    assert_eq!(Async::new(usize::MAX).workers(), MAX_WORKERS);
}

/// A scheduler that panics instead of executing.
struct Panicky;

impl Scheduler for Panicky {
    fn name(&self) -> &str {
        "panicky"
    }
    fn execute(&self, _: &Plan) -> Result<Vec<Value>, Error> {
        panic!("the scheduler broke")
    }
}

#[derive(Default)]
struct Counts {
    starts: AtomicUsize,
    finishes: AtomicUsize,
    failed: AtomicUsize,
}

impl Callback for Counts {
    fn start(&self, _: &PlanSummary<'_>) {
        self.starts.fetch_add(1, Ordering::SeqCst);
    }
    fn finish(&self, outcome: &Outcome<'_>) {
        self.finishes.fetch_add(1, Ordering::SeqCst);
        if outcome.error().is_some() {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn a_panicking_scheduler_finishes_the_callbacks_and_returns_an_error() {
    let counts = Arc::new(Counts::default());
    let control = Control::new().callback(counts.clone());
    let err = compute_with_control(delayed!(add(1, 2)), &Panicky, &control).unwrap_err();
    match &err {
        Error::Scheduler { scheduler, message } => {
            assert_eq!(scheduler, "panicky");
            assert!(message.contains("the scheduler broke"), "{message}");
        }
        other => panic!("expected a scheduler error, got {other:?}"),
    }
    assert_eq!(counts.starts.load(Ordering::SeqCst), 1);
    assert_eq!(counts.finishes.load(Ordering::SeqCst), 1);
    assert_eq!(counts.failed.load(Ordering::SeqCst), 1);
}
