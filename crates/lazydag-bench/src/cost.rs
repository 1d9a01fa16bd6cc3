//! Per-task cost, phase by phase (build, run, drop, and a compiled plan re-run), for lazydag
//! and, in the same run, C++ Taskflow: instructions per task under callgrind (`--callgrind`,
//! one worker), and wall and CPU time per task.
//!
//! Each case runs in a child process: this binary re-run with the hidden `__cost` subcommand,
//! or the C++ driver `taskflow/driver.cpp` (kept in this crate; it only `#include`s Taskflow,
//! from the checkout given to `--taskflow DIR`, and passes values through slots). A child
//! runs its phases in order and calls a marker function between them; under
//! `valgrind --tool=callgrind --dump-before=…lazydag_phase_mark…` each call writes the counts
//! since the previous one to a new dump file, so one child gives every phase's instructions.
//! Timed children print wall and CPU time per phase (CPU of all threads, summed from
//! `/proc/self/task/*/schedstat`, which the kernel updates at least once per tick: figures
//! under a few milliseconds are not meaningful, which is why only the largest size is run).
//!
//! Invariants: every child checks its digest against [`Shape::expected`] and fails on a wrong
//! one; a missing `g++`, Taskflow checkout or `valgrind` skips that column with a message,
//! never an error; ratios are only between figures of this run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use lazydag::scheduler::WorkStealing;
use serde::{Deserialize, Serialize};

use crate::cli::Profile;
use crate::shape::Shape;

/// The hidden subcommand of a lazydag cost child.
pub(crate) const COST: &str = "__cost";

/// The shapes the cost comparison runs (those the C++ driver knows).
pub(crate) const SHAPES: [Shape; 5] =
    [Shape::Chain, Shape::BinaryTree, Shape::Wavefront, Shape::Independent, Shape::MapReduce];

/// Marks the end of a phase: callgrind dumps its counts before each call.
#[inline(never)]
fn lazydag_phase_mark(phase: usize) {
    std::hint::black_box(phase);
}

/// CPU time of every thread of this process so far, in seconds (0 where there is no `/proc`).
fn cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("schedstat")).ok())
        .filter_map(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 * 1e-9)
        .sum()
}

/// A phase of a cost child, in the order they run.
const PHASES: [&str; 7] = ["start", "build", "run", "drop", "rebuild", "plan", "rerun"];

/// What a timed child measured: per phase (as [`PHASES`], without `start`), the wall and CPU
/// seconds of each repeat.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Timed {
    wall: Vec<Vec<f64>>,
    cpu: Vec<Vec<f64>>,
}

/// How a cost child records and computes its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// As the harness records it everywhere, computed with `Optimizer::off()`.
    Plain,
    /// With the default optimizer (chains fused).
    Optimized,
    /// Each task's literal input bound into the task ([`Shape::build_bound`]).
    Bound,
}

impl Variant {
    /// The child's argument for the variant, if it takes one.
    fn arg(self) -> Option<&'static str> {
        match self {
            Variant::Plain => None,
            Variant::Optimized => Some("optimized"),
            Variant::Bound => Some("bound"),
        }
    }
}

