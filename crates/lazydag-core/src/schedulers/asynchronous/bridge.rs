//! How the driver reaches a tokio runtime, from async and from synchronous callers.
//!
//! - [`execute`] (a future): inside a tokio runtime the driver is awaited inline, so its tasks
//!   are spawned on the caller's runtime and nothing blocks. Under any other executor it is
//!   spawned on lazydag's shared runtime and awaited through a [`JoinSet`], which aborts it if
//!   the caller drops the future.
//! - [`block_on`] (blocking): outside tokio, the calling thread drives the plan with
//!   `Runtime::block_on` on the shared runtime. Inside tokio that would panic (runtimes do not
//!   nest), and `futures::executor::block_on` would panic too when this thread already runs a
//!   `futures` executor (the other schedulers run async tasks that way). So a scoped helper
//!   thread, which has neither, calls `block_on` on the shared runtime, and the calling thread
//!   waits for it to finish. The compute runs entirely on the shared runtime, so a caller on a
//!   `current_thread` runtime cannot deadlock it by blocking; the caller's other tasks simply
//!   wait, as with any blocking call. On a multi-thread runtime's worker (an async task that
//!   computes, on lazydag's shared runtime or the caller's) the wait is wrapped in
//!   `block_in_place`, so the runtime keeps all its workers: async tasks that each block on a
//!   nested compute cannot starve the inner tasks. The one thread per compute is the price of
//!   never nesting.

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::{JoinError, JoinSet};

use super::driver;
use crate::error::Error;
use crate::plan::Plan;
use crate::runtime::runtime;
use crate::value::Value;

/// Drives `plan` to completion on the current tokio runtime, or on the shared one when the
/// caller is not inside tokio.
pub(super) async fn execute(plan: Plan, workers: usize) -> Result<Vec<Value>, Error> {
    if Handle::try_current().is_ok() {
        return driver::drive(plan, workers).await;
    }
    let mut driving = JoinSet::new();
    driving.spawn_on(driver::drive(plan, workers), runtime().handle());
    match driving.join_next().await {
        Some(Ok(result)) => result,
        Some(Err(err)) => Err(broken(&err)),
        None => Err(contract("the driver task vanished")),
    }
}

/// Drives `plan` to completion, blocking the calling thread, without nesting runtimes.
pub(super) fn block_on(plan: Plan, workers: usize) -> Result<Vec<Value>, Error> {
    if Handle::try_current().is_err() {
        return runtime().block_on(driver::drive(plan, workers));
    }
    // A multi-thread runtime's worker; not a thread that only entered the shared runtime's
    // context (`runtime::block_on`: a CPU scheduler running an async task), which may itself
    // be inside a current-thread runtime, where `block_in_place` panics.
    let multi_thread = !crate::runtime::entered_here()
        && Handle::try_current()
            .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("lazydag-async".into())
            .spawn_scoped(scope, || runtime().block_on(driver::drive(plan, workers)))
            .map_err(|err| contract(&format!("could not start its helper thread: {err}")))?;
        let wait = || helper.join().unwrap_or_else(|_| Err(contract("the driver panicked")));
        if multi_thread {
            // On a worker of a multi-thread runtime (an async task of an outer compute, on the
            // shared runtime the inner tasks need too), waiting would take that worker from
            // the runtime: enough such waits and no inner task could run. `block_in_place`
            // hands the worker's other tasks to a replacement thread while this one waits.
            tokio::task::block_in_place(wait)
        } else {
            wait()
        }
    })
}

/// The error for a driver task that did not finish normally (a bug in the driver).
fn broken(err: &JoinError) -> Error {
    contract(&format!("the driver task did not finish: {err}"))
}

/// A contract error naming this scheduler.
fn contract(message: &str) -> Error {
    Error::Scheduler { scheduler: "async".to_owned(), message: message.to_owned() }
}
