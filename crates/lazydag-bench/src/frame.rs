//! The dataframe comparison (issue 14): `read_csv` + `groupby(user_id).mean()` and
//! `.agg(mean, min, max, count)` over a generated CSV (an int64 key with 100,000 distinct
//! values, a timestamp, 8 float64 columns; ~2.1 GB at full size), with lazydag-frame and with
//! Polars' own lazy `scan_csv`, and (with `--with-dask`) pandas and `dask.dataframe`
//! (`benches/dask/frame.py`).
//!
//! Invariant: every run is a fresh child process (this binary with the hidden `__frame`
//! subcommand, `POLARS_MAX_THREADS` set to the worker count), so each time and peak RSS is
//! its own; runs of the two Rust tools alternate, so their ratio is a same-run ratio. Every
//! run's group count is checked against the file's distinct keys.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use lazydag::scheduler::WorkStealing;
use lazydag_frame as dd;
use lazydag_frame::polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::Profile;
use crate::runner::Stats;

/// The hidden subcommand that runs one frame case in a child.
pub(crate) const FRAME: &str = "__frame";

/// The float columns of the generated file.
const FLOATS: [&str; 8] = ["value", "f1", "f2", "f3", "f4", "f5", "f6", "f7"];

/// Rows, distinct keys and block size of a profile.
pub(crate) fn params(profile: Profile) -> (u64, u64, u64) {
    match profile {
        Profile::Full => (22_000_000, 100_000, 64_000_000),
        Profile::Quick => (2_000_000, 100_000, 16_000_000),
        Profile::Smoke => (20_000, 1_000, 200_000),
    }
}

/// One tool's figures on one case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FrameRow {
    /// "lazydag-frame", "Polars scan_csv", "pandas" or "Dask (threads)".
    pub(crate) tool: String,
    /// "mean" or "agg".
    pub(crate) case: String,
    pub(crate) workers: usize,
    pub(crate) time: Stats,
    /// The largest peak RSS of its runs.
    pub(crate) peak_kib: u64,
}

/// The file and what the Rust and Python sides measured on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct FrameResults {
    pub(crate) csv_bytes: u64,
    pub(crate) rows: u64,
    /// Distinct keys (groups).
    #[serde(default)]
    pub(crate) keys: u64,
    pub(crate) blocksize: u64,
    pub(crate) results: Vec<FrameRow>,
    /// Why pandas and Dask are missing, when they are.
    pub(crate) python: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Run {
    secs: f64,
    peak_kib: u64,
    groups: usize,
}

/// Writes the CSV (the seed example's format) unless it exists; returns its path and size.
fn generate(profile: Profile) -> Result<(PathBuf, u64), String> {
    let (rows, users, _) = params(profile);
    let path = crate::paths::workspace_root().join(format!("target/bench-frame-{rows}.csv"));
    if !path.exists() {
        eprintln!("frame: generating {} ({rows} rows)", path.display());
        let tmp = path.with_extension("tmp");
        let io = |e: std::io::Error| format!("cannot write {}: {e}", tmp.display());
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).map_err(io)?);
        writeln!(w, "user_id,timestamp,{}", FLOATS.join(",")).map_err(io)?;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..rows {
            // Every key appears (the first `users` rows), then random keys.
            let user = if i < users { i } else { next() % users };
            let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
            write!(w, "{user},2024-01-{:02} {h:02}:{m:02}:{s:02}", 1 + (i / 86_400) % 28)
                .map_err(io)?;
            for _ in 0..FLOATS.len() {
                write!(w, ",{:.4}", (next() % 1_000_000) as f64 / 1000.0).map_err(io)?;
            }
            writeln!(w).map_err(io)?;
        }
        w.flush().map_err(io)?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    }
    let size = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    Ok((path, size))
}

fn aggs(named: bool) -> Vec<Expr> {
    FLOATS
        .iter()
        .flat_map(|&c| {
            let e = [col(c).mean(), col(c).min(), col(c).max(), col(c).count()];
            let names = ["mean", "min", "max", "count"];
            // Polars names every aggregation of `c` "c": alias them as lazydag does.
            e.into_iter()
                .zip(names)
                .map(move |(e, n)| if named { e.alias(format!("{c}_{n}")) } else { e })
        })
        .collect()
}

/// The child: one run of `tool` on `case`, then one JSON line.
///
/// # Errors
/// A failed read or group-by.
pub(crate) fn child(args: &[String]) -> Result<(), String> {
    let [csv, tool, case, workers, blocksize] = args else {
        return Err(format!("{FRAME} CSV TOOL CASE WORKERS BLOCKSIZE, got {args:?}"));
    };
    let workers: usize = workers.parse().map_err(|_| "workers")?;
    let blocksize: u64 = blocksize.parse().map_err(|_| "blocksize")?;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let start = Instant::now();
    let groups = match (tool.as_str(), case.as_str()) {
        ("lazydag", case) => {
            let s = WorkStealing::new(workers);
            let df = dd::read_csv(csv.as_str()).blocksize(blocksize).open().map_err(|e| err(&e))?;
            let g = df.groupby(["user_id"]);
            let out = if case == "mean" { g.mean() } else { g.agg(aggs(false)) };
            out.compute_with(&s).map_err(|e| err(&e))?.height()
        }
        ("polars", case) => {
            let lf = LazyCsvReader::new(PlRefPath::new(csv.as_str()))
                .with_has_header(true)
                .finish()
                .map_err(|e| err(&e))?
                .group_by([col("user_id")]);
            let out = if case == "mean" {
                lf.agg(FLOATS.iter().map(|&c| col(c).mean()).collect::<Vec<_>>())
            } else {
                lf.agg(aggs(true))
            };
            out.collect().map_err(|e| err(&e))?.height()
        }
        _ => return Err(format!("unknown frame tool/case {tool}/{case}")),
    };
    let secs = start.elapsed().as_secs_f64();
    let run = Run { secs, peak_kib: crate::rss::own_kib("VmHWM:"), groups };
    println!("{}", serde_json::to_string(&run).map_err(|e| e.to_string())?);
    Ok(())
}

