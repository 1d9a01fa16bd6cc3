//! The goals, judged from this run's figures only (ratios never mix runs). The
//! Taskflow and rayon reference ranges are the seed issue's figures for this 2-core machine,
//! not measured here: they are shown as context, never judged (the cost part, `--taskflow
//! DIR`, runs Taskflow in the same run).

use serde::{Deserialize, Serialize};

use crate::dask::DaskRow;
use crate::runner::{Row, Runner, Variant};
use crate::shape::Shape;
use crate::stream::StreamRss;

/// C++ Taskflow's per-task time on map-reduce 262k, 2 threads (seed issue), µs.
pub(crate) const TASKFLOW_US: (f64, f64) = (0.06, 0.09);

/// One goal and whether this run met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Goal {
    pub(crate) goal: String,
    pub(crate) measured: String,
    /// `None`: not measured in this run.
    pub(crate) met: Option<bool>,
}

/// Judges every goal that this run's figures can speak to, for each worker count.
pub(crate) fn judge_all(
    rows: &[Row],
    dask: &[DaskRow],
    stream: &[StreamRss],
    workers: &[usize],
) -> Vec<Goal> {
    let mut goals: Vec<Goal> = workers
        .iter()
        .enumerate()
        .flat_map(|(k, &w)| judge(rows, dask, stream, w, k == 0))
        .collect();
    if let Some(&w) = workers.iter().max() {
        goals.extend(optimizer_goals(rows, w));
    }
    goals
}

/// "With the optimizer on, cost per original task within 3x of the rayon baseline", judged on
/// the largest size of each shape that fusion can change (the chain) and of the headline
/// map-reduce, work-stealing with `workers` workers.
fn optimizer_goals(rows: &[Row], workers: usize) -> Vec<Goal> {
    let mut goals = Vec::new();
    for shape in [Shape::Chain, Shape::MapReduce] {
        let Some(row) = rows.iter().filter(|r| r.shape == shape).max_by_key(|r| r.size) else {
            continue;
        };
        let per = |runner, variant| {
            row.run_as(runner, workers, variant).map(|r| r.time.median_s / row.tasks as f64 * 1e6)
        };
        let on = per(Runner::WorkStealing, Variant::Optimized);
        let rayon = per(Runner::Rayon, Variant::Plain);
        if let (Some(on), Some(rayon)) = (on, rayon) {
            goals.push(Goal {
                goal: format!(
                    "optimizer on: cost per original task within 3x of rayon ({}, {} tasks, work-stealing, {workers} workers)",
                    shape.name(),
                    row.tasks
                ),
                measured: format!("{on:.4} µs vs rayon {rayon:.4} µs: {:.1}x", on / rayon),
                met: Some(on <= 3.0 * rayon),
            });
        }
    }
    goals
}

/// The goals for one worker count (sync's streaming row with the smallest count only).
fn judge(
    rows: &[Row],
    dask: &[DaskRow],
    stream: &[StreamRss],
    workers: usize,
    first: bool,
) -> Vec<Goal> {
    let mut goals = Vec::new();
    let headline = rows.iter().filter(|r| r.shape == Shape::MapReduce).max_by_key(|r| r.size);
    let ws_us = headline.and_then(|r| {
        r.run(Runner::WorkStealing, workers).map(|w| w.time.median_s / r.tasks as f64 * 1e6)
    });
    if let (Some(row), Some(ws)) = (headline, ws_us) {
        let dask_us = dask
            .iter()
            .find(|d| d.shape == row.shape && d.size == row.size)
            .and_then(|d| d.run("threads", workers))
            .map(|d| d.time.median_s / row.tasks as f64 * 1e6);
        goals.push(match dask_us {
            Some(d) => Goal {
                goal: format!("work-stealing per-task overhead ≥ 300x lower than Dask threads (map-reduce, {} tasks, {workers} workers)", row.tasks),
                measured: format!("{ws:.3} µs vs {d:.1} µs: {:.0}x lower", d / ws),
                met: Some(d / ws >= 300.0),
            },
            None => Goal {
                goal: "work-stealing per-task overhead ≥ 300x lower than Dask threads".into(),
                measured: "Dask not run (pass --with-dask)".into(),
                met: None,
            },
        });
        let (lo, hi) = TASKFLOW_US;
        goals.push(Goal {
            goal: format!(
                "(context) C++ Taskflow {lo}–{hi} µs/task: the seed issue's figure, without \
                 values, from another run, so not a ratio to judge; `--taskflow DIR` measures \
                 Taskflow in the same run (docs/benchmarks.md, per-task cost by phase)"
            ),
            measured: format!("work-stealing {ws:.3} µs"),
            met: None,
        });
        if let Some(r) = row.run(Runner::Rayon, workers) {
            let rayon_us = r.time.median_s / row.tasks as f64 * 1e6;
            goals.push(Goal {
                goal: "(context) rayon join per split on the same shape: 0.004–0.013 µs in the seed issue".into(),
                measured: format!("{rayon_us:.4} µs; work-stealing is {:.0}x rayon", ws / rayon_us),
                met: None,
            });
        }
    }
    let cpu = rows.iter().filter(|r| r.shape == Shape::CpuBound).max_by_key(|r| r.size);
    if let Some(row) = cpu
        && let (Some(sync), Some(ws)) =
            (row.run(Runner::Sequential, 1), row.run(Runner::WorkStealing, workers))
    {
        let speedup = sync.time.median_s / ws.time.median_s;
        let goal = workers.min(crate::machine::cores()) as f64 * 0.95;
        goals.push(Goal {
            goal: format!(
                "speedup ≥ {goal:.2}x over sync on embarrassingly parallel CPU work ({} tasks, work-stealing, {workers} workers)",
                row.tasks
            ),
            measured: format!("{speedup:.2}x"),
            met: Some(speedup >= goal),
        });
    }
    for s in stream
        .iter()
        .filter(|s| !s.mmap && (s.workers == workers || (s.runner == Runner::Sequential && first)))
    {
        let bound = 2.0 * s.workers as f64 + 1.0;
        let mapped = stream
            .iter()
            .find(|m| m.mmap && m.runner == s.runner && m.workers == s.workers)
            .map_or(String::new(), |m| {
                format!("; {:.1} with every block mmapped", m.blocks_held())
            });
        goals.push(Goal {
            goal: format!(
                "streaming {} x {} on {} ({} workers): peak ≤ {bound:.0} blocks above the pre-compute RSS",
                s.blocks,
                crate::report::bytes(s.block_bytes),
                s.runner.name(),
                s.workers
            ),
            measured: if s.capped {
                format!("stopped at the {} GiB cap", crate::stream::CAP_BYTES >> 30)
            } else {
                format!("{:.1} blocks ({} MiB peak){mapped}", s.blocks_held(), s.peak_kib >> 10)
            },
            met: Some(!s.capped && s.blocks_held() <= bound),
        });
    }
    goals
}
