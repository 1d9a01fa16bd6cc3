//! The `WorkStealing` scheduler (placeholder: runs like `Sync` until implemented).

use crate::error::Error;
use crate::plan::Plan;
use crate::scheduler::{Scheduler, Sync};
use crate::value::Value;

/// The `work-stealing` scheduler.
#[derive(Debug)]
pub struct WorkStealing {
    workers: usize,
}

impl WorkStealing {
    /// A scheduler with `workers` threads.
    pub fn new(workers: usize) -> Self {
        WorkStealing { workers }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

impl Scheduler for WorkStealing {
    fn name(&self) -> &str {
        "work-stealing"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        Sync.execute(plan)
    }
}
