//! A stream whose dispatcher threads the operating system refuses to start is an error, not a
//! panic, and the dispatchers already started are joined (threads counted in /proc/self/task).
//! Provoked in a child process (this test binary, run again) that may start only so many
//! threads (lazydag's `tests/common/spawn_limit.rs`: a pids cgroup, or a capped address space).

mod common;
#[path = "../../lazydag/tests/common/spawn_limit.rs"]
mod spawn_limit;
use std::sync::Arc;

use lazydag_parallel::{Error, Parallel};

/// Set in the child's environment.
const CHILD: &str = "LAZYDAG_TEST_STREAM_START_CHILD";

fn child() {
    let before = common::threads("").unwrap_or(0);
    let sequential: Arc<dyn lazydag_core::Scheduler> =
        Arc::new(lazydag_core::scheduler::Sequential);
    let started = Parallel::new().n_jobs(4096).scheduler(sequential).map_iter(0..10u32, |x| x);
    let err = started.map(|_| ()).unwrap_err();
    let after = common::threads_down_to("", before).unwrap_or(0);
    assert!(matches!(err, Error::Scheduler(_)), "{err:?}");
    assert!(err.to_string().contains("refused to start dispatcher thread"), "{err}");
    println!("CHILD threads {before} {after}; {err}");
}

#[test]
fn a_refused_dispatcher_thread_is_an_error_that_joins_the_started_ones() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    if !std::path::Path::new("/proc/self/task").exists() {
        eprintln!("skipped: no /proc/self/task to count threads in");
        return;
    }
    let test = "a_refused_dispatcher_thread_is_an_error_that_joins_the_started_ones";
    let Some((out, limit)) = spawn_limit::run_limited(test, CHILD) else {
        eprintln!("skipped: no `sh` to start the limited child with");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed under {limit}:\n{stdout}\n{stderr}");
    let report = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD threads ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no child report:\n{stdout}\n{stderr}"));
    let counts: Vec<usize> =
        report.split(';').next().unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert_eq!(counts.len(), 2, "{report}");
    assert_eq!(counts[0], counts[1], "dispatchers left running: {report}");
    eprintln!("refused under {limit}: {report}");
}
