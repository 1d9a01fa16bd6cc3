//! The work-stealing scheduler: one deque per worker, stealing when idle.
//!
//! # Protocol
//! - **Queues.** Each worker owns a crossbeam-deque `Worker` (LIFO: the task it just made
//!   ready is the one whose inputs are hot in its cache); a caller puts one job per compute on
//!   the shared `Injector`, its *cursor* (see "Per-task cost" below), and a worker that takes
//!   it adopts a range of the compute's initial tasks (`ranges.rs`); idle workers steal from
//!   the injector,
//!   then from each other: in a pool of more than 65, a search looks at 64 consecutive others from a random
//!   start, so an idle worker's look costs O(1). Whoever leaves work on a deque for others
//!   (pushes jobs, takes an injector batch, steals from a deque not yet empty) queues a steal
//!   ticket naming that deque (one per deque at most) and wakes a sleeper; every search takes
//!   tickets first, so the woken worker finds the work in O(1) in a pool of any size; a woken
//!   worker that found nothing anywhere else looks at every deque, as a fallback. Taking work
//!   that leaves more behind (an injector batch, a cursor with initial tasks left, a steal
//!   from a deque not yet empty) wakes one more worker, so published work never waits for a
//!   lucky search.
//!   Jobs are `(run id, task index)`: no allocation per task.
//! - **Ordering.** Each worker claims its range of the initial tasks in priority (plan)
//!   order (one worker: the whole list, in order). A finished
//!   task runs the highest-priority newly ready dependent directly on the same thread and
//!   pushes the others, so branches are finished depth-first, as the plan's order intends.
//! - **Counting.** Each task has an atomic count of task inputs not yet done; the worker that
//!   brings it to zero makes it runnable. A `remaining` counter reaching zero completes the
//!   compute. See `execution.rs` for the memory ordering.
//! - **Memory release.** Each value sits in a slot that counts its uses left; the last use
//!   moves it out, earlier ones clone it. Nothing outlives its last consumer.
//! - **Sleep and wake.** A worker with nothing to do announces itself on an event count,
//!   looks once more, then blocks on a condition variable; publishing work wakes one sleeper,
//!   a new compute one sleeper per initial task up to the machine's core count (not the whole
//!   pool: a compute of 100 tiny tasks on 2,000 workers woke 100 threads that each scanned
//!   every deque); the others are woken as steals leave work behind. No spinning: an idle
//!   pool uses no CPU. See `sleep.rs` (with a
//!   loom model test) for the protocol and its memory ordering.
//! - **Failure and stop.** The first error (or a cancel, or the timeout) sets the compute's
//!   outcome and wakes the caller at once; no task of it starts afterwards, and its queued
//!   jobs are dropped when popped. Tasks already running finish in the background (a thread
//!   cannot be killed) and their results are dropped; they own what they use (the `Plan` is
//!   reference-counted), so nothing dangles and nothing leaks. The pool stays usable.
//! - **Release.** After a successful compute the caller waits (spinning, then yielding: a few
//!   instructions' worth) until it holds the only handle on the run, so the plan, the graph it
//!   owns and the run's state are freed by the caller, never by a worker: a worker freeing a
//!   large graph would delay the next compute on its pool. A failed or stopped compute returns
//!   at once; a task still running in the background then holds the run, and its worker drops
//!   it when the task ends.
//! - **Shutdown.** Dropping the scheduler stops and joins its threads.
//! - **Nesting** (see the section below).
//! - **Async tasks** are run to completion on the worker (it blocks on the future).
//!
//! # Nesting: the waiting worker helps
//!
//! A task may compute a graph on the pool that runs it (a `compute_with`, a `Parallel` map,
//! a [`Delayed::flatten`](crate::Delayed::flatten)), or on another pool that computes back on
//! this one. Its worker then waits like rayon's `join` (`WorkerThread::wait_until`), not like
//! Dask (which secedes the thread from the pool and starts another):
//!
//! ```text
//! submit(inner): initial jobs pushed on top of this worker's own deque (reverse priority,
//!                so the first pops first) + a steal ticket, so idle workers take the rest
//! wait(inner):   loop {
//!                    outcome set?            -> return it
//!                    cancel / deadline?      -> return the stop error
//!                    help: one job from own deque, tickets, injector, other deques
//!                          (any compute's: LIFO puts the inner compute's on top)
//!                    nothing found           -> sleep on the run's condvar, at most 1 ms
//!                }
//! ```
//!
//! So the inner compute runs on every worker, and nothing waits for a thread that is itself
//! waiting: every queued job is reachable by every waiting worker, the waits form a tree
//! (a compute waits for its tasks, a task for the computes it started), and the innermost
//! compute's jobs are always runnable, so some worker always makes progress. The same help
//! hook (`worker::set_helper`) runs while a worker waits for a compute on *another* pool
//! ([`Threaded`](crate::scheduler::Threaded), a second `WorkStealing`), which is what keeps
//! pools computing on each other from deadlocking.
//!
//! # Per-task cost
//!
//! What a task costs the scheduler, beyond its own function (issue 17; instructions counted
//! with callgrind on the 262k map-reduce, `examples/hotpath.rs`, a compiled plan re-run: 900
//! per task before these rules, 588 after, on one worker; `Sequential` 598 and 378):
//!
//! - **At most one atomic read-modify-write per dependency edge**: the consumer's readiness
//!   decrement (`countdown.rs`). A value of a small `Copy` type (`Value::to_bits`) is stored
//!   in its slot as plain atomic words and read by every use without a lock or a count (a
//!   copy is its clone; nothing to free), see `slot.rs`. A boxed value still takes its slot's
//!   lock to store and to take (the last use moves it out, so uses must not overlap). A value
//!   with one use whose consumer waits for nothing else is *carried* straight into that
//!   consumer, run next on the same thread: no slot, no decrement (an `Acquire` load sees the
//!   count at 1).
//! - **No queue round trip for the next task**: the highest-priority dependent a task makes
//!   ready runs next on the same thread; only the others are pushed.
//! - **No job per initial task**: a compute from outside the pool queues one cursor job, and
//!   its initial list is cut into ranges, one per core at most (`ranges.rs`). The worker that
//!   takes the cursor adopts a range no one owns, puts the cursor back while initial tasks are
//!   left (so idle workers keep coming), and whenever its own deque is empty (what a task made
//!   ready still runs first, depth-first) claims the next task of its range with one
//!   uncontended `fetch_add` on its own cache line and runs it directly: no deque push or pop,
//!   no trip through the worker's loop. A worker whose range is empty adopts another, or steals
//!   the back half of the fullest range, which becomes its own; so a claimed task never waits
//!   for its worker (`tests/work_stealing.rs`,
//!   `an_initial_task_waiting_for_a_sibling_of_its_batch_is_not_stuck`: a worker blocked in a
//!   task keeps only that task). Each worker walks a contiguous part of the list, so on a
//!   map-reduce two workers reduce disjoint subtrees instead of splitting pairs between them.
//!   Before: guided batches pushed on the worker's deque, ~18 instructions per initial task
//!   more; before that, an injector push, a batch steal and a pop each, ~110. A nested compute
//!   (from a worker) still pushes its initial tasks on its worker's own deque, where idle
//!   workers steal them one by one: a single cursor there would make the waiting worker and
//!   its thieves take turns.
//! - **The chain loop stays in the task step**: when a chain of tasks ends, the worker pops
//!   its own deque, and a job of the same compute runs in the same loop (`run_chain`), with
//!   the carried value in that loop's frame, the plan's `is_plain` asked once, and an empty
//!   deque told by two loads rather than `pop`'s fence; only another compute's job or a cursor
//!   goes back to the worker's loop (82 instructions per task less on the map-reduce re-run).
//! - **One `catch_unwind` per chain, not per task**: in a plain compute (no cancel token,
//!   deadline, keep-going, callbacks, task spans or fused programs) the task is called without
//!   a catch of its own (`PlanView::run_caught_outside`), and the chain's catch, which knows
//!   the task running, reports its panic as `Error::Panicked` naming it, as the task's catch
//!   would (30 instructions per task less); any other compute keeps the task's catch. The
//!   chain's catch also takes panics outside a task (a value's `Drop`). A literal input is
//!   read by a short path (`PlanView::literal`: its clone, guarded) that skips the task
//!   boundary's callback, keep-going and span checks; the `tracing` span guard and the
//!   callback path are out of line, so the usual task step inlines into the worker's loop.
//! - **Sleep protocol**: publishing work costs one RMW on the sleepers' count
//!   (`Sleep::notify_one`, an RMW rather than a load so that no wake-up is lost, see
//!   `sleep.rs`) and, in a pool of more than one, one swap of the deque's ticket flag; and
//!   only when a task pushed jobs for others. Running the next task directly, or claiming an
//!   initial one, notifies nobody.
//! - **Run state, small to make and to free** (issue 17, second round): a small cloneable
//!   literal is read from the bits its node keeps (`PlanView::literal`: no lock, no clone per
//!   use); a compiled plan keeps its initial list and output count (`PlanView::initial`); a run's slots are three atomic
//!   words per task, with the boxed values' locks made only when a run stores its first boxed
//!   value (`slot.rs`), so a run of small values frees one array, not a lock per task; a task
//!   pops its inputs off the back of the input vector (no `Vec::drain`); a small literal keeps
//!   its bits beside its value, so even a compute that was not compiled copies it without the
//!   literal's lock; a plain compute takes the task boundary's shortest path, with no catch per
//!   task (above). Together, on the 262k map-reduce re-run: 607 -> 436 instructions per task.
//!
//! Left on that path, spread thin (no line above ~10 instructions per task): bounds checks
//! (~23 per task: the crate forbids `unsafe`), the input vector's push and pop (~19), the
//! value's kind matched on each move (~18), the call through `dyn Op`, the readiness count;
//! the counts are copied per run (~6 per task).
//!
//! **Stack depth.** A helping worker runs jobs on its own stack, above the frame that waits,
//! and a helped job may wait in turn (500 outer tasks that each compute a small graph would
//! stack 500 deep). So helping is bounded: a thread counts the jobs it runs from inside
//! waits, one inside another (`worker::help_depth`), and at
//! [`MAX_HELP_DEPTH`](crate::worker::MAX_HELP_DEPTH) (16) a compute it starts, on this pool or
//! another `WorkStealing` or `Threaded` one, runs inline with the `Sequential` algorithm
//! instead. Inline needs no other thread, so it cannot deadlock, and it adds only the user's
//! own recursion to the stack; helping below the bound adds at most 16 task frames. A helped
//! job may belong to another compute and outlast the inner one: the wait returns after it
//! (rayon has the same latency).
//!
//! **Locks.** Because a waiting worker may run any job of its pool on top of the waiting
//! task, a task must not hold a lock that other tasks take while it waits for a nested
//! compute (rayon's `join` has the same rule): the helped task would wait for the lock on the
//! thread that holds it. `Parallel` keeps the rule itself: a map inside a batch that runs in
//! place, holding its input's lock, runs inline.
//!
//! **Stops and panics.** The inner compute is a compute like any other: its own cancel token
//! and timeout stop it (a flattened graph inherits the outer compute's), a panic in its tasks
//! is caught at their task boundary and is its error, and the helped jobs of other computes
//! report to their own computes; the waiting worker only runs them, apart from its waiting
//! task (`plan::helped`): a helped job sees its own compute's cancel watch and callbacks,
//! never the waiting task's. A task that ignores a stop still holds its worker (contract
//! rule 6).

