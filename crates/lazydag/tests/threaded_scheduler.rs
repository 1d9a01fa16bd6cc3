//! The `threads` scheduler agrees with `Sequential`, runs every task once, fails, cancels and times
//! out promptly, keeps going when asked, never deadlocks (repeated, concurrent and nested
//! computes) and joins its threads when dropped.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lazydag::prelude::*;
use lazydag::scheduler::{Sequential, Threaded};
use lazydag::{CancelToken, Control, Error, compute_settled, compute_with, compute_with_control};

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// Adds neighbours pairwise until one value is left.
fn tree_sum(mut level: Vec<Delayed<u64>>) -> Delayed<u64> {
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut pairs = level.into_iter();
        while let Some(a) = pairs.next() {
            next.push(match pairs.next() {
                Some(b) => delayed!(add(a, b)),
                None => a,
            });
        }
        level = next;
    }
    level.pop().expect("at least one value")
}

/// Sleeps `ms` milliseconds, then returns `x`.
fn nap(x: u64, ms: u64) -> u64 {
    thread::sleep(Duration::from_millis(ms));
    x
}

#[test]
fn diamond_matches_sync() {
    let threads = Threaded::new(4);
    let base = delayed!(inc(9));
    let left = delayed!(inc(&base));
    let right = delayed!(add(&base, 5));
    let top = delayed!(add(left, right));
    assert_eq!(top.compute_with(&threads).unwrap(), top.compute_with(&Sequential).unwrap());
    assert_eq!(top.compute_with(&threads).unwrap(), 11 + 15);
}

#[test]
fn wide_map_reduce_matches_sync_and_runs_each_task_once() {
    const N: u64 = 100_000;
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let mapped: Vec<Delayed<u64>> = (0..N)
        .map(|i| {
            delayed(i).map(|x: u64| {
                CALLS.fetch_add(1, Ordering::Relaxed);
                x + 1
            })
        })
        .collect();
    let total = tree_sum(mapped);
    let threads = Threaded::new(4);
    assert_eq!(total.compute_with(&threads).unwrap(), N * (N + 1) / 2);
    assert_eq!(CALLS.swap(0, Ordering::Relaxed), N as usize);
    assert_eq!(total.compute_with(&Sequential).unwrap(), N * (N + 1) / 2);
}

#[test]
fn long_chain_matches_sync() {
    const N: u64 = 100_000;
    let mut tip = delayed(0_u64);
    for _ in 0..N {
        tip = delayed!(inc(tip));
    }
    assert_eq!(tip.compute_with(&Threaded::new(2)).unwrap(), N);
}

#[test]
fn one_worker_runs_tasks_in_plan_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let leaves: Vec<Delayed<u64>> = (0..64)
        .map(|i| {
            let order = Arc::clone(&order);
            delayed(i).map(move |x: u64| {
                order.lock().unwrap().push(x);
                x
            })
        })
        .collect();
    let total = tree_sum(leaves);
    total.compute_with(&Sequential).unwrap();
    let by_sync = std::mem::take(&mut *order.lock().unwrap());
    total.compute_with(&Threaded::new(1)).unwrap();
    assert_eq!(*order.lock().unwrap(), by_sync);
}

#[derive(Debug)]
struct Bad(u64);
impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad input {}", self.0)
    }
}
impl std::error::Error for Bad {}

#[test]
fn failing_task_is_named_and_the_pool_stays_usable() {
    let threads = Threaded::new(3);
    let parts: Vec<Delayed<u64>> = (0..50).map(|i| delayed!(inc(i))).collect();
    let bad = delayed(7_u64).try_map(|x: u64| Err::<u64, _>(Bad(x))).name("validate");
    let total = delayed!(add(tree_sum(parts), &bad));
    match total.compute_with(&threads) {
        Err(Error::Failed { task, source }) => {
            assert_eq!(task, bad.key());
            assert_eq!(source.to_string(), "bad input 7");
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    assert_eq!(delayed!(add(2, 3)).compute_with(&threads).unwrap(), 5);
}

#[test]
fn panicking_task_is_named_and_the_pool_stays_usable() {
    let threads = Threaded::new(2);
    let boom = delayed(1_u64).map(|_: u64| -> u64 { panic!("kaboom") }).name("boom");
    let total = delayed!(add(delayed!(inc(1)), &boom));
    match total.compute_with(&threads) {
        Err(Error::Panicked { task, message, .. }) => {
            assert_eq!(task, boom.key());
            assert_eq!(message, "kaboom");
        }
        other => panic!("expected Error::Panicked, got {other:?}"),
    }
    assert_eq!(threads.workers(), 2);
    assert_eq!(delayed!(inc(41)).compute_with(&threads).unwrap(), 42);
}

/// 40 independent tasks, summed; each counts itself in `ran`, then holds its worker until
/// `released` says so (bounded at 30 s, so that a scheduler that never stops fails the test
/// instead of hanging it).
fn held(
    ran: &'static AtomicUsize,
    released: impl Fn() -> bool + Send + std::marker::Sync + Clone + 'static,
) -> Delayed<u64> {
    tree_sum(
        (0..40)
            .map(|i| {
                let released = released.clone();
                delayed(i).map(move |x: u64| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    let give_up = Instant::now() + Duration::from_secs(30);
                    while !released() && Instant::now() < give_up {
                        thread::sleep(Duration::from_millis(1));
                    }
                    x
                })
            })
            .collect(),
    )
}

// "Promptly" is counted, not timed: the tasks hold their workers until the stop has happened,
// so a stop that works lets no more than the two running tasks run (and 40 of them would
// mean the compute ran to the end).

#[test]
fn cancel_from_another_thread_stops_promptly() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    let threads = Threaded::new(2);
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        thread::spawn(move || {
            // Cancel once a task is running (an event, not a clock).
            while RAN.load(Ordering::SeqCst) == 0 {
                thread::sleep(Duration::from_millis(1));
            }
            token.cancel();
        })
    };
    let control = Control::new().cancel_token(token.clone());
    let err = compute_with_control(held(&RAN, move || token.is_cancelled()), &threads, &control)
        .unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    let ran = RAN.load(Ordering::SeqCst);
    assert!(ran < 40);
    assert!(ran <= threads.workers(), "{ran} tasks ran: only the running ones may finish");
    assert_eq!(delayed!(inc(1)).compute_with(&threads).unwrap(), 2);
}

