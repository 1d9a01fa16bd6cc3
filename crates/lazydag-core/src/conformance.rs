//! The conformance suite: checks that a [`Scheduler`] keeps the contract written on the trait,
//! run on any `&dyn Scheduler`, like tokio's `rt_test!` over its runtime flavours.
//!
//! Each check is a function that panics (with a message naming the rule) when the scheduler
//! breaks it; [`scheduler_conformance!`](crate::scheduler_conformance!) turns all of them
//! into `#[test]` functions, and [`check`] runs them in a row. Every built-in scheduler runs
//! the suite in CI (`crates/lazydag/tests/conformance.rs`).
//!
//! No check reads a clock to decide: "returns at once while a task is blocked" is checked as
//! an order of events. The blocked task waits on a gate that the check opens only after the
//! compute has returned, so a scheduler that waited for it would still be waiting (each gate
//! gives up after [`GIVE_UP`], so a broken scheduler fails the check instead of hanging it).
//! The latency figures themselves (cancel to `Err`, failure to `Err`) are measured by the
//! opt-in test `crates/lazydag/tests/contract_figures.rs`.
//!
//! A scheduler whose tasks run on the calling thread ([`Runs::OnCaller`], like
//! [`Sequential`](crate::scheduler::Sequential)) cannot return while its own task blocks; for
//! it the stop checks use tasks that poll [`task::is_cancelled`](crate::task::is_cancelled)
//! instead, and the first-error check needs no second running task.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::cancel::{self, CancelToken};
use crate::compute::{compute_with, compute_with_control};
use crate::control::Control;
use crate::delayed::{Delayed, delayed};
use crate::error::Error;
use crate::schedulers::Scheduler;
use crate::sync::std_locks::{lock, wait_timeout};

/// How long a gate or a wait inside a check holds before giving up: a bound that only a
/// broken scheduler reaches, never a timing assertion.
pub const GIVE_UP: Duration = Duration::from_secs(30);

/// Where a scheduler runs its tasks, which decides how the stop checks block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Runs {
    /// On threads other than the caller's, at least two at once (a pool, tokio).
    OnPool,
    /// On the calling thread, one at a time ([`Sequential`](crate::scheduler::Sequential)).
    OnCaller,
}

/// Runs every check of the suite on `scheduler`, which runs its tasks as `runs` says.
///
/// ```
/// use std::sync::Arc;
/// use lazydag_core::conformance::{self, Runs};
/// use lazydag_core::scheduler::{Sequential, Threaded};
/// conformance::check(Arc::new(Sequential), Runs::OnCaller);
/// conformance::check(Arc::new(Threaded::new(2)), Runs::OnPool);
/// ```
///
/// # Panics
/// On the first rule the scheduler breaks, naming it.
pub fn check(scheduler: Arc<dyn Scheduler>, runs: Runs) {
    each_task_runs_once(&*scheduler);
    shared_values_are_cloned_once_per_extra_use(&*scheduler);
    outputs_come_in_request_order(&*scheduler);
    first_error_wins(&*scheduler, runs);
    cancel_returns_while_a_task_runs(&*scheduler, runs);
    timeout_returns_while_a_task_runs(&*scheduler, runs);
    cancel_during_the_last_task_is_an_error(&*scheduler);
    nested_computes_work(scheduler);
}

/// A one-shot gate tasks wait on, opened by the check.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *lock(&self.0.0) = true;
        self.0.1.notify_all();
    }

    fn is_open(&self) -> bool {
        *lock(&self.0.0)
    }

    /// Waits until the gate is open, at most [`GIVE_UP`]; whether it opened.
    fn wait(&self) -> bool {
        let give_up = Instant::now() + GIVE_UP;
        let mut open = lock(&self.0.0);
        while !*open {
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            open = wait_timeout(&self.0.1, open, left);
        }
        true
    }
}

/// Sums a list of values (a task with many inputs).
fn total(values: Vec<u64>) -> u64 {
    values.iter().sum()
}