mod execution;
mod pool;
mod ranges;
mod sleep;

use crate::error::Error;
use crate::panic;
use crate::plan::Plan;
use crate::schedulers::{Scheduler, Sequential, check_workers, refused, sole_owner};
use crate::value::Value;
use crate::worker::MAX_WORKERS;

use self::pool::Pool;

/// Runs tasks on a pool of worker threads that steal work from each other (crossbeam-deque),
/// like Taskflow's executor or rayon's pool: the default scheduler for CPU-bound graphs.
///
/// The threads start in [`new`](WorkStealing::new) and live until the scheduler is dropped,
/// so a compute spawns no thread. Several computes may use one scheduler at once.
///
/// ```
/// use lazydag_core::{delayed, scheduler::WorkStealing};
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// let pool = WorkStealing::new(2);
/// let parts: Vec<_> = (0..100).map(|i| delayed!(add(i, 1))).collect();
/// let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(parts));
/// assert_eq!(total.compute_with(&pool).unwrap(), 5050);
/// ```
#[derive(Debug)]
pub struct WorkStealing {
    pool: Pool,
    workers: usize,
}

impl WorkStealing {
    /// A pool of `workers` threads: `0` is treated as `1`, and a count above
    /// [`MAX_WORKERS`] as that limit; use
    /// [`try_new`](WorkStealing::try_new) to have both reported instead.
    ///
    /// # Panics
    /// If the operating system refuses to start a thread; the threads already started are
    /// joined first.
    pub fn new(workers: usize) -> Self {
        match Self::try_new(workers.clamp(1, MAX_WORKERS)) {
            Ok(pool) => pool,
            Err(err) => panic!("{err}"),
        }
    }