/// The child's side: `__cost SHAPE SIZE WORKERS marks` or `… time REPEATS`, optionally
/// followed by `optimized` or `bound` (see [`Variant`]).
///
/// # Errors
/// Bad arguments, a failed compute or a wrong digest.
pub(crate) fn child(args: &[String]) -> Result<(), String> {
    let (shape, size, workers, mode, repeats, variant) = match args {
        [s, n, w, m] => (s, n, w, m, "1", Variant::Plain),
        [s, n, w, m, r] => (s, n, w, m, r.as_str(), Variant::Plain),
        [s, n, w, m, r, o] if o == "optimized" => (s, n, w, m, r.as_str(), Variant::Optimized),
        [s, n, w, m, r, o] if o == "bound" => (s, n, w, m, r.as_str(), Variant::Bound),
        _ => {
            return Err(format!(
                "{COST} takes SHAPE SIZE WORKERS MODE [REPEATS [optimized|bound]], not {args:?}"
            ));
        }
    };
    let shape = Shape::parse(shape).ok_or_else(|| format!("unknown shape {shape}"))?;
    let size: u64 = size.parse().map_err(|_| format!("bad size {size}"))?;
    let workers: usize = workers.parse().map_err(|_| format!("bad workers {workers}"))?;
    let repeats: usize = repeats.parse().map_err(|_| format!("bad repeats {repeats}"))?;
    let pool = WorkStealing::new(workers);
    let expected = shape.expected(size);
    let check = |digest: u64, what: &str| {
        if digest == expected {
            Ok(())
        } else {
            Err(format!("{} {size} {what}: got {digest}, expected {expected}", shape.name()))
        }
    };
    let off = match variant {
        Variant::Optimized => lazydag::Optimizer::new(),
        Variant::Plain | Variant::Bound => lazydag::Optimizer::off(),
    };
    if variant == Variant::Bound && shape.build_bound(1).is_none() {
        return Err(format!("{} records no literal to bind", shape.name()));
    }
    let build = || match variant {
        Variant::Bound => shape.build_bound(size).expect("checked above"),
        Variant::Plain | Variant::Optimized => shape.build(size),
    };
    // One round of every phase; `mark(k)` ends phase `k`.
    let round = |mark: &mut dyn FnMut(usize)| -> Result<(), String> {
        mark(0);
        let graph = build();
        mark(1);
        let digest = graph.compute(&pool, &off).map_err(|e| e.to_string())?;
        mark(2);
        drop(graph);
        mark(3);
        check(digest, "compute")?;
        let graph = build();
        mark(4);
        let plan = graph.plan(&off).map_err(|e| e.to_string())?;
        mark(5);
        let digest = graph.run_plan(&plan, &pool).map_err(|e| e.to_string())?;
        mark(6);
        check(digest, "plan re-run")?;
        drop((plan, graph));
        Ok(())
    };
    match mode.as_str() {
        "marks" => {
            round(&mut |k| lazydag_phase_mark(k))?;
            println!("{}", serde_json::to_string(&PHASES).map_err(|e| e.to_string())?);
        }
        "time" => {
            let mut timed = Timed {
                wall: vec![Vec::new(); PHASES.len() - 1],
                cpu: vec![Vec::new(); PHASES.len() - 1],
            };
            for r in 0..=repeats {
                let (mut wall, mut cpu) = (Instant::now(), cpu_seconds());
                round(&mut |k| {
                    let (w, c) = (Instant::now(), cpu_seconds());
                    if k > 0 && r > 0 {
                        timed.wall[k - 1].push((w - wall).as_secs_f64());
                        timed.cpu[k - 1].push(c - cpu);
                    }
                    (wall, cpu) = (Instant::now(), cpu_seconds());
                })?;
            }
            println!("{}", serde_json::to_string(&timed).map_err(|e| e.to_string())?);
        }
        other => return Err(format!("{COST}: unknown mode {other}")),
    }
    Ok(())
}

/// One side's figures for one shape: per phase, instructions per task (one worker) and median
/// wall and CPU microseconds per task (`workers` threads). `None` where not measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Side {
    pub(crate) instructions: Vec<(String, f64)>,
    pub(crate) wall_us: Vec<(String, f64)>,
    pub(crate) cpu_us: Vec<(String, f64)>,
}

impl Side {
    fn get(list: &[(String, f64)], phase: &str) -> Option<f64> {
        list.iter().find(|(p, _)| p == phase).map(|&(_, v)| v)
    }
}

/// The cost figures of one shape at one size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CostRow {
    pub(crate) shape: Shape,
    pub(crate) size: u64,
    pub(crate) tasks: u64,
    pub(crate) workers: usize,
    pub(crate) lazydag: Side,
    pub(crate) taskflow: Option<Side>,
    /// Computed with the default optimizer (chains fused) rather than `Optimizer::off()`.
    #[serde(default)]
    pub(crate) fused: bool,
    /// Recorded with each task's literal input bound into the task ([`Shape::build_bound`]):
    /// the same graph as Taskflow's driver, whose side is the plain row's.
    #[serde(default)]
    pub(crate) bound: bool,
}

/// The length of the chain whose fused compute the cost part counts (the optimizer's goal).
const FUSED_CHAIN: u64 = 1_000_000;

