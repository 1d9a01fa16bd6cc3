//! The `Threaded` scheduler (placeholder: runs like `Sync` until implemented).

use crate::error::Error;
use crate::plan::Plan;
use crate::scheduler::{Scheduler, Sync};
use crate::value::Value;

/// The `threads` scheduler.
#[derive(Debug)]
pub struct Threaded {
    workers: usize,
}

impl Threaded {
    /// A scheduler with `workers` threads.
    pub fn new(workers: usize) -> Self {
        Threaded { workers }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

impl Scheduler for Threaded {
    fn name(&self) -> &str {
        "threads"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        Sync.execute(plan)
    }
}
