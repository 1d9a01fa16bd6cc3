//! The compute entry points: collect → plan → check → scheduler → typed results.

use std::time::Instant;

use std::sync::Arc;

use crate::callback::{Hooks, Outcome};
use crate::control::Control;
use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::{Plan, PlanView};
use crate::schedulers::{Async, Scheduler};
use crate::value::Value;

use tracing::Instrument as _;

/// Computes several outputs at once with the default scheduler; shared sub-results are
/// computed once. Takes a [`Delayed`](crate::Delayed), a tuple, a `Vec` or an array (see [`Outputs`]).
///
/// ```
/// use lazydag_core::{compute, delayed};
/// fn square(x: i64) -> i64 { x * x }
/// let (a, b) = compute((delayed!(square(3)), delayed!(square(4)))).unwrap();
/// assert_eq!(a + b, 25);
/// ```
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`].
pub fn compute<O: Outputs>(outputs: O) -> Result<O::Values, Error> {
    compute_with(outputs, &*crate::config::default_scheduler()?)
}

/// Computes several outputs at once with the given scheduler.
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`]; [`Error::Scheduler`] if the
/// scheduler returns values that do not match the plan's outputs.
pub fn compute_with<O: Outputs>(outputs: O, scheduler: &dyn Scheduler) -> Result<O::Values, Error> {
    compute_with_control(outputs, scheduler, &Control::default())
}

/// Computes several outputs with the given scheduler and options (cancel token, timeout).
/// In keep-going mode the first failure among the outputs is returned; use
/// [`compute_settled`](crate::compute_settled) to get each output's own result.
///
/// ```
/// use std::time::Duration;
/// use lazydag_core::{compute_with_control, delayed, Control, scheduler::Sequential};
/// let control = Control::new().timeout(Duration::from_secs(60));
/// assert_eq!(compute_with_control(delayed(4), &Sequential, &control).unwrap(), 4);
/// ```
///
/// # Errors
/// As [`compute_with`], plus [`Error::Cancelled`] and [`Error::TimedOut`].
pub fn compute_with_control<O: Outputs>(
    outputs: O,
    scheduler: &dyn Scheduler,
    control: &Control,
) -> Result<O::Values, Error> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    let values = execute(&roots, scheduler, control)?;
    unpack(&outputs, values, scheduler)
}

/// Computes several outputs on the [`Async`] scheduler from async code, awaiting on the
/// caller's tokio runtime: async tasks are spawned there, CPU tasks go to its blocking pool
/// (at most one per core at a time), and nothing blocks the caller. Under another executor,
/// or none, it runs on lazydag's shared [`runtime`](crate::runtime()). Dropping the future
/// cancels async tasks in flight; wrap it in `tokio::time::timeout` for a deadline.
///
/// ```
/// use lazydag_core::{compute_async, delayed, delayed_async};
/// async fn double(x: u32) -> u32 { x * 2 }
/// fn add(a: u32, b: u32) -> u32 { a + b }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let a = delayed_async!(double(2));
/// let b = delayed!(add(&a, 1));
/// assert_eq!(compute_async((&a, &b)).await.unwrap(), (4, 5));
/// # });
/// ```
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`].
pub async fn compute_async<O: Outputs>(outputs: O) -> Result<O::Values, Error> {
    compute_async_with_control(outputs, &Control::default()).await
}

/// [`compute_async`] with options: a cancel token, a timeout (pending async tasks are dropped
/// when it expires), keep-going mode.
///
/// ```
/// use std::time::Duration;
/// use lazydag_core::{compute_async_with_control, delayed_async, Control, Error};
/// async fn slow() -> u8 {
///     tokio::time::sleep(Duration::from_secs(30)).await;
///     1
/// }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let control = Control::new().timeout(Duration::from_millis(20));
/// let err = compute_async_with_control(delayed_async!(slow()), &control).await.unwrap_err();
/// assert!(matches!(err, Error::TimedOut { .. }));
/// # });
/// ```
///
/// # Errors
/// As [`compute_async`], plus [`Error::Cancelled`] and [`Error::TimedOut`].
pub async fn compute_async_with_control<O: Outputs>(
    outputs: O,
    control: &Control,
) -> Result<O::Values, Error> {
    let scheduler = Async::default();
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    let plan = Planned::new(&roots, control)?;
    let span = tracing::debug_span!("compute", scheduler = "async", tasks = plan.len());
    let started = plan.start("async");
    let values = scheduler.execute_async(started.plan().clone()).instrument(span).await;
    let values = started.finish(values, &scheduler)?;
    unpack(&outputs, values, &scheduler)
}