#[test]
fn timeout_stops_promptly() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    let threads = Threaded::new(2);
    let timeout = Duration::from_millis(60);
    let control = Control::new().timeout(timeout);
    // The compute's clock starts before the first task does: a task that holds its worker
    // for `timeout` after the first task started ends past the deadline.
    let first = Arc::new(std::sync::OnceLock::new());
    let past_deadline = move || first.get_or_init(Instant::now).elapsed() > timeout;
    let err = compute_with_control(held(&RAN, past_deadline), &threads, &control).unwrap_err();
    assert!(matches!(err, Error::TimedOut { timeout } if timeout == Duration::from_millis(60)));
    let ran = RAN.load(Ordering::SeqCst);
    assert!(ran < 40);
    assert!(ran <= threads.workers(), "{ran} tasks ran: only the running ones may finish");
}

#[test]
fn keep_going_settles_each_output() {
    let threads = Threaded::new(2);
    let good = delayed!(inc(1));
    let bad = delayed(0_u64).try_map(|x: u64| Err::<u64, _>(Bad(x))).name("bad");
    let downstream = delayed!(add(&good, &bad));
    let independent = delayed!(add(&good, 10));
    let outputs = [good, bad.clone(), downstream, independent];
    let results = compute_settled(&outputs, &threads, &Control::new());
    assert_eq!(results[0].as_ref().ok(), Some(&2));
    for failed in &results[1..3] {
        assert_eq!(failed.as_ref().unwrap_err().task(), Some(&bad.key()));
    }
    assert_eq!(results[3].as_ref().ok(), Some(&12));
}

/// A graph whose shape depends on `seed`: layers of tasks that each add a few earlier ones.
fn random_graph(seed: u64) -> Vec<Delayed<u64>> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move |bound: usize| {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound
    };
    let mut nodes: Vec<Delayed<u64>> = vec![delayed!(inc(seed))];
    for i in 1..30 {
        let node = match next(3) {
            0 => delayed!(inc(&nodes[next(i)])),
            1 => delayed!(add(&nodes[next(i)], &nodes[next(i)])),
            _ => delayed!(add(&nodes[next(i)], i as u64)),
        };
        nodes.push(node);
    }
    (0..3).map(|_| nodes[next(nodes.len())].clone()).collect()
}

#[test]
fn repeated_small_computes_never_deadlock() {
    for workers in [2, 8] {
        let threads = Threaded::new(workers);
        for seed in 0..200 {
            let outputs = random_graph(seed);
            let expected = compute_with(&outputs, &Sequential).unwrap();
            assert_eq!(compute_with(&outputs, &threads).unwrap(), expected, "seed {seed}");
        }
    }
}

