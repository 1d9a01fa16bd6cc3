//! A panic lazydag catches is an error, not a crash: nothing reaches stderr, and the error
//! keeps the message and location. A panic outside a task still prints as usual.
//!
//! The panic hook is process-wide, so each scenario runs in a child process (this test binary
//! again, running one `child_*` test) whose stderr is piped and read whole.

use std::process::Command;

use lazydag_core::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag_core::{Error, delayed, delayed_async};

/// The variable that makes a `child_*` test do its work (unset, it returns at once).
const CHILD: &str = "LAZYDAG_QUIET_PANICS_CHILD";

fn explode(x: i32) -> i32 {
    if x == 3 {
        panic!("cannot handle {x}");
    }
    x
}

async fn explode_later(x: i32) -> i32 {
    tokio::task::yield_now().await;
    explode(x)
}

/// Runs the test `name` of this binary in a child process; returns its stdout and stderr.
fn run_child(name: &str) -> (String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "child {name} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child {name} did not run:\n{stdout}");
    (stdout, stderr)
}

#[test]
fn caught_task_panics_print_nothing() {
    let (_, stderr) = run_child("child_caught");
    assert!(!stderr.contains("panicked at"), "a caught panic printed:\n{stderr}");
    assert!(!stderr.contains("backtrace"), "a caught panic printed a backtrace:\n{stderr}");
    assert!(!stderr.contains("cannot handle"), "{stderr}");
}

#[test]
fn panics_outside_tasks_still_print() {
    let (_, stderr) = run_child("child_uncaught");
    // The thread a task spawned, and the test's own caught-by-libtest panic.
    assert!(stderr.contains("panicked at") && stderr.contains("spawned by a task"), "{stderr}");
    assert!(stderr.contains("outside lazydag"), "{stderr}");
}

#[test]
fn child_caught() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let schedulers: [Box<dyn Scheduler>; 4] = [
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ];
    for scheduler in &schedulers {
        let ok = delayed!(explode(1));
        let boom = delayed!(explode(3)).name("boom");
        let total = delayed!((|a: i32, b: i32| a + b)(ok, &boom));
        match total.compute_with(&**scheduler) {
            Err(Error::Panicked { task, message, location }) => {
                assert_eq!(task, boom.key());
                assert_eq!(message, "cannot handle 3");
                let location = location.expect("the quiet hook records the location");
                assert!(location.contains("quiet_panics.rs:"), "{location}");
                let shown = total.compute_with(&**scheduler).unwrap_err().to_string();
                assert!(shown.contains(&format!("panicked at {location}: cannot handle 3")));
            }
            other => panic!("{}: expected Error::Panicked, got {other:?}", scheduler.name()),
        }
    }
    // An async task panicking after a poll returned Pending.
    let boom = delayed_async!(explode_later(3));
    let err = boom.compute_with(&Async::new(2)).unwrap_err();
    assert!(matches!(err, Error::Panicked { ref location, .. } if location.is_some()), "{err:?}");
}

#[test]
fn child_uncaught() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // A compute first, so that the quiet hook is installed.
    let spawning =
        delayed(0).map(|_: i32| std::thread::spawn(|| panic!("spawned by a task")).join().is_err());
    assert!(spawning.compute_with(&Sequential).unwrap());
    let outside = std::panic::catch_unwind(|| panic!("outside lazydag"));
    assert!(outside.is_err());
}
