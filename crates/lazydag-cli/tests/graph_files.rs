//! Graph files: a dumped graph read back and run here computes the same bits as `compute()`;
//! what cannot be written is refused naming the task; a file this binary cannot run is refused
//! before anything runs; the command line reports first and refuses above its limits.

use lazydag_core::scheduler::Sequential;
use lazydag_core::{Delayed, Error, Plan, compute_with, delayed, try_delayed};
use lazydag_dask::{DaskError, RemoteGraph, remote};
use lazydag_optimize::Optimizer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value as Json, json};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Stats {
    n: u64,
    sum: f64,
    min: f64,
}

#[remote]
fn chunk(seed: u64, len: u32) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[remote]
fn stats(xs: Vec<f64>) -> Stats {
    Stats {
        n: xs.len() as u64,
        sum: xs.iter().sum(),
        min: xs.iter().copied().fold(f64::MAX, f64::min),
    }
}

#[remote]
fn merge(a: Stats, b: Stats) -> Stats {
    Stats { n: a.n + b.n, sum: a.sum + b.sum, min: a.min.min(b.min) }
}

#[remote]
fn scale(s: Stats, by: f64) -> Stats {
    Stats { sum: s.sum * by, ..s }
}

#[remote]
fn mean(s: Stats) -> f64 {
    s.sum / s.n as f64
}

#[remote]
fn inc(x: u64) -> u64 {
    x + 1
}

#[derive(Debug)]
struct Unlucky(u64);

impl std::fmt::Display for Unlucky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is unlucky", self.0)
    }
}

impl std::error::Error for Unlucky {}

#[remote]
fn checked(x: u64) -> Result<u64, Unlucky> {
    if x == 13 { Err(Unlucky(x)) } else { Ok(x) }
}

fn not_registered(x: u64) -> u64 {
    x * 2
}

/// A literal whose `Serialize` fails.
#[derive(Clone, Debug, Deserialize)]
struct Opaque(u64);

impl Serialize for Opaque {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("opaque on purpose"))
    }
}

#[remote]
fn open(o: Opaque) -> u64 {
    o.0
}

/// Map, tree reduce, scale: `chunks` chunks of 500 numbers.
fn pipeline(chunks: u64) -> (Delayed<Stats>, Delayed<f64>) {
    let mut level: Vec<Delayed<Stats>> =
        (0..chunks).map(|s| delayed!(stats(delayed!(chunk(s, 500))))).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| if let [a, b] = p { delayed!(merge(a, b)) } else { p[0].clone() })
            .collect();
    }
    let scaled = delayed!(scale(&level[0], 0.1));
    let m = delayed!(mean(&scaled));
    (scaled, m)
}

fn bits(s: &Stats) -> (u64, u64, u64) {
    (s.n, s.sum.to_bits(), s.min.to_bits())
}

fn reload(json: &str) -> RemoteGraph {
    RemoteGraph::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

#[test]
fn a_dumped_graph_runs_here_bit_for_bit_like_compute() {
    let (scaled, m) = pipeline(7);
    let (want_stats, want_mean) = compute_with((&scaled, &m), &Sequential).unwrap();
    let json = lazydag_cli::dump((&scaled, &m)).unwrap();
    let values = reload(&json).run_here().unwrap();
    assert_eq!(values.len(), 2);
    let got_stats = values[0].downcast_ref::<Stats>().unwrap();
    let got_mean = values[1].downcast_ref::<f64>().unwrap();
    assert_eq!(bits(got_stats), bits(&want_stats));
    assert_eq!(got_mean.to_bits(), want_mean.to_bits());
    // Written again from the file's own graph, the text is the same.
    assert_eq!(reload(&json).to_json().unwrap(), json);
}

#[test]
fn an_optimized_graph_with_fused_chains_round_trips() {
    let (scaled, m) = pipeline(4);
    let chain = delayed!(inc(delayed!(inc(delayed!(inc(5))))));
    let want = compute_with((&m, &chain), &Sequential).unwrap();
    let plan = Plan::optimized(&[m.task(), chain.task()], &Optimizer::default()).unwrap();
    let shipped = RemoteGraph::from_plan(plan.view()).unwrap();
    let json = shipped.to_json().unwrap();
    let file: Json = serde_json::from_str(&json).unwrap();
    let longest =
        file["tasks"].as_array().unwrap().iter().map(|t| t["calls"].as_array().unwrap().len());
    assert!(longest.max().unwrap() >= 3, "a fused task makes several calls:\n{json}");
    let values = reload(&json).run_here().unwrap();
    assert_eq!(values[0].downcast_ref::<f64>().unwrap().to_bits(), want.0.to_bits());
    assert_eq!(values[1].downcast_ref::<u64>(), Some(&8));
    drop(scaled);
}

#[test]
fn a_held_value_is_written_as_a_literal() {
    let (_, m) = pipeline(3);
    let held = delayed!(scale(delayed!(stats(delayed!(chunk(9, 10)))), 2.0)).persist().unwrap();
    let out = delayed!(merge(&held, delayed!(stats(delayed!(chunk(1, 10))))));
    let want = out.compute_with(&Sequential).unwrap();
    let graph = reload(&lazydag_cli::dump(&out).unwrap());
    let report = lazydag_cli::Report::of(&graph);
    assert_eq!(report.tasks, 3); // chunk, stats, merge: the held value's tasks are not there
    assert_eq!(report.literals, 3); // the held Stats, 1 and 10
    let values = graph.run_here().unwrap();
    assert_eq!(bits(values[0].downcast_ref::<Stats>().unwrap()), bits(&want));
    drop(m);
}

/// The refusal `dump` returns: the task it names and the reason.
fn refusal<T: Send + 'static>(out: &Delayed<T>) -> (String, String) {
    let err = lazydag_cli::dump(out).unwrap_err();
    let Error::Failed { task, source } = &err else { panic!("not a refusal: {err}") };
    let why = source.downcast_ref::<DaskError>().expect("a DaskError source");
    (task.to_string(), why.to_string())
}

