//! The async scheduler: it agrees with `Sequential`, overlaps async tasks (from sync code and inside
//! both tokio runtime flavors), bounds CPU tasks, and stops promptly on failure, timeout and
//! cancellation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential};
use lazydag::{CancelToken, Control, Error, compute_settled, compute_with, compute_with_control};

fn add(a: i64, b: i64) -> i64 {
    a + b
}
fn square(x: i64) -> i64 {
    x * x
}
fn total(xs: Vec<i64>) -> i64 {
    xs.iter().sum()
}
fn inc(x: i64) -> i64 {
    x + 1
}

fn naps_total(naps: Vec<u64>) -> u64 {
    naps.iter().sum()
}

/// Counts the naps in flight and the most that ever were: "the sleeps overlap" is a count,
/// not a clock reading.
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    const fn new() -> Gauge {
        Gauge { now: AtomicUsize::new(0), peak: AtomicUsize::new(0) }
    }

    /// Sleeps `ms` milliseconds in flight. With `overlap`, it then also waits (bounded at
    /// 30 s) until a second nap has been in flight beside it, so a scheduler that overlaps
    /// naps always shows it, however loaded the machine, and one that does not shows a peak
    /// of 1 (and slowly) instead of hanging.
    async fn nap(&'static self, ms: u64, overlap: bool) -> u64 {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        if overlap {
            for _ in 0..30_000 {
                if self.peak() > 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        self.now.fetch_sub(1, Ordering::SeqCst);
        ms
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// 1,000 async tasks that each sleep 10 ms on `gauge`, summed: 10 s if run one after another.
fn thousand_naps(gauge: &'static Gauge) -> Delayed<u64> {
    let naps: Vec<_> =
        (0..1_000).map(|_| delayed_async!((move |ms| gauge.nap(ms, true))(10))).collect();
    delayed!(naps_total(naps))
}

/// An async task that never finishes: a stop that waited for it would never return.
async fn stall(_: u64) -> u64 {
    std::future::pending().await
}

#[test]
fn diamond_matches_sync() {
    let base = delayed!(square(7));
    let left = delayed!(inc(&base));
    let right = delayed!(add(&base, 2));
    let top = delayed!(add(left, right));
    let expected = top.compute_with(&Sequential).unwrap();
    assert_eq!(top.compute_with(&Async::new(2)).unwrap(), expected);
    assert_eq!(expected, 50 + 51);
}

#[test]
fn map_reduce_matches_sync() {
    let squares: Vec<_> = (0..10_000).map(|i| delayed!(square(i))).collect();
    let sum = delayed!(total(&squares));
    let expected = sum.compute_with(&Sequential).unwrap();
    assert_eq!(sum.compute_with(&Async::new(2)).unwrap(), expected);
    let firsts = compute_with((&sum, &squares[..3]), &Async::new(2)).unwrap();
    assert_eq!(firsts, (expected, vec![0, 1, 4]));
}

#[test]
fn chain_matches_sync() {
    let mut x = delayed(0_i64);
    for _ in 0..10_000 {
        x = delayed!(inc(x));
    }
    assert_eq!(x.compute_with(&Async::new(2)).unwrap(), x.compute_with(&Sequential).unwrap());
    assert_eq!(x.compute_with(&Async::new(2)).unwrap(), 10_000);
}

#[test]
fn async_tasks_overlap_from_sync_code() {
    static GAUGE: Gauge = Gauge::new();
    assert_eq!(thousand_naps(&GAUGE).compute_with(&Async::new(2)).unwrap(), 10_000);
    assert!(GAUGE.peak() > 1, "the naps ran one at a time");
}

#[tokio::test(flavor = "multi_thread")]
async fn async_tasks_overlap_in_a_multi_thread_runtime() {
    static GAUGE: Gauge = Gauge::new();
    assert_eq!(thousand_naps(&GAUGE).compute_async().await.unwrap(), 10_000);
    assert!(GAUGE.peak() > 1, "the naps ran one at a time");
}

#[tokio::test]
async fn async_tasks_overlap_in_a_current_thread_runtime() {
    static GAUGE: Gauge = Gauge::new();
    let both = (thousand_naps(&GAUGE), thousand_naps(&GAUGE));
    let (sum, again) = lazydag::compute_async(both).await.unwrap();
    assert_eq!((sum, again), (10_000, 10_000));
    assert!(GAUGE.peak() > 1, "the naps ran one at a time");
}

#[tokio::test]
async fn blocking_compute_inside_a_runtime_does_not_nest() {
    // `execute` is synchronous; inside a runtime it must neither panic nor deadlock.
    static GAUGE: Gauge = Gauge::new();
    assert_eq!(thousand_naps(&GAUGE).compute_with(&Async::new(2)).unwrap(), 10_000);
    assert!(GAUGE.peak() > 1, "the naps ran one at a time");
}

#[tokio::test(flavor = "multi_thread")]
async fn compute_async_is_send() {
    static GAUGE: Gauge = Gauge::new();
    let sum = tokio::spawn(async { thousand_naps(&GAUGE).compute_async().await }).await.unwrap();
    assert_eq!(sum.unwrap(), 10_000);
}

#[test]
fn compute_async_works_outside_tokio() {
    static GAUGE: Gauge = Gauge::new();
    let sum = park_on(thousand_naps(&GAUGE).compute_async());
    assert_eq!(sum.unwrap(), 10_000);
}

#[test]
fn compute_async_needs_no_timers_from_the_callers_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let doubled: Vec<_> =
        (0..100).map(|i| delayed_async!((|x: i64| async move { x * 2 })(square(i)))).collect();
    let sum = runtime.block_on(delayed!(total(doubled)).compute_async()).unwrap();
    assert_eq!(sum, 2 * (0..100).map(|i| i * i).sum::<i64>());
}

/// Polls a future on this thread, parking between wake-ups: an executor that is not tokio.
fn park_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

#[test]
fn cpu_and_async_tasks_mix() {
    async fn fetch(i: i64) -> i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        i
    }
    let parts: Vec<_> = (0..200)
        .map(|i| {
            let fetched = delayed_async!(fetch(i));
            let squared = delayed!(square(fetched));
            delayed_async!((|x: i64| async move { x + 1 })(squared))
        })
        .collect();
    let sum = delayed!(total(parts));
    let expected: i64 = (0..200).map(|i| i * i + 1).sum();
    assert_eq!(sum.compute_with(&Sequential).unwrap(), expected);
    assert_eq!(sum.compute_with(&Async::new(2)).unwrap(), expected);
}

