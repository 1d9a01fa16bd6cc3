//! Running the frame part: generating the CSV, then rounds of child processes, every tool on
//! every case in each round (the harness's `frame` feature: the Rust children need Polars).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{FRAME, FrameResults, FrameRow};
use crate::cli::Profile;
use crate::runner::Stats;

/// The float columns of the generated file.
pub(crate) const FLOATS: [&str; 8] = ["value", "f1", "f2", "f3", "f4", "f5", "f6", "f7"];

/// Rows, distinct keys and block size of a profile.
pub(crate) fn params(profile: Profile) -> (u64, u64, u64) {
    match profile {
        Profile::Full => (22_000_000, 100_000, 64_000_000),
        Profile::Quick => (2_000_000, 100_000, 16_000_000),
        Profile::Smoke => (20_000, 1_000, 200_000),
    }
}

/// What one child run reports.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Run {
    pub(crate) secs: f64,
    /// User + system CPU seconds, every thread.
    pub(crate) cpu_s: f64,
    pub(crate) peak_kib: u64,
    pub(crate) groups: usize,
}

/// What `frame.py --case` prints for one run.
#[derive(Debug, Deserialize)]
struct PyRun {
    secs: f64,
    cpu_s: f64,
    rss_mib: f64,
    groups: usize,
}

/// The tools of a round, in the order they run: (report name, how to run it).
const TOOLS: [(&str, Tool); 4] = [
    ("lazydag-frame", Tool::Rust("lazydag")),
    ("Polars scan_csv", Tool::Rust("polars")),
    ("pandas", Tool::Python("pandas")),
    ("Dask (threads)", Tool::Python("dask")),
];

#[derive(Debug, Clone, Copy)]
enum Tool {
    /// This binary's `__frame` child with this tool name.
    Rust(&'static str),
    /// `frame.py --case <name>_<case>`.
    Python(&'static str),
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

/// Times every tool, `repeats` rounds; each round runs each case with lazydag-frame, Polars
/// and (when `python` is given) pandas and Dask, one after the other.
///
/// # Errors
/// A failed child or a wrong group count.
pub(crate) fn measure(
    profile: Profile,
    workers: usize,
    repeats: usize,
    python: Option<&Path>,
) -> Result<FrameResults, String> {
    let (rows, users, blocksize) = params(profile);
    let (csv, csv_bytes) = generate(profile)?;
    let csv_s = csv.display().to_string();
    let (threads, block) = (workers.to_string(), blocksize.to_string());
    let script = crate::paths::dask_dir().join("frame.py");
    let tools: Vec<(&str, Tool)> =
        TOOLS.into_iter().filter(|(_, t)| python.is_some() || matches!(t, Tool::Rust(_))).collect();
    let cases = ["mean", "agg"];
    let mut runs: Vec<Vec<Run>> = (0..cases.len() * tools.len()).map(|_| Vec::new()).collect();
    for round in 0..repeats {
        eprintln!("  frame round {} of {repeats}", round + 1);
        for (c, case) in cases.iter().enumerate() {
            for (t, (name, tool)) in tools.iter().enumerate() {
                let run = match (tool, python) {
                    (Tool::Rust(tool), _) => {
                        let args: Vec<String> = [FRAME, &csv_s, tool, case, &threads, &block]
                            .map(String::from)
                            .to_vec();
                        crate::rss::child(&args, &[("POLARS_MAX_THREADS", &threads)])?
                    }
                    (Tool::Python(tool), Some(py)) => {
                        let which = format!("{tool}_{case}");
                        let out = std::process::Command::new(py)
                            .arg(&script)
                            .args(["--case", &which, &csv_s, &threads, &block])
                            .output()
                            .map_err(|e| format!("could not run {}: {e}", script.display()))?;
                        if !out.status.success() {
                            return Err(format!(
                                "frame.py --case {which} failed ({}): {}",
                                out.status,
                                String::from_utf8_lossy(&out.stderr).trim()
                            ));
                        }
                        let stdout = String::from_utf8_lossy(&out.stdout);
                        let last = stdout.lines().last().unwrap_or("");
                        let r: PyRun = serde_json::from_str(last)
                            .map_err(|e| format!("frame.py --case {which}: no JSON ({e})"))?;
                        Run {
                            secs: r.secs,
                            cpu_s: r.cpu_s,
                            peak_kib: (r.rss_mib * 1024.0) as u64,
                            groups: r.groups,
                        }
                    }
                    (Tool::Python(_), None) => unreachable!("filtered above"),
                };
                if run.groups as u64 != users {
                    return Err(format!(
                        "frame {name} {case}: {} groups, expected {users}",
                        run.groups
                    ));
                }
                eprintln!(
                    "  frame {case:4} {name:16} {:7.3} s, {:7.2} CPU s, peak {} MiB",
                    run.secs,
                    run.cpu_s,
                    run.peak_kib >> 10
                );
                runs[c * tools.len() + t].push(run);
            }
        }
    }
    let mut results = Vec::new();
    for (c, case) in cases.iter().enumerate() {
        for (t, (name, _)) in tools.iter().enumerate() {
            let rs = &runs[c * tools.len() + t];
            results.push(FrameRow {
                tool: (*name).into(),
                case: (*case).into(),
                workers,
                peak_kib: rs.iter().map(|r| r.peak_kib).max().unwrap_or(0),
                time: Stats::of(rs.iter().map(|r| r.secs).collect()),
                cpu: Some(Stats::of(rs.iter().map(|r| r.cpu_s).collect())),
            });
        }
    }
    Ok(FrameResults { csv_bytes, rows, keys: users, blocksize, results, python: String::new() })
}
