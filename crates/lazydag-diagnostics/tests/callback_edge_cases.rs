//! Callback edge cases a review found wrong: a callback attached twice (globally and on the
//! `Control`) told of each task once, a dropped async compute's callbacks told it is over (a
//! progress bar was stuck for good), and a panicking `start` leaving the callbacks already
//! told of the compute unfinished.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use common::{Log, lines_bar};
use lazydag::scheduler::Sequential;
use lazydag::{Callback, Control, PlanSummary, callback, compute_with_control, delayed};
use lazydag_diagnostics::Profiler;

fn inc(x: u64) -> u64 {
    x + 1
}

fn tasks(n: u64) -> Vec<lazydag::Delayed<u64>> {
    (0..n).map(|i| delayed!(inc(i))).collect()
}

#[test]
fn a_bar_registered_globally_and_on_the_control_counts_each_task_once() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let _guard = callback::register(bar.clone());
    let control = Control::new().callback(bar.clone());
    compute_with_control(&tasks(10), &Sequential, &control).unwrap();
    let summary = bar.summary().unwrap();
    assert!(summary.starts_with("10/10 tasks"), "{summary}");
}

#[test]
fn a_profiler_registered_globally_and_on_the_control_records_each_task_once() {
    let profiler = Arc::new(Profiler::new());
    let _guard = callback::register(profiler.clone());
    let control = Control::new().callback(profiler.clone());
    compute_with_control(&tasks(10), &Sequential, &control).unwrap();
    assert_eq!(profiler.records().len(), 10);
}

async fn never() -> u64 {
    std::future::pending::<()>().await;
    0
}

#[test]
fn a_dropped_async_compute_does_not_leave_the_bar_stuck() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let control = Control::new().callback(bar.clone());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let fut = lazydag::compute_async_with_control(lazydag::delayed_async!(never()), &control);
        let mut fut = std::pin::pin!(fut);
        // Poll once (the compute starts and waits on `never`), then drop it, as a
        // `select!` or `tokio::time::timeout` does.
        std::future::poll_fn(|cx| {
            let _ = fut.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    });
    drop(rt);
    compute_with_control(&tasks(3), &Sequential, &control).unwrap();
    let text = log.text();
    let summary = bar.summary();
    assert!(
        summary.as_deref().is_some_and(|s| s.starts_with("3/3 tasks")),
        "the later compute was not followed: summary {summary:?}, lines {text:?}"
    );
}

struct BadStart;

impl Callback for BadStart {
    fn start(&self, _: &PlanSummary<'_>) {
        panic!("start broke");
    }
}

#[test]
fn a_panicking_start_does_not_leave_the_bar_stuck() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let control = Control::new().callback(bar.clone()).callback(Arc::new(BadStart));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compute_with_control(&tasks(3), &Sequential, &control).is_err()
    }));
    // A panic in a callback's `start` is the callback's own (not caught, as documented), but
    // the callbacks told the compute started are told it is over: the bar follows the next.
    assert!(caught.is_err(), "the callback's panic propagates");
    compute_with_control(&tasks(4), &Sequential, &Control::new().callback(bar.clone())).unwrap();
    let summary = bar.summary();
    assert!(
        summary.as_deref().is_some_and(|s| s.starts_with("4/4 tasks")),
        "the later compute's summary: {summary:?}"
    );
}
