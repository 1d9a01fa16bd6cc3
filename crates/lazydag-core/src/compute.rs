//! The compute entry points: collect → plan → check → scheduler → typed results.

use std::borrow::Borrow;
use std::time::Instant;

use crate::callback::Outcome;
use crate::control::Control;
use crate::delayed::Delayed;
use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::{Plan, PlanView};
use crate::scheduler::{Async, Scheduler, default_scheduler};
use crate::value::Value;

use tracing::Instrument as _;

/// Computes several outputs at once with the default scheduler; shared sub-results are
/// computed once. Takes a [`Delayed`], a tuple, a `Vec` or an array (see [`Outputs`]).
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
    compute_with(outputs, &*default_scheduler()?)
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
/// [`compute_settled`] to get each output's own result.
///
/// ```
/// use std::time::Duration;
/// use lazydag_core::{compute_with_control, delayed, Control, scheduler::Sync};
/// let control = Control::new().timeout(Duration::from_secs(60));
/// assert_eq!(compute_with_control(delayed(4), &Sync, &control).unwrap(), 4);
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
    let plan = {
        let mut roots = Vec::new();
        outputs.roots(&mut roots);
        planned(&roots, control)?
    };
    let expected = plan.view().outputs().len();
    let span = tracing::debug_span!("compute", scheduler = "async", tasks = plan.view().len());
    let started = Instant::now();
    if let Some(hooks) = plan.view().hooks() {
        hooks.start(&hooks.summary("async", plan.view()));
    }
    let values = scheduler.run(plan.clone()).instrument(span).await;
    finished(&plan, "async", started, values.as_ref().err());
    let values = counted(values?, expected, &scheduler)?;
    unpack(&outputs, values, &scheduler)
}

/// Computes same-typed outputs in keep-going mode: a failing task does not stop independent
/// branches, and each output gets its own result (dask/dask#799). Cancellation and timeouts
/// still stop the whole compute, and then every output reports that.
///
/// ```
/// use lazydag_core::{compute_settled, try_delayed, Control, scheduler::Sync};
/// fn parse(s: &'static str) -> Result<i32, std::num::ParseIntError> { s.parse() }
/// let outs = vec![try_delayed!(parse("1")), try_delayed!(parse("x")), try_delayed!(parse("3"))];
/// let results = compute_settled(&outs, &Sync, &Control::new());
/// assert_eq!(results[0].as_ref().ok(), Some(&1));
/// assert!(results[1].is_err());
/// assert_eq!(results[2].as_ref().ok(), Some(&3));
/// ```
pub fn compute_settled<T: Send + 'static>(
    outputs: &[Delayed<T>],
    scheduler: &dyn Scheduler,
    control: &Control,
) -> Vec<Result<T, Error>> {
    let roots: Vec<_> = outputs.iter().map(Delayed::task).collect();
    let control = control.clone().keep_going(true);
    match execute(&roots, scheduler, &control) {
        Err(err) => outputs.iter().map(|_| Err(err.clone())).collect(),
        Ok(values) => values
            .into_iter()
            .zip(outputs)
            .map(|(value, output)| {
                let value = PlanView::settled(value)?;
                output.unpack(&mut vec![value].into_iter()).map_err(|err| blame(err, scheduler))
            })
            .collect(),
    }
}

/// Plans `roots`, checks the plan, and runs it.
fn execute(
    roots: &[crate::plan::TaskRef<'_>],
    scheduler: &dyn Scheduler,
    control: &Control,
) -> Result<Vec<Value>, Error> {
    let plan = planned(roots, control)?;
    let _span =
        tracing::debug_span!("compute", scheduler = scheduler.name(), tasks = plan.view().len())
            .entered();
    let started = Instant::now();
    if let Some(hooks) = plan.view().hooks() {
        hooks.start(&hooks.summary(scheduler.name(), plan.view()));
    }
    let values = scheduler.execute(&plan);
    finished(&plan, scheduler.name(), started, values.as_ref().err());
    counted(values?, roots.len(), scheduler)
}

/// Tells the plan's callbacks, if any, that the compute is over.
fn finished(plan: &Plan, scheduler: &str, started: Instant, error: Option<&Error>) {
    if let Some(hooks) = plan.view().hooks() {
        let summary = hooks.summary(scheduler, plan.view());
        hooks.finish(&Outcome { summary, elapsed: started.elapsed(), error });
    }
}

/// Plans `roots` under `control`: collects, checks and optimizes (with the control's
/// optimizer, else the configured one).
fn planned(roots: &[crate::plan::TaskRef<'_>], control: &Control) -> Result<Plan, Error> {
    let configured;
    let optimizer = match &control.optimizer {
        Some(optimizer) => optimizer,
        None => {
            configured = crate::config::optimizer()?;
            &configured
        }
    };
    Plan::with_control(roots, control, optimizer)
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
fn unpack<O: Outputs>(
    outputs: &O,
    values: Vec<Value>,
    scheduler: &dyn Scheduler,
) -> Result<O::Values, Error> {
    let values = values.into_iter().map(PlanView::settled).collect::<Result<Vec<_>, _>>()?;
    outputs.unpack(&mut values.into_iter()).map_err(|err| blame(err, scheduler))
}

/// Names the scheduler in a contract error found while unpacking its values.
fn blame(err: Error, scheduler: &dyn Scheduler) -> Error {
    match err {
        Error::Scheduler { message, .. } => {
            Error::Scheduler { scheduler: scheduler.name().to_owned(), message }
        }
        other => other,
    }
}

/// Computes a collection of same-typed outputs, returning their values in order, like
/// `dask.compute(*values)`.
///
/// ```
/// use lazydag_core::{compute_all, delayed};
/// fn inc(x: u32) -> u32 { x + 1 }
/// let tasks: Vec<_> = (0..4).map(|i| delayed!(inc(i))).collect();
/// assert_eq!(compute_all(&tasks).unwrap(), vec![1, 2, 3, 4]);
/// ```
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`].
pub fn compute_all<T, I>(outputs: I) -> Result<Vec<T>, Error>
where
    T: Send + 'static,
    I: IntoIterator,
    I::Item: Borrow<Delayed<T>>,
{
    let outputs: Vec<Delayed<T>> = outputs.into_iter().map(|d| d.borrow().clone()).collect();
    compute(outputs)
}
