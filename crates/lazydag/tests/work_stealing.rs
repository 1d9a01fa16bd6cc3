//! The work-stealing scheduler: same results as `Sequential`, every task once, failures and stops
//! reported promptly, the pool reusable afterwards, nested computes, and clean shutdown.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lazydag::prelude::*;
use lazydag::scheduler::{Sequential, WorkStealing};
use lazydag::{CancelToken, Control, Error, compute_settled, compute_with_control};

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn tree(leaves: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| if p.len() == 2 { delayed!(add(&p[0], &p[1])) } else { p[0].clone() })
            .collect();
    }
    level.pop().unwrap()
}

#[test]
fn same_results_as_sync_on_tree_chain_and_diamond() {
    let pool = WorkStealing::new(2);
    let t = tree(100_000);
    assert_eq!(t.compute_with(&pool).unwrap(), t.compute_with(&Sequential).unwrap());

    let mut tip = delayed(0_u64);
    for _ in 0..100_000 {
        tip = delayed!(inc(tip));
    }
    assert_eq!(tip.compute_with(&pool).unwrap(), 100_000);

    let base = delayed!(inc(1));
    let d = delayed!(add(delayed!(inc(&base)), delayed!(inc(&base))));
    assert_eq!(d.compute_with(&pool).unwrap(), 6);
}

#[test]
fn every_task_runs_once() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    fn counted(x: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        x
    }
    let pool = WorkStealing::new(4);
    let leaves: Vec<_> = (0..5_000).map(|i| delayed!(counted(i))).collect();
    let shared = delayed!(counted(7));
    let sums: Vec<_> = leaves.iter().map(|l| delayed!(add(l, &shared))).collect();
    let before = RUNS.load(Ordering::SeqCst);
    let values = compute_with_control(&sums, &pool, &Control::new()).unwrap();
    assert_eq!(values.len(), 5_000);
    assert_eq!(values[10], 17);
    assert_eq!(RUNS.load(Ordering::SeqCst) - before, 5_001);
}

/// Waits (1 ms naps, at most 30 s, so that a broken scheduler fails the test instead of
/// hanging it) until `released` says so.
fn hold_until(released: impl Fn() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !released() && Instant::now() < give_up {
        thread::sleep(Duration::from_millis(1));
    }
}

// "Promptly" is counted, not timed: tasks that start after the failure or stop hold their
// worker until the compute has returned, so each worker can start at most one of them, and
// a scheduler that kept going could not return at all.

#[test]
fn failure_is_prompt_and_the_pool_stays_usable() {
    let pool = WorkStealing::new(2);
    static FAILED: AtomicBool = AtomicBool::new(false);
    static RETURNED: AtomicBool = AtomicBool::new(false);
    static LATE: AtomicUsize = AtomicUsize::new(0);
    fn slow(x: u64) -> u64 {
        if FAILED.load(Ordering::SeqCst) {
            LATE.fetch_add(1, Ordering::SeqCst);
            hold_until(|| RETURNED.load(Ordering::SeqCst));
        }
        thread::sleep(Duration::from_millis(1));
        x
    }
    fn fail(_: u64) -> Result<u64, std::fmt::Error> {
        FAILED.store(true, Ordering::SeqCst);
        Err(std::fmt::Error)
    }
    let slow_branch: Vec<_> = (0..2_000).map(|i| delayed!(slow(i))).collect();
    let bad = try_delayed!(fail(1)).name("the-bad-one");
    let all = delayed!((|v: Vec<u64>, b: u64| v.len() as u64 + b)(slow_branch, &bad));
    let err = all.compute_with(&pool).unwrap_err();
    RETURNED.store(true, Ordering::SeqCst);
    assert_eq!(err.task().unwrap().name(), "the-bad-one");
    // The error comes back promptly after the failure: without waiting for the slow branch.
    assert!(FAILED.load(Ordering::SeqCst), "the failing task ran");
    let late = LATE.load(Ordering::SeqCst);
    assert!(late <= pool.workers(), "{late} tasks started after the failure");
    assert_eq!(tree(1_000).compute_with(&pool).unwrap(), (1..=1_000).sum::<u64>());
}

#[test]
fn panics_are_errors_naming_the_task() {
    let pool = WorkStealing::new(2);
    let boom = delayed(1_u64).map(|_: u64| -> u64 { panic!("kaboom") }).name("boom");
    let top = delayed!(add(&boom, 1));
    assert!(
        matches!(top.compute_with(&pool), Err(Error::Panicked { task, .. }) if task == boom.key())
    );
    assert_eq!(delayed!(add(1, 2)).compute_with(&pool).unwrap(), 3);
}

/// 500 independent tasks; each counts itself in `ran`, then holds its worker until
/// `released` says so.
fn held(
    ran: &Arc<AtomicUsize>,
    released: impl Fn() -> bool + Send + std::marker::Sync + Clone + 'static,
) -> Vec<Delayed<u64>> {
    (0..500)
        .map(|i| {
            let (ran, released) = (Arc::clone(ran), released.clone());
            delayed(i).map(move |x: u64| {
                ran.fetch_add(1, Ordering::SeqCst);
                hold_until(&released);
                x
            })
        })
        .collect()
}

