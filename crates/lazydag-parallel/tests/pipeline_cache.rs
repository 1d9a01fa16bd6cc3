//! The facade's `pipeline_cache` example, run twice in child processes on one cache folder:
//! the second run, with another parameter for the last step, runs only the last step (the
//! graph-aware cache skips the upstream steps), and a third run with the same parameter runs
//! nothing.
//!
//! The example's code is compiled into this test (`#[path]`); the test re-runs its own binary
//! as the child, selected with `--exact` and an environment variable, and reads the `ran:`
//! lines the steps print.

use std::path::Path;
use std::process::Command;

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../../lazydag/examples/pipeline_cache.rs"]
mod example;

/// The cache folder and parameter for the child, `<top> <folder>`.
const CHILD: &str = "LAZYDAG_PARALLEL_TEST_PIPELINE";

/// The child side: runs the example's pipeline once.
#[test]
fn child_runs_the_pipeline() {
    let Some(spec) = std::env::var_os(CHILD) else { return };
    let spec = spec.into_string().unwrap();
    let (top, dir) = spec.split_once(' ').unwrap();
    let summary = example::run(Path::new(dir), top.parse().unwrap()).unwrap();
    println!("summary: {summary}");
}

/// Runs the pipeline in a child process; returns its `ran:` lines and its summary.
fn run_child(dir: &Path, top: u64) -> (Vec<String>, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_runs_the_pipeline", "--nocapture", "--test-threads", "1"])
        .env(CHILD, format!("{top} {}", dir.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // A line may start with the harness's `test … ... ` before the first step's output.
    let ran = stdout.lines().filter_map(|l| l.find("ran: ").map(|at| l[at..].to_owned())).collect();
    let summary = stdout.lines().find_map(|l| Some(l[l.find("summary: ")? + 9..].to_owned()));
    (ran, summary.expect("the child printed its summary"))
}

#[test]
fn a_second_run_with_a_new_last_parameter_runs_only_the_last_step() {
    let dir = tempfile::tempdir().unwrap();
    let (first, summary10) = run_child(dir.path(), 10);
    assert_eq!(first, ["ran: load", "ran: clean", "ran: summarise"]);
    let (second, summary3) = run_child(dir.path(), 3);
    assert_eq!(second, ["ran: summarise"], "load and clean were loaded from the cache");
    assert_ne!(summary3, summary10);
    let (third, again) = run_child(dir.path(), 3);
    assert!(third.is_empty(), "everything from the cache: {third:?}");
    assert_eq!(again, summary3);
    assert!(dir.path().join("tasks").is_dir());
}
