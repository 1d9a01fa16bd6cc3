//! [`Profiler`]: a [`Callback`] that records when and where every task ran.
//!
//! Invariants: `posttask` appends one raw record (compute, plan index, worker, start,
//! duration) under a mutex: two clock reads (taken by the compute) plus one short lock per
//! task, nothing allocated on that path but the vector's growth. Keys are looked up once per
//! compute, in `finish`, while the plan is still alive; records of a compute appear in
//! [`records`](Profiler::records) once it has finished. Times are relative to the profiler's
//! creation.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lazydag::{Callback, Outcome, TaskEvent, TaskKey, Worker};

use crate::error::{Error, write};

/// One task, as the [`Profiler`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskRecord {
    /// The task.
    pub key: TaskKey,
    /// The thread it ran on.
    pub worker: Worker,
    /// When it started, since the profiler was created.
    pub start: Duration,
    /// When it ended, since the profiler was created.
    pub end: Duration,
}

impl TaskRecord {
    /// How long the task ran.
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// A task seen by `posttask`, not yet named.
struct Raw {
    compute: u64,
    index: u32,
    worker: Worker,
    start: Instant,
    duration: Duration,
}

/// Records (task key, worker, start, end) for every task of the computes it is attached to,
/// like `dask.diagnostics.Profiler`, and draws them: a Chrome trace
/// ([`chrome_trace`](Profiler::chrome_trace), for Perfetto or `chrome://tracing`) and an SVG
/// task stream ([`task_stream_svg`](Profiler::task_stream_svg)). Costs well under 200 ns per
/// task (see `docs/benchmarks.md`).
///
/// ```
/// use std::sync::Arc;
/// use lazydag::{compute_with_control, delayed, Control, scheduler::Threaded};
/// use lazydag_diagnostics::Profiler;
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// let x = delayed!(add(1, 2));
/// let profiler = Arc::new(Profiler::new());
/// let control = Control::new().callback(profiler.clone());
/// assert_eq!(compute_with_control(delayed!(add(&x, &x)), &Threaded::new(2), &control).unwrap(), 6);
/// let records = profiler.records();
/// assert_eq!(records.len(), 2);
/// assert!(records.iter().all(|r| r.worker.pool() == "threads" && r.start <= r.end));
/// ```
pub struct Profiler {
    origin: Instant,
    raw: Mutex<Vec<Raw>>,
    done: Mutex<Vec<TaskRecord>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Profiler {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler").field("records", &lock(&self.done).len()).finish()
    }
}

impl Profiler {
    /// An empty profiler; its clock starts now.
    pub fn new() -> Self {
        Profiler {
            origin: Instant::now(),
            raw: Mutex::new(Vec::new()),
            done: Mutex::new(Vec::new()),
        }
    }

    /// The tasks of every finished compute, in the order they finished.
    pub fn records(&self) -> Vec<TaskRecord> {
        lock(&self.done).clone()
    }

    /// Forgets every record.
    pub fn clear(&self) {
        lock(&self.raw).clear();
        lock(&self.done).clear();
    }

    /// Total time per task key (a key that ran in several computes adds up).
    pub fn durations(&self) -> HashMap<TaskKey, Duration> {
        let mut out: HashMap<TaskKey, Duration> = HashMap::new();
        for record in lock(&self.done).iter() {
            *out.entry(record.key.clone()).or_default() += record.duration();
        }
        out
    }

    /// The records as Chrome trace-event JSON: one complete (`"ph": "X"`) event per task, one
    /// track per worker. Open it in Perfetto (ui.perfetto.dev) or `chrome://tracing`.
    pub fn chrome_trace(&self) -> String {
        crate::trace::chrome_trace(&self.records())
    }

    /// Writes [`chrome_trace`](Profiler::chrome_trace) to `path` (`trace.json`).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn write_chrome_trace(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write(path.as_ref(), &self.chrome_trace())
    }

    /// The records as a self-contained SVG "task stream", like Dask's dashboard: one row per
    /// worker, one rectangle per task, a colour per task name, and the key, worker and
    /// duration as hover text.
    pub fn task_stream_svg(&self) -> String {
        crate::stream::svg(&self.records())
    }

    /// Writes [`task_stream_svg`](Profiler::task_stream_svg) to `path` (`tasks.svg`).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn write_task_stream(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write(path.as_ref(), &self.task_stream_svg())
    }
}

impl Callback for Profiler {
    fn posttask(&self, task: &TaskEvent<'_>, duration: Duration, worker: Worker) {
        let raw = Raw {
            compute: task.compute(),
            index: task.index() as u32,
            worker,
            start: task.start(),
            duration,
        };
        lock(&self.raw).push(raw);
    }

    fn finish(&self, outcome: &Outcome<'_>) {
        let compute = outcome.plan().compute();
        let plan = outcome.plan().plan();
        let mine: Vec<Raw> = {
            let mut raw = lock(&self.raw);
            let (mine, others) =
                std::mem::take(&mut *raw).into_iter().partition(|r| r.compute == compute);
            *raw = others;
            mine
        };
        let records = mine.into_iter().map(|r| {
            let start = r.start.saturating_duration_since(self.origin);
            TaskRecord {
                key: plan.task(r.index as usize).key(),
                worker: r.worker,
                start,
                end: start + r.duration,
            }
        });
        let records: Vec<TaskRecord> = records.collect();
        lock(&self.done).extend(records);
    }
}
