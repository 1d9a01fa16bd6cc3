//! The `Async` scheduler: one driver future on tokio; async tasks overlap, CPU tasks run on
//! the blocking pool.
//!
//! Files: [`driver`] (the execution loop), [`watch`] (timeout and cancellation while waiting),
//! [`bridge`] (how the synchronous [`Scheduler::execute`] reaches tokio).
//!
//! # Protocol
//!
//! One future, the *driver*, owns all bookkeeping: each task's remaining waiting count, each
//! value's remaining uses, the value slots (`Vec<Option<Value>>`) and the ready queues. Tasks
//! report back to it by finishing, so there is a single owner and no lock in the scheduler.
//!
//! - **Queues.** Two min-heaps of ready task indices: async tasks and CPU (non-async) tasks.
//!   A literal is never queued; a consumer gets a fresh copy with [`PlanView::run`].
//! - **Ordering.** The driver starts the smallest ready index first (the plan's priority),
//!   looking at both heaps. Async tasks always start; a CPU task starts only while fewer than
//!   `workers` CPU tasks run, so the CPU heap may wait while async tasks behind it start.
//! - **Starting.** Before each start the driver checks [`PlanView::should_stop`]. It takes
//!   the inputs (a [`share`](PlanView::share) clone for every use but the last, which moves
//!   the value and frees the slot), then an async task is started with
//!   [`PlanView::start_async`] and spawned on the current tokio runtime, and a CPU task is
//!   handed to [`spawn_blocking`](tokio::task::spawn_blocking), where it runs with
//!   [`PlanView::run`], so CPU work never blocks the reactor. Both go into one
//!   [`JoinSet`](tokio::task::JoinSet) that reports `(index, result)`.
//! - **Waiting.** With nothing more to start, the driver awaits the next completion. A value
//!   goes into its slot and each dependent's waiting count drops by one; a dependent whose
//!   count reaches zero is queued. When the set is empty and nothing is ready, every task has
//!   run, and the driver takes the outputs' values (moves for last uses) in request order.
//! - **Memory release.** A value lives in its slot from its task's completion until its last
//!   use takes it, exactly as in [`Sequential`](crate::scheduler::Sequential).
//! - **Failure.** On the first error (a task's `Err` or panic, a failed clone, a stop) the
//!   driver starts nothing more and aborts the set: async tasks are cancelled (dropped at
//!   their next `.await`); CPU tasks not yet started never start; CPU tasks already running
//!   cannot be interrupted, so they are detached: they finish in the background on tokio's
//!   blocking pool and their results are dropped there. The driver returns the error at once.
//! - **Timeout and cancellation.** While awaiting a completion the driver also awaits a timer
//!   that fires at the plan's [`deadline`](PlanView::deadline) or every [`watch::POLL`]
//!   (5 ms), whichever is sooner, and then asks [`PlanView::should_stop`]. The plan offers no
//!   wake-up for a [`CancelToken`](crate::CancelToken), so cancellation is polled: it is seen
//!   within about 5 ms, a timeout when it expires. The timer belongs to lazydag's shared
//!   runtime, so the caller's runtime need not enable tokio's time driver.
//!
//! Keep-going mode needs nothing here: failures come back from the plan as values.
//!
//! # Limits
//!
//! - Starting an async task calls its function on the driver. An `async fn` does no work
//!   until it is polled, but a closure that computes before returning its future does that
//!   work there.
//! - `workers` bounds CPU tasks only. Async tasks are not bounded; to throttle I/O, use a
//!   semaphore inside the task.
//! - The other schedulers run an async task with [`PlanView::run`], blocking their worker on
//!   the future inside the shared runtime's context: same results, but the waits do not
//!   overlap.
//!
//! # Memory ordering
//!
//! The scheduler uses no atomics of its own. Inputs and results cross threads only through
//! tokio's spawn (the spawn happens-before the task runs) and join (the task's end
//! happens-before the driver sees its report), so plain owned values suffice.

mod bridge;
mod driver;
mod watch;

use std::future::Future;

use crate::error::Error;
use crate::plan::Plan;
#[cfg(doc)]
use crate::plan::PlanView;
use crate::schedulers::Scheduler;
use crate::value::Value;

