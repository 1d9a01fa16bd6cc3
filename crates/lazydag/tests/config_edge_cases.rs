//! Configuration edge cases a review found wrong: worker counts out of range for the async
//! scheduler and in scoped overrides (errors naming the setting, and `current()` agreeing
//! with the compute), and an external scheduler's connect blocking other threads' lookups.
//! Only scoped overrides (thread-local) are used; the process environment and working
//! directory are never touched.

use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use lazydag::config::{self, MAX_WORKERS, SchedulerKind};
use lazydag::scheduler::Sequential;
use lazydag::{Error, Scheduler};

#[test]
fn scoped_async_worker_count_above_the_limit_is_a_config_error() {
    // WorkStealing gives a config error here (covered by the unit tests); Async?
    let _guard = config::set(SchedulerKind::Async, Some(MAX_WORKERS + 1));
    let result = config::default_scheduler().map(|s| s.name().to_owned());
    assert!(matches!(result, Err(Error::Config { .. })), "accepted: {result:?}");
}

#[test]
fn pool_of_zero_async_workers_is_a_config_error() {
    // `config::pool` documents: Error::Config for a worker count of 0 or above MAX_WORKERS.
    let zero = config::pool(SchedulerKind::Async, 0).map(|s| s.name().to_owned());
    assert!(matches!(zero, Err(Error::Config { .. })), "pool(Async, 0) gave {zero:?}");
}

#[test]
fn current_agrees_with_default_scheduler_for_a_bad_scoped_count() {
    let _guard = config::set(SchedulerKind::Threads, Some(MAX_WORKERS + 1));
    let current = config::current();
    let scheduler = config::default_scheduler().map(|s| s.name().to_owned());
    assert_eq!(
        current.is_ok(),
        scheduler.is_ok(),
        "current() = {current:?} but default_scheduler() = {scheduler:?}"
    );
}

/// The factory's two moments, told between threads: it has started, and it may return.
static ENTERED: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());
static RELEASED: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

fn set_and_wake((flag, cond): &(Mutex<bool>, Condvar)) {
    *flag.lock().unwrap() = true;
    cond.notify_all();
}

fn wait_for((flag, cond): &(Mutex<bool>, Condvar)) {
    let mut set = flag.lock().unwrap();
    while !*set {
        set = cond.wait(set).unwrap();
    }
}

/// An external scheduler whose connect blocks until the test releases it.
fn blocking(_address: Option<&str>) -> Result<Arc<dyn Scheduler>, Error> {
    set_and_wake(&ENTERED);
    wait_for(&RELEASED);
    Ok(Arc::new(Sequential))
}

/// While one thread's external connect is still running, another thread's lookup with a
/// local override returns: the connect runs without the registry's lock. (Before, the lookup
/// waited for the connect; with this test it would wait for ever, caught by the hang guard.)
#[test]
fn a_slow_external_connect_does_not_block_other_threads_lookups() {
    config::register_external("edge-blocking", blocking);
    let connecting = std::thread::spawn(|| {
        let _guard = config::set(SchedulerKind::External("edge-blocking"), Some(1));
        config::default_scheduler().map(|s| s.name().to_owned())
    });
    wait_for(&ENTERED);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _guard = config::set(SchedulerKind::Threads, Some(2));
        let _ = tx.send(config::current());
    });
    let resolved =
        rx.recv_timeout(Duration::from_secs(60)).expect("the lookup waited (hang guard)");
    set_and_wake(&RELEASED);
    connecting.join().unwrap().unwrap();
    assert_eq!(resolved.unwrap(), (SchedulerKind::Threads, 2));
}