#[test]
fn what_cannot_be_written_is_refused_naming_the_task() {
    let closure = delayed!(inc(1)).map(|x| x + 1);
    let (task, why) = refusal(&delayed!(inc(&closure)));
    assert_eq!(task, closure.key().to_string());
    assert!(why.contains("is a closure"), "{why}");

    let unregistered = delayed!(not_registered(2));
    let (task, why) = refusal(&delayed!(inc(&unregistered)));
    assert_eq!(task, unregistered.key().to_string());
    assert!(why.contains("graph_files::not_registered` is not registered"), "{why}");

    let opaque = delayed!(open(Opaque(3)));
    let (task, why) = refusal(&opaque);
    assert!(task.starts_with("literal-"), "{task}");
    assert!(why.contains("opaque on purpose"), "{why}");

    let (task, why) = refusal(&delayed(4_u64));
    assert!(task.starts_with("literal-") && why.contains("is a literal or a held value"), "{why}");
    let held = delayed!(inc(1)).persist().unwrap();
    let (task, why) = refusal(&held);
    assert_eq!(task, held.key().to_string());
    assert!(why.contains("not a task"), "{why}");
}

#[test]
fn a_failing_task_read_from_a_file_is_named_by_its_key() {
    let bad = try_delayed!(checked(delayed!(inc(12))));
    let json = lazydag_cli::dump(&bad).unwrap();
    let err = reload(&json).run_here().unwrap_err();
    assert_eq!(err.task(), Some(&bad.key()));
    assert!(err.to_string().contains("13 is unlucky"), "{err}");
}

/// The demo file, edited by `edit`, read back: the refusal's text.
fn tampered(edit: impl FnOnce(&mut Json)) -> String {
    let out = delayed!(mean(delayed!(stats(delayed!(chunk(1, 8))))));
    let mut file: Json = serde_json::from_str(&lazydag_cli::dump(&out).unwrap()).unwrap();
    edit(&mut file);
    let err = RemoteGraph::from_json(&file.to_string()).map(|_| ()).unwrap_err();
    assert!(matches!(err, DaskError::GraphFile { .. }), "{err}");
    err.to_string()
}