/// Plans `roots`, checks the plan, and runs it.
pub(crate) fn execute(
    roots: &[crate::plan::TaskRef<'_>],
    scheduler: &dyn Scheduler,
    control: &Control,
) -> Result<Vec<Value>, Error> {
    let plan = Planned::new(roots, control)?;
    let _span =
        tracing::debug_span!("compute", scheduler = scheduler.name(), tasks = plan.len()).entered();
    let started = plan.start(scheduler.name());
    // A panicking (user) scheduler still ends the compute: the callbacks told it started are
    // told it finished, and the caller gets an error instead of an unwinding panic.
    let values = caught(started.plan(), scheduler);
    started.finish(values, scheduler)
}

/// Runs `plan` on `scheduler`, a panic of the scheduler's own caught as [`Error::Scheduler`].
fn caught(plan: &Plan, scheduler: &dyn Scheduler) -> Result<Vec<Value>, Error> {
    crate::panic::catch(|| scheduler.execute(plan)).unwrap_or_else(|caught| {
        let at = caught.location().map(|at| format!(" at {at}")).unwrap_or_default();
        Err(Error::Scheduler {
            scheduler: scheduler.name().to_owned(),
            message: format!("it panicked{at}: {}", caught.message()),
        })
    })
}

/// Runs an already planned compute that reports to no callbacks (a [`Compiled`] plan): the
/// scheduler's values, checked to be one per output.
///
/// [`Compiled`]: crate::Compiled
pub(crate) fn scheduled(plan: &Plan, scheduler: &dyn Scheduler) -> Result<Vec<Value>, Error> {
    let _span =
        tracing::debug_span!("compute", scheduler = scheduler.name(), tasks = plan.view().len())
            .entered();
    let values = settled_stop(plan, caught(plan, scheduler));
    counted(values?, plan.view().outputs().len(), scheduler)
}

/// A scheduler's result, or the compute's stop error if a cancel or the deadline came before
/// the compute returned, even during its last task (contract rule 5, in one place for every
/// scheduler: one that runs tasks on the caller can only see a stop between tasks). The
/// values of a stopped compute are dropped (quietly, one catch each: a panicking `Drop` is not
/// the error).
fn settled_stop(plan: &Plan, values: Result<Vec<Value>, Error>) -> Result<Vec<Value>, Error> {
    match (values, plan.view().stop_error()) {
        (Ok(values), Some(stop)) => {
            crate::panic::drop_each_quietly(values);
            Err(stop)
        }
        (values, _) => values,
    }
}

/// A compute's plan, with the callbacks it reports to: the one path every entry point takes,
/// the blocking ones ([`execute`]) and the async one ([`compute_async_with_control`]).
struct Planned {
    plan: Plan,
    /// The compute's callbacks, told when it starts and when it is over.
    hooks: Option<Arc<Hooks>>,
}

/// A compute that has started on a scheduler. Its callbacks are told it is over exactly once:
/// by [`finish`](Started::finish), or, when it is dropped unfinished (an async compute's
/// future dropped by `select!` or a timeout), by its `Drop`, as a cancel, so that a progress
/// bar following it does not wait for it for ever.
struct Started<'s> {
    planned: Planned,
    scheduler: &'s str,
    started: Instant,
    finished: bool,
}

