//! tracing: a `compute` span per compute and a `task` span per task (key and worker), seen by
//! a tracing-subscriber layer.

use std::sync::{Arc, Mutex};

use lazydag::prelude::*;
use lazydag::scheduler::Sync;
use lazydag::{Control, Optimizer, compute_with_control};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::{Layer, Registry};

/// Records each new span as `name key=value ...`.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(attrs.metadata().name().to_owned());
        attrs.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

fn inc(x: u64) -> u64 {
    x + 1
}

#[test]
fn compute_and_task_spans_reach_a_subscriber() {
    let spans = Spans::default();
    let subscriber = Registry::default().with(spans.clone());
    let a = delayed!(inc(1)).name("first");
    let b = delayed!(inc(a));
    let unoptimized = Control::new().optimize(Optimizer::off());
    tracing::subscriber::with_default(subscriber, || {
        // A callsite first hit on another test's thread (no subscriber) while this one is set
        // up can keep a stale "never" interest: recompute it under this subscriber.
        tracing::callsite::rebuild_interest_cache();
        assert_eq!(compute_with_control(&b, &Sync, &unoptimized).unwrap(), 3);
    });
    let spans = spans.0.lock().unwrap();
    assert_eq!(spans.iter().filter(|s| s.starts_with("compute")).count(), 1, "{spans:?}");
    assert!(spans[0].contains("scheduler=\"sync\"") && spans[0].contains("tasks=3"), "{spans:?}");
    let tasks: Vec<_> = spans.iter().filter(|s| s.starts_with("task")).collect();
    assert_eq!(tasks.len(), 3, "two tasks and a literal: {spans:?}");
    assert!(tasks.iter().any(|s| s.contains("key=first-")), "{tasks:?}");
    assert!(tasks.iter().all(|s| s.contains("worker=thread-")), "{tasks:?}");
}

#[test]
fn a_fused_chain_is_one_task_span_naming_its_root() {
    let spans = Spans::default();
    let subscriber = Registry::default().with(spans.clone());
    let a = delayed!(inc(1)).name("first");
    let b = delayed!(inc(a)).name("second");
    tracing::subscriber::with_default(subscriber, || {
        // A callsite first hit on another test's thread (no subscriber) while this one is set
        // up can keep a stale "never" interest: recompute it under this subscriber.
        tracing::callsite::rebuild_interest_cache();
        let control = Control::new().optimize(Optimizer::default());
        assert_eq!(compute_with_control(&b, &Sync, &control).unwrap(), 3);
    });
    let spans = spans.0.lock().unwrap();
    assert!(spans[0].starts_with("compute") && spans[0].contains("tasks=2"), "{spans:?}");
    let tasks: Vec<_> = spans.iter().filter(|s| s.starts_with("task")).collect();
    assert_eq!(tasks.len(), 2, "the literal, and first and second as one task: {spans:?}");
    let fused = tasks.iter().find(|s| s.contains("key=second-")).expect("the fused task's span");
    assert!(fused.contains("fused=2") && fused.contains("chain=first-second"), "{fused}");
}