/// Times lazydag-frame and Polars, alternating, `repeats` runs each per case, at the largest
/// worker count.
///
/// # Errors
/// A failed child or a wrong group count.
pub(crate) fn measure(
    profile: Profile,
    workers: usize,
    repeats: usize,
) -> Result<FrameResults, String> {
    let (rows, users, blocksize) = params(profile);
    let (csv, csv_bytes) = generate(profile)?;
    let threads = workers.to_string();
    let mut results = Vec::new();
    for case in ["mean", "agg"] {
        let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..repeats {
            for (k, tool) in ["lazydag", "polars"].iter().enumerate() {
                let args: Vec<String> = vec![
                    FRAME.into(),
                    csv.display().to_string(),
                    (*tool).into(),
                    case.into(),
                    threads.clone(),
                    blocksize.to_string(),
                ];
                let run: Run = crate::rss::child(&args, &[("POLARS_MAX_THREADS", &threads)])?;
                if run.groups as u64 != users {
                    return Err(format!(
                        "frame {tool} {case}: {} groups, expected {users}",
                        run.groups
                    ));
                }
                eprintln!(
                    "  frame {case:4} {tool:8} {:.3} s, peak {} MiB",
                    run.secs,
                    run.peak_kib >> 10
                );
                runs[k].push(run);
            }
        }
        for (tool, rs) in ["lazydag-frame", "Polars scan_csv"].into_iter().zip(runs) {
            results.push(FrameRow {
                tool: tool.into(),
                case: case.into(),
                workers,
                peak_kib: rs.iter().map(|r| r.peak_kib).max().unwrap_or(0),
                time: Stats::of(rs.iter().map(|r| r.secs).collect()),
            });
        }
    }
    Ok(FrameResults { csv_bytes, rows, keys: users, blocksize, results, python: String::new() })
}

/// pandas and Dask on the same file (`benches/dask/frame.py`), added to `results`.
///
/// # Errors
/// The script failed or printed no JSON.
pub(crate) fn python(
    py: &Path,
    profile: Profile,
    workers: usize,
    repeats: usize,
    results: &mut FrameResults,
) -> Result<(), String> {
    let (_, _, blocksize) = params(profile);
    let (csv, _) = generate(profile)?;
    let script = crate::paths::dask_dir().join("frame.py");
    let out = std::process::Command::new(py)
        .arg(&script)
        .arg(&csv)
        .args([workers.to_string(), repeats.to_string(), blocksize.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!("frame.py failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .map_err(|e| format!("frame.py printed no JSON ({e})"))?;
    for c in json["cases"].as_array().into_iter().flatten() {
        let times: Vec<f64> =
            c["times_s"].as_array().into_iter().flatten().filter_map(|v| v.as_f64()).collect();
        if times.is_empty() {
            continue;
        }
        results.results.push(FrameRow {
            tool: c["tool"].as_str().unwrap_or("?").into(),
            case: c["case"].as_str().unwrap_or("?").into(),
            workers,
            time: Stats::of(times),
            peak_kib: c["peak_kib"].as_u64().unwrap_or(0),
        });
    }
    Ok(())
}

impl FrameResults {
    fn find(&self, tool: &str, case: &str) -> Option<&FrameRow> {
        self.results.iter().find(|r| r.tool == tool && r.case == case)
    }

    /// The markdown table: per case, each tool's median (min–max) and peak RSS, and the
    /// same-run ratios to lazydag-frame.
    pub(crate) fn markdown(&self, md: &mut String) {
        use std::fmt::Write as _;
        let Some(first) = self.results.first() else { return };
        let _ = writeln!(
            md,
            "\n#### Dataframe group-by over a {} CSV ({} rows, {} keys, blocks of {}, {} workers)\n",
            crate::report::bytes(self.csv_bytes),
            self.rows,
            self.keys,
            crate::report::bytes(self.blocksize),
            first.workers
        );
        if !self.python.is_empty() {
            let _ = writeln!(md, "pandas and Dask: {}.\n", self.python);
        }
        let _ = writeln!(
            md,
            "| case | tool | median (min–max) | peak RSS | time / lazydag-frame's |\n|---|---|--:|--:|--:|"
        );
        for case in ["mean", "agg"] {
            let base = self.find("lazydag-frame", case).map(|r| r.time.median_s);
            let label = if case == "mean" {
                "`read_csv` + `groupby(user_id).mean()`"
            } else {
                "`groupby(user_id).agg(mean, min, max, count)` of 8 columns"
            };
            for r in self.results.iter().filter(|r| r.case == case) {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {:.2} s ({:.2}–{:.2}) | {} MiB | {} |",
                    r.tool,
                    r.time.median_s,
                    r.time.min_s,
                    r.time.max_s,
                    r.peak_kib >> 10,
                    base.map_or("–".into(), |b| format!("{:.2}", r.time.median_s / b))
                );
            }
        }
    }
}
