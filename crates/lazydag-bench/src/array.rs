//! The `array` part: issue 13's array figures, lazydag-array against dask.array in the same
//! run. Four cases, each run `repeats` times in a fresh child process (this binary with the
//! hidden `__array` subcommand, which prints one JSON line) so its peak RSS is its own:
//!
//! - `seed`: the seed example's `z[:5]` (`x = random((n, n), 1000)`, `z = (x + x.T).mean(0)`);
//! - `full`: all of `z` at 20,000² (`benches/dask/array_seed.py` is the Dask side of both);
//! - `sum`: `(a + b).sum()` of two in-memory arrays (`from_ndarray`, chunks 1,024²) against a
//!   plain sum over the same bytes in the same child (the bandwidth baseline;
//!   `array_sum.py` for Dask);
//! - `dot`: `a.dot(&b)` in chunks of n/4 against ndarray's own `dot` in the same child
//!   (`array_dot.py` for Dask + NumPy).
//!
//! Dask runs when the venv of `benches/dask/setup.sh` exists; otherwise the part says it
//! skipped Dask. Invariant: a wrong lazydag result fails the child, so the run stops.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use lazydag::array::{self as da, ndarray, s};
use serde::{Deserialize, Serialize};

use crate::cli::Profile;
use crate::runner::Stats;
use crate::{paths, rss};

/// The hidden subcommand that runs one array case in a child.
pub(crate) const ARRAY: &str = "__array";

/// What a child reports: the measured time, the same-child baseline's time (0 when the case
/// has none) and the child's peak RSS.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Once {
    seconds: f64,
    baseline_s: f64,
    peak_mb: f64,
}

/// One case's figures over the repeats.
#[derive(Debug, Clone)]
struct Row {
    case: &'static str,
    what: String,
    lazydag: Stats,
    baseline: Option<Stats>,
    peak_mb: f64,
    dask: Option<(Stats, f64)>,
}

fn sizes(profile: Profile) -> [(&'static str, usize); 4] {
    match profile {
        Profile::Full => [("seed", 100_000), ("full", 20_000), ("sum", 1 << 27), ("dot", 4096)],
        Profile::Quick => [("seed", 100_000), ("full", 8_000), ("sum", 1 << 25), ("dot", 2048)],
        Profile::Smoke => [("seed", 2_000), ("full", 1_000), ("sum", 1 << 16), ("dot", 128)],
    }
}

fn describe(case: &str, n: usize) -> String {
    match case {
        "seed" => format!("seed z[:5], {n}², chunks 1,000"),
        "full" => format!("seed z (all), {n}², chunks 1,000"),
        "sum" => format!("(a + b).sum(), 2 x {} MB in memory", (n * 8) >> 20),
        _ => format!("dot {n}², chunks {}", n / 4),
    }
}

/// Runs the part: prints a table and writes `array.md` into `out`.
///
/// # Errors
/// A failed lazydag child (a wrong result), or a file that cannot be written.
pub(crate) fn measure(
    profile: Profile,
    repeats: usize,
    out: &std::path::Path,
) -> Result<(), String> {
    let py = paths::venv().join("bin/python");
    let with_dask = py.exists();
    if !with_dask {
        eprintln!(
            "array: skipped Dask (no {}; `bash benches/dask/setup.sh` makes it)",
            py.display()
        );
    }
    let mut rows = Vec::new();
    for (case, n) in sizes(profile) {
        let mut ours = Vec::new();
        let mut dask = Vec::new();
        for _ in 0..repeats {
            // Alternate the two, so both see the same load.
            ours.push(rss::child::<Once>(&[ARRAY.into(), case.into(), n.to_string()], &[])?);
            if with_dask {
                match dask_once(&py, case, n) {
                    Ok(d) => dask.push(d),
                    Err(e) => eprintln!("array: dask {case} failed: {e}"),
                }
            }
        }
        let row = Row {
            case,
            what: describe(case, n),
            lazydag: Stats::of(ours.iter().map(|o| o.seconds).collect()),
            baseline: (ours[0].baseline_s > 0.0)
                .then(|| Stats::of(ours.iter().map(|o| o.baseline_s).collect())),
            peak_mb: ours.iter().map(|o| o.peak_mb).fold(0.0, f64::max),
            dask: (!dask.is_empty()).then(|| {
                let peak = dask.iter().map(|d| d.1).fold(0.0, f64::max);
                (Stats::of(dask.iter().map(|d| d.0).collect()), peak)
            }),
        };
        eprintln!("  {}", line(&row));
        rows.push(row);
    }
    let md = table(&rows, repeats, with_dask);
    print!("{md}");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let file = out.join("array.md");
    std::fs::write(&file, md).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

fn spread(s: &Stats) -> String {
    format!("{:.3} s ({:.3}–{:.3})", s.median_s, s.min_s, s.max_s)
}

fn line(r: &Row) -> String {
    let dask = r.dask.as_ref().map_or("dask skipped".into(), |(d, mb)| {
        format!("dask {} {mb:.0} MB: {:.1}x", spread(d), d.median_s / r.lazydag.median_s)
    });
    format!("{:5} lazydag {} {:.0} MB; {dask}", r.case, spread(&r.lazydag), r.peak_mb)
}

fn table(rows: &[Row], repeats: usize, with_dask: bool) -> String {
    let mut md = format!(
        "| case ({repeats} runs each, alternating; median (min–max)) | lazydag | peak RSS | \
         same-child baseline | Dask (threads) | Dask peak RSS | Dask / lazydag |\n|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        let base = r.baseline.as_ref().map_or("".into(), |b| {
            let name = if r.case == "sum" { "plain sum" } else { "ndarray dot" };
            format!("{name} {} ({:.0}%)", spread(b), 100.0 * b.median_s / r.lazydag.median_s)
        });
        let (d, dm, ratio) = match &r.dask {
            Some((d, mb)) => (
                spread(d),
                format!("{mb:.0} MB"),
                format!(
                    "{:.2}x time, RSS {:.2}",
                    d.median_s / r.lazydag.median_s,
                    if *mb > 0.0 { r.peak_mb / mb } else { 0.0 }
                ),
            ),
            None => ("skipped".into(), "".into(), "".into()),
        };
        md.push_str(&format!(
            "| {} | {} | {:.0} MB | {base} | {d} | {dm} | {ratio} |\n",
            r.what,
            spread(&r.lazydag),
            r.peak_mb
        ));
    }
    if !with_dask {
        md.push_str("\nDask skipped: no venv (`bash benches/dask/setup.sh`).\n");
    }
    md
}

