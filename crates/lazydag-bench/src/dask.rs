//! The Dask side of the comparison (`--with-dask`): make the venv with
//! `benches/dask/setup.sh`, then run `shapes.py` and `practical.py` in it and read their JSON.
//!
//! Invariant: a Dask failure never stops the Rust side. Setup that cannot install (no pip, no
//! network) yields [`Unavailable`] with a message saying why and where the log is, and the
//! report prints it in place of the Dask columns.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::paths;
use crate::practical::PracticalRow;
use crate::runner::Stats;
use crate::shape::Shape;

/// Why Dask figures are missing.
#[derive(Debug, Clone)]
pub(crate) struct Unavailable(pub(crate) String);

/// One shape case in Dask.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DaskRow {
    pub(crate) shape: Shape,
    pub(crate) size: u64,
    pub(crate) build: Stats,
    pub(crate) runs: Vec<DaskRun>,
}

/// One Dask scheduler's times on a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DaskRun {
    /// `sync` or `threads`.
    pub(crate) scheduler: String,
    pub(crate) workers: usize,
    pub(crate) time: Stats,
}

impl DaskRow {
    /// The run of `scheduler` ("sync" for any worker count).
    pub(crate) fn run(&self, scheduler: &str, workers: usize) -> Option<&DaskRun> {
        self.runs
            .iter()
            .find(|r| r.scheduler == scheduler && (scheduler == "sync" || r.workers == workers))
    }
}

/// What the Dask side produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DaskResults {
    /// E.g. "dask 2025.1.0, Python 3.11.7", or why Dask did not run.
    pub(crate) status: String,
    pub(crate) rows: Vec<DaskRow>,
    pub(crate) practical: Vec<PracticalRow>,
}

/// Creates (or reuses) the venv; returns its Python.
///
/// # Errors
/// [`Unavailable`] with the end of the setup log when pip could not install.
pub(crate) fn prepare() -> Result<PathBuf, Unavailable> {
    let script = paths::dask_dir().join("setup.sh");
    let log = paths::workspace_root().join("target/dask-setup.log");
    eprintln!("dask: preparing {} (bash {})", paths::venv().display(), script.display());
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| Unavailable(format!("could not run {}: {e}", script.display())))?;
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::create_dir_all(log.parent().expect("target/"));
    let _ = std::fs::write(&log, &text);
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        return Err(Unavailable(format!(
            "benches/dask/setup.sh could not make the venv {} with dask, pandas and joblib \
             (python3 -m venv, then pip; {}); the Rust side ran without them. Last lines of {}: {}",
            paths::venv().display(),
            out.status,
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    Ok(paths::venv().join("bin/python"))
}

/// Runs `script` with `args` in the venv and parses its last stdout line.
fn python(py: &Path, script: &str, args: &[String]) -> Result<serde_json::Value, String> {
    let path = paths::dask_dir().join(script);
    let out = Command::new(py)
        .arg(&path)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {}: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!("{script} failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("{script} printed no JSON ({e})"))
}

/// The cases Dask runs: every shape and size it supports, sync and threads for each worker
/// count; at the largest map-reduce (262k tasks, ~20 s per run) only threads, 3 repeats.
///
/// # Errors
/// The script failed or a digest was wrong (the script checks them).
pub(crate) fn shapes(
    py: &Path,
    cases: &[(Shape, u64)],
    workers: &[usize],
    repeats: usize,
) -> Result<(String, Vec<DaskRow>), String> {
    let cases: Vec<_> = cases
        .iter()
        .filter(|(shape, size)| shape.dask_runs(*size))
        .map(|&(shape, size)| {
            let big = shape.tasks(size) > 16_384;
            let mut runs: Vec<(String, usize)> =
                if big { Vec::new() } else { vec![("sync".to_owned(), 1)] };
            runs.extend(workers.iter().map(|&w| ("threads".to_owned(), w)));
            json!({
                "shape": shape.name(),
                "size": size,
                "expected": shape.expected(size),
                "repeats": repeats.min(3),
                "runs": runs,
            })
        })
        .collect();
    let spec = paths::workspace_root().join("target/bench-dask-spec.json");
    std::fs::write(&spec, json!({ "cases": cases }).to_string())
        .map_err(|e| format!("cannot write {}: {e}", spec.display()))?;
    let out = python(py, "shapes.py", &[spec.display().to_string()])?;
    let version = format!(
        "dask {}, Python {}",
        out["dask"].as_str().unwrap_or("?"),
        out["python"].as_str().unwrap_or("?")
    );
    let mut rows = Vec::new();
    for case in out["cases"].as_array().into_iter().flatten() {
        let shape = case["shape"].as_str().and_then(Shape::parse).ok_or("shapes.py: bad shape")?;
        let runs = case["computes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| DaskRun {
                scheduler: c["scheduler"].as_str().unwrap_or("?").to_owned(),
                workers: c["workers"].as_u64().unwrap_or(1) as usize,
                time: stats(&c["times_s"]),
            })
            .collect();
        rows.push(DaskRow {
            shape,
            size: case["size"].as_u64().unwrap_or(0),
            build: stats(&case["build_s"]),
            runs,
        });
    }
    Ok((version, rows))
}

/// The column-means comparison in pandas, joblib and Dask, for each worker count.
///
/// # Errors
/// The script failed or a mean was wrong (the script checks them).
pub(crate) fn practical(
    py: &Path,
    (rows, cols): (usize, usize),
    workers: &[usize],
    repeats: usize,
) -> Result<Vec<PracticalRow>, String> {
    let mut out = Vec::new();
    for (k, &w) in workers.iter().enumerate() {
        let args = [rows, cols, w, repeats.min(5)].map(|v| v.to_string());
        let json = python(py, "practical.py", &args)?;
        for row in json["rows"].as_array().into_iter().flatten() {
            let style = row["style"].as_str().unwrap_or("?");
            if k > 0 && style == "sequential" {
                continue; // pandas does not depend on the worker count
            }
            out.push(PracticalRow {
                implementation: row["implementation"].as_str().unwrap_or("?").to_owned(),
                style: style.to_owned(),
                workers: row["workers"].as_u64().unwrap_or(1) as usize,
                time: stats(&row["times_s"]),
            });
        }
    }
    Ok(out)
}

/// A JSON list of seconds as [`Stats`] (a single NaN run if the list is empty).
fn stats(times: &serde_json::Value) -> Stats {
    let t: Vec<f64> = times.as_array().into_iter().flatten().filter_map(|v| v.as_f64()).collect();
    if t.is_empty() { Stats::of(vec![f64::NAN]) } else { Stats::of(t) }
}
