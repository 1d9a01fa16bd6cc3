//! Runners (every lazydag scheduler, and rayon) and the timing loop of the overhead tables.
//!
//! Invariants: a runner's result is checked against the shape's expected digest on every
//! run, warm-up included; figures are medians over `repeats` rounds, and each round runs every
//! runner once, in turn, so a noisy spell on a shared machine hits all of them alike (ratios
//! are only quoted between figures of the same round set). Times come from `Instant`.

use std::time::Instant;

use lazydag::Scheduler;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use rayon::ThreadPool;
use serde::{Deserialize, Serialize};

use crate::baseline;
use crate::shape::Shape;

/// What runs a shape: a lazydag scheduler, or rayon by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Runner {
    /// `lazydag::scheduler::Sequential`: the calling thread. Named `sync` (its config value),
    /// as `results.json` files saved before the rename also say.
    #[serde(rename = "sync")]
    Sequential,
    /// `Threaded::new(n)`: one shared priority queue.
    Threads,
    /// `WorkStealing::new(n)`: a deque per worker.
    WorkStealing,
    /// `Async::new(n)`: tokio, CPU tasks on blocking threads.
    Async,
    /// The shape hand-written with `rayon::join` / `rayon::scope` on an `n`-thread pool.
    Rayon,
}

impl Runner {
    /// Every runner, in column order.
    pub(crate) const ALL: [Runner; 5] =
        [Runner::Sequential, Runner::Threads, Runner::WorkStealing, Runner::Async, Runner::Rayon];

    /// The runner's name in tables and JSON (a lazydag scheduler's `Scheduler::name`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Runner::Sequential => "sync",
            Runner::Threads => "threads",
            Runner::WorkStealing => "work-stealing",
            Runner::Async => "async",
            Runner::Rayon => "rayon",
        }
    }

    /// Looks a runner up by [`Runner::name`].
    pub(crate) fn parse(name: &str) -> Option<Runner> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether the runner computes a lazydag graph (and so has [`Variant`]s).
    pub(crate) fn is_lazydag(self) -> bool {
        self != Runner::Rayon
    }

    /// Whether the runner's speed depends on a worker count.
    pub(crate) fn is_parallel(self) -> bool {
        self != Runner::Sequential
    }
}

/// Which form of the graph a lazydag runner computes. The per-task figure of either is divided
/// by the *original* task count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Variant {
    /// The graph exactly as recorded: `Optimizer::off()`, raw scheduling cost.
    Plain,
    /// What `compute` does by default: the graph optimized (chains fused, literals inlined),
    /// the optimization included in the time.
    Optimized,
}

impl Variant {
    /// Every variant the harness measures.
    pub(crate) const ALL: [Variant; 2] = [Variant::Plain, Variant::Optimized];

    /// The optimizer this variant computes with.
    pub(crate) fn optimizer(self) -> lazydag::Optimizer {
        match self {
            Variant::Plain => lazydag::Optimizer::off(),
            Variant::Optimized => lazydag::Optimizer::new(),
        }
    }
}

/// Median, minimum and maximum of a set of timed runs, in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Stats {
    pub(crate) median_s: f64,
    pub(crate) min_s: f64,
    pub(crate) max_s: f64,
    pub(crate) runs: usize,
}

impl Stats {
    /// Summarizes `times` (at least one).
    ///
    /// # Panics
    /// If `times` is empty.
    pub(crate) fn of(mut times: Vec<f64>) -> Self {
        assert!(!times.is_empty(), "no runs to summarize");
        times.sort_by(f64::total_cmp);
        let n = times.len();
        let median_s =
            if n % 2 == 1 { times[n / 2] } else { (times[n / 2 - 1] + times[n / 2]) / 2.0 };
        Self { median_s, min_s: times[0], max_s: times[n - 1], runs: n }
    }
}

/// The schedulers and the rayon pool for one worker count, built once and reused.
pub(crate) struct Pools {
    workers: usize,
    threads: Threaded,
    stealing: WorkStealing,
    asynchronous: Async,
    rayon: ThreadPool,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools").field("workers", &self.workers).finish_non_exhaustive()
    }
}

impl Pools {
    /// Starts every pool with `workers` threads.
    ///
    /// # Panics
    /// If rayon cannot start its threads.
    pub(crate) fn new(workers: usize) -> Self {
        Self {
            workers,
            threads: Threaded::new(workers),
            stealing: WorkStealing::new(workers),
            asynchronous: Async::new(workers),
            rayon: rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .expect("start a rayon pool"),
        }
    }

    /// The lazydag scheduler behind `runner` (`None` for rayon).
    pub(crate) fn scheduler(&self, runner: Runner) -> Option<&dyn Scheduler> {
        match runner {
            Runner::Sequential => Some(&Sequential),
            Runner::Threads => Some(&self.threads),
            Runner::WorkStealing => Some(&self.stealing),
            Runner::Async => Some(&self.asynchronous),
            Runner::Rayon => None,
        }
    }

    /// The rayon pool.
    pub(crate) fn rayon(&self) -> &ThreadPool {
        &self.rayon
    }
}

/// One timed column of a row: a runner, its variant, its worker count, its times.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Run {
    pub(crate) runner: Runner,
    /// `None` for rayon.
    pub(crate) variant: Option<Variant>,
    /// 1 for sync.
    pub(crate) workers: usize,
    pub(crate) time: Stats,
}