impl Planned {
    /// Plans `roots` under `control` (with the control's optimizer, else the configured one):
    /// collects, checks and optimizes.
    fn new(roots: &[crate::plan::TaskRef<'_>], control: &Control) -> Result<Planned, Error> {
        let configured;
        let optimizer = match &control.optimizer {
            Some(optimizer) => optimizer,
            None => {
                configured = crate::config::optimizer()?;
                &configured
            }
        };
        let (hooks, stop) = control.resolve();
        Ok(Planned { plan: Plan::for_compute(roots, stop, optimizer)?, hooks })
    }

    /// The number of planned tasks.
    fn len(&self) -> usize {
        self.plan.view().len()
    }

    /// Tells the callbacks the compute starts on `scheduler`.
    fn start(self, scheduler: &str) -> Started<'_> {
        let started =
            Started { planned: self, scheduler, started: Instant::now(), finished: false };
        // Told after `Started` exists: a callback whose `start` panics unwinds through its
        // `Drop`, so the callbacks already told it started are told it is over.
        if let Some(hooks) = &started.planned.hooks {
            hooks.start(&hooks.summary(scheduler, started.planned.plan.view()));
        }
        started
    }
}

impl Started<'_> {
    fn plan(&self) -> &Plan {
        &self.planned.plan
    }

    /// Tells the callbacks the compute is over, and checks that the scheduler returned one
    /// value per requested output.
    fn finish(
        mut self,
        values: Result<Vec<Value>, Error>,
        scheduler: &dyn Scheduler,
    ) -> Result<Vec<Value>, Error> {
        let values = settled_stop(&self.planned.plan, values);
        self.finished = true;
        // In keep-going mode a failure travels in its output's place: the compute failed, and
        // its callbacks hear of the first such failure, the one `compute` returns.
        let error = match &values {
            Err(err) => Some(err),
            Ok(values) if self.planned.plan.view().keep_going() => {
                values.iter().find_map(PlanView::failure)
            }
            Ok(_) => None,
        };
        self.tell_finish(error);
        counted(values?, self.planned.plan.view().outputs().len(), scheduler)
    }

    /// Tells the callbacks the compute is over, with `error` if it failed.
    fn tell_finish(&self, error: Option<&Error>) {
        if let Some(hooks) = &self.planned.hooks {
            let summary = hooks.summary(self.scheduler, self.planned.plan.view());
            hooks.finish(&Outcome { summary, elapsed: self.started.elapsed(), error });
        }
    }
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Caught: this may run while a callback's panic unwinds, and a second panic there
            // would abort the process.
            let _ = crate::panic::catch(|| self.tell_finish(Some(&Error::Cancelled)));
        }
    }
}

/// Checks that a scheduler returned one value per requested output.
fn counted(
    values: Vec<Value>,
    expected: usize,
    scheduler: &dyn Scheduler,
) -> Result<Vec<Value>, Error> {
    if values.len() != expected {
        return Err(Error::Scheduler {
            scheduler: scheduler.name().to_owned(),
            message: format!("returned {} values for {} outputs", values.len(), expected),
        });
    }
    Ok(values)
}

/// Turns the outputs' values into typed results (failing on the first failure among them).
pub(crate) fn unpack<O: Outputs>(
    outputs: &O,
    values: Vec<Value>,
    scheduler: &dyn Scheduler,
) -> Result<O::Values, Error> {
    // On an error, the values taken and those left are the caller's leftovers: one catch
    // each (`panic::drop_each_quietly`), so that two panicking `Drop`s cannot abort.
    let mut settled = Vec::with_capacity(values.len());
    let mut values = values.into_iter();
    for value in values.by_ref() {
        match PlanView::settled(value) {
            Ok(value) => settled.push(value),
            Err(err) => {
                crate::panic::drop_each_quietly(settled);
                crate::panic::drop_each_quietly(values);
                return Err(err);
            }
        }
    }
    let mut settled = settled.into_iter();
    let unpacked = outputs.unpack(&mut settled);
    if unpacked.is_err() {
        crate::panic::drop_each_quietly(settled);
    }
    unpacked.map_err(|err| blame(err, scheduler))
}

/// Names the scheduler in a contract error found while unpacking its values.
pub(crate) fn blame(err: Error, scheduler: &dyn Scheduler) -> Error {
    match err {
        Error::Scheduler { message, .. } => {
            Error::Scheduler { scheduler: scheduler.name().to_owned(), message }
        }
        other => other,
    }
}