#[test]
fn cpu_tasks_never_exceed_workers() {
    static RUNNING: AtomicUsize = AtomicUsize::new(0);
    static MOST: AtomicUsize = AtomicUsize::new(0);
    fn busy(i: i64) -> i64 {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(2));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        i
    }
    let parts: Vec<_> = (0..40).map(|i| delayed!(busy(i))).collect();
    assert_eq!(delayed!(total(parts)).compute_with(&Async::new(3)).unwrap(), 780);
    assert!(MOST.load(Ordering::SeqCst) <= 3, "{} CPU tasks at once", MOST.load(Ordering::SeqCst));
}

#[test]
fn failure_names_the_task_and_abandons_pending_sleeps() {
    async fn fetch(s: &'static str) -> Result<i64, std::num::ParseIntError> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        s.parse()
    }
    // An async task yields a value; a fallible step after it fails the compute.
    let parsed = delayed_async!(fetch("x")).try_map(|r| r).name("parse-fetched");
    // Pending forever: returning at all is returning without them.
    let slow: Vec<_> = (0..50).map(|_| delayed_async!(stall(0))).collect();
    let err = compute_with((&parsed, slow), &Async::new(2)).unwrap_err();
    assert!(matches!(&err, Error::Failed { task, .. } if task.name() == "parse-fetched"), "{err}");
    assert!(err.to_string().contains("invalid digit"));
}

#[test]
fn panicking_async_task_is_reported() {
    async fn explode(_: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        panic!("kaboom")
    }
    static GAUGE: Gauge = Gauge::new();
    let boom = delayed_async!(explode(1));
    let err = compute_with((&boom, thousand_naps(&GAUGE)), &Async::new(2)).unwrap_err();
    match err {
        Error::Panicked { task, message, .. } => {
            assert_eq!(task.name(), "explode");
            assert_eq!(message, "kaboom");
        }
        other => panic!("expected a panic, got {other}"),
    }
}

#[test]
fn timeout_returns_promptly_while_async_tasks_sleep() {
    // Pending forever: returning at all is returning promptly.
    let slow: Vec<_> = (0..100).map(|_| delayed_async!(stall(0))).collect();
    let control = Control::new().timeout(Duration::from_millis(50));
    let err = compute_with_control(&slow, &Async::new(2), &control).unwrap_err();
    assert!(matches!(err, Error::TimedOut { timeout } if timeout == Duration::from_millis(50)));
}

#[test]
fn cancel_from_another_thread_returns_promptly() {
    // Pending forever: returning at all is returning promptly.
    let slow: Vec<_> = (0..100).map(|_| delayed_async!(stall(0))).collect();
    let token = CancelToken::new();
    let control = Control::new().cancel_token(token.clone());
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        token.cancel();
    });
    let err = compute_with_control(&slow, &Async::new(2), &control).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    canceller.join().unwrap();
}

#[test]
fn keep_going_settles_each_output() {
    async fn fetch(s: &'static str) -> &'static str {
        tokio::time::sleep(Duration::from_millis(5)).await;
        s
    }
    async fn explode(_: u64) -> i64 {
        panic!("kaboom")
    }
    let parse = |s: &'static str| s.parse::<i64>();
    let outs = vec![
        delayed_async!(fetch("1")).try_map(parse),
        delayed_async!(fetch("x")).try_map(parse).name("bad"),
        delayed_async!(explode(0)),
        delayed_async!(fetch("3")).try_map(parse),
    ];
    let results = compute_settled(&outs, &Async::new(2), &Control::new());
    assert_eq!(results[0].as_ref().ok(), Some(&1));
    assert!(matches!(&results[1], Err(Error::Failed { task, .. }) if task.name() == "bad"));
    assert!(matches!(&results[2], Err(Error::Panicked { task, .. }) if task.name() == "explode"));
    assert_eq!(results[3].as_ref().ok(), Some(&3));
}

#[test]
fn sync_scheduler_blocks_on_async_tasks() {
    // Non-async schedulers run an async task to completion on their thread: correct, serial.
    static GAUGE: Gauge = Gauge::new();
    let naps: Vec<_> = (0..5).map(|_| delayed_async!((|ms| GAUGE.nap(ms, false))(20))).collect();
    let sum = delayed!(naps_total(naps));
    assert_eq!(sum.compute_with(&Sequential).unwrap(), 100);
    assert_eq!(GAUGE.peak(), 1, "one nap at a time");
}