/// The options of the cost part.
#[derive(Debug, Clone)]
pub(crate) struct CostOptions {
    pub(crate) taskflow: Option<PathBuf>,
    pub(crate) callgrind: bool,
    pub(crate) workers: usize,
    pub(crate) repeats: usize,
    pub(crate) profile: Profile,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) out: PathBuf,
}

/// Runs the cost comparison and returns its rows and a markdown table.
///
/// # Errors
/// A child with a wrong result, or one that failed.
pub(crate) fn measure(options: &CostOptions) -> Result<(Vec<CostRow>, String), String> {
    let driver = match &options.taskflow {
        Some(dir) => match build_driver(dir, &options.out) {
            Ok(driver) => Some(driver),
            Err(why) => {
                eprintln!("cost: skipped C++ Taskflow: {why}");
                None
            }
        },
        None => None,
    };
    let callgrind = options.callgrind && {
        let found = Command::new("valgrind").arg("--version").output().is_ok();
        if !found {
            eprintln!("cost: skipped callgrind: `valgrind` is not installed");
        }
        found
    };
    let mut rows = Vec::new();
    for &shape in SHAPES.iter().filter(|s| options.shapes.contains(s)) {
        let size = *shape.sizes(options.profile).last().expect("every shape has a size");
        let tasks = shape.tasks(size);
        let args =
            |workers: usize| [shape.name().to_owned(), size.to_string(), workers.to_string()];
        let lazydag = lazydag_side(options, &args, tasks, callgrind, Variant::Plain)?;
        let taskflow = match &driver {
            None => None,
            Some(driver) => {
                let mut side = Side::default();
                if callgrind {
                    side.instructions = instructions(driver, &args(1), tasks, &options.out)?;
                }
                let mut timed: Vec<String> = args(options.workers).to_vec();
                timed.extend(["time".to_owned(), options.repeats.to_string()]);
                (side.wall_us, side.cpu_us) =
                    per_task(&taskflow_times(driver, &timed, shape.expected(size))?, tasks);
                Some(side)
            }
        };
        let row = CostRow {
            shape,
            size,
            tasks,
            workers: options.workers,
            lazydag,
            taskflow,
            fused: false,
            bound: false,
        };
        eprintln!("  {:12} {}", shape.name(), brief(&row));
        let bound = if shape.build_bound(1).is_some() {
            // The graph Taskflow's driver records: its side is the one just measured.
            let lazydag = lazydag_side(options, &args, tasks, callgrind, Variant::Bound)?;
            Some(CostRow { lazydag, bound: true, ..row.clone() })
        } else {
            None
        };
        rows.push(row);
        if let Some(row) = bound {
            eprintln!("  {:12} {}", format!("{}, bound", shape.name()), brief(&row));
            rows.push(row);
        }
    }
    if callgrind && options.shapes.contains(&Shape::Chain) && options.profile == Profile::Full {
        // The optimizer's goal: a 1,000,000-long chain fused end to end, per original task.
        let exe = std::env::current_exe().map_err(|e| format!("no binary path: {e}"))?;
        let size = FUSED_CHAIN;
        let args: Vec<String> =
            [COST, "chain", &size.to_string(), "1"].iter().map(|a| (*a).to_owned()).collect();
        let instructions = instructions_with(&exe, &args, size, &options.out, &["1", "optimized"])?;
        let lazydag = Side { instructions, ..Side::default() };
        let row = CostRow {
            shape: Shape::Chain,
            size,
            tasks: size,
            workers: 1,
            lazydag,
            taskflow: None,
            fused: true,
            bound: false,
        };
        eprintln!("  chain, fused {}", brief(&row));
        rows.push(row);
    }
    let md = markdown(&rows, callgrind);
    Ok((rows, md))
}

