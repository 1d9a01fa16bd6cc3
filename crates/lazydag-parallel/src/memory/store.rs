//! [`Memory`] as a [`TaskStore`]: the disk side of the graph-aware cache
//! (`Delayed::cache(&memory)`, see `docs/identity.md`).
//!
//! A graph task's entry is `location/tasks/<content key, 64 hex digits>.entry`, in the same
//! format as a cached function's (`entry`: the bytes the core encoded as the payload, a
//! checksum over the key and the payload, written to a temporary file and renamed), so the
//! same reads reject a damaged or misplaced entry, and [`Memory::size`],
//! [`Memory::reduce_size`], [`Memory::clear`] and the size limit count these entries like
//! the others.
//!
//! Invariants: a load is a hit only for an intact entry (a hit counts as a use for eviction);
//! a store is atomic and evicts down to the size limit. What is stored is decided by the core:
//! it never stores a failure. The trailer's timing records when the entry was written (the
//! hook does not say how long the task ran: its duration is zero). There is no per-key lock
//! here: within one compute the core plans each content key once; two computes (or
//! processes) that miss one key at once may both run it, and the last write wins.

use std::time::{Duration, SystemTime};

use lazydag_core::{ContentKey, TaskStore};

use super::Memory;
use super::entry::{self, Timing};

/// The folder of graph tasks' entries, under the cache root.
pub(crate) const TASKS: &str = "tasks";

impl Memory {
    /// The entry file of the graph task with content key `key`.
    fn task_path(&self, key: &ContentKey) -> std::path::PathBuf {
        use std::fmt::Write;
        let mut hex = String::with_capacity(64);
        // Writing to a `String` cannot fail.
        let _ = write!(hex, "{key}");
        entry::file_in(&self.tasks, &hex)
    }
}

/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use lazydag::delayed;
/// use lazydag_parallel::Memory;
/// static RUNS: AtomicUsize = AtomicUsize::new(0);
/// fn slow_square(x: u64) -> u64 { RUNS.fetch_add(1, Ordering::Relaxed); x * x }
/// let dir = tempfile::tempdir().unwrap();
/// let memory = Memory::new(dir.path());
/// let first = delayed!(slow_square(12)).pure().cache(&memory);
/// assert_eq!(first.compute().unwrap(), 144);
/// let again = delayed!(slow_square(12)).pure().cache(&memory); // a new graph, same key
/// assert_eq!(again.compute().unwrap(), 144);
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);                 // loaded from disk
/// assert!(dir.path().join("tasks").is_dir());
/// ```
impl TaskStore for Memory {
    fn load(&self, key: &ContentKey, task: &str) -> Option<Vec<u8>> {
        let path = self.task_path(key);
        let found = self.read(&path, true)?;
        tracing::debug!(task, path = %path.display(), "memory task hit");
        Some(found.payload)
    }

    fn store(&self, key: &ContentKey, task: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.task_path(key);
        let timing = Timing { started: SystemTime::now(), duration: Duration::ZERO };
        tracing::debug!(task, path = %path.display(), "memory task store");
        self.store(&path, || entry::write_bytes(&path, bytes, timing))
            .map(drop)
            .map_err(|err| format!("cannot write cache entry `{}`: {err}", path.display()))
    }

    /// Its folder: two `Memory` handles on one folder keep the same entries, so two caches
    /// of one task into them are planned as one.
    fn identity(&self) -> Option<String> {
        Some(format!("lazydag-memory:{}", self.location().display()))
    }
}
