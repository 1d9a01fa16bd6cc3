//! The latency figures of the scheduling contract, measured, not asserted: from a cancel, a
//! timeout's deadline or a task's failure to the compute's `Err`, while the other tasks are
//! blocked (on a gate the test opens only after the compute returned). Opt-in, since CI must
//! not read clocks to decide:
//!
//! `LAZYDAG_LATENCY=1 cargo test --release -p lazydag --no-default-features --test contract_figures -- --nocapture`
//!
//! prints the median and the maximum per scheduler (docs/schedulers.md keeps the figures).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use lazydag::scheduler::{Async, Threaded, WorkStealing};
use lazydag::{CancelToken, Control, Delayed, Error, Scheduler, compute_with_control, delayed};

const REPEATS: usize = 30;

/// A gate the blocked tasks wait on.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
    fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
}

/// Two tasks that block until `release` opens, counting themselves in `started`, and what
/// `extra` adds (a failing task).
fn blocked(release: &Gate, started: &Arc<AtomicUsize>) -> Vec<Delayed<u64>> {
    (0..2)
        .map(|i| {
            let (release, started) = (release.clone(), Arc::clone(started));
            delayed(i).map(move |x: u64| {
                started.fetch_add(1, Ordering::SeqCst);
                release.wait();
                x
            })
        })
        .collect()
}

fn wait_for(started: &AtomicUsize, n: usize) {
    while started.load(Ordering::SeqCst) < n {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// One measurement of each kind: (cancel, timeout, first error) latency.
fn measure(scheduler: &dyn Scheduler) -> (Duration, Duration, Duration) {
    // Cancel.
    let (release, started) = (Gate::default(), Arc::new(AtomicUsize::new(0)));
    let token = CancelToken::new();
    let at = Arc::new(Mutex::new(None));
    let canceller = {
        let (token, started, at) = (token.clone(), Arc::clone(&started), Arc::clone(&at));
        std::thread::spawn(move || {
            wait_for(&started, 2);
            *at.lock().unwrap() = Some(Instant::now());
            token.cancel();
        })
    };
    let err = compute_with_control(
        &blocked(&release, &started),
        scheduler,
        &Control::new().cancel_token(token),
    )
    .unwrap_err();
    let returned = Instant::now();
    release.open();
    canceller.join().unwrap();
    assert!(matches!(err, Error::Cancelled));
    let cancel = returned - at.lock().unwrap().unwrap();

    // Timeout.
    let (release, started) = (Gate::default(), Arc::new(AtomicUsize::new(0)));
    let timeout = Duration::from_millis(30);
    let begun = Instant::now();
    let err = compute_with_control(
        &blocked(&release, &started),
        scheduler,
        &Control::new().timeout(timeout),
    )
    .unwrap_err();
    let returned = Instant::now();
    release.open();
    assert!(matches!(err, Error::TimedOut { .. }));
    let timed_out = returned.saturating_duration_since(begun + timeout);

    // First error, with one task of two blocked (the failing one waits until it has started).
    let (release, started) = (Gate::default(), Arc::new(AtomicUsize::new(0)));
    let failed_at = Arc::new(Mutex::new(None));
    let mut tasks = blocked(&release, &started);
    tasks.truncate(1);
    let failing = {
        let (started, failed_at) = (Arc::clone(&started), Arc::clone(&failed_at));
        delayed(0u64).try_map(move |_: u64| {
            wait_for(&started, 1);
            *failed_at.lock().unwrap() = Some(Instant::now());
            Err::<u64, _>(std::fmt::Error)
        })
    };
    tasks.push(failing);
    let err = compute_with(&tasks, scheduler).unwrap_err();
    let returned = Instant::now();
    release.open();
    assert!(matches!(err, Error::Failed { .. }));
    let first_error = returned - failed_at.lock().unwrap().unwrap();
    (cancel, timed_out, first_error)
}

use lazydag::compute_with;

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "median {:.3} ms, max {:.3} ms",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    )
}

#[test]
fn cancel_timeout_and_first_error_latency_per_scheduler() {
    if std::env::var_os("LAZYDAG_LATENCY").is_none() {
        eprintln!("skipped: set LAZYDAG_LATENCY=1 to measure (see the file's docs)");
        return;
    }
    let schedulers: Vec<Box<dyn Scheduler>> =
        vec![Box::new(Threaded::new(2)), Box::new(WorkStealing::new(2)), Box::new(Async::new(2))];
    for scheduler in &schedulers {
        let (mut cancel, mut timeout, mut first) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..REPEATS {
            let (c, t, f) = measure(&**scheduler);
            cancel.push(c);
            timeout.push(t);
            first.push(f);
        }
        println!(
            "{:>13}: cancel {}; timeout {}; first error {} ({REPEATS} runs each)",
            scheduler.name(),
            summary(cancel),
            summary(timeout),
            summary(first)
        );
    }
}