    /// A pool of `workers` threads, reporting what [`new`](WorkStealing::new) adjusts or
    /// panics on.
    ///
    /// ```
    /// use lazydag_core::{scheduler::WorkStealing, Error};
    /// assert_eq!(WorkStealing::try_new(2).unwrap().workers(), 2);
    /// assert!(matches!(WorkStealing::try_new(0), Err(Error::Config { .. })));
    /// assert!(matches!(WorkStealing::try_new(usize::MAX), Err(Error::Config { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for `0` or a count above [`MAX_WORKERS`];
    /// [`Error::Scheduler`] if the operating system refuses to start a thread (the threads
    /// already started are then stopped and joined).
    pub fn try_new(workers: usize) -> Result<Self, Error> {
        check_workers("WorkStealing::try_new", workers)?;
        let pool =
            Pool::new(workers).map_err(|(started, err)| refused("work-stealing", started, &err))?;
        Ok(WorkStealing { pool, workers })
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
        execute_on(self.pool.shared(), plan)
    }
}

/// The pool a worker thread belongs to, as a scheduler: what a task running on it computes a
/// nested graph on when it does not name a scheduler ([`Delayed::flatten`]). It does not keep
/// the threads alive: once the [`WorkStealing`] is dropped, a compute on it runs its jobs on
/// the waiting thread alone.
///
/// [`Delayed::flatten`]: crate::Delayed::flatten
#[derive(Debug)]
pub(super) struct Here(std::sync::Arc<pool::Shared>);

