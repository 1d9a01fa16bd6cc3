//! The [`Scheduler`] extension point and the schedulers that live in the core (public as
//! [`crate::scheduler`], which adds [`default_scheduler`](crate::scheduler::default_scheduler)
//! from the config layer above this one).
//!
//! A scheduler receives a checked [`Plan`] and returns the values of its
//! [`outputs`](PlanView::outputs), in order. Everything it needs is public on the plan's
//! [`view`](Plan::view): dependency counts to know when a task is ready, dependents to know
//! whom to wake, [`PlanView::run`] to run a task (panics are caught there) and
//! [`PlanView::share`] to clone a value for every use but the last. Each scheduler's protocol
//! is written in its own module's docs.

mod asynchronous;
mod countdown;
mod sequential;
mod slot;
mod stealing;
mod threaded;

pub use self::asynchronous::Async;
pub use self::sequential::Sequential;
pub use self::stealing::WorkStealing;
pub use self::threaded::Threaded;

use crate::error::Error;
use crate::plan::Plan;
#[cfg(doc)]
use crate::plan::PlanView;
use crate::value::Value;

/// Executes plans. The one extension point for execution strategies: implement it to plug in
/// your own (object-safe, so `&dyn Scheduler` works).
///
/// # The contract
///
/// This is the one statement of what every scheduler does; the built-in ones document only how
/// they do it (their module docs), and [`conformance`](crate::conformance) checks it on any
/// scheduler.
///
/// 1. **Each task once, after its inputs.** Run every non-literal task at most once, and only
///    after all of its inputs are done.
/// 2. **Values move, `k - 1` clones.** Hand each input to a task with [`PlanView::share`] for
///    every use but the last, which gets the value moved; drop a value as soon as its last use
///    has taken it.
/// 3. **Outputs in request order.** Return one value per entry of [`PlanView::outputs`], in
///    that order (an output may repeat; a literal output comes from [`PlanView::run`]).
/// 4. **The first error wins, at once.** On the first error start no new task and return that
///    error without waiting for tasks still running.
/// 5. **Stops are seen at once.** Before starting each task, and while waiting for running
///    ones, check [`PlanView::should_stop`]; once it is true, start no new task and return
///    [`PlanView::stop_error`] ([`Error::Cancelled`] or [`Error::TimedOut`]) without waiting
///    for running tasks. A stop that lands before the compute returns wins even if every
///    task finished (the compute checks once more after `execute` returns, for every
///    scheduler: a cancel during the last task is [`Error::Cancelled`]).
/// 6. **Running tasks are not killed.** A thread cannot be interrupted: a task still running
///    when its compute returned an error finishes in the background; its value is dropped, its
///    dependents never start, and no later compute waits for it (it holds its worker until it
///    ends). A long task should poll [`task::is_cancelled`](crate::task::is_cancelled) and
///    return early; an async task is also dropped at its next `.await` by [`Async`].
/// 7. **Usable afterwards.** After any error the scheduler runs the next compute normally.
/// 8. **Nesting works.** A task may compute on the scheduler that runs it (or on another
///    that computes back on it) without deadlock. The pools do better: a waiting worker helps
///    run the nested compute, so it uses the whole pool (the protocol is in the work-stealing
///    module docs, "Nesting"), and [`Delayed::flatten`](crate::Delayed::flatten) splices a
///    graph a task returns into the running compute.
/// 9. **Async tasks** ([`PlanView::is_async`]) may be run to completion with
///    [`PlanView::run`], which blocks the calling thread, or awaited through
///    [`PlanView::start_async`].
///
/// A scheduler that runs tasks on the calling thread ([`Sequential`]) cannot return while
/// its own task runs: for it rules 4 and 5 hold between tasks, and a task that polls
/// [`task::is_cancelled`](crate::task::is_cancelled) ends the wait. Panics inside tasks are
/// caught by [`PlanView::run`]; keep-going mode needs nothing from a scheduler, since
/// [`PlanView::run`] then returns failures as values that skip their dependents.
///
/// Run the conformance suite on your own scheduler in its tests with
/// [`scheduler_conformance!`](crate::scheduler_conformance!) (one `#[test]` per rule) or
/// [`conformance::check`](crate::conformance::check):
///
/// ```
/// use std::sync::Arc;
/// use lazydag_core::conformance::{self, Runs};
/// # use lazydag_core::scheduler::Sequential as MyScheduler;
/// conformance::check(Arc::new(MyScheduler), Runs::OnCaller);
/// ```
///
/// A minimal scheduler, in plan order on the calling thread:
///
/// ```
/// use lazydag_core::{delayed, Error, Plan, Scheduler, Value};
///
/// /// Runs tasks one by one in plan (priority) order, like the built-in `Sequential`.
/// struct Naive;
/// impl Scheduler for Naive {
///     fn name(&self) -> &str { "naive" }
///     fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
///         let plan = plan.view();
///         let mut left = plan.all_uses().to_vec();
///         let mut slots: Vec<Option<Value>> = (0..plan.len()).map(|_| None).collect();
///         let mut take = |slots: &mut Vec<Option<Value>>, d: usize| -> Result<Value, Error> {
///             if plan.is_literal(d) { return plan.run(d, &mut Vec::new()); }
///             left[d] -= 1;
///             if left[d] == 0 { Ok(slots[d].take().unwrap()) }
///             else { plan.share(d, slots[d].as_ref().unwrap()) }
///         };
///         for i in 0..plan.len() {
///             if plan.is_literal(i) { continue; }
///             let mut inputs = Vec::new();
///             for &d in plan.deps(i) { inputs.push(take(&mut slots, d as usize)?); }
///             slots[i] = Some(plan.run(i, &mut inputs)?);
///         }
///         plan.outputs().iter().map(|&o| take(&mut slots, o as usize)).collect()
///     }
/// }
///
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// assert_eq!(delayed!(add(&x, &x)).compute_with(&Naive).unwrap(), 6);
/// ```
pub trait Scheduler: Send + std::marker::Sync {
    /// A short name for traces and errors (`"sync"`, `"threads"`).
    fn name(&self) -> &str;