/// Adds two values (a task with two inputs).
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// Every non-literal task runs exactly once: a layered graph of 100 tasks in which most
/// values feed two or three consumers counts its runs per task.
///
/// # Panics
/// If a task runs twice or never, or the result is wrong.
pub fn each_task_runs_once(scheduler: &dyn Scheduler) {
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..100).map(|_| AtomicUsize::new(0)).collect());
    let counted = |i: usize, input: &Delayed<u64>| {
        let runs = Arc::clone(&runs);
        input.map(move |x: u64| {
            runs[i].fetch_add(1, Ordering::SeqCst);
            x + 1
        })
    };
    let mut layer: Vec<Delayed<u64>> = (0..10).map(|i| counted(i, &delayed(i as u64))).collect();
    for level in 1..10 {
        layer = (0..10)
            .map(|j| {
                let mixed = crate::delayed!(add(&layer[j], &layer[(j + 1) % 10]));
                counted(level * 10 + j, &mixed)
            })
            .collect();
    }
    let sum = crate::delayed!(total(&layer));
    let expected = sum.compute_with(&crate::schedulers::Sequential).expect("the reference run");
    for run in runs.iter() {
        run.store(0, Ordering::SeqCst);
    }
    let got = compute_with(&sum, scheduler).expect("each_task_runs_once: the compute failed");
    assert_eq!(got, expected, "each_task_runs_once: {} computed a wrong sum", scheduler.name());
    for (i, run) in runs.iter().enumerate() {
        let n = run.load(Ordering::SeqCst);
        assert_eq!(n, 1, "each_task_runs_once: {} ran task {i} {n} times", scheduler.name());
    }
}

/// Counts its clones.
struct Counted(Arc<AtomicUsize>);

impl Clone for Counted {
    fn clone(&self) -> Self {
        self.0.fetch_add(1, Ordering::SeqCst);
        Counted(Arc::clone(&self.0))
    }
}

/// A value used by `k` tasks is cloned `k - 1` times (the last use takes it).
///
/// # Panics
/// If the value is cloned more or fewer times.
pub fn shared_values_are_cloned_once_per_extra_use(scheduler: &dyn Scheduler) {
    let clones = Arc::new(AtomicUsize::new(0));
    let made = Arc::clone(&clones);
    let value = delayed(0u64).map(move |_: u64| Counted(Arc::clone(&made))).shared();
    let uses: Vec<Delayed<u64>> = (0..5).map(|i| value.map(move |_: Counted| i)).collect();
    let got = compute_with(&uses, scheduler).expect("cloned_once: the compute failed");
    assert_eq!(got, vec![0, 1, 2, 3, 4], "cloned_once: {} returned wrong values", scheduler.name());
    let n = clones.load(Ordering::SeqCst);
    assert_eq!(n, 4, "cloned_once: {} cloned a value with 5 uses {n} times", scheduler.name());
}

/// The values come back in the order the outputs were requested, whatever the plan's order:
/// reversed, repeated, and mixed with literals.
///
/// # Panics
/// If any value is out of place.
pub fn outputs_come_in_request_order(scheduler: &dyn Scheduler) {
    let tasks: Vec<Delayed<u64>> =
        (0..50).map(|i| delayed(i).map(|x: u64| x * 10).shared()).collect();
    let mut requested: Vec<Delayed<u64>> = tasks.iter().rev().cloned().collect();
    requested.push(tasks[3].clone());
    requested.push(delayed(7));
    requested.push(tasks[3].clone());
    let mut expected: Vec<u64> = (0..50).rev().map(|i| i * 10).collect();
    expected.extend([30, 7, 30]);
    let got = compute_with(&requested, scheduler).expect("request_order: the compute failed");
    assert_eq!(got, expected, "request_order: {} returned outputs out of order", scheduler.name());
}