#[test]
fn concurrent_computes_share_one_pool() {
    let threads = Arc::new(Threaded::new(3));
    let callers: Vec<_> = (0..4)
        .map(|caller| {
            let threads = Arc::clone(&threads);
            thread::spawn(move || {
                for seed in 0..50 {
                    let outputs = random_graph(caller * 1000 + seed);
                    let expected = compute_with(&outputs, &Sequential).unwrap();
                    assert_eq!(compute_with(&outputs, &*threads).unwrap(), expected);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().unwrap();
    }
}

#[test]
fn nested_compute_from_a_task_does_not_deadlock() {
    for workers in [1, 2] {
        let threads = Arc::new(Threaded::new(workers));
        let inner = Arc::clone(&threads);
        let outer: Vec<Delayed<u64>> = (0..4)
            .map(|i| {
                let inner = Arc::clone(&inner);
                delayed(i).map(move |x: u64| {
                    let sub = delayed!(add(delayed!(inc(x)), 100));
                    sub.compute_with(&*inner).unwrap()
                })
            })
            .collect();
        drop(inner);
        assert_eq!(tree_sum(outer).compute_with(&*threads).unwrap(), 404 + 6);
    }
}

#[test]
fn literal_only_empty_and_repeated_outputs() {
    let threads = Threaded::new(2);
    assert_eq!(delayed(5_u64).compute_with(&threads).unwrap(), 5);
    let x = delayed!(inc(1));
    let lit = delayed(7_u64);
    let values = compute_with((&x, &lit, &x, &lit), &threads).unwrap();
    assert_eq!(values, (2, 7, 2, 7));
    let none: Vec<Delayed<u64>> = Vec::new();
    assert!(compute_with(&none, &threads).unwrap().is_empty());
}

#[test]
fn async_task_blocks_its_worker_until_done() {
    async fn double(x: u64) -> u64 {
        x * 2
    }
    let out = delayed!(inc(lazydag::delayed_async!(double(20))));
    assert_eq!(out.compute_with(&Threaded::new(2)).unwrap(), 41);
}

#[test]
fn zero_workers_means_one() {
    let threads = Threaded::new(0);
    assert_eq!(threads.workers(), 1);
    assert_eq!(delayed!(add(1, 2)).compute_with(&threads).unwrap(), 3);
}

#[test]
fn tasks_run_on_named_workers() {
    let name = delayed(0_u64).map(|_: u64| thread::current().name().map(str::to_owned));
    let name = name.compute_with(&Threaded::new(2)).unwrap().unwrap();
    assert!(name.starts_with("lazydag-threads-"), "{name}");
}

#[test]
fn dropping_the_scheduler_joins_its_threads() {
    let threads = Threaded::new(2);
    let tasks: Vec<Delayed<u64>> = (0..8)
        .map(|i| {
            delayed(i).map(|x: u64| {
                common::mark_thread();
                nap(x, 5)
            })
        })
        .collect();
    compute_with(&tasks, &threads).unwrap();
    let met = common::threads_met();
    assert!((1..=2).contains(&met), "{met}");
    drop(threads); // returns only once both workers have exited
    assert_eq!(common::threads_gone(), met);
}

#[test]
fn a_task_may_hold_the_last_handle_to_its_scheduler() {
    let threads = Arc::new(Threaded::new(2));
    let held = Arc::clone(&threads);
    let task = delayed(1_u64).map(move |x: u64| x + held.workers() as u64);
    assert_eq!(task.compute_with(&*threads).unwrap(), 3);
    drop(threads);
    drop(task); // the last handle goes with the graph, wherever that is dropped
}

/// Runs `f` on a thread and waits for it, failing (not hanging) if it takes minutes.
fn within_minutes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, recv) = std::sync::mpsc::channel();
    thread::spawn(move || send.send(f()).unwrap());
    recv.recv_timeout(Duration::from_secs(120)).expect("it hung")
}

#[test]
fn pools_computing_on_each_other_do_not_deadlock() {
    // A's task computes on B, whose task computes on A: A's only worker waits for B, so the
    // innermost compute runs only because that waiting worker helps its own pool.
    let (a, b) = (Arc::new(Threaded::new(1)), Arc::new(Threaded::new(1)));
    let got = within_minutes(move || {
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let outer = delayed(1u64).map(move |x: u64| {
            let a3 = Arc::clone(&a2);
            let middle = delayed(x).map(move |y: u64| delayed!(inc(y)).compute_with(&*a3).unwrap());
            middle.compute_with(&*b2).unwrap() * 10
        });
        outer.compute_with(&*a)
    });
    assert_eq!(got.unwrap(), 20);
}

#[test]
fn a_threaded_pool_and_a_work_stealing_pool_computing_on_each_other_do_not_deadlock() {
    let threads = Arc::new(Threaded::new(1));
    let stealing = Arc::new(lazydag::scheduler::WorkStealing::new(1));
    let got = within_minutes(move || {
        let (t, s) = (Arc::clone(&threads), Arc::clone(&stealing));
        let outer = delayed(1u64).map(move |x: u64| {
            let t2 = Arc::clone(&t);
            let middle = delayed(x).map(move |y: u64| delayed!(inc(y)).compute_with(&*t2).unwrap());
            middle.compute_with(&*s).unwrap() * 10
        });
        outer.compute_with(&*threads)
    });
    assert_eq!(got.unwrap(), 20);
}

#[test]
fn a_nested_compute_runs_on_the_whole_pool() {
    // The outer task waits for an inner map of two tasks that each wait until both have
    // started: only possible if the inner compute uses both workers (inline, it would wait
    // forever; the barrier's bound turns that into a failure).
    let threads = Arc::new(Threaded::new(2));
    let inner_pool = Arc::clone(&threads);
    let outer = delayed(0u64).map(move |_: u64| {
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let both: Vec<Delayed<u64>> = (0..2)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                delayed(i).map(move |x: u64| {
                    barrier.wait();
                    x
                })
            })
            .collect();
        lazydag::compute_with(&both, &*inner_pool).unwrap().iter().sum::<u64>()
    });
    let got = within_minutes(move || outer.compute_with(&*threads));
    assert_eq!(got.unwrap(), 1);
}
