//! A pool whose threads the operating system refuses to start is an error, not a panic, and
//! the threads already started are joined: counted in /proc/self/task before and after.
//!
//! The refusal is provoked in a child process (this test binary, run again) that may start
//! only so many threads (`common/spawn_limit.rs`: a pids cgroup, or a capped address space);
//! the parent only checks the child's report.

mod common;
#[path = "common/spawn_limit.rs"]
mod spawn_limit;

use lazydag::Error;
use lazydag::config::MAX_WORKERS;
use lazydag::scheduler::{Threaded, WorkStealing};

/// Set in the child's environment.
const CHILD: &str = "LAZYDAG_TEST_POOL_START_CHILD";

/// The child's side: start the largest pools allowed, expect a refusal and no thread left.
fn child() {
    let threads = || common::threads("").unwrap_or(0);
    let before = threads();
    let ws = WorkStealing::try_new(MAX_WORKERS).map(|_| ()).unwrap_err();
    let after_ws = common::threads_down_to("", before).unwrap_or(0);
    let th = Threaded::try_new(MAX_WORKERS).map(|_| ()).unwrap_err();
    let after_th = common::threads_down_to("", before).unwrap_or(0);
    for err in [&ws, &th] {
        assert!(matches!(err, Error::Scheduler { .. }), "{err:?}");
        assert!(err.to_string().contains("refused to start worker thread"), "{err}");
        assert!(err.to_string().contains("were stopped and joined"), "{err}");
    }
    println!("CHILD threads {before} {after_ws} {after_th}; {ws}");
}

#[test]
fn a_refused_thread_spawn_is_an_error_that_joins_the_started_threads() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    if !std::path::Path::new("/proc/self/task").exists() {
        eprintln!("skipped: no /proc/self/task to count threads in");
        return;
    }
    let test = "a_refused_thread_spawn_is_an_error_that_joins_the_started_threads";
    let Some((out, limit)) = spawn_limit::run_limited(test, CHILD) else {
        eprintln!("skipped: no `sh` to start the limited child with");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed under {limit}:\n{stdout}\n{stderr}");
    // The harness may print the test's name on the same line first.
    let report = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD threads ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no child report:\n{stdout}\n{stderr}"));
    let counts: Vec<usize> =
        report.split(';').next().unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert_eq!(counts.len(), 3, "{report}");
    assert_eq!(counts[0], counts[1], "work-stealing left threads running: {report}");
    assert_eq!(counts[0], counts[2], "threads left threads running: {report}");
    eprintln!("refused under {limit}: {report}");
}
