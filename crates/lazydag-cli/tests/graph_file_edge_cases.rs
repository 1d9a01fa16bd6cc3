//! Graph-file edge cases a review found wrong: a listing and a report whose outputs are also
//! inputs of other tasks (the listing names them, the live-value peak keeps them alive, so
//! `--max-live` refuses), `--dot` on `dump` (a usage error, not ignored), and a hand-edited
//! file whose tasks share an index (refused when read).

use lazydag_core::delayed;
use lazydag_dask::{RemoteGraph, remote};

#[remote]
fn seed(x: u64) -> u64 {
    x
}

#[remote]
fn inc(x: u64) -> u64 {
    x + 1
}

fn cli(words: &[&str]) -> Result<String, lazydag_cli::CliError> {
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    let mut out = Vec::new();
    lazydag_cli::run(&words, &mut out).map(|()| String::from_utf8(out).unwrap())
}

/// Outputs (a, c) where c = inc(inc(a)): `a` is an output that is also consumed.
fn consumed_output_file(dir: &std::path::Path) -> (String, String, String) {
    let a = delayed!(seed(1));
    let c = delayed!(inc(delayed!(inc(&a))));
    let path = dir.join("g.json");
    std::fs::write(&path, lazydag_cli::dump((&a, &c)).unwrap()).unwrap();
    (path.to_str().unwrap().to_owned(), a.key().to_string(), c.key().to_string())
}

#[test]
fn listing_names_every_requested_output() {
    let dir = tempfile::tempdir().unwrap();
    let (path, a, c) = consumed_output_file(dir.path());
    let listing = cli(&["graph", "dump", &path]).unwrap();
    let last = listing.lines().last().unwrap();
    assert_eq!(last, format!("outputs: {a}, {c}"), "{listing}");
}

#[test]
fn peak_live_keeps_outputs_alive_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = consumed_output_file(dir.path());
    let graph = RemoteGraph::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let report = lazydag_cli::Report::of(&graph);
    assert_eq!(report.outputs, 2);
    // Run order a, b, c; a is an output, so it stays: a, b and c are alive when c runs.
    assert_eq!(report.peak_live, 3, "{report}");
}

#[test]
fn max_live_refuses_a_graph_whose_outputs_stay_alive() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = consumed_output_file(dir.path());
    let ran = cli(&["graph", "run", &path, "--max-live", "2"]);
    assert!(ran.is_err(), "ran under --max-live 2 although 3 values are live:\n{}", ran.unwrap());
}

#[test]
fn dot_on_dump_is_not_silently_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = consumed_output_file(dir.path());
    match cli(&["graph", "dump", &path, "--dot"]) {
        Err(err) => assert_eq!(err.exit_code(), 2, "{err}"),
        Ok(out) => assert!(out.contains("digraph"), "--dot accepted by dump but ignored:\n{out}"),
    }
}

#[derive(Debug)]
struct Unlucky;

impl std::fmt::Display for Unlucky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unlucky")
    }
}

impl std::error::Error for Unlucky {}

#[remote]
fn checked(x: u64) -> Result<u64, Unlucky> {
    if x == 13 { Err(Unlucky) } else { Ok(x) }
}

#[test]
fn a_failure_names_the_failing_task_even_with_duplicate_indices() {
    let bad = lazydag_core::try_delayed!(checked(delayed!(inc(12))));
    let mut file: serde_json::Value =
        serde_json::from_str(&lazydag_cli::dump(&bad).unwrap()).unwrap();
    // A hand-edited file: both tasks claim the same plan index.
    file["tasks"][0]["index"] = file["tasks"][1]["index"].clone();
    // Errors name tasks by index: a file where two tasks share one is refused when read.
    let err = RemoteGraph::from_json(&file.to_string()).unwrap_err();
    assert!(err.to_string().contains("like an earlier task"), "{err}");
    // The file as dumped names the failing task.
    let graph = RemoteGraph::from_json(&lazydag_cli::dump(&bad).unwrap()).unwrap();
    let err = graph.run_here().unwrap_err();
    assert_eq!(err.task().map(|k| k.to_string()), Some(bad.key().to_string()), "{err}");
}
