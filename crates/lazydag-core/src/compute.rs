//! The compute entry points: collect → plan → check → scheduler → typed results.

use std::borrow::Borrow;

use crate::delayed::Delayed;
use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::Plan;
use crate::scheduler::{Scheduler, default_scheduler};

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
    compute_with(outputs, default_scheduler())
}

/// Computes several outputs at once with the given scheduler.
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`]; [`Error::Scheduler`] if the
/// scheduler returns values that do not match the plan's outputs.
pub fn compute_with<O: Outputs>(outputs: O, scheduler: &dyn Scheduler) -> Result<O::Values, Error> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    let plan = Plan::new(&roots);
    let _span =
        tracing::debug_span!("compute", scheduler = scheduler.name(), tasks = plan.len()).entered();
    plan.check()?;
    let values = scheduler.execute(&plan)?;
    if values.len() != roots.len() {
        return Err(Error::Scheduler {
            scheduler: scheduler.name().to_owned(),
            message: format!("returned {} values for {} outputs", values.len(), roots.len()),
        });
    }
    outputs.unpack(&mut values.into_iter()).map_err(|err| match err {
        Error::Scheduler { message, .. } => {
            Error::Scheduler { scheduler: scheduler.name().to_owned(), message }
        }
        other => other,
    })
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
