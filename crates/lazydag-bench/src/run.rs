//! One benchmark run, part by part: overhead tables, per-case peak memory, the streaming
//! reduction, the practical comparison, then Dask; then the report files.
//!
//! Invariant: a wrong result anywhere on the Rust side stops the run with an error; Dask's
//! absence or failure only changes the report's Dask status.

use std::path::Path;

use crate::cli::{Options, Part};
use crate::dask::{self, DaskResults};
use crate::machine::Machine;
use crate::report::{self, Report};
use crate::runner::{Measure, Pools, Runner};
use crate::shape::Shape;
use crate::{chart, frame, goal, practical, rss, stream};

/// Runs every part `options` asks for and writes the results.
///
/// # Errors
/// A wrong result, a failed child, or a file that cannot be written.
pub(crate) fn run(options: &Options, args: &[String]) -> Result<(), String> {
    if let Some(saved) = &options.render {
        return render(options, saved);
    }
    let mut machine = Machine::now();
    eprintln!(
        "lazydag-bench: {} cores ({}), load {:.2}; workers {:?}, {} repeats, profile {:?}",
        machine.cores,
        machine.cpu,
        machine.load_start,
        options.workers,
        options.repeats,
        options.profile
    );
    let cases: Vec<(Shape, u64)> = options
        .shapes
        .iter()
        .copied()
        .flat_map(|s| s.sizes(options.profile).into_iter().map(move |n| (s, n)))
        .collect();
    let parts = &options.parts;

    if options.taskflow.is_some() || options.callgrind {
        eprintln!("per-task cost by phase, one child process per case (cost.md)");
        let cost_options = crate::cost::CostOptions {
            taskflow: options.taskflow.clone(),
            callgrind: options.callgrind,
            workers: options.workers[0],
            repeats: options.repeats,
            profile: options.profile,
            shapes: options.shapes.clone(),
            out: options.out.clone(),
        };
        let (cost_rows, md) = crate::cost::measure(&cost_options)?;
        std::fs::create_dir_all(&options.out).map_err(|e| e.to_string())?;
        let json = serde_json::to_string_pretty(&cost_rows).map_err(|e| e.to_string())?;
        std::fs::write(options.out.join("cost.json"), json).map_err(|e| e.to_string())?;
        std::fs::write(options.out.join("cost.md"), &md).map_err(|e| e.to_string())?;
        eprintln!("{md}");
    }

    let mut rows = Vec::new();
    if parts.contains(&Part::Overhead) {
        let pools: Vec<Pools> = options.workers.iter().map(|&w| Pools::new(w)).collect();
        for &(shape, size) in &cases {
            let row = Measure { shape, size, repeats: options.repeats, pools: &pools }.row()?;
            let line: Vec<String> = row
                .runs
                .iter()
                .map(|r| {
                    format!(
                        "{}/{} {}",
                        r.runner.name(),
                        r.workers,
                        report::us(r.time.median_s / row.tasks as f64 * 1e6)
                    )
                })
                .collect();
            eprintln!("  {:12} {:>8} tasks  µs/task: {}", shape.name(), row.tasks, line.join("  "));
            rows.push(row);
        }
    }

    let mut rss_cases = Vec::new();
    if parts.contains(&Part::Rss) {
        eprintln!("peak memory, one child process per case");
        for &(shape, size) in &cases {
            for runner in Runner::ALL {
                if runner == Runner::Async && !shape.async_runs(size) {
                    continue;
                }
                let workers: &[usize] = if runner.is_parallel() { &options.workers } else { &[1] };
                for &w in workers {
                    rss_cases.push(rss::measure(shape, size, runner, w)?);
                }
            }
        }
    }

    let mut streams = Vec::new();
    if parts.contains(&Part::Stream) {
        let (blocks, bytes) = stream::params(options.profile);
        eprintln!(
            "streaming reduction: {blocks} blocks of {} KiB, one child process per runner",
            bytes >> 10
        );
        for runner in Runner::ALL {
            let workers: &[usize] = if runner.is_parallel() { &options.workers } else { &[1] };
            for &w in workers {
                for mmap in [false, true] {
                    let s = stream::measure(options.profile, runner, w, mmap)?;
                    eprintln!(
                        "  {:14} {w:>2} workers{}: peak {} MiB, {:.1} blocks held",
                        runner.name(),
                        if mmap { ", every block mmapped" } else { "" },
                        s.peak_kib >> 10,
                        s.blocks_held()
                    );
                    streams.push(s);
                }
            }
        }
    }

    let mut practical_rows = Vec::new();
    if parts.contains(&Part::Practical) {
        eprintln!("column means");
        practical_rows = practical::measure(options.profile, &options.workers, options.repeats)?;
    }

    if parts.contains(&Part::Array) {
        eprintln!("arrays (lazydag-array against dask.array)");
        crate::array::measure(options.profile, options.repeats, &options.out)?;
    }

    let frames = if parts.contains(&Part::Frame) { frame_part(options)? } else { None };

    let dask = options.with_dask.then(|| run_dask(options, &cases));

    machine.finish();
    let goals = goal::judge_all(
        &rows,
        dask.as_ref().map_or(&[][..], |d| &d.rows),
        &streams,
        &options.workers,
    );
    let report = Report {
        machine,
        profile: options.profile,
        workers: options.workers.clone(),
        repeats: options.repeats,
        command: format!("cargo run --release -p lazydag-bench -- {}", args.join(" "))
            .trim_end()
            .to_owned(),
        rows,
        rss: rss_cases,
        stream: streams,
        practical: practical_rows,
        frame: frames,
        dask,
        goals,
    };
    write(options, &report)
}