#[test]
fn cancel_and_timeout_return_promptly() {
    let pool = WorkStealing::new(2);

    let ran = Arc::new(AtomicUsize::new(0));
    let token = CancelToken::new();
    let canceller = {
        let (token, ran) = (token.clone(), Arc::clone(&ran));
        // Cancel once a task is running (an event, not a clock).
        thread::spawn(move || {
            hold_until(|| ran.load(Ordering::SeqCst) > 0);
            token.cancel();
        })
    };
    let released = token.clone();
    let naps = held(&ran, move || released.is_cancelled());
    let result = compute_with_control(&naps, &pool, &Control::new().cancel_token(token));
    canceller.join().unwrap();
    assert!(matches!(result, Err(Error::Cancelled)));
    let started = ran.load(Ordering::SeqCst);
    assert!(started <= pool.workers(), "{started} tasks started: only the running ones");

    // The compute's clock starts before the first task does: a task that holds its worker
    // for the timeout after the first task started ends past the deadline.
    let ran = Arc::new(AtomicUsize::new(0));
    let timeout = Duration::from_millis(50);
    let first = Arc::new(std::sync::OnceLock::new());
    let naps = held(&ran, move || first.get_or_init(Instant::now).elapsed() > timeout);
    let result = compute_with_control(&naps, &pool, &Control::new().timeout(timeout));
    assert!(matches!(result, Err(Error::TimedOut { .. })));
    let started = ran.load(Ordering::SeqCst);
    assert!(started <= pool.workers(), "{started} tasks started: only the running ones");

    assert_eq!(delayed!(add(2, 2)).compute_with(&pool).unwrap(), 4);
}

#[test]
fn keep_going_returns_each_outputs_result() {
    let pool = WorkStealing::new(2);
    fn check(x: u64) -> Result<u64, std::fmt::Error> {
        if x.is_multiple_of(3) { Err(std::fmt::Error) } else { Ok(x) }
    }
    let outs: Vec<_> = (1..=9).map(|i| delayed!(inc(try_delayed!(check(i))))).collect();
    let results = compute_settled(&outs, &pool, &Control::new());
    for (i, r) in (1..=9).zip(&results) {
        match r {
            Ok(v) => assert_eq!(*v, i + 1),
            Err(Error::Failed { task, .. }) => {
                assert!(i.is_multiple_of(3));
                assert_eq!(task.name(), "check");
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 3);
}

#[test]
fn nested_compute_on_the_same_pool() {
    let pool = Arc::new(WorkStealing::new(2));
    let inner_pool = Arc::clone(&pool);
    let outer = delayed(10_u64).map(move |x: u64| {
        let inner = delayed!(add(x, 5));
        inner.compute_with(&*inner_pool).unwrap()
    });
    let outs: Vec<_> = (0..8).map(|i| delayed!(add(&outer, i))).collect();
    assert_eq!(compute_all_with(&outs, &pool), (15..23).collect::<Vec<u64>>());
}

fn compute_all_with(outs: &[Delayed<u64>], s: &WorkStealing) -> Vec<u64> {
    compute_with_control(outs, s, &Control::new()).unwrap()
}

#[test]
fn repeated_computes_never_deadlock_oversubscribed() {
    for workers in [2, 8] {
        let pool = WorkStealing::new(workers);
        for round in 0..200_u64 {
            let t = tree(64 + round % 7);
            let n = 64 + round % 7;
            assert_eq!(t.compute_with(&pool).unwrap(), n * (n + 1) / 2);
        }
    }
}

#[test]
fn concurrent_computes_share_one_pool() {
    let pool = Arc::new(WorkStealing::new(2));
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                for _ in 0..20 {
                    assert_eq!(
                        tree(500 + k).compute_with(&*pool).unwrap(),
                        (1..=500 + k).sum::<u64>()
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn dropping_the_scheduler_joins_its_threads() {
    let pool = WorkStealing::new(3);
    assert_eq!(tree(100).compute_with(&pool).unwrap(), 5050);
    let tasks: Vec<Delayed<u64>> = (0..64)
        .map(|i| {
            delayed(i).map(|x: u64| {
                common::mark_thread();
                x
            })
        })
        .collect();
    compute_with_control(&tasks, &pool, &Control::new()).unwrap();
    let met = common::threads_met();
    assert!((1..=3).contains(&met), "{met}");
    drop(pool); // returns only once every worker has exited
    assert_eq!(common::threads_gone(), met);
}

/// A compute's initial tasks are claimed a few at a time (the cursor's batches), but stay on
/// the claiming worker's deque where the other worker can steal them: an initial task that
/// waits for a later one (claimed in the same batch) does not wait for its own worker.
#[test]
fn an_initial_task_waiting_for_a_sibling_of_its_batch_is_not_stuck() {
    let pool = WorkStealing::new(2);
    let released = Arc::new(AtomicBool::new(false));
    let tasks: Vec<Delayed<u64>> = (0..64_u64)
        .map(|i| {
            let released = Arc::clone(&released);
            delayed!((move |i: u64| {
                match i {
                    0 => {
                        hold_until(|| released.load(Ordering::SeqCst));
                        assert!(released.load(Ordering::SeqCst), "task 1 never ran meanwhile");
                    }
                    1 => released.store(true, Ordering::SeqCst),
                    _ => {}
                }
                i
            })(i))
        })
        .collect();
    let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(tasks));
    assert_eq!(total.compute_with(&pool).unwrap(), (0..64).sum::<u64>());
}
