//! [`Profiler`]: a [`Callback`] that records when and where every task ran.
//!
//! Invariants: `posttask` appends one record under a short mutex: the task's key (which
//! allocates nothing for a name recorded by `delayed!`), its worker, and its start and end
//! from the two clock reads the compute takes anyway. `start` reserves room for the whole
//! plan, so the vector does not grow while tasks run. Times are relative to the profiler's
//! creation; records appear as tasks finish, in that order.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lazydag_core::sync::std_locks::lock;
use lazydag_core::{Callback, PlanSummary, TaskEvent, TaskKey, TaskStatus, Worker};

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
    /// How it ended: succeeded, failed, or cancelled (its compute was stopped while it ran).
    pub status: TaskStatus,
}

impl TaskRecord {
    /// How long the task ran.
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
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
    records: Mutex<Vec<TaskRecord>>,
}

impl Default for Profiler {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler").field("records", &lock(&self.records).len()).finish()
    }
}

impl Profiler {
    /// An empty profiler; its clock starts now.
    pub fn new() -> Self {
        Profiler { origin: Instant::now(), records: Mutex::new(Vec::new()) }
    }

    /// Every task seen so far, in the order they finished.
    pub fn records(&self) -> Vec<TaskRecord> {
        lock(&self.records).clone()
    }

    /// Forgets every record.
    pub fn clear(&self) {
        lock(&self.records).clear();
    }

    /// Total time per task key (a key that ran in several computes adds up).
    pub fn durations(&self) -> HashMap<TaskKey, Duration> {
        let mut out: HashMap<TaskKey, Duration> = HashMap::new();
        for record in lock(&self.records).iter() {
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
    fn start(&self, plan: &PlanSummary<'_>) {
        lock(&self.records).reserve(plan.tasks());
    }

    fn posttask(&self, task: &TaskEvent<'_>, duration: Duration, worker: Worker) {
        let start = task.start().saturating_duration_since(self.origin);
        let status = task.status().unwrap_or(TaskStatus::Succeeded);
        let record =
            TaskRecord { key: task.task().key(), worker, start, end: start + duration, status };
        lock(&self.records).push(record);
    }
}