/// The test's own error type, for failing tasks.
#[derive(Debug)]
struct Boom(&'static str);

impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Boom {}

/// The first error is the one returned, and (on a pool) it is returned while another task of
/// the compute is still blocked: the compute does not wait for running tasks. The scheduler
/// is usable right after.
///
/// # Panics
/// If another error (or none) is returned, or the compute waited for the blocked task.
pub fn first_error_wins(scheduler: &dyn Scheduler, runs: Runs) {
    let name = scheduler.name().to_owned();
    let (started, release, finished) = (Gate::default(), Gate::default(), Gate::default());
    let blocked = {
        let (started, release, finished) = (started.clone(), release.clone(), finished.clone());
        delayed(0u64)
            .try_map(move |_: u64| {
                started.open();
                release.wait();
                finished.open();
                Err::<u64, _>(Boom("second"))
            })
            .name("blocked")
    };
    let first = {
        let started = started.clone();
        delayed(0u64)
            .try_map(move |_: u64| {
                if runs == Runs::OnPool && !started.wait() {
                    return Err(Boom("the blocked task never started alongside"));
                }
                Err::<u64, _>(Boom("first"))
            })
            .name("first")
    };
    let after = first.map(|x: u64| x + 1);
    let outputs = match runs {
        Runs::OnPool => vec![blocked, after],
        // One task at a time: the second failure comes after the first, and blocks nothing.
        _ => vec![after.try_map(|_: u64| Err::<u64, _>(Boom("second")))],
    };
    let err = compute_with(&outputs, scheduler).expect_err("first_error_wins: no error");
    let still_blocked = !finished.is_open();
    release.open();
    match &err {
        Error::Failed { task, source } => {
            assert_eq!(task.name(), "first", "first_error_wins: {name} returned {err}");
            assert_eq!(source.to_string(), "first", "first_error_wins: {name} returned {err}");
        }
        other => panic!("first_error_wins: {name} returned {other:?}, not the first failure"),
    }
    assert!(still_blocked, "first_error_wins: {name} waited for a running task");
    usable_after(scheduler, "first_error_wins");
}

/// A small compute that must succeed right after a stopped one.
fn usable_after(scheduler: &dyn Scheduler, check: &str) {
    let x = delayed(20u64).map(|x: u64| x + 1);
    let got = compute_with(&crate::delayed!(add(&x, &x)), scheduler);
    assert_eq!(got.ok(), Some(42), "{check}: {} is not usable afterwards", scheduler.name());
}

/// How a stop check blocks one task, and what that task saw.
struct Held {
    /// Opened once the held task runs.
    started: Gate,
    /// Opened by the check, after the compute returned (on a pool).
    release: Gate,
    /// Set by the held task when it ends: whether it saw its compute stopped.
    saw_stop: Arc<Mutex<Option<bool>>>,
    /// Runs of the tasks that depend on the held one (must stay 0).
    later: Arc<AtomicUsize>,
}

impl Held {
    fn new() -> Held {
        Held {
            started: Gate::default(),
            release: Gate::default(),
            saw_stop: Arc::default(),
            later: Arc::default(),
        }
    }

    /// A held task and ten tasks after it. On a pool it blocks on `release`; on the caller
    /// it polls [`task::is_cancelled`](crate::task::is_cancelled) (bounded by [`GIVE_UP`]).
    fn graph(&self, runs: Runs) -> Vec<Delayed<u64>> {
        let (started, release, saw) =
            (self.started.clone(), self.release.clone(), Arc::clone(&self.saw_stop));
        let held = delayed(1u64)
            .map(move |x: u64| {
                started.open();
                match runs {
                    Runs::OnPool => {
                        release.wait();
                    }
                    _ => {
                        let give_up = Instant::now() + GIVE_UP;
                        while !cancel::is_cancelled() && Instant::now() < give_up {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                }
                *lock(&saw) = Some(cancel::is_cancelled());
                x
            })
            .shared();
        (0..10)
            .map(|i| {
                let later = Arc::clone(&self.later);
                held.map(move |x: u64| {
                    later.fetch_add(1, Ordering::SeqCst);
                    x + i
                })
            })
            .collect()
    }

    /// After the compute returned `err`: checks the order of events, releases the held task,
    /// and checks what it saw.
    fn verify(&self, scheduler: &dyn Scheduler, runs: Runs, check: &str, err: &Error) {
        let name = scheduler.name();
        let returned_first = runs == Runs::OnCaller || lock(&self.saw_stop).is_none();
        self.release.open();
        assert!(
            returned_first,
            "{check}: {name} waited for the running task before returning {err}"
        );
        if !self.started.is_open() {
            // Stopped before the held task started (a timeout on a slow machine): nothing ran.
            let later = self.later.load(Ordering::SeqCst);
            assert_eq!(later, 0, "{check}: {name} started {later} tasks after the stop");
            return usable_after(scheduler, check);
        }
        let give_up = Instant::now() + GIVE_UP;
        let saw = loop {
            if let Some(saw) = *lock(&self.saw_stop) {
                break saw;
            }
            assert!(Instant::now() < give_up, "{check}: {name}'s held task never ended");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(saw, "{check}: {name}'s running task did not see task::is_cancelled()");
        let later = self.later.load(Ordering::SeqCst);
        assert_eq!(later, 0, "{check}: {name} started {later} tasks after the stop");
        usable_after(scheduler, check);
    }
}

/// A cancel from another thread returns [`Error::Cancelled`] while a task is still running
/// (on a pool: blocked until after the compute returned); the running task sees
/// [`task::is_cancelled`](crate::task::is_cancelled); no task starts after the cancel; the
/// scheduler is usable right after.
///
/// # Panics
/// If any of that fails.
pub fn cancel_returns_while_a_task_runs(scheduler: &dyn Scheduler, runs: Runs) {
    let held = Held::new();
    let token = CancelToken::new();
    let canceller = {
        let (token, started) = (token.clone(), held.started.clone());
        std::thread::spawn(move || {
            started.wait();
            token.cancel();
        })
    };
    let control = Control::new().cancel_token(token);
    let result = compute_with_control(&held.graph(runs), scheduler, &control);
    let err = result.expect_err("cancel: the compute succeeded");
    held.verify(scheduler, runs, "cancel", &err);
    let _ = canceller.join();
    assert!(matches!(err, Error::Cancelled), "cancel: {} returned {err:?}", scheduler.name());
}

/// A timeout returns [`Error::TimedOut`] while a task is still running, with the same rules
/// as [`cancel_returns_while_a_task_runs`].
///
/// # Panics
/// If any of that fails.
pub fn timeout_returns_while_a_task_runs(scheduler: &dyn Scheduler, runs: Runs) {
    let held = Held::new();
    let timeout = Duration::from_millis(100);
    let control = Control::new().timeout(timeout);
    let result = compute_with_control(&held.graph(runs), scheduler, &control);
    let err = result.expect_err("timeout: the compute succeeded");
    held.verify(scheduler, runs, "timeout", &err);
    assert!(
        matches!(err, Error::TimedOut { timeout: t } if t == timeout),
        "timeout: {} returned {err:?}",
        scheduler.name()
    );
}

/// A cancel that lands while the last task runs (the task cancels its own compute) still
/// returns [`Error::Cancelled`], not the values: rule 5 holds until the compute returns.
///
/// # Panics
/// If the compute succeeds, or the scheduler is not usable afterwards.
pub fn cancel_during_the_last_task_is_an_error(scheduler: &dyn Scheduler) {
    let token = CancelToken::new();
    let canceller = token.clone();
    let last = delayed(1_u64).map(move |x: u64| {
        canceller.cancel();
        x
    });
    let control = Control::new().cancel_token(token);
    let result = compute_with_control(&last, scheduler, &control);
    assert!(
        matches!(result, Err(Error::Cancelled)),
        "cancel during the last task: {} returned {result:?}",
        scheduler.name()
    );
    usable_after(scheduler, "cancel during the last task");
}

/// A task may compute on the scheduler that runs it, ten levels deep, two such chains at
/// once, without deadlock.
///
/// # Panics
/// If a nested compute fails or returns a wrong value.
pub fn nested_computes_work(scheduler: Arc<dyn Scheduler>) {
    fn level(scheduler: Arc<dyn Scheduler>, depth: u64) -> Delayed<u64> {
        delayed(depth).map(move |depth: u64| {
            if depth == 0 {
                return 1;
            }
            let inner = level(Arc::clone(&scheduler), depth - 1);
            inner.compute_with(&*scheduler).expect("a nested compute failed") + 1
        })
    }
    let chains = vec![level(Arc::clone(&scheduler), 10), level(Arc::clone(&scheduler), 10)];
    let got = compute_with(&chains, &*scheduler);
    assert_eq!(got.ok(), Some(vec![11, 11]), "nested: {} failed", scheduler.name());
}

/// Writes the conformance suite as `#[test]` functions, one per check, for the scheduler that
/// `$make` builds (evaluated once per test) and how it runs tasks
/// ([`conformance::Runs`](crate::conformance::Runs)). Put it in a module of your tests:
///
/// ```
/// mod my_scheduler_conforms {
///     use lazydag_core::conformance::Runs;
///     use lazydag_core::scheduler::Threaded;
///     lazydag_core::scheduler_conformance!(Runs::OnPool, Threaded::new(2));
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! scheduler_conformance {
    ($runs:expr, $make:expr) => {
        #[test]
        fn each_task_runs_once() {
            $crate::conformance::each_task_runs_once(&$make);
        }
        #[test]
        fn shared_values_are_cloned_once_per_extra_use() {
            $crate::conformance::shared_values_are_cloned_once_per_extra_use(&$make);
        }
        #[test]
        fn outputs_come_in_request_order() {
            $crate::conformance::outputs_come_in_request_order(&$make);
        }
        #[test]
        fn first_error_wins() {
            $crate::conformance::first_error_wins(&$make, $runs);
        }
        #[test]
        fn cancel_returns_while_a_task_runs() {
            $crate::conformance::cancel_returns_while_a_task_runs(&$make, $runs);
        }
        #[test]
        fn timeout_returns_while_a_task_runs() {
            $crate::conformance::timeout_returns_while_a_task_runs(&$make, $runs);
        }
        #[test]
        fn cancel_during_the_last_task_is_an_error() {
            $crate::conformance::cancel_during_the_last_task_is_an_error(&$make);
        }
        #[test]
        fn nested_computes_work() {
            $crate::conformance::nested_computes_work(::std::sync::Arc::new($make));
        }
    };
}
