//! The dataframe comparison (issue 14): `read_csv` + `groupby(user_id).mean()` and
//! `.agg(mean, min, max, count)` over a generated CSV (an int64 key with 100,000 distinct
//! values, a timestamp, 8 float64 columns; ~2.1 GB at full size), with lazydag-frame and with
//! Polars' own lazy `scan_csv` (the harness's `frame` feature), and (with `--with-dask`)
//! pandas and `dask.dataframe` (`benches/dask/frame.py --case`).
//!
//! Invariant: every run is a fresh child process (this binary with the hidden `__frame`
//! subcommand, `POLARS_MAX_THREADS` set to the worker count, or the Python script), so each
//! time and peak RSS is its own; each round runs every tool once per case, one after the
//! other, so all the ratios are same-run ratios under the same load. Every run's group count
//! is checked against the file's distinct keys. The results and their table need no Polars,
//! so `--render` works without the feature.

use serde::{Deserialize, Serialize};

use crate::runner::Stats;

#[cfg(feature = "frame")]
mod child;
#[cfg(feature = "frame")]
mod measure;
#[cfg(feature = "frame")]
pub(crate) use child::child;
#[cfg(feature = "frame")]
pub(crate) use measure::measure;

/// The hidden subcommand that runs one frame case in a child.
pub(crate) const FRAME: &str = "__frame";

/// Why the frame part did not run: the binary was built without the `frame` feature.
#[cfg(not(feature = "frame"))]
pub(crate) const WITHOUT_FEATURE: &str = "the frame part needs the harness's `frame` feature \
     (it builds Polars): cargo run --release -p lazydag-bench --features frame -- ...";

/// One tool's figures on one case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FrameRow {
    /// "lazydag-frame", "Polars scan_csv", "pandas" or "Dask (threads)".
    pub(crate) tool: String,
    /// "mean" or "agg".
    pub(crate) case: String,
    pub(crate) workers: usize,
    pub(crate) time: Stats,
    /// User + system CPU seconds of each run (absent in results saved before it was kept).
    #[serde(default)]
    pub(crate) cpu: Option<Stats>,
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

impl FrameResults {
    fn find(&self, tool: &str, case: &str) -> Option<&FrameRow> {
        self.results.iter().find(|r| r.tool == tool && r.case == case)
    }

    /// The markdown table: per case, each tool's median (min–max), CPU time and peak RSS, and
    /// the same-run ratios of time to lazydag-frame's and of peak RSS to Dask's.
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
            "| case | tool | median (min–max) | CPU s, median | peak RSS | time / lazydag-frame's \
             | peak RSS / Dask's |\n|---|---|--:|--:|--:|--:|--:|"
        );
        for case in ["mean", "agg"] {
            let base = self.find("lazydag-frame", case).map(|r| r.time.median_s);
            let dask = self.find("Dask (threads)", case).map(|r| r.peak_kib as f64);
            let label = if case == "mean" {
                "`read_csv` + `groupby(user_id).mean()`"
            } else {
                "`groupby(user_id).agg(mean, min, max, count)` of 8 columns"
            };
            for r in self.results.iter().filter(|r| r.case == case) {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {:.2} s ({:.2}–{:.2}) | {} | {} MiB | {} | {} |",
                    r.tool,
                    r.time.median_s,
                    r.time.min_s,
                    r.time.max_s,
                    r.cpu.map_or("–".into(), |c| format!("{:.1}", c.median_s)),
                    r.peak_kib >> 10,
                    base.map_or("–".into(), |b| format!("{:.2}", r.time.median_s / b)),
                    dask.map_or("–".into(), |d| format!("{:.2}", r.peak_kib as f64 / d))
                );
            }
        }
    }
}