/// The frame part: rounds of every tool on the frame's CSV.
#[cfg(feature = "frame")]
fn frame_part(options: &Options) -> Result<Option<frame::FrameResults>, String> {
    let w = options.workers.iter().copied().max().unwrap_or(1);
    let (py, status) = frame_python(options);
    eprintln!(
        "frame: CSV group-bys, lazydag-frame and Polars scan_csv{}, {w} workers",
        if py.is_some() { ", pandas and dask.dataframe (threads)" } else { "" }
    );
    let mut f = frame::measure(options.profile, w, options.repeats.min(5), py.as_deref())?;
    f.python = status;
    Ok(Some(f))
}

/// Without the `frame` feature the part says why it is skipped.
#[cfg(not(feature = "frame"))]
fn frame_part(_: &Options) -> Result<Option<frame::FrameResults>, String> {
    eprintln!("frame: skipped: {}", frame::WITHOUT_FEATURE);
    Ok(None)
}

/// The venv's Python for pandas and Dask in the frame part, when asked for and there, and the
/// status line the report prints (empty when they run).
#[cfg(feature = "frame")]
fn frame_python(options: &Options) -> (Option<std::path::PathBuf>, String) {
    if !options.with_dask {
        eprintln!("frame: pandas and Dask skipped (pass --with-dask)");
        return (None, "not run (pass `--with-dask`)".into());
    }
    let py = crate::paths::venv().join("bin/python");
    if !py.exists() {
        let why = format!("skipped: no venv at {} (bash benches/dask/setup.sh)", py.display());
        eprintln!("frame: pandas and Dask {why}");
        return (None, why);
    }
    (Some(py), String::new())
}

/// The Dask side; never an error (see the module docs).
fn run_dask(options: &Options, cases: &[(Shape, u64)]) -> DaskResults {
    let py = match dask::prepare() {
        Ok(py) => py,
        Err(dask::Unavailable(why)) => {
            eprintln!("lazydag-bench: Dask comparison skipped: {why}");
            return DaskResults {
                status: format!("not available: {why}"),
                ..DaskResults::default()
            };
        }
    };
    let mut results = DaskResults::default();
    let mut problems = Vec::new();
    if options.parts.contains(&Part::Overhead) {
        eprintln!("dask: shapes (sync and threads)");
        match dask::shapes(&py, cases, &options.workers, options.repeats) {
            Ok((version, rows)) => {
                results.status = version;
                results.rows = rows;
            }
            Err(e) => problems.push(e),
        }
    }
    if options.parts.contains(&Part::Practical) {
        eprintln!("dask: column means in pandas, joblib and dask");
        match dask::practical(
            &py,
            practical::params(options.profile),
            &options.workers,
            options.repeats,
        ) {
            Ok(rows) => results.practical = rows,
            Err(e) => problems.push(e),
        }
    }
    if results.status.is_empty() {
        results.status = "ran".into();
    }
    if !problems.is_empty() {
        eprintln!("lazydag-bench: Dask problems: {}", problems.join("; "));
        results.status = format!("{} (problems: {})", results.status, problems.join("; "));
    }
    results
}

/// Re-renders a saved report: the figures stay those of the saved run, the goals are judged
/// again from them, and the files are written as after a run.
fn render(options: &Options, saved: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(saved)
        .map_err(|e| format!("cannot read {}: {e}", saved.display()))?;
    let mut report: Report = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a harness results.json: {e}", saved.display()))?;
    report.goals = goal::judge_all(
        &report.rows,
        report.dask.as_ref().map_or(&[][..], |d| &d.rows),
        &report.stream,
        &report.workers,
    );
    write(options, &report)
}

/// Writes `results.json`, `results.md` and `overhead.svg` under `--out`, splices the docs when
/// asked, and prints the markdown.
fn write(options: &Options, report: &Report) -> Result<(), String> {
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let put = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    put("results.json", &json)?;
    put("overhead.svg", &chart::svg(report))?;
    put("results.md", &report.markdown("overhead.svg"))?;
    if let Some(doc) = &options.update_docs {
        let chart =
            relative(out.join("overhead.svg").as_path(), doc.parent().unwrap_or(Path::new(".")));
        let text = std::fs::read_to_string(doc)
            .map_err(|e| format!("cannot read {}: {e}", doc.display()))?;
        std::fs::write(doc, report::splice(&text, &report.markdown(&chart)))
            .map_err(|e| format!("cannot write {}: {e}", doc.display()))?;
        eprintln!("updated {}", doc.display());
    }
    println!("{}", report.markdown(&out.join("overhead.svg").display().to_string()));
    eprintln!("results in {}", out.display());
    Ok(())
}

/// `path` as seen from the folder `from` (both made absolute); `path` itself if unrelated.
fn relative(path: &Path, from: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, from) = (abs(path), abs(from));
    path.strip_prefix(&from)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