/// One Dask run: (seconds, peak MB), read from the script's `time:` and `peak RSS:` lines.
fn dask_once(py: &PathBuf, case: &str, n: usize) -> Result<(f64, f64), String> {
    let dir = paths::dask_dir();
    let mut cmd = Command::new(py);
    match case {
        "seed" => cmd.arg(dir.join("array_seed.py")).arg(n.to_string()),
        "full" => cmd.arg(dir.join("array_seed.py")).arg("full").arg(n.to_string()),
        "sum" => cmd.arg(dir.join("array_sum.py")).arg(n.to_string()),
        _ => cmd.arg(dir.join("array_dot.py")).arg(n.to_string()),
    };
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |p: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(p))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
    };
    let t = field("time:").ok_or_else(|| format!("no `time:` line in {text}"))?;
    Ok((t, field("peak RSS:").unwrap_or(0.0)))
}

fn peak_mb() -> f64 {
    rss::own_kib("VmHWM:") as f64 / 1024.0
}

/// The child: runs `case` at size `n` once, checks it, prints one JSON line.
///
/// # Errors
/// Bad arguments, or a wrong result.
pub(crate) fn child(args: &[String]) -> Result<(), String> {
    let (case, n) = match args {
        [c, n] => (c.as_str(), n.parse::<usize>().map_err(|e| format!("size {n}: {e}"))?),
        _ => return Err("usage: __array CASE SIZE".into()),
    };
    let bad = |e: da::Error| e.to_string();
    let mut baseline_s = 0.0;
    let seconds = match case {
        "seed" | "full" => {
            let x = da::random::random([n, n], [1_000, 1_000]);
            let z = (&x + &x.t()).mean_axis(0);
            let start = Instant::now();
            let v = if case == "seed" { z.slice(s![..5]) } else { z }.compute().map_err(bad)?;
            let t = start.elapsed().as_secs_f64();
            if n >= 1_000 && !v.iter().all(|m| (0.9..1.1).contains(m)) {
                return Err(format!("means out of range: {v:?}"));
            }
            t
        }
        "sum" => {
            let a = ndarray::Array2::from_shape_fn((n / 4096, 4096), |(i, j)| (i + j) as f64);
            let b = ndarray::Array2::from_shape_fn((n / 4096, 4096), |(i, j)| (i * j % 7) as f64);
            let start = Instant::now();
            let plain = a.iter().sum::<f64>() + b.iter().sum::<f64>();
            baseline_s = start.elapsed().as_secs_f64();
            let (x, y) = (da::from_ndarray(a, [1_024, 1_024]), da::from_ndarray(b, [1_024, 1_024]));
            let start = Instant::now();
            let got = (&x + &y).sum().compute_scalar().map_err(bad)?;
            let t = start.elapsed().as_secs_f64();
            if (got - plain).abs() > 1e-9 * plain.abs() {
                return Err(format!("sum {got} != {plain}"));
            }
            t
        }
        _ => {
            let a = ndarray::Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
            let b = ndarray::Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j) % 13) as f64);
            let start = Instant::now();
            let want = a.dot(&b);
            baseline_s = start.elapsed().as_secs_f64();
            let (x, y) = (da::from_ndarray(a, n / 4), da::from_ndarray(b, n / 4));
            let start = Instant::now();
            let got = x.dot(&y).compute().map_err(bad)?;
            let t = start.elapsed().as_secs_f64();
            if got != want.into_dyn() {
                return Err("dot differs from ndarray's".into());
            }
            t
        }
    };
    let once = Once { seconds, baseline_s, peak_mb: peak_mb() };
    println!("{}", serde_json::to_string(&once).map_err(|e| e.to_string())?);
    Ok(())
}