impl Scheduler for Here {
    fn name(&self) -> &str {
        "work-stealing"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        execute_on(&self.0, plan)
    }
}

/// Runs `plan` on the pool behind `shared` and waits for it; a pool worker (a task computing
/// a nested graph) helps its own pool while it waits, and a thread already
/// [`MAX_HELP_DEPTH`](crate::worker::MAX_HELP_DEPTH) helping jobs deep runs the compute
/// inline instead.
fn execute_on(shared: &std::sync::Arc<pool::Shared>, plan: &Plan) -> Result<Vec<Value>, Error> {
    if crate::worker::must_inline() {
        return Sequential.execute(plan);
    }
    let run = shared.submit(plan.clone());
    let outcome = run.wait();
    shared.retire(&run);
    let result = outcome.and_then(|()| run.outputs());
    if result.is_ok() {
        // Every task is done; a worker may still hold the run for the few instructions
        // after its last task. Wait for it to let go, so that this thread (not a worker)
        // frees the plan and the graph when the caller drops them.
        sole_owner(&run);
    }
    // The caller may hold the last handle: values a failed run left in its slots are
    // dropped here, each under its own catch (`SharedSlots`' drop), and a panicking `Drop`
    // among them must not replace the run's error.
    panic::drop_quietly(run);
    result
}
