//! A pool whose last handle is dropped on one of its own workers shuts down without a panic:
//! a task still running when its compute timed out holds the last handle, so the worker that
//! finishes it drops the pool. In its own binary: it counts panics with a process-wide hook
//! and threads in /proc.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lazydag::scheduler::{Threaded, WorkStealing};
use lazydag::{Control, Error, Scheduler, compute_with_control, delayed};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn last_handle_dropped_on_a_worker(scheduler: Arc<dyn Scheduler>, prefix: &str) {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (held, task_gate) = (Arc::clone(&scheduler), Arc::clone(&gate));
    let task = delayed(1u64).map(move |x: u64| {
        let (open, cond) = &*task_gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = cond.wait(open).unwrap();
        }
        x + held.name().len() as u64
    });
    let control = Control::new().timeout(Duration::from_millis(20));
    let err = compute_with_control(&task, &*scheduler, &control).unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    drop((task, scheduler)); // the running task now holds the last handle
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    let left = common::threads_down_to(prefix, 0).unwrap_or(0);
    assert_eq!(left, 0, "the pool's threads did not all exit");
}

#[test]
fn a_pool_dropped_on_its_own_worker_shuts_down_without_a_panic() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    last_handle_dropped_on_a_worker(Arc::new(WorkStealing::new(2)), "lazydag-ws");
    last_handle_dropped_on_a_worker(Arc::new(Threaded::new(2)), "lazydag-threads");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a worker panicked");
}