/// Runs a plan on tokio: async tasks ([`delayed_async!`](crate::delayed_async!)) are awaited
/// concurrently, so a thousand tasks that each wait 10 ms finish in tens of milliseconds;
/// other tasks run on tokio's blocking pool, at most `workers` at a time, smallest plan index
/// first. The protocol (queues, ordering, failure, cancellation) is described in
/// `docs/schedulers/async.md` and in the `//!` docs of `schedulers/asynchronous/mod.rs`.
///
/// Use it from synchronous code with [`compute_with`](crate::compute_with), or from async code
/// with [`Delayed::compute_async`](crate::Delayed::compute_async) and
/// [`compute_async`](crate::compute_async()), which await on the caller's runtime.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// use std::time::Duration;
/// use lazydag_core::{compute_with, delayed_async, scheduler::Async};
/// static WAITING: AtomicUsize = AtomicUsize::new(0);
/// static MOST: AtomicUsize = AtomicUsize::new(0);
/// async fn wait(ms: u64) -> u64 {
///     MOST.fetch_max(WAITING.fetch_add(1, SeqCst) + 1, SeqCst);
///     tokio::time::sleep(Duration::from_millis(ms)).await;
///     WAITING.fetch_sub(1, SeqCst);
///     ms
/// }
/// let waits: Vec<_> = (0..100).map(|_| delayed_async!(wait(20))).collect();
/// let done = compute_with(&waits, &Async::new(2)).unwrap();
/// assert_eq!(done.iter().sum::<u64>(), 2_000);
/// assert!(MOST.load(SeqCst) > 1); // overlapped, not one after another
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Async {
    workers: usize,
}

impl Async {
    /// A scheduler that runs at most `workers` CPU (non-async) tasks of one compute at once;
    /// `0` counts as `1`, and a count above [`MAX_WORKERS`](crate::config::MAX_WORKERS) as that
    /// limit (it starts no thread of its own: CPU tasks run on tokio's blocking pool). Async
    /// tasks are not bounded by it. The bound is each compute's: the scheduler is a `Copy`
    /// value with no state, so two computes on it at once (two threads, or a task's nested
    /// compute) each run up to `workers` CPU tasks, unlike the pools, whose threads every
    /// compute shares.
    pub fn new(workers: usize) -> Self {
        Async { workers: workers.clamp(1, crate::worker::MAX_WORKERS) }
    }

    /// The most CPU tasks of one compute that run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Executes `plan` as a future: the asynchronous form of [`Scheduler::execute`], with the
    /// same contract and result. Inside a tokio runtime it runs there (tasks are spawned on
    /// the current runtime); elsewhere, under any executor, it runs on lazydag's shared
    /// [`runtime`](crate::runtime()). Dropping the future cancels async tasks in flight.
    ///
    /// It expects a checked plan ([`PlanView::check`]), as the compute functions pass.
    ///
    /// ```
    /// use lazydag_core::{delayed, scheduler::Async, Plan};
    /// fn add(a: i32, b: i32) -> i32 { a + b }
    /// let plan = Plan::new(&[delayed!(add(2, 3)).task()]);
    /// let values = futures::executor::block_on(Async::new(1).execute_async(plan)).unwrap();
    /// assert_eq!(values.into_iter().next().unwrap().downcast::<i32>().ok(), Some(5));
    /// ```
    ///
    /// # Errors
    /// As [`Scheduler::execute`]: the first task error, or the plan's
    /// [`stop_error`](PlanView::stop_error) once it is cancelled or timed out.
    pub fn execute_async(
        &self,
        plan: Plan,
    ) -> impl Future<Output = Result<Vec<Value>, Error>> + Send + 'static + use<> {
        bridge::execute(plan, self.workers)
    }
}

impl Default for Async {
    /// One CPU worker per available core (asked once per process).
    fn default() -> Self {
        Async::new(crate::worker::cores())
    }
}

impl Scheduler for Async {
    fn name(&self) -> &str {
        "async"
    }

    /// Blocks the calling thread until the plan is done. Outside tokio, the driver runs on
    /// this thread with [`Runtime::block_on`](tokio::runtime::Runtime::block_on) of the shared
    /// runtime. Inside a tokio runtime, where `block_on` would panic, the driver runs on a
    /// helper thread that blocks on the shared runtime while this thread waits for it (see
    /// the `bridge` module): nothing nests, and a `current_thread` caller cannot deadlock,
    /// since nothing the compute needs runs on the caller's runtime. Async code should prefer
    /// [`compute_async`](crate::compute_async()), which does not block.
    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        bridge::block_on(plan.clone(), self.workers)
    }
}