/// The lazydag side of one shape: instructions per task under callgrind (one worker, when
/// `callgrind`) and timed phases on `options.workers`, of the child recording `variant`.
fn lazydag_side(
    options: &CostOptions,
    args: &dyn Fn(usize) -> [String; 3],
    tasks: u64,
    callgrind: bool,
    variant: Variant,
) -> Result<Side, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no binary path: {e}"))?;
    let extra: Vec<&str> = variant.arg().map(|v| vec!["1", v]).unwrap_or_default();
    let prefix: Vec<String> = std::iter::once(COST.to_owned()).chain(args(1)).collect();
    let mut side = Side::default();
    if callgrind {
        side.instructions = instructions_with(&exe, &prefix, tasks, &options.out, &extra)?;
    }
    let mut timed: Vec<String> =
        std::iter::once(COST.to_owned()).chain(args(options.workers)).collect();
    timed.extend(["time".to_owned(), options.repeats.to_string()]);
    timed.extend(variant.arg().map(str::to_owned));
    let t: Timed = json_child(&exe, &timed)?;
    (side.wall_us, side.cpu_us) = per_task(&t, tasks);
    Ok(side)
}

/// One line for the progress log.
fn brief(row: &CostRow) -> String {
    let show = |side: &Side| {
        ["build", "run", "drop", "rerun"]
            .iter()
            .filter_map(|p| Side::get(&side.instructions, p).map(|v| format!("{p} {v:.0}")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let tf = row.taskflow.as_ref().map(show).unwrap_or_default();
    format!("instr/task lazydag: {}  taskflow: {tf}", show(&row.lazydag))
}

/// Compiles the C++ driver against the Taskflow checkout `dir`, into `out`.
fn build_driver(dir: &Path, out: &Path) -> Result<PathBuf, String> {
    if !dir.join("taskflow/taskflow.hpp").is_file() {
        return Err(format!("{} has no taskflow/taskflow.hpp", dir.display()));
    }
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("taskflow/driver.cpp");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let exe = out.join("taskflow-driver");
    let status = Command::new("g++")
        .args(["-O2", "-std=c++20", "-pthread", "-I"])
        .arg(dir)
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .status()
        .map_err(|e| format!("cannot run g++ ({e})"))?;
    if !status.success() {
        return Err(format!("g++ failed on {} ({status})", source.display()));
    }
    Ok(exe)
}

/// Runs `exe args…` and parses the JSON on its last stdout line.
fn json_child<T: serde::de::DeserializeOwned>(exe: &Path, args: &[String]) -> Result<T, String> {
    let stdout = run_child(Command::new(exe).args(args))?;
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("child printed no result ({e}): {last}"))
}

/// Runs a prepared command; its stdout, or an error with its stderr.
fn run_child(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("cannot start {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The Taskflow driver's timed lines: `build run drop` wall, then CPU, then the digest.
fn taskflow_times(driver: &Path, args: &[String], expected: u64) -> Result<Timed, String> {
    let stdout = run_child(Command::new(driver).args(args))?;
    let mut timed = Timed { wall: vec![Vec::new(); 3], cpu: vec![Vec::new(); 3] };
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [b, r, d, cb, cr, cd, digest] = fields[..] else {
            return Err(format!("the Taskflow driver printed `{line}`"));
        };
        if digest.parse::<u64>().ok() != Some(expected) {
            return Err(format!("Taskflow {args:?}: got {digest}, expected {expected}"));
        }
        let num = |s: &str| s.parse::<f64>().map_err(|_| format!("bad figure {s}"));
        for (k, (w, c)) in [(b, cb), (r, cr), (d, cd)].into_iter().enumerate() {
            timed.wall[k].push(num(w)?);
            timed.cpu[k].push(num(c)?);
        }
    }
    Ok(timed)
}

/// Median wall and CPU microseconds per task of each phase.
#[allow(clippy::type_complexity)]
fn per_task(timed: &Timed, tasks: u64) -> (Vec<(String, f64)>, Vec<(String, f64)>) {
    let median = |v: &[f64]| crate::runner::Stats::of(v.to_vec()).median_s / tasks as f64 * 1e6;
    let phases = || PHASES[1..].iter().map(|p| (*p).to_owned());
    let list = |all: &[Vec<f64>]| {
        phases().zip(all).filter(|(_, v)| !v.is_empty()).map(|(p, v)| (p, median(v))).collect()
    };
    (list(&timed.wall), list(&timed.cpu))
}

/// Runs `exe args… marks` under callgrind and returns each phase's instructions per task.
/// Dump file `k` (1-based, in call order) holds the counts up to the `k`-th mark.
fn instructions(
    exe: &Path,
    args: &[String],
    tasks: u64,
    out: &Path,
) -> Result<Vec<(String, f64)>, String> {
    instructions_with(exe, args, tasks, out, &[])
}

/// [`instructions`], with `extra` arguments after `marks`.
fn instructions_with(
    exe: &Path,
    args: &[String],
    tasks: u64,
    out: &Path,
    extra: &[&str],
) -> Result<Vec<(String, f64)>, String> {
    let dir = out.join("callgrind");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join("cost.out");
    let stdout = run_child(
        Command::new("valgrind")
            .args(["--tool=callgrind", "--dump-before=lazydag_phase_mark"])
            .arg("--dump-before=*::lazydag_phase_mark")
            .arg(format!("--callgrind-out-file={}", file.display()))
            .arg(exe)
            .args(args)
            .arg("marks")
            .args(extra),
    )?;
    // The lazydag child names its phases; the C++ driver has the first four.
    let phases: Vec<String> = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|_| PHASES[..4].iter().map(|p| (*p).to_owned()).collect());
    let mut result = Vec::new();
    for (k, phase) in phases.iter().enumerate().skip(1) {
        let path = dir.join(format!("cost.out.{}", k + 1));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("no callgrind dump {}: {e}", path.display()))?;
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("totals:"))
            .and_then(|t| t.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("{} has no totals", path.display()))?;
        if phase != "rebuild" {
            result.push((phase.clone(), total as f64 / tasks as f64));
        }
    }
    Ok(result)
}

