//! The profiler's Chrome trace (JSON) and task stream (SVG) parse and contain every task.

use std::collections::HashSet;
use std::sync::Arc;

use lazydag::scheduler::{Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Delayed, Optimizer, compute_with_control, delayed};
use lazydag_diagnostics::Profiler;

fn inc(x: u64) -> u64 {
    x + 1
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// `n` incs summed pairwise, and every task's key.
fn graph(n: u64) -> (Delayed<u64>, Vec<String>) {
    let mut level: Vec<Delayed<u64>> = (0..n).map(|i| delayed!(inc(i))).collect();
    let mut keys: Vec<String> = level.iter().map(|d| d.key().to_string()).collect();
    // One more task, named with characters XML must escape.
    level[0] = level[0].clone().map(|x: u64| x).name("a<b & \"c\"");
    keys.push(level[0].key().to_string());
    while level.len() > 1 {
        let mut next = Vec::new();
        for pair in level.chunks(2) {
            next.push(match pair {
                [a, b] => {
                    let sum = delayed!(add(a, b));
                    keys.push(sum.key().to_string());
                    sum
                }
                [a] => a.clone(),
                _ => unreachable!(),
            });
        }
        level = next;
    }
    (level.pop().unwrap(), keys)
}

fn profiled(scheduler: &dyn Scheduler) -> (Arc<Profiler>, Vec<String>) {
    let (out, keys) = graph(200);
    let profiler = Arc::new(Profiler::new());
    // Unoptimized, so that every recorded task is a scheduled task with its own record.
    let control = Control::new().callback(profiler.clone()).optimize(Optimizer::off());
    compute_with_control(&out, scheduler, &control).unwrap();
    (profiler, keys)
}

fn check(scheduler: &dyn Scheduler) {
    let (profiler, keys) = profiled(scheduler);
    let records = profiler.records();
    let recorded: HashSet<String> = records.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(recorded.len(), records.len(), "each task recorded once");
    for key in &keys {
        assert!(recorded.contains(key), "{}: {key} recorded", scheduler.name());
    }

    // Chrome trace: valid JSON, one complete event per task, with its key.
    let trace: serde_json::Value = serde_json::from_str(&profiler.chrome_trace()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let traced: HashSet<&str> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| e["args"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(traced.len(), records.len());
    for key in &recorded {
        assert!(traced.contains(key.as_str()), "{key} in trace.json");
    }
    assert!(events.iter().any(|e| e["ph"] == "M" && e["name"] == "thread_name"));

    // Task stream: valid XML, one titled rectangle per task.
    let svg = profiler.task_stream_svg();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|rect| rect.children().find(|c| c.has_tag_name("title")))
        .map(|title| title.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles.len(), records.len(), "one rectangle per task");
    for key in &recorded {
        assert!(titles.iter().any(|t| t.starts_with(&format!("{key} on "))), "{key} in tasks.svg");
    }
    assert!(titles.iter().any(|t| t.starts_with("a<b & \"c\"-")), "escaped name round-trips");
}

#[test]
fn sync_profile_parses_and_contains_every_task() {
    check(&Sequential);
}

#[test]
fn threaded_profile_parses_and_contains_every_task() {
    check(&Threaded::new(2));
}

#[test]
fn work_stealing_profile_parses_and_contains_every_task() {
    check(&WorkStealing::new(2));
}

#[test]
fn durations_cover_every_record() {
    let (profiler, _) = profiled(&Sequential);
    assert_eq!(profiler.durations().len(), profiler.records().len());
    profiler.clear();
    assert!(profiler.records().is_empty());
}

#[test]
fn an_optimized_compute_records_each_fused_task_once_under_its_root_key() {
    let (out, keys) = graph(200);
    let profiler = Arc::new(Profiler::new());
    let control = Control::new().callback(profiler.clone()).optimize(Optimizer::default());
    compute_with_control(&out, &Sequential, &control).unwrap();
    let plan = lazydag::Plan::optimized(&[out.task()], &Optimizer::default()).unwrap();
    let plan = plan.view();
    let records = profiler.records();
    let scheduled = (0..plan.len()).filter(|&i| !plan.is_literal(i)).count();
    assert_eq!(records.len(), scheduled, "one record per scheduled task");
    assert!(scheduled < keys.len(), "the renamed map fuses into its add");
    for record in &records {
        assert!(keys.contains(&record.key.to_string()), "{} is a recorded task", record.key);
    }
}
