//! The `Async` scheduler (placeholder: runs like `Sync` until implemented).

use crate::error::Error;
use crate::plan::Plan;
use crate::scheduler::{Scheduler, Sync};
use crate::value::Value;

/// The `async` scheduler.
#[derive(Debug)]
pub struct Async {
    workers: usize,
}

impl Async {
    /// A scheduler with `workers` threads.
    pub fn new(workers: usize) -> Self {
        Async { workers }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

impl Scheduler for Async {
    fn name(&self) -> &str {
        "async"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        Sync.execute(plan)
    }
}
