//! A leftover value whose `Drop` panics (a value stored for a consumer that never ran because
//! the compute failed) cannot replace the compute's error: on every scheduler, the error the
//! caller gets is the failing task's, and the panicking `Drop` did run (inside the task
//! boundary, where it is caught).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lazydag::optimize::Optimizer;
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Error, compute_with_control};

use common::{Bomb, arm, size};

fn fail(_: u32) -> u32 {
    panic!("the real failure")
}
fn both(_: Bomb, n: u32) -> u32 {
    n
}

/// Waits (as a hang guard only) until `count` reaches `n`: a pool worker may drop the last
/// handle to a failed run just after the caller has returned.
fn wait_for(count: &AtomicUsize, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(120);
    while count.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < give_up, "the leftover value was never dropped");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `bomb` feeds `n` (a harmless clone) and `out`; `n` feeds `failing`, which panics, so `out`
/// never runs and the armed original is left in its slot when the compute fails.
fn failing_graph(drops: &Arc<AtomicUsize>) -> (Delayed<u32>, Delayed<u32>) {
    let bomb = delayed!(arm(Arc::clone(drops)));
    let n = delayed!(size(&bomb));
    let failing = delayed!(fail(&n));
    let out = delayed!(both(&bomb, &failing));
    (out, failing)
}

fn check(scheduler: &dyn Scheduler, rounds: usize) {
    let unfused = Control::new().optimize(Optimizer::off());
    for round in 0..rounds {
        let drops = Arc::new(AtomicUsize::new(0));
        let (out, failing) = failing_graph(&drops);
        match compute_with_control(&out, scheduler, &unfused) {
            Err(Error::Panicked { task, message, .. }) => {
                assert_eq!(task, failing.key(), "{} round {round}", scheduler.name());
                assert_eq!(message, "the real failure", "{} round {round}", scheduler.name());
            }
            other => panic!(
                "{} round {round}: expected the task's panic, got {other:?}",
                scheduler.name()
            ),
        }
        drop((out, failing));
        wait_for(&drops, 1);
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{}", scheduler.name());
    }
    // The scheduler still computes.
    assert_eq!(delayed(2).map(|x: u32| x + 1).compute_with(scheduler).unwrap(), 3);
}

#[test]
fn sequential_returns_the_task_error_when_a_leftover_drop_panics() {
    check(&Sequential, 1);
}

#[test]
fn threaded_returns_the_task_error_when_a_leftover_drop_panics() {
    check(&Threaded::new(2), 20);
}

#[test]
fn work_stealing_returns_the_task_error_when_a_leftover_drop_panics() {
    check(&WorkStealing::new(2), 20);
}

#[test]
fn async_returns_the_task_error_when_a_leftover_drop_panics() {
    check(&Async::new(2), 5);
}
