//! A pool survives a panicking `Drop` of a leftover value: after failed computes whose last
//! handle a worker drops, every worker thread is still alive (counted in /proc/self/task) and
//! the next compute returns. One test in this file, so no other test's threads are counted.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::optimize::Optimizer;
use lazydag::prelude::*;
use lazydag::scheduler::{Scheduler, Threaded, WorkStealing};
use lazydag::{Control, compute_with_control};

use common::{Bomb, arm, returns, size, threads};

fn fail(_: u32) -> Result<u32, std::io::Error> {
    Err(std::io::Error::other("the real failure"))
}
fn both(_: Bomb, n: u32) -> u32 {
    n
}

/// Waits until `ready` holds, failing (instead of hanging) after two minutes.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let give_up = std::time::Instant::now() + Duration::from_secs(120);
    while !ready() {
        assert!(std::time::Instant::now() < give_up, "{what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Fails computes whose leftover value panics in `Drop` on `scheduler`, a pool of `workers`
/// threads named `prefix…`; then every one of them must still be alive.
fn survive(scheduler: Arc<dyn Scheduler>, prefix: &str, workers: usize) {
    // Count only this pool's workers, once they are all there: a new thread takes its name
    // from inside itself, just after it starts, and the workers of an earlier pool of the same
    // kind may still be exiting (a pool whose last handle drops on its own worker does not
    // join that thread).
    wait_until("the pool's workers never all started", || threads(prefix) == Some(workers));
    let unfused = Control::new().optimize(Optimizer::off());
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = 50;
    for _ in 0..rounds {
        let bomb = delayed!(arm(Arc::clone(&drops)));
        let n = delayed!(size(&bomb));
        let failing = try_delayed!(fail(&n));
        let out = delayed!(both(&bomb, &failing));
        let err = compute_with_control(&out, &*scheduler, &unfused).unwrap_err();
        assert!(err.to_string().contains("the real failure"), "{err}");
    }
    let pool = Arc::clone(&scheduler);
    let value =
        returns(move || delayed(20).map(|x: u32| x + 1).map(|x: u32| x * 2).compute_with(&*pool));
    assert_eq!(value.unwrap(), 42);
    // A worker may still hold the last failed run until it idles: wait (hang guard only).
    wait_until("a leftover bomb was never dropped", || drops.load(Ordering::SeqCst) >= rounds);
    assert_eq!(drops.load(Ordering::SeqCst), rounds, "every leftover bomb was dropped once");
    assert_eq!(threads(prefix), Some(workers), "{}: a worker thread died", scheduler.name());
}

#[test]
fn pools_keep_every_worker_when_a_leftover_drop_panics() {
    if threads("").is_none() {
        eprintln!("skipped: no /proc/self/task to count threads in");
        return;
    }
    survive(Arc::new(WorkStealing::new(1)), "lazydag-ws-", 1);
    survive(Arc::new(WorkStealing::new(3)), "lazydag-ws-", 3);
    survive(Arc::new(Threaded::new(2)), "lazydag-threads", 2);
}
