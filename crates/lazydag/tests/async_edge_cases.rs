//! Async-scheduler edge cases a review found wrong: an async task that gives up once its
//! compute is cancelled is reported as the cancel (as on the pools), many CPU tasks that
//! each compute a nested graph do not exhaust the shared runtime's blocking threads, and a
//! nested async compute inside a current-thread runtime does not call `block_in_place`. A case
//! that could hang runs in a child process of this test binary, so that what it would leave
//! stuck (lazydag's shared runtime) cannot stall the other tests.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, WorkStealing};
use lazydag::{CancelToken, Control, Error, compute_with_control};

/// Runs `f` on its own thread; panics if it does not finish within 60 s (a hang guard).
fn guard<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("HANG: did not finish within 60 s"),
    }
}

/// Runs `scenario` in a child process (this binary, running only test `name`); in the child
/// it runs `scenario` itself. The parent fails if the child fails or is still running after
/// 60 s (then it is killed: a hang).
fn in_child(name: &str, scenario: fn()) {
    if std::env::var("LAZYDAG_ASYNC_EDGE_CHILD").as_deref() == Ok(name) {
        scenario();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env("LAZYDAG_ASYNC_EDGE_CHILD", name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => {
            let output = output.unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "the child failed ({}):\n{stderr}", output.status);
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("HANG: the child did not finish within 60 s");
        }
    }
}

/// An async task that, once its compute is cancelled, gives up with an error (as
/// `task::is_cancelled`'s docs say it may: "any value or error will do"). The cancel comes
/// from the task itself, so that the task sees it before the driver's 5 ms poll does.
fn gives_up(token: CancelToken) -> Delayed<u64> {
    try_delayed_async!((move |_: u64| {
        let token = token.clone();
        async move {
            token.cancel();
            if lazydag::task::is_cancelled() {
                return Err(Error::Cancelled);
            }
            Ok::<u64, Error>(1)
        }
    })(0))
}

#[test]
fn async_task_giving_up_after_a_cancel_is_reported_as_the_cancel() {
    let (ws, asy) = guard(|| {
        let token = CancelToken::new();
        let control = Control::new().cancel_token(token.clone());
        let ws = compute_with_control(&gives_up(token), &WorkStealing::new(2), &control)
            .map_err(|e| format!("{e:?}"));
        let token = CancelToken::new();
        let control = Control::new().cancel_token(token.clone());
        let asy = compute_with_control(&gives_up(token), &Async::new(2), &control)
            .map_err(|e| format!("{e:?}"));
        (ws, asy)
    });
    assert_eq!(ws, Err("Cancelled".to_owned()), "work-stealing");
    assert_eq!(asy, Err("Cancelled".to_owned()), "async");
}

#[test]
fn many_cpu_tasks_each_computing_a_nested_graph_do_not_hang() {
    fn inc(x: u64) -> u64 {
        x + 1
    }
    /// A CPU task that works a little, then computes a nested graph (one CPU task) on the
    /// async scheduler.
    fn nested(x: u64) -> u64 {
        std::thread::sleep(Duration::from_millis(300));
        delayed!(inc(x)).compute_with(&Async::new(1)).unwrap()
    }
    in_child("many_cpu_tasks_each_computing_a_nested_graph_do_not_hang", || {
        // Within `Async::new`'s limit (`config::MAX_WORKERS`, 4096).
        let outer: Vec<_> = (0..600u64).map(|i| delayed!(nested(i))).collect();
        let values = lazydag::compute_with(&outer, &Async::new(600)).unwrap();
        assert_eq!(values, (1..=600).collect::<Vec<u64>>());
    });
}

/// An async task that blocks on a nested compute on the async scheduler.
async fn nests(x: u64) -> Result<u64, Error> {
    async fn inner(x: u64) -> u64 {
        tokio::task::yield_now().await;
        x * 10
    }
    delayed_async!(inner(x)).compute_with(&Async::new(1))
}

/// `Sequential` runs an async task with the shared runtime's context entered, here inside a
/// current-thread runtime's `block_on`; the task's nested compute on `Async` took the entered
/// (multi-thread) handle for a worker and called `block_in_place`, which tokio refuses there
/// (a panic inside the library, returned as `Error::Scheduler`). It now waits plainly.
#[test]
fn nested_async_compute_from_an_async_task_run_by_sequential_inside_a_current_thread_runtime() {
    let result = guard(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime
            .block_on(async { try_delayed_async!(nests(3)).compute_with(&Sequential) })
            .map_err(|e| e.to_string())
    });
    assert_eq!(result, Ok(30));
}
