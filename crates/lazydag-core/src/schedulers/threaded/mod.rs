//! The `threads` scheduler: a pool of long-lived threads sharing one priority-ordered ready
//! queue, like Dask's threaded scheduler.
//!
//! - [`pool`]: the worker threads and the ready queue (`Mutex<BinaryHeap>` + `Condvar`).
//! - [`execution`]: the shared state of one compute, and the steps of running one task.
//! - [`latch`]: the one-shot flag the computing thread blocks on.
//!
//! # Protocol
//!
//! A compute builds an `Arc`'d [`execution::Execution`]: per task a value slot with its remaining
//! uses, an atomic count of inputs still awaited (from `all_waiting`), and for the compute an
//! atomic `active` count of queued plus running jobs, a `stopped` flag, the first error and a
//! latch. The caller queues the tasks that await nothing, with `active` set to their number,
//! and blocks on the latch.
//!
//! A worker pops the job of smallest `(task index, compute number)`: the plan index is the
//! memory-friendly priority, and several computes sharing the pool interleave by it, ties
//! going to the compute that started first. If the compute is stopped it skips the job; if
//! [`should_stop`](crate::PlanView::should_stop) says so it records
//! [`stop_error`](crate::PlanView::stop_error) and skips it. Otherwise it takes each input
//! (a literal's value from `run`; a clone from `share` for every use but the last, which moves
//! the value out and so frees the slot), runs the task, stores its value, and counts down the
//! `waiting` of each dependent. The dependents that reach 0 are added to `active`, then
//! queued in one batch; then the job subtracts itself from `active`. The one that brings
//! `active` to 0 sets the latch; the caller then collects the outputs as
//! [`Sequential`] does (outputs may repeat; literal outputs come from `run`).
//!
//! On the first error (or stop) the worker records it, sets `stopped` and purges the
//! compute's queued jobs; running tasks finish, queued ones are skipped, and once `active`
//! reaches 0 the caller returns that first error. An empty plan, or one of literals only,
//! queues nothing and never waits.
//!
//! Workers sleep on the condvar when the queue is empty (no spinning). A pusher wakes at
//! most one sleeper per job, one fewer when the pusher is a worker in its loop (it pops next
//! itself); a helping worker wakes one per job, since its wait may return to its task instead.
//! Dropping the [`Threaded`] sets `shutdown`, wakes all workers and joins them: a worker's
//! loop stops popping, but a worker whose (background) task waits for a nested compute still
//! helps, and runs the queued jobs that compute waits for, so the join ends with that task.
//!
//! **Nesting.** A task that computes (on this pool or any other) waits as a *helper*: while
//! its compute is not done it pops and runs ready jobs of its own pool (any compute's, by
//! priority), and looks again every millisecond when there are none, instead of blocking.
//! So a nested compute on the same pool runs on every worker (not inline on one), and a
//! cycle of pools (A's task computes on B, whose task computes on A) cannot deadlock: the
//! worker A waits with runs the jobs B's task waits for. The helper is a thread-local set
//! as each worker starts (`worker::set_helper`); a work-stealing worker's wait helps its own
//! pool the same way. Helping is bounded: a thread already `worker::MAX_HELP_DEPTH` (16)
//! helping jobs deep runs a compute it starts inline (see the work-stealing module's
//! "Nesting" section for the protocol and why). A helped job runs apart from the waiting task
//! (`plan::helped`): with its own compute's cancel watch and callbacks.
//! An async task is run with [`run`](crate::PlanView::run), which blocks its worker until the
//! future completes.
//!
//! # Memory ordering
//!
//! - `waiting[i]` (`AtomicU32`): `fetch_sub` with `AcqRel`. Each producer stores its value
//!   (under the slot lock, or in the slot's atomics) before its release decrement; the decrements form a release
//!   sequence, so the consumer that reads 1 acquires every producer's store.
//! - `active` (`AtomicUsize`): new jobs are added (`Relaxed`) before they are pushed, and the
//!   queue lock orders that before anyone pops them; jobs subtract themselves with `AcqRel`,
//!   so the thread that reaches 0 has seen every job's writes, and the latch's mutex hands
//!   them on to the caller.
//! - `stopped` (`AtomicBool`): `Relaxed`. It publishes nothing (the error lives in a
//!   `OnceLock`); the thread that sets it then takes the queue lock to purge, so a worker that
//!   pops after the purge sees it.
//! - the compute and pool counters are `Relaxed`: numbers that publish nothing.

