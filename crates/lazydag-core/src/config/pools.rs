//! The process-wide cache of built schedulers.
//!
//! Invariant: at most one scheduler per `(kind, workers)` is ever built in a process; every
//! compute that resolves to the same pair gets the same [`Arc`]. Building a pool spawns threads,
//! so it happens once, on first use, under the cache lock (so two threads resolving the same new
//! pair at once build it once). Cached schedulers live until the process exits: a process that
//! uses many distinct pairs keeps a pool for each.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::SchedulerKind;
use crate::error::Error;
use crate::schedulers::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use crate::sync::lock_std;

/// Built schedulers by kind and worker count.
type Pools = HashMap<(SchedulerKind, usize), Arc<dyn Scheduler>>;

/// The schedulers built so far in this process.
static POOLS: LazyLock<Mutex<Pools>> = LazyLock::new(Default::default);

/// The scheduler for `kind` with `workers` workers, built on first use.
///
/// # Errors
/// As the pools' `try_new`: a count out of range, or a thread the system refused to start
/// (nothing is cached then, so a later compute tries again).
pub(super) fn get(kind: SchedulerKind, workers: usize) -> Result<Arc<dyn Scheduler>, Error> {
    // A panic while building leaves the map unchanged, so a poisoned lock is still consistent.
    let mut pools = lock_std(&POOLS);
    if let Some(pool) = pools.get(&(kind, workers)) {
        return Ok(Arc::clone(pool));
    }
    let pool = build(kind, workers)?;
    pools.insert((kind, workers), Arc::clone(&pool));
    Ok(pool)
}

/// A new scheduler of `kind` with `workers` workers.
fn build(kind: SchedulerKind, workers: usize) -> Result<Arc<dyn Scheduler>, Error> {
    Ok(match kind {
        SchedulerKind::Sequential => Arc::new(Sequential),
        SchedulerKind::Threads => Arc::new(Threaded::try_new(workers)?),
        SchedulerKind::WorkStealing => Arc::new(WorkStealing::try_new(workers)?),
        SchedulerKind::Async => {
            // `Async::new` clamps its count; a configured one out of range is an error, as
            // for the other pools.
            crate::schedulers::check_workers("the async scheduler", workers)?;
            Arc::new(Async::new(workers))
        }
        SchedulerKind::External(name) => {
            return Err(Error::Config {
                message: format!(
                    "scheduler `{name}` is external: it has no local pool of workers (the pools \
                     are sync, threads, work-stealing and async)"
                ),
            });
        }
    })
}
