//! Cancelling or timing out a compute stops a fused chain between two members, as it would
//! stop an unfused chain between two tasks, on every scheduler.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{
    CancelToken, Control, Delayed, Error, Optimizer, Plan, compute_with_control, delayed,
};

/// A chain of `len` steps that each sleep 5 ms, counting the steps that ran.
fn slow_chain(len: usize) -> (Delayed<u64>, Arc<AtomicUsize>) {
    held_chain(len, || true)
}

/// A chain of `len` steps that each sleep 5 ms and then hold their thread until `released`
/// says so (bounded at 30 s, so that a broken stop fails the test instead of hanging it),
/// counting the steps that ran.
fn held_chain(
    len: usize,
    released: impl Fn() -> bool + Send + std::marker::Sync + Clone + 'static,
) -> (Delayed<u64>, Arc<AtomicUsize>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut tip = delayed(0_u64);
    for _ in 0..len {
        let (ran, released) = (Arc::clone(&ran), released.clone());
        tip = tip.map(move |x: u64| {
            ran.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            let give_up = std::time::Instant::now() + Duration::from_secs(30);
            while !released() && std::time::Instant::now() < give_up {
                std::thread::sleep(Duration::from_millis(1));
            }
            x + 1
        });
    }
    (tip, ran)
}

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
}

#[test]
fn the_chain_is_one_fused_task() {
    let (tip, _) = slow_chain(200);
    let plan = Plan::optimized(&[tip.task()], &Optimizer::default()).unwrap();
    let top = plan.view().outputs()[0] as usize;
    assert_eq!(plan.view().members(top).len(), 200);
}

#[test]
fn a_timeout_stops_a_fused_chain_between_members() {
    for scheduler in schedulers() {
        let (tip, ran) = slow_chain(200); // 1 s if it ran to the end
        let control = Control::new().timeout(Duration::from_millis(50));
        let err = compute_with_control(&tip, &*scheduler, &control).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{}: {err}", scheduler.name());
        let steps = ran.load(Ordering::Relaxed);
        assert!(steps < 200, "{}: {steps} steps ran after the timeout", scheduler.name());
    }
}

#[test]
fn cancelling_stops_a_fused_chain_between_members() {
    for scheduler in schedulers() {
        // Each step holds its thread until the token is cancelled, and the canceller
        // cancels once a step has run: events, not clocks, decide the order.
        let token = CancelToken::new();
        let released = token.clone();
        let (tip, ran) = held_chain(200, move || released.is_cancelled());
        let canceller = {
            let (token, ran) = (token.clone(), Arc::clone(&ran));
            std::thread::spawn(move || {
                while ran.load(Ordering::SeqCst) == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                token.cancel();
            })
        };
        let control = Control::new().cancel_token(token);
        let err = compute_with_control(&tip, &*scheduler, &control).unwrap_err();
        canceller.join().unwrap();
        assert!(matches!(err, Error::Cancelled), "{}: {err}", scheduler.name());
        let steps = ran.load(Ordering::SeqCst);
        assert!(steps < 200, "{}: {steps} steps ran after cancelling", scheduler.name());
        assert_eq!(steps, 1, "{}: the running step finishes, no other starts", scheduler.name());
    }
}
