//! tracing: a `compute` span per compute and a `task` span per task (key and worker), and one
//! `lazydag::optimize` event per optimized compute, seen by a tracing-subscriber layer.
//!
//! Every tracing check lives in this one test binary, behind one process-global subscriber set
//! once before any callsite is hit. A scoped subscriber (`with_default`) is not enough: tracing
//! caches each callsite's interest process-wide, and a callsite first hit on another test
//! thread (which has no subscriber) while a scoped one is being set up can keep a stale "never"
//! interest, so the span or event never reaches the test's layer. With one global subscriber
//! there is no other dispatcher to race with. Each test captures what its own thread records
//! (the `Sequential` scheduler runs every task on the calling thread), so tests running side by side
//! do not see each other's spans.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use lazydag::prelude::*;
use lazydag::scheduler::Sequential;
use lazydag::{
    Callback, Control, OptimizeReport, Optimizer, PlanSummary, TaskEvent, compute_with_control,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::{Layer, Registry};

thread_local! {
    /// What this thread's spans and events recorded while a [`capture`] runs on it.
    static CAPTURED: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Spans as `name key=value ...`, events as `(target, " key=value ...")`.
#[derive(Default)]
struct Captured {
    spans: Vec<String>,
    events: Vec<(String, String)>,
}

/// The one layer of the process-global subscriber: appends to the calling thread's capture.
struct ThreadCapture;

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl<S: tracing::Subscriber> Layer<S> for ThreadCapture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(attrs.metadata().name().to_owned());
        attrs.record(&mut fields);
        CAPTURED.with_borrow_mut(|c| c.as_mut().map(|c| c.spans.push(fields.0)));
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let target = event.metadata().target().to_owned();
        CAPTURED.with_borrow_mut(|c| c.as_mut().map(|c| c.events.push((target, fields.0))));
    }
}

/// Runs `f` with this thread's spans and events captured, and returns them. The first call
/// in the process installs the global subscriber; every test calls this before touching
/// lazydag, so no callsite is registered before it exists.
fn capture(f: impl FnOnce()) -> Captured {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(ThreadCapture))
            .expect("no other global subscriber in this test binary");
    });
    CAPTURED.with_borrow_mut(|c| *c = Some(Captured::default()));
    f();
    CAPTURED.with_borrow_mut(Option::take).expect("the capture set above")
}

fn inc(x: u64) -> u64 {
    x + 1
}
fn double(x: u64) -> u64 {
    x * 2
}

// ---------------------------------------------------------------------------------------------
// Spans

#[test]
fn compute_and_task_spans_reach_a_subscriber() {
    let captured = capture(|| {
        let a = delayed!(inc(1)).name("first");
        let b = delayed!(inc(a));
        let unoptimized = Control::new().optimize(Optimizer::off());
        assert_eq!(compute_with_control(&b, &Sequential, &unoptimized).unwrap(), 3);
    });
    let spans = captured.spans;
    assert_eq!(spans.iter().filter(|s| s.starts_with("compute")).count(), 1, "{spans:?}");
    assert!(spans[0].contains("scheduler=\"sync\"") && spans[0].contains("tasks=3"), "{spans:?}");
    let tasks: Vec<_> = spans.iter().filter(|s| s.starts_with("task")).collect();
    assert_eq!(tasks.len(), 3, "two tasks and a literal: {spans:?}");
    assert!(tasks.iter().any(|s| s.contains("key=first-")), "{tasks:?}");
    assert!(tasks.iter().all(|s| s.contains("worker=thread-")), "{tasks:?}");
}

#[test]
fn a_fused_chain_is_one_task_span_naming_its_root() {
    let captured = capture(|| {
        let a = delayed!(inc(1)).name("first");
        let b = delayed!(inc(a)).name("second");
        let control = Control::new().optimize(Optimizer::default());
        assert_eq!(compute_with_control(&b, &Sequential, &control).unwrap(), 3);
    });
    let spans = captured.spans;
    assert!(spans[0].starts_with("compute") && spans[0].contains("tasks=2"), "{spans:?}");
    let tasks: Vec<_> = spans.iter().filter(|s| s.starts_with("task")).collect();
    assert_eq!(tasks.len(), 2, "the literal, and first and second as one task: {spans:?}");
    let fused = tasks.iter().find(|s| s.contains("key=second-")).expect("the fused task's span");
    assert!(fused.contains("fused=2") && fused.contains("chain=first-second"), "{fused}");
}

// ---------------------------------------------------------------------------------------------
// The `lazydag::optimize` event

/// Keeps the plan's optimizer report.
#[derive(Default)]
struct Scheduled {
    tasks: AtomicUsize,
    report: Mutex<Option<Option<OptimizeReport>>>,
}

impl Callback for Scheduled {
    fn start(&self, plan: &PlanSummary<'_>) {
        *self.report.lock().unwrap() = Some(plan.plan().report());
    }
    fn pretask(&self, _: &TaskEvent<'_>) {
        self.tasks.fetch_add(1, Ordering::SeqCst);
    }
}

fn report_fields(r: &OptimizeReport) -> String {
    format!(
        " before={} after={} culled={} fused={} inlined={}",
        r.before, r.after, r.culled, r.fused, r.inlined
    )
}

/// Computes `out` with `optimizer`; returns the `lazydag::optimize` events and the plan's
/// report.
fn traced(out: &Delayed<u64>, optimizer: Optimizer) -> (Vec<String>, Option<OptimizeReport>) {
    let scheduled = Arc::new(Scheduled::default());
    let control = Control::new().optimize(optimizer).callback(scheduled.clone());
    let captured = capture(|| {
        compute_with_control(out, &Sequential, &control).unwrap();
    });
    let report = scheduled.report.lock().unwrap().unwrap();
    let events = captured.events.into_iter().filter(|(t, _)| t == "lazydag::optimize");
    (events.map(|(_, fields)| fields).collect(), report)
}

fn load_clean_save() -> Delayed<u64> {
    let load = delayed!(inc(1)).name("load");
    let clean = delayed!(double(load)).name("clean");
    delayed!(inc(clean)).name("save")
}

#[test]
fn each_optimized_compute_emits_one_optimize_event_with_the_report() {
    // Handles held to every link: the plan's `FuseLinear` pass does the fusing.
    capture(|| {}); // install the subscriber before lazydag hits a callsite
    let load = delayed!(inc(1)).name("load");
    let clean = delayed!(double(&load)).name("clean");
    let save = delayed!(inc(&clean)).name("save");
    let (events, report) = traced(&save, Optimizer::default());
    let report = report.expect("an optimized plan has a report");
    assert_eq!((report.before, report.after, report.fused, report.inlined), (4, 1, 2, 1));
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with(" message=optimized"), "{events:?}");
    assert!(events[0].ends_with(&report_fields(&report)), "{events:?} vs {report:?}");

    let (events, report) = traced(&save, Optimizer::off());
    assert_eq!(report, None);
    assert!(events.is_empty(), "nothing is optimized, nothing reported: {events:?}");
}

#[test]
fn the_optimize_event_counts_chains_fused_while_collecting() {
    // No handles held to the links: the collector fuses the chain before the passes run.
    capture(|| {}); // install the subscriber before `delayed!` hits a callsite
    let (events, report) = traced(&load_clean_save(), Optimizer::default());
    let report = report.unwrap();
    assert_eq!((report.before, report.fused), (4, 2));
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].ends_with(&report_fields(&report)), "{events:?} vs {report:?}");
}
