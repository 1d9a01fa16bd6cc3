//! Callbacks: every scheduler reports each task exactly once, between one start and one finish;
//! nested computes report to their own callbacks only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{
    Callback, Control, Outcome, PlanSummary, TaskEvent, Worker, callback, compute_with,
    compute_with_control,
};

#[derive(Default)]
struct Recorder {
    starts: AtomicUsize,
    total: AtomicUsize,
    pre: Mutex<HashMap<(u64, usize), usize>>,
    post: Mutex<HashMap<(u64, usize), usize>>,
    workers: Mutex<Vec<Worker>>,
    finishes: AtomicUsize,
    failed: AtomicUsize,
}

impl Callback for Recorder {
    fn start(&self, plan: &PlanSummary<'_>) {
        self.starts.fetch_add(1, Ordering::SeqCst);
        self.total.fetch_add(plan.tasks(), Ordering::SeqCst);
    }
    fn pretask(&self, task: &TaskEvent<'_>) {
        *self.pre.lock().unwrap().entry((task.compute(), task.index())).or_default() += 1;
    }
    fn posttask(&self, task: &TaskEvent<'_>, _: Duration, worker: Worker) {
        *self.post.lock().unwrap().entry((task.compute(), task.index())).or_default() += 1;
        self.workers.lock().unwrap().push(worker);
    }
    fn finish(&self, outcome: &Outcome<'_>) {
        self.finishes.fetch_add(1, Ordering::SeqCst);
        if outcome.error().is_some() {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}
async fn later(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x
}

/// A tree of `2 * leaves - 1` tasks over `leaves` literals, with one async task on top.
fn graph(leaves: u64) -> (Delayed<u64>, usize) {
    let mut level: Vec<Delayed<u64>> = (0..leaves).map(|i| delayed!(inc(i))).collect();
    let mut tasks = level.len();
    while level.len() > 1 {
        let mut next = Vec::new();
        for pair in level.chunks(2) {
            next.push(match pair {
                [a, b] => {
                    tasks += 1;
                    delayed!(add(a, b))
                }
                [a] => a.clone(),
                _ => unreachable!(),
            });
        }
        level = next;
    }
    let top = level.pop().unwrap();
    (delayed_async!(later(top)), tasks + 1)
}

fn check_exactly_once(scheduler: &dyn Scheduler) -> Vec<Worker> {
    let (out, tasks) = graph(300);
    let rec = Arc::new(Recorder::default());
    let control = Control::new().callback(rec.clone());
    let value = compute_with_control(&out, scheduler, &control).unwrap();
    assert_eq!(value, (1..=300).sum::<u64>());
    assert_eq!(rec.starts.load(Ordering::SeqCst), 1, "{}", scheduler.name());
    assert_eq!(rec.finishes.load(Ordering::SeqCst), 1);
    assert_eq!(rec.total.load(Ordering::SeqCst), tasks);
    let pre = rec.pre.lock().unwrap();
    let post = rec.post.lock().unwrap();
    assert_eq!(pre.len(), tasks, "{}: every task reported", scheduler.name());
    assert!(pre.values().all(|&n| n == 1), "{}: pretask once each", scheduler.name());
    assert_eq!(*pre, *post, "{}: posttask once for each pretask", scheduler.name());
    rec.workers.lock().unwrap().clone()
}

#[test]
fn sync_reports_each_task_once() {
    let workers = check_exactly_once(&Sequential);
    assert!(workers.iter().all(|w| w.pool() == "thread"));
}

#[test]
fn threaded_reports_each_task_once() {
    let workers = check_exactly_once(&Threaded::new(2));
    assert!(workers.iter().any(|w| w.pool() == "threads"));
}

#[test]
fn work_stealing_reports_each_task_once() {
    let workers = check_exactly_once(&WorkStealing::new(2));
    assert!(workers.iter().any(|w| w.pool() == "ws"));
}

#[test]
fn async_reports_each_task_once() {
    check_exactly_once(&Async::new(2));
}

#[test]
fn compute_async_reports_through_global_callbacks() {
    let rec = Arc::new(Recorder::default());
    let _guard = callback::register(rec.clone());
    let (out, tasks) = graph(10);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.block_on(lazydag::compute_async(&out)).unwrap(), 55);
    assert_eq!(rec.post.lock().unwrap().len(), tasks);
    assert_eq!(rec.finishes.load(Ordering::SeqCst), 1);
}

#[test]
fn failure_is_reported_in_finish_and_posttask() {
    let rec = Arc::new(Recorder::default());
    let boom = delayed(1_u64).map(|_: u64| -> u64 { panic!("boom") });
    let control = Control::new().callback(rec.clone());
    assert!(compute_with_control(&boom, &Sequential, &control).is_err());
    assert_eq!(rec.post.lock().unwrap().len(), 1);
    assert_eq!(rec.failed.load(Ordering::SeqCst), 1);
}

/// A compute inside a task reports to its own callbacks only, never to the outer compute's
/// nor to the global ones (Dask's rule from dask/dask#2397).
#[test]
fn nested_computes_report_to_their_own_callbacks_only() {
    for scheduler in [&Sequential as &dyn Scheduler, &WorkStealing::new(2), &Threaded::new(2)] {
        let outer = Arc::new(Recorder::default());
        let global = Arc::new(Recorder::default());
        let inner = Arc::new(Recorder::default());
        let _guard = callback::register(global.clone());
        let inner_cb = inner.clone();
        let nesting = delayed(3_u64).map(move |x: u64| {
            let control = Control::new().callback(inner_cb.clone());
            let (g, _) = graph(x);
            // The inner compute runs inline (Sequential) on whichever thread runs this task.
            compute_with_control(&g, &Sequential, &control).unwrap()
        });
        let control = Control::new().callback(outer.clone());
        assert_eq!(compute_with_control(&nesting, scheduler, &control).unwrap(), 6);
        assert_eq!(outer.post.lock().unwrap().len(), 1, "outer sees only its own task");
        assert_eq!(global.starts.load(Ordering::SeqCst), 1, "global sees the outer compute");
        assert_eq!(global.post.lock().unwrap().len(), 1);
        assert_eq!(inner.starts.load(Ordering::SeqCst), 1, "inner sees the inner compute");
        assert_eq!(inner.post.lock().unwrap().len(), 6);
    }
}

/// Only computes report: inspection and a hand-run `Plan::new` do not.
#[test]
fn plans_built_outside_a_compute_do_not_report() {
    let rec = Arc::new(Recorder::default());
    let _guard = callback::register(rec.clone());
    let (out, _) = graph(4);
    assert!(lazydag::to_dot(&out).contains("digraph"));
    let plan = lazydag::Plan::new(&[out.task()]);
    assert_eq!(Sequential.execute(&plan).unwrap().len(), 1);
    assert_eq!(rec.starts.load(Ordering::SeqCst), 0);
    assert!(rec.post.lock().unwrap().is_empty());
}

/// A callback the task registers itself (inside its body) hears the computes that task
/// starts, while the global callbacks registered outside still do not (Dask hides only the
/// outer scope's callbacks: dask/diagnostics tests of nested schedulers).
#[test]
fn a_callback_registered_inside_a_task_sees_the_computes_it_starts() {
    for scheduler in [&Sequential as &dyn Scheduler, &WorkStealing::new(2), &Threaded::new(2)] {
        let global = Arc::new(Recorder::default());
        let inside = Arc::new(Recorder::default());
        let _guard = callback::register(global.clone());
        let inside_cb = inside.clone();
        let nesting = delayed(3_u64).map(move |x: u64| {
            let _inner_guard = callback::register(inside_cb.clone());
            let (g, _) = graph(x);
            compute_with(&g, &Sequential).unwrap()
        });
        assert_eq!(compute_with(&nesting, scheduler).unwrap(), 6, "{}", scheduler.name());
        assert_eq!(global.starts.load(Ordering::SeqCst), 1, "global sees the outer compute only");
        assert_eq!(global.post.lock().unwrap().len(), 1);
        assert_eq!(inside.starts.load(Ordering::SeqCst), 1, "inside sees the inner compute");
        assert_eq!(inside.post.lock().unwrap().len(), 6);
        assert_eq!(inside.finishes.load(Ordering::SeqCst), 1);
    }
}
