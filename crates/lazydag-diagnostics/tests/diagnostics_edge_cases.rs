//! Edge cases a review found wrong in the diagnostics and in `lazydag_core::dot`, each pinned:
//! a bar given to a compute nested in another compute's task (or in a task of a compute the
//! bar does not follow) is a bar of its own, not a nested one; a keep-going compute that
//! returns an error is reported as failed; control characters in task names keep DOT and
//! the task stream's SVG valid; a missing Graphviz's hint names the format asked for.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, lines_bar};
use lazydag::scheduler::Sequential;
use lazydag::{Control, Delayed, compute_with, compute_with_control, delayed, delayed_once};
use lazydag_diagnostics::{Error, Profiler, Visualize, visualize};

fn inc(x: u64) -> u64 {
    x + 1
}

fn four() -> Vec<Delayed<u64>> {
    (0..4).map(|i| delayed!(inc(i))).collect()
}

fn dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lazydag-review-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bar decides "nested" from `PlanSummary::is_nested()`, which says the compute was started
/// inside *some* compute's task, not inside a task of the compute *this bar* follows.
#[test]
fn a_bar_treats_only_computes_inside_its_own_computes_tasks_as_nested() {
    // 1. A bar given only to an inner compute (its outer compute has a profiler, not the
    // bar): the inner compute is the only one the bar follows, so it is not nested for it.
    let log = Log::default();
    let bar = lines_bar(&log);
    let inner_bar = bar.clone();
    let outer = delayed_once(()).map(move |()| {
        let control = Control::new().callback(inner_bar.clone());
        compute_with_control(&four(), &Sequential, &control).unwrap().iter().sum::<u64>()
    });
    let profiler = Arc::new(Profiler::new());
    compute_with_control(&outer, &Sequential, &Control::new().callback(profiler)).unwrap();
    let text = log.text();
    assert!(
        bar.summary().is_some_and(|s| s.starts_with("4/4 tasks")),
        "the compute the bar followed has no summary: {:?}, lines {text:?}",
        bar.summary()
    );
    assert!(!text.contains("(nested)"), "drawn as a nested bar: {text:?}");

    // 2. The bar follows compute A (another thread); compute B shares the bar but is not
    // followed (one compute at a time); a compute inside B's task is not nested in A, yet it
    // gets A's nested bar ("a compute inside a task of a compute the bar does not follow gets
    // no bar", tests/progress_counts.rs).
    let log = Log::default();
    let bar = lines_bar(&log);
    let (go, wait) = mpsc::channel::<()>();
    let (running, is_running) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let running = Mutex::new(running);
    let a = delayed_once(()).map(move |()| {
        let _ = running.lock().unwrap().send(()); // A's task runs: the bar follows A
        let _ = wait.lock().unwrap().recv_timeout(Duration::from_secs(60));
        1u64
    });
    let control_a = Control::new().callback(bar.clone());
    let thread_a =
        std::thread::spawn(move || compute_with_control(&a, &Sequential, &control_a).unwrap());
    is_running.recv_timeout(Duration::from_secs(60)).unwrap();
    let b = delayed_once(()).map(|()| compute_with(&four(), &Sequential).unwrap().len() as u64);
    compute_with_control(&b, &Sequential, &Control::new().callback(bar.clone())).unwrap();
    let during_b = log.text();
    go.send(()).unwrap();
    thread_a.join().unwrap();
    assert!(
        !during_b.contains("(nested)"),
        "a compute nested in an unfollowed compute got the followed compute's nested bar: \
         {during_b:?}"
    );
}

/// In keep-going mode a failed output makes `compute_with_control` return `Err`, but the
/// callbacks' `Outcome::error()` is `None`: the bar reports a success.
#[test]
fn a_keep_going_compute_that_returns_an_error_is_reported_as_failed() {
    let log = Log::default();
    let bar = lines_bar(&log);
    let good = delayed(1u64).map(|x: u64| x + 1).name("good");
    let bad = delayed(1u64).try_map(|_: u64| Err::<u64, _>(std::fmt::Error)).name("bad");
    let control = Control::new().keep_going(true).callback(bar.clone());
    let result = compute_with_control((&good, &bad), &Sequential, &control);
    assert!(result.is_err(), "the compute returns the failure");
    let summary = bar.summary().unwrap();
    assert!(summary.ends_with(", failed"), "the summary says it succeeded: {summary:?}");
}

/// `to_dot` promises "any task name yields valid DOT"; a NUL in a name is copied as is, and
/// Graphviz stops reading the file there ("syntax error ... scanning a quoted string").
#[test]
fn a_task_name_with_a_nul_yields_valid_dot() {
    let task = delayed(1u64).map(|x: u64| x + 1).name("a\0b");
    let dot = lazydag::to_dot(&task);
    assert!(!dot.contains('\0'), "a raw NUL in the DOT text: {dot:?}");
    if std::process::Command::new("dot").arg("-V").output().is_ok() {
        let path = dir("nul").join("graph.svg");
        let rendered = visualize(&task, &path, &Visualize::new());
        assert!(rendered.is_ok(), "{}", rendered.unwrap_err());
    }
}

/// The task stream is documented as a self-contained SVG with escaped text; a name with a
/// control character (an ANSI colour code, say) is copied as is: the file is not XML.
#[test]
fn the_task_stream_is_valid_xml_for_any_task_name() {
    let task = delayed(1u64).map(|x: u64| x + 1).name("\u{1b}[31mred\u{1b}[0m");
    let profiler = Arc::new(Profiler::new());
    compute_with_control(&task, &Sequential, &Control::new().callback(profiler.clone())).unwrap();
    let svg = profiler.task_stream_svg();
    let parsed = roxmltree::Document::parse(&svg);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

/// Without Graphviz, the error for `graph.png` tells the user to run
/// `dot -Tsvg graph.dot -o graph.png`: an SVG written under a `.png` name.
#[test]
fn the_graphviz_missing_error_names_the_format_asked_for() {
    let path = dir("missing-png").join("graph.png");
    let options = Visualize::new().dot_command("/nonexistent/bin/dot");
    let err = visualize(delayed!(inc(1)), &path, &options).unwrap_err();
    assert!(matches!(err, Error::GraphvizMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("-Tpng"), "the suggested command renders another format: {message}");
    assert!(!message.contains("-Tsvg"), "{message}");
}