/// One row of the overhead tables: a shape at a size, built and run on every runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) shape: Shape,
    pub(crate) size: u64,
    pub(crate) tasks: u64,
    /// Recording the graph (lazydag), per repeat.
    pub(crate) build: Stats,
    pub(crate) runs: Vec<Run>,
}

impl Row {
    /// The run of `runner` with `workers` (any worker count for sync), plain variant.
    pub(crate) fn run(&self, runner: Runner, workers: usize) -> Option<&Run> {
        self.run_as(runner, workers, Variant::Plain)
    }

    /// The run of `runner` with `workers` (any worker count for sync) in `variant` (rayon has
    /// one form only, found for any variant).
    pub(crate) fn run_as(&self, runner: Runner, workers: usize, variant: Variant) -> Option<&Run> {
        self.runs.iter().find(|r| {
            r.runner == runner
                && (r.workers == workers || runner == Runner::Sequential)
                && r.variant.is_none_or(|v| v == variant)
        })
    }
}

/// One case in the timing loop.
#[derive(Debug, Clone, Copy)]
struct Case {
    runner: Runner,
    variant: Option<Variant>,
    /// Index into the pools (ignored for sync).
    pool: usize,
}

/// Measures one shape at one size on every runner and worker count.
pub(crate) struct Measure<'a> {
    pub(crate) shape: Shape,
    pub(crate) size: u64,
    pub(crate) repeats: usize,
    pub(crate) pools: &'a [Pools],
}

impl std::fmt::Debug for Measure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Measure({} {})", self.shape.name(), self.size)
    }
}

impl Measure<'_> {
    /// Builds the graph `repeats` times (timed), then runs every case once to warm up and
    /// `repeats` rounds timed.
    ///
    /// # Errors
    /// A message naming the case whose result was wrong, or whose compute failed.
    pub(crate) fn row(&self) -> Result<Row, String> {
        let (shape, size) = (self.shape, self.size);
        let expected = shape.expected(size);
        let mut builds = Vec::with_capacity(self.repeats);
        let mut graph = None;
        for _ in 0..self.repeats {
            drop(graph.take());
            let start = Instant::now();
            let g = shape.build(size);
            builds.push(start.elapsed().as_secs_f64());
            graph = Some(g);
        }
        let graph = graph.expect("at least one repeat");
        let input = baseline::Input::new(shape, size);

        let cases = self.cases();
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(self.repeats); cases.len()];
        for round in 0..=self.repeats {
            for (k, case) in cases.iter().enumerate() {
                let start = Instant::now();
                let digest = self.run_once(*case, &graph, &input)?;
                let elapsed = start.elapsed().as_secs_f64();
                if digest != expected {
                    return Err(format!(
                        "{} {size} on {} ({} workers): got {digest}, expected {expected}",
                        shape.name(),
                        case.runner.name(),
                        self.pools[case.pool].workers
                    ));
                }
                if round > 0 {
                    times[k].push(elapsed); // round 0 is the warm-up
                }
            }
        }
        let runs = cases
            .iter()
            .zip(times)
            .map(|(case, t)| Run {
                runner: case.runner,
                variant: case.variant,
                workers: if case.runner.is_parallel() { self.pools[case.pool].workers } else { 1 },
                time: Stats::of(t),
            })
            .collect();
        Ok(Row { shape, size, tasks: shape.tasks(size), build: Stats::of(builds), runs })
    }

    /// Sequential once, then every parallel runner for each worker count.
    fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        for runner in Runner::ALL {
            if runner == Runner::Async && !self.shape.async_runs(self.size) {
                continue;
            }
            let pools = if runner.is_parallel() { 0..self.pools.len() } else { 0..1 };
            for pool in pools {
                if runner.is_lazydag() {
                    for variant in Variant::ALL {
                        cases.push(Case { runner, variant: Some(variant), pool });
                    }
                } else {
                    cases.push(Case { runner, variant: None, pool });
                }
            }
        }
        cases
    }

    /// Runs one case once and returns its digest.
    fn run_once(
        &self,
        case: Case,
        graph: &crate::shape::Graph,
        input: &baseline::Input,
    ) -> Result<u64, String> {
        let pools = &self.pools[case.pool];
        match (pools.scheduler(case.runner), case.variant) {
            (Some(scheduler), Some(variant)) => {
                graph.compute(scheduler, &variant.optimizer()).map_err(|e| {
                    format!("{} {} on {}: {e}", self.shape.name(), self.size, case.runner.name())
                })
            }
            _ => Ok(baseline::run(input, pools.rayon())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        let s = Stats::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((s.median_s, s.min_s, s.max_s, s.runs), (2.0, 1.0, 3.0, 3));
        assert_eq!(Stats::of(vec![4.0, 1.0, 2.0, 3.0]).median_s, 2.5);
    }

    #[test]
    fn every_shape_runs_correctly_on_every_runner_and_worker_count() {
        let pools = [Pools::new(1), Pools::new(2)];
        for shape in Shape::ALL {
            for size in shape.sizes(crate::cli::Profile::Smoke) {
                let row = Measure { shape, size, repeats: 1, pools: &pools }.row().unwrap();
                // sync (plain and optimized), then threads, work-stealing and async (both
                // variants each) and rayon on each of 2 pools
                assert_eq!(row.runs.len(), 2 + (3 * 2 + 1) * 2, "{}", shape.name());
                assert_eq!(row.run(Runner::WorkStealing, 2).unwrap().workers, 2);
            }
        }
    }
}