#[test]
fn a_file_this_binary_cannot_run_is_refused_before_anything_runs() {
    let err = tampered(|f| f["tasks"][0]["calls"][0]["function"] = json!("elsewhere::chunk"));
    assert!(err.contains("task 0 `chunk-"), "{err}");
    assert!(err.contains("`elsewhere::chunk` is not registered in this binary"), "{err}");

    let err = tampered(|f| f["tasks"][2]["output"] = json!("u8"));
    assert!(err.contains("task 2 `mean-") && err.contains("is a `u8` in the file"), "{err}");

    let err = tampered(|f| f["tasks"][0]["inputs"][1]["literal"]["type"] = json!("u64"));
    assert!(err.contains("literal input 1 is a `u64` in the file"), "{err}");

    let err = tampered(|f| f["tasks"][0]["inputs"][1]["literal"]["bytes"] = json!("zz"));
    assert!(err.contains("`bytes` is not hex"), "{err}");

    // Bytes that do not decode as the argument's type (a u32 with a byte left over).
    let err = tampered(|f| f["tasks"][0]["inputs"][1]["literal"]["bytes"] = json!("a178"));
    assert!(err.contains("literal input 1: bytes do not decode as a `u32`"), "{err}");

    let err = tampered(|f| f["tasks"][1]["inputs"][0] = json!({"task": 2}));
    assert!(err.contains("input 0 is task 2, which does not come before it"), "{err}");

    let err = tampered(|f| f["tasks"][1]["calls"][0]["args"] = json!([]));
    assert!(err.contains("takes 1 arguments, the file gives 0"), "{err}");

    let err = tampered(|f| f["version"] = json!(1));
    assert!(err.contains("version 1 is not `lazydag-graph` version 2"), "{err}");

    let err = tampered(|f| f["outputs"] = json!([7]));
    assert!(err.contains("output 7 is not one of the 3 tasks"), "{err}");
}

#[test]
fn the_literal_value_is_for_reading_and_the_bytes_are_what_runs() {
    let out = delayed!(inc(41));
    let mut file: Json = serde_json::from_str(&lazydag_cli::dump(&out).unwrap()).unwrap();
    assert_eq!(file["tasks"][0]["inputs"][0]["literal"]["value"], json!(41));
    file["tasks"][0]["inputs"][0]["literal"]["value"] = json!(1000);
    let values = reload(&file.to_string()).run_here().unwrap();
    assert_eq!(values[0].downcast_ref::<u64>(), Some(&42));
}

/// Runs the command line on `words`, returning what it printed or the error.
fn cli(words: &[&str]) -> Result<String, lazydag_cli::CliError> {
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    let mut out = Vec::new();
    lazydag_cli::run(&words, &mut out).map(|()| String::from_utf8(out).unwrap())
}

#[test]
fn run_prints_the_report_first_and_refuses_above_its_limits() {
    let (_, m) = pipeline(4);
    let want = m.compute_with(&Sequential).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    std::fs::write(&path, lazydag_cli::dump(&m).unwrap()).unwrap();
    let path = path.to_str().unwrap();

    let report = cli(&["graph", "report", path]).unwrap();
    // chunk and stats ×4, merge ×3, scale, mean: 13 tasks; 4 × 2 literals + the 0.1.
    assert!(report.starts_with("tasks: 13 to run, 9 literal inputs, 1 output\n"), "{report}");
    assert!(report.contains("graph_files::merge  3\n"), "{report}");
    assert!(report.contains("critical path: 6 tasks: chunk-"), "{report}");
    assert!(report.contains("peak live values (plan order): 4\n"), "{report}");
    let dot = cli(&["graph", "report", path, "--dot"]).unwrap();
    let (before, dot) = dot.split_once("digraph lazydag {").unwrap();
    assert_eq!(before, report);
    assert_eq!(dot.matches("->").count(), 9 + 12, "{dot}"); // literal inputs, task inputs

    let ran = cli(&["graph", "run", path, "--max-tasks", "13", "--max-live", "4"]).unwrap();
    assert!(ran.starts_with(&report), "{ran}");
    let (_, output) = ran.rsplit_once(" = ").unwrap();
    assert_eq!(output.trim().parse::<f64>().unwrap().to_bits(), want.to_bits());

    let err = cli(&["graph", "run", path, "--max-tasks", "12"]).unwrap_err();
    assert_eq!(err.exit_code(), 3);
    assert!(err.to_string().contains("the task count is 13, above the limit 12"), "{err}");
    let err = cli(&["graph", "run", path, "--max-live", "3"]).unwrap_err();
    assert!(err.to_string().contains("the peak of live values is 4, above the limit 3"), "{err}");

    let listing = cli(&["graph", "dump", path]).unwrap();
    assert_eq!(listing.lines().count(), 14, "{listing}");
    assert!(listing.ends_with(&format!("outputs: {}\n", m.key())), "{listing}");

    for words in [&["graph", "frob", path][..], &["graph", "run", path, "--max-tasks"], &["run"]] {
        let err = cli(words).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains("usage: lazydag graph"), "{err}");
    }
    let err = cli(&["graph", "report", "/nonexistent/g.json"]).unwrap_err();
    assert!(err.to_string().starts_with("cannot read `/nonexistent/g.json`"), "{err}");
}