mod execution;
mod latch;
mod pool;

use self::execution::Execution;
use self::pool::Pool;
use crate::error::Error;
use crate::plan::Plan;
#[cfg(doc)]
use crate::schedulers::Sequential;
use crate::schedulers::{Scheduler, check_workers, refused};
use crate::value::Value;
use crate::worker::MAX_WORKERS;

/// The `threads` scheduler: a pool of worker threads, created once and reused by every
/// compute, that share one ready queue ordered by the plan's memory-friendly priority.
///
/// Good for tasks that block or release no lock (I/O, sleeping, calls into C); several
/// computes may run on one `Threaded` at once, from different threads. Dropping it joins
/// its threads.
///
/// ```
/// use lazydag_core::{delayed, scheduler::Threaded, Scheduler};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let threads = Threaded::new(2);
/// assert_eq!(threads.name(), "threads");
/// assert_eq!(delayed!(add(1, 2)).compute_with(&threads).unwrap(), 3);
/// let x = delayed!(add(1, 2));
/// assert_eq!(delayed!(add(&x, &x)).compute_with(&threads).unwrap(), 6);
/// ```
#[derive(Debug)]
pub struct Threaded {
    pool: Pool,
}

impl Threaded {
    /// Starts a pool of `workers` threads named `lazydag-threads-{i}`. Zero is taken as one,
    /// so a compute always has a thread to run on, and a count above
    /// [`MAX_WORKERS`] as that limit; use
    /// [`try_new`](Threaded::try_new) to have both reported instead.
    ///
    /// # Panics
    /// If the operating system cannot spawn a thread (as [`std::thread::spawn`] does); the
    /// threads already started are joined first.
    pub fn new(workers: usize) -> Self {
        match Self::try_new(workers.clamp(1, MAX_WORKERS)) {
            Ok(threaded) => threaded,
            Err(err) => panic!("{err}"),
        }
    }

    /// Starts a pool of `workers` threads, reporting what [`new`](Threaded::new) adjusts or
    /// panics on.
    ///
    /// ```
    /// use lazydag_core::{scheduler::Threaded, config::MAX_WORKERS, Error};
    /// assert_eq!(Threaded::try_new(2).unwrap().workers(), 2);
    /// let err = Threaded::try_new(MAX_WORKERS + 1).unwrap_err();
    /// assert!(matches!(err, Error::Config { .. }) && err.to_string().contains("at most 4096"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for `0` or a count above [`MAX_WORKERS`];
    /// [`Error::Scheduler`] if the operating system refuses to start a thread (the threads
    /// already started are then stopped and joined).
    pub fn try_new(workers: usize) -> Result<Self, Error> {
        check_workers("Threaded::try_new", workers)?;
        let pool =
            Pool::new(workers).map_err(|(started, err)| refused("threads", started, &err))?;
        Ok(Threaded { pool })
    }

    /// The number of worker threads (at least one).
    pub fn workers(&self) -> usize {
        self.pool.len()
    }
}

impl Scheduler for Threaded {
    fn name(&self) -> &str {
        "threads"
    }

    /// Runs `plan` on the pool and blocks until it is done. Called from a pool worker (a task
    /// computing a nested graph), the waiting worker runs ready jobs of its own pool meanwhile,
    /// so nested computes use the whole pool and cannot deadlock it.
    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        execute_on(self.pool.shared(), plan)
    }
}

/// The pool a worker thread belongs to, as a scheduler (see `schedulers::here`). It does not
/// keep the threads alive.
pub(super) struct Here(std::sync::Arc<pool::Shared>);

impl Scheduler for Here {
    fn name(&self) -> &str {
        "threads"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        execute_on(&self.0, plan)
    }
}

/// Runs `plan` on the pool behind `shared`, or inline on a thread already
/// [`MAX_HELP_DEPTH`](crate::worker::MAX_HELP_DEPTH) helping jobs deep (its stack stays
/// bounded, and an inline compute needs no other thread).
fn execute_on(shared: &std::sync::Arc<pool::Shared>, plan: &Plan) -> Result<Vec<Value>, Error> {
    if crate::worker::must_inline() {
        return crate::schedulers::Sequential.execute(plan);
    }
    Execution::compute(plan, shared)
}
