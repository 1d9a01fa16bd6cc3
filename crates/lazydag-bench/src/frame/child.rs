//! The child process of one Rust run of the frame part: lazydag-frame or Polars' lazy
//! `scan_csv` on one case (the harness's `frame` feature, which brings in Polars).

use std::time::Instant;

use lazydag::scheduler::WorkStealing;
use lazydag_frame as dd;
use lazydag_frame::polars::prelude::*;

use super::FRAME;
use super::measure::{FLOATS, Run};

/// `col(c).mean(), min(), max(), count()` of every float column; `named` aliases them
/// `<c>_<agg>` (Polars would name all four `c`; lazydag names them so itself).
fn aggs(named: bool) -> Vec<Expr> {
    FLOATS
        .iter()
        .flat_map(|&c| {
            let e = [col(c).mean(), col(c).min(), col(c).max(), col(c).count()];
            let names = ["mean", "min", "max", "count"];
            e.into_iter()
                .zip(names)
                .map(move |(e, n)| if named { e.alias(format!("{c}_{n}")) } else { e })
        })
        .collect()
}

/// One run of `tool` on `case`, then one JSON line (a [`Run`]) on stdout.
///
/// # Errors
/// Bad arguments, a failed read or group-by.
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
    let run = Run { secs, cpu_s: own_cpu_s(), peak_kib: crate::rss::own_kib("VmHWM:"), groups };
    println!("{}", serde_json::to_string(&run).map_err(|e| e.to_string())?);
    Ok(())
}

/// User + system CPU seconds of this process, all threads (`/proc/self/stat`, 100 ticks a
/// second); 0 when it cannot be read.
fn own_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name's `)`: state is the first, utime the 12th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> =
        rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse().ok()).collect();
    ticks.iter().sum::<f64>() / 100.0
}
