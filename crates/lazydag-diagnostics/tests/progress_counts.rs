//! What the progress bar counts: a `Parallel` map's items (not its lanes), a chunked array's
//! chunk tasks, and a compute started inside a task on a nested bar of its own. Lines go to
//! an injected writer, so every assertion is on counts, never on the clock.

mod common;

use std::sync::{Arc, Mutex};

use common::{Log, lines_bar};
use lazydag::config::SchedulerKind;
use lazydag::parallel::Parallel;
use lazydag::scheduler::Sequential;
use lazydag::{Control, Optimizer, callback, compute_with, compute_with_control};
use lazydag::{delayed, delayed_once};

/// A writer the test reads back.
#[test]
fn a_parallel_map_counts_items_not_lanes() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let _guard = callback::register(bar.clone());
    let parallel = Parallel::new().n_jobs(2).backend(SchedulerKind::WorkStealing);
    let squares = parallel.map(0..1000u64, |x| x * x).unwrap();
    assert_eq!(squares.len(), 1000);
    let summary = bar.summary().unwrap();
    assert!(summary.starts_with("1000/1000 items in "), "{summary}");
    let lines = log.lines();
    assert!(lines.last().unwrap().starts_with("[lazydag] 1000/1000 items in "), "{lines:#?}");
    // Every line counts items out of the map's 1000; none counts the 2 lanes.
    for line in &lines {
        let count = line.split_whitespace().nth(1).unwrap();
        assert!(count.ends_with("/1000") && line.contains(" items"), "{line}");
    }
    // The counts grow (lines are written in count order), each line in a new tenth.
    let done: Vec<u64> =
        lines.iter().map(|l| l[10..].split('/').next().unwrap().parse().unwrap()).collect();
    assert!(done.windows(2).all(|w| w[0] / 100 < w[1] / 100 || w[1] == 1000), "{done:?}");

    // A map of unknown length still counts its lanes (no item total to declare).
    let odd = parallel.map((0..1000u64).filter(|x| x % 2 == 1), |x| x).unwrap();
    assert_eq!(odd.len(), 500);
    assert!(bar.summary().unwrap().starts_with("2/2 tasks in "), "{:?}", bar.summary());
}

/// The names of a compute's tasks, counted (`ones` × 16, ...).
#[derive(Default)]
struct Names(Mutex<std::collections::BTreeMap<String, usize>>);

impl lazydag::Callback for Names {
    fn start(&self, plan: &lazydag::PlanSummary<'_>) {
        let view = plan.plan();
        let mut names = self.0.lock().unwrap();
        for i in (0..view.len()).filter(|&i| !view.is_literal(i)) {
            let key = view.task(i).key().to_string();
            let name = key.rsplit_once('-').map_or(key.as_str(), |(name, _)| name);
            *names.entry(name.to_owned()).or_default() += 1;
        }
    }
}

#[test]
fn a_chunked_array_counts_its_chunk_tasks() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let names = Arc::new(Names::default());
    // 16 chunks of ones, then `+ 1` on each, then the tasks that assemble the result; the
    // optimizer off, so that every chunk task runs as recorded.
    let x = lazydag_array::ones::<f64>([8, 8], 2);
    let y = x.map(|v| v + 1.0);
    assert_eq!((x.num_blocks(), y.num_blocks()), (16, 16));
    let control =
        Control::new().callback(bar.clone()).callback(names.clone()).optimize(Optimizer::off());
    let values = y.compute_with_control(&Sequential, &control).unwrap();
    assert!(values.iter().all(|&v| v == 2.0));
    let names = names.0.lock().unwrap().clone();
    let tasks: usize = names.values().sum();
    let summary = bar.summary().unwrap();
    assert!(summary.starts_with(&format!("{tasks}/{tasks} tasks in ")), "{summary}");
    // The bar's total is the chunk tasks, one per chunk and operation (`full`, `map`), plus
    // the tasks that assemble the chunks into one ndarray (a `store` per chunk and a few).
    assert_eq!(names.get("full"), Some(&x.num_blocks()), "{names:?}");
    assert_eq!(names.get("map"), Some(&y.num_blocks()), "{names:?}");
}

fn inc(x: u64) -> u64 {
    x + 1
}

/// A task that computes four tasks of its own, with no callback of its own.
fn inner(x: u64) -> u64 {
    let tasks: Vec<_> = (0..4).map(|i| delayed!(inc(i))).collect();
    x + compute_with(&tasks, &Sequential).unwrap().iter().sum::<u64>()
}

#[test]
fn a_compute_inside_a_task_gets_a_nested_bar() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let outer = vec![delayed!(inc(1)), delayed!(inner(0)), delayed!(inc(2))];
    let control = Control::new().callback(bar.clone());
    assert_eq!(compute_with_control(&outer, &Sequential, &control).unwrap(), [2, 10, 3]);
    let lines = log.lines();
    let nested: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("[lazydag] (nested) "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(nested, ["1/4", "2/4", "3/4", "4/4"], "{lines:#?}");
    let outer_counts: Vec<&str> = lines
        .iter()
        .filter(|l| !l.contains("(nested)"))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(outer_counts, ["1/3", "2/3", "3/3"], "{lines:#?}");
    // The nested bar ends (its summary line) before the outer compute does.
    let nested_end = lines.iter().position(|l| l.starts_with("[lazydag] (nested) 4/4 tasks in"));
    let outer_end = lines.iter().position(|l| l.starts_with("[lazydag] 3/3 tasks in"));
    assert!(nested_end.unwrap() < outer_end.unwrap(), "{lines:#?}");
    // The summary is the outer compute's; the nested bar is gone.
    assert!(bar.summary().unwrap().starts_with("3/3 tasks in "));
    assert!(!bar.is_visible());

    // A compute inside a task of a compute the bar does not follow gets no bar.
    let log = Log::default();
    let bar = lines_bar(&log);
    let quiet = delayed_once(()).map(|()| inner(0));
    assert_eq!(compute_with(quiet, &Sequential).unwrap(), 10);
    assert!(log.lines().is_empty() && bar.summary().is_none());
}
