//! Cancelling or timing out a compute stops a fused chain between two members, as it would
//! stop an unfused chain between two tasks, on every scheduler.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::scheduler::{Async, Scheduler, Sync, Threaded, WorkStealing};
use lazydag::{
    CancelToken, Control, Delayed, Error, Optimizer, Plan, compute_with_control, delayed,
};

/// A chain of `len` steps that each sleep 5 ms, counting the steps that ran.
fn slow_chain(len: usize) -> (Delayed<u64>, Arc<AtomicUsize>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut tip = delayed(0_u64);
    for _ in 0..len {
        let ran = Arc::clone(&ran);
        tip = tip.map(move |x: u64| {
            ran.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5));
            x + 1
        });
    }
    (tip, ran)
}

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sync),
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
        let (tip, ran) = slow_chain(200);
        let token = CancelToken::new();
        let canceller = {
            let token = token.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                token.cancel();
            })
        };
        let control = Control::new().cancel_token(token);
        let err = compute_with_control(&tip, &*scheduler, &control).unwrap_err();
        canceller.join().unwrap();
        assert!(matches!(err, Error::Cancelled), "{}: {err}", scheduler.name());
        let steps = ran.load(Ordering::Relaxed);
        assert!(steps < 200, "{}: {steps} steps ran after cancelling", scheduler.name());
    }
}
