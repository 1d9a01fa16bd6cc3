//! The practical comparison: the column means of a wide `f64` table (10M rows x 10 columns,
//! 800 MB, at full size), sequentially, as a parallel map, as a lazydag graph, and (with the
//! harness's `frame` feature) as the seed's `dd::from_polars(df, 4).mean()` (lazydag-frame);
//! pandas, joblib and Dask do the same in `benches/dask/practical.py`.
//!
//! Invariant: cell `(r, c)` holds `(r mod 1000) + c`, so column `c`'s mean is exactly
//! `499.5 + c` (rows are a multiple of 1,000; every partial sum is an exact integer); every
//! implementation's means are compared with that on every run (the frame's partition means
//! are merged by a weighted update, so within 1e-12).

use std::sync::Arc;
use std::time::Instant;

use lazydag::prelude::*;
use lazydag::scheduler::WorkStealing;
use lazydag_parallel::Parallel;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::Profile;
use crate::runner::Stats;
use crate::stream::lanes_sum;

/// Rows and columns a profile uses.
pub(crate) fn params(profile: Profile) -> (usize, usize) {
    match profile {
        Profile::Full => (10_000_000, 10),
        Profile::Quick => (1_000_000, 10),
        Profile::Smoke => (10_000, 4),
    }
}

/// A column-major table (a newtype so that a graph literal prints its size, not its cells).
struct Table(Vec<Vec<f64>>);

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} columns)", self.0.len())
    }
}

/// The mean of column `c`.
fn column_mean(table: Arc<Table>, c: usize) -> f64 {
    mean_of(&table.0[c])
}

/// The mean of one column (an eight-lane sum, which vectorizes).
fn mean_of(col: &[f64]) -> f64 {
    lanes_sum(col) / col.len() as f64
}

/// One implementation's time for all the column means.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PracticalRow {
    /// What ran, e.g. "Rust sequential", "pandas df.mean()".
    pub(crate) implementation: String,
    /// "sequential", "parallel map" or "graph".
    pub(crate) style: String,
    pub(crate) workers: usize,
    pub(crate) time: Stats,
}

/// One implementation: its name, style, workers, and a run returning the column means.
type Job<'a> = (String, &'static str, usize, Box<dyn Fn() -> Result<Vec<f64>, String> + 'a>);

/// The seed's `dd::from_polars(df, 4).mean()` on `w` workers (the harness's `frame` feature).
#[cfg(feature = "frame")]
fn frame_job(
    polars: &lazydag_frame::polars::prelude::DataFrame,
    cols: usize,
    w: usize,
) -> Result<Job<'static>, String> {
    let scheduler = WorkStealing::new(w);
    let df = lazydag_frame::from_polars(polars.clone(), 4).map_err(|e| e.to_string())?;
    Ok((
        "lazydag-frame dd::from_polars(df, 4).mean()".into(),
        "graph",
        w,
        Box::new(move || {
            let m = df.mean().compute_with(&scheduler).map_err(|e| e.to_string())?;
            (0..cols)
                .map(|c| {
                    let v = m.column(&format!("c{c}")).and_then(|s| s.f64().map(|a| a.get(0)));
                    v.ok().flatten().ok_or_else(|| format!("no mean of c{c}"))
                })
                .collect()
        }),
    ))
}

/// Times every Rust implementation, `repeats` rounds, each worker count.
///
/// # Errors
/// A message naming the implementation whose means were wrong or that failed.
pub(crate) fn measure(
    profile: Profile,
    workers: &[usize],
    repeats: usize,
) -> Result<Vec<PracticalRow>, String> {
    let (rows, cols) = params(profile);
    let table = Arc::new(Table(
        (0..cols).map(|c| (0..rows).map(|r| ((r % 1000) + c) as f64).collect()).collect(),
    ));
    let mut jobs: Vec<Job<'_>> = Vec::new();
    // The same table as a Polars frame (a copy: Polars owns its buffers).
    #[cfg(feature = "frame")]
    let polars = lazydag_frame::polars::prelude::DataFrame::new(
        rows,
        table
            .0
            .iter()
            .enumerate()
            .map(|(c, v)| lazydag_frame::polars::prelude::Column::new(format!("c{c}").into(), v))
            .collect(),
    )
    .map_err(|e| e.to_string())?;
    let t = Arc::clone(&table);
    jobs.push((
        "Rust sequential loop".into(),
        "sequential",
        1,
        Box::new(move || Ok(t.0.iter().map(|c| mean_of(c)).collect())),
    ));
    for &w in workers {
        let t = Arc::clone(&table);
        let parallel = Parallel::new().n_jobs(w as isize);
        jobs.push((
            "lazydag-parallel Parallel::map".into(),
            "parallel map",
            w,
            Box::new(move || {
                let t = Arc::clone(&t);
                parallel
                    .map(0..cols, move |c| column_mean(Arc::clone(&t), c))
                    .map_err(|e| e.to_string())
            }),
        ));
        let t = Arc::clone(&table);
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(w).build().map_err(|e| e.to_string())?;
        jobs.push((
            "rayon par_iter".into(),
            "parallel map",
            w,
            Box::new(move || Ok(pool.install(|| t.0.par_iter().map(|c| mean_of(c)).collect()))),
        ));
        let t = Arc::clone(&table);
        let scheduler = WorkStealing::new(w);
        jobs.push((
            "lazydag graph (work-stealing), built + computed".into(),
            "graph",
            w,
            Box::new(move || {
                let means: Vec<Delayed<f64>> =
                    (0..cols).map(|c| delayed!(column_mean(Arc::clone(&t), c))).collect();
                lazydag::compute_with(&means, &scheduler).map_err(|e| e.to_string())
            }),
        ));
        #[cfg(feature = "frame")]
        jobs.push(frame_job(&polars, cols, w)?);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); jobs.len()];
    for round in 0..=repeats {
        for (k, (name, _, w, job)) in jobs.iter().enumerate() {
            let start = Instant::now();
            let means = job()?;
            let elapsed = start.elapsed().as_secs_f64();
            let want: Vec<f64> = (0..cols).map(|c| 499.5 + c as f64).collect();
            let close = means.len() == want.len()
                && means.iter().zip(&want).all(|(m, w)| (m - w).abs() <= 1e-12 * w.abs());
            if !close {
                return Err(format!("{name} ({w} workers): means {means:?}, expected {want:?}"));
            }
            if round > 0 {
                times[k].push(elapsed);
            }
        }
    }
    Ok(jobs
        .into_iter()
        .zip(times)
        .map(|((implementation, style, workers, _), t)| PracticalRow {
            implementation,
            style: style.into(),
            workers,
            time: Stats::of(t),
        })
        .collect())
}