/// The markdown table of the rows.
pub(crate) fn markdown(rows: &[CostRow], callgrind: bool) -> String {
    let mut md = String::new();
    let workers = rows.first().map_or(1, |r| r.workers);
    md.push_str(&format!(
        "| shape (tasks) | phase | lazydag instr/task | Taskflow instr/task | ratio | lazydag \
         wall µs ({workers}w) | Taskflow wall µs | lazydag CPU µs | Taskflow CPU µs |\n"
    ));
    md.push_str("|---|---|---|---|---|---|---|---|---|\n");
    let f = |v: Option<f64>, digits: usize| v.map_or("–".to_owned(), |v| format!("{v:.digits$}"));
    for row in rows {
        for phase in ["build", "run", "drop", "plan", "rerun"] {
            let l = |list: &[(String, f64)]| Side::get(list, phase);
            let t = |pick: fn(&Side) -> &[(String, f64)]| {
                row.taskflow.as_ref().and_then(|s| Side::get(pick(s), phase))
            };
            let (li, ti) = (l(&row.lazydag.instructions), t(|s| &s.instructions));
            let ratio = li.zip(ti).map(|(a, b)| a / b);
            md.push_str(&format!(
                "| {}{}{} ({}) | {phase} | {} | {} | {} | {} | {} | {} | {} |\n",
                row.shape.name(),
                if row.fused { ", fused" } else { "" },
                if row.bound { ", literal bound" } else { "" },
                row.tasks,
                if callgrind { f(li, 0) } else { "–".into() },
                f(ti, 0),
                ratio.map_or("–".to_owned(), |r| format!("{r:.2}x")),
                f(l(&row.lazydag.wall_us), 3),
                f(t(|s| &s.wall_us), 3),
                f(l(&row.lazydag.cpu_us), 3),
                f(t(|s| &s.cpu_us), 3),
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_task_medians_divide_by_the_task_count() {
        let timed = Timed { wall: vec![vec![2.0, 4.0, 3.0]], cpu: vec![vec![1.0]] };
        let (wall, cpu) = per_task(&timed, 1_000_000);
        assert_eq!(wall, vec![("build".to_owned(), 3.0)]);
        assert_eq!(cpu, vec![("build".to_owned(), 1.0)]);
    }

    #[test]
    fn a_missing_taskflow_checkout_is_a_reason_not_a_panic() {
        let why = build_driver(Path::new("/nonexistent"), Path::new("/tmp")).unwrap_err();
        assert!(why.contains("taskflow.hpp"), "{why}");
    }
}