    /// Executes `plan` and returns the values of its outputs, in order.
    ///
    /// # Errors
    /// The first task error, as returned by [`PlanView::run`] or [`PlanView::share`].
    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error>;
}

thread_local! {
    /// The scheduler of the pool this thread works for, if it is a pool worker.
    static HERE: std::cell::RefCell<Option<std::sync::Arc<dyn Scheduler>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes `scheduler` (a handle on the calling worker's own pool) what [`here`] returns on this
/// thread; a pool calls it as each worker starts.
pub(crate) fn set_here(scheduler: std::sync::Arc<dyn Scheduler>) {
    HERE.with(|h| *h.borrow_mut() = Some(scheduler));
}

/// Forgets the calling worker's pool handle (as the worker ends).
pub(crate) fn clear_here() {
    HERE.with(|h| h.borrow_mut().take());
}

/// The scheduler a task computes a nested graph on when it names none: the pool of the
/// worker thread it runs on ([`WorkStealing`] or [`Threaded`]), whose waiting worker helps,
/// else [`Sequential`] on the calling thread (the caller of a `Sequential` compute, an async
/// scheduler's blocking thread).
pub(crate) fn here() -> std::sync::Arc<dyn Scheduler> {
    HERE.with(|h| h.borrow().clone()).unwrap_or_else(|| std::sync::Arc::new(Sequential))
}

/// Checks a pool constructor's worker count: at least one, at most
/// [`MAX_WORKERS`](crate::config::MAX_WORKERS).
pub(crate) fn check_workers(constructor: &str, workers: usize) -> Result<(), Error> {
    if workers == 0 {
        return Err(Error::Config {
            message: format!("{constructor} needs at least one worker, got 0"),
        });
    }
    if workers > crate::worker::MAX_WORKERS {
        return Err(crate::worker::too_many_workers(&format!("{constructor}'s count"), workers));
    }
    Ok(())
}

/// Returns once the caller's handle is the only one on `run`, a finished compute's state
/// (which holds the plan, and so the graph): the pool's workers let go of such a run within a
/// few instructions of their last task, so this spins briefly, then yields the processor to
/// them. Pools call it after a successful compute, so that the caller's thread, never a
/// worker, frees the plan and graph: a worker freeing a large graph delays the next compute on
/// its pool (by 0.3–1 s after a 262k-task graph).
///
/// Memory ordering: the count is read `Relaxed`; the caller's own drop of the last handle
/// then synchronizes with every worker's release of theirs, as `Arc`'s drop does.
pub(crate) fn sole_owner<T>(run: &std::sync::Arc<T>) {
    let mut spins = 0_u32;
    while std::sync::Arc::strong_count(run) > 1 {
        if spins < 100 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// The error for a pool whose thread the operating system refused to start.
pub(crate) fn refused(scheduler: &str, started: usize, err: &std::io::Error) -> Error {
    Error::Scheduler {
        scheduler: scheduler.to_owned(),
        message: format!(
            "the operating system refused to start worker thread {started} ({err}); the \
             {started} already started were stopped and joined: ask for fewer workers or \
             raise the thread limit"
        ),
    }
}
