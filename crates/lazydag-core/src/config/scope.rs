//! Scoped overrides in code, like `with dask.config.set(scheduler=...)`: [`set`] and
//! [`ConfigGuard`].
//!
//! Invariants: overrides are per thread. Each thread keeps a stack of the overrides whose guards
//! are alive; the newest one applies. Dropping a guard removes exactly its own entry, so nested
//! guards restore the previous override in LIFO order, and a guard dropped out of order does not
//! disturb the others. A guard cannot leave its thread (it is `!Send`).
//!
//! Why per thread: `cargo test` runs tests on parallel threads of one process, and a library may
//! set an override around its own computes; a process-wide override would leak into both.
//! The price: a thread you spawn, or a pool worker that runs a task calling `compute()`, does
//! not see the override of the thread that set it; set it there too, or pass a scheduler with
//! [`compute_with`](crate::compute_with).

use std::marker::PhantomData;

use super::SchedulerKind;
use crate::scoped::Scoped;

thread_local! {
    /// This thread's live overrides (kind, workers), oldest first.
    static STACK: Scoped<(SchedulerKind, Option<usize>)> = const { Scoped::new() };
}

/// Overrides the default scheduler on this thread until the returned guard is dropped: the
/// scheduler kind, and the worker count when `workers` is `Some` (when `None`, the worker count
/// still comes from the environment, the config file or the default).
///
/// The override beats the environment and the config file; a scheduler passed to
/// [`compute_with`](crate::compute_with) beats the override. It is thread-local: see the
/// [module docs](crate::config) for why and what that means for threads you spawn.
///
/// ```
/// use lazydag_core::config::{self, SchedulerKind};
/// {
///     let _threads = config::set(SchedulerKind::Threads, Some(2));
///     assert_eq!(config::current().unwrap(), (SchedulerKind::Threads, 2));
///     {
///         let _sync = config::set(SchedulerKind::Sequential, Some(1));
///         assert_eq!(config::current().unwrap(), (SchedulerKind::Sequential, 1));
///     }
///     // Dropping the inner guard restored the outer override.
///     assert_eq!(config::current().unwrap(), (SchedulerKind::Threads, 2));
///     // Another thread does not see this thread's override.
///     let _async = config::set(SchedulerKind::Async, Some(3));
///     std::thread::spawn(|| {
///         let _mine = config::set(SchedulerKind::Sequential, Some(1));
///         assert_eq!(config::current().unwrap(), (SchedulerKind::Sequential, 1));
///     }).join().unwrap();
///     assert_eq!(config::current().unwrap(), (SchedulerKind::Async, 3));
/// }
/// ```
///
/// # Panics
/// If `workers` is `Some(0)`.
pub fn set(kind: SchedulerKind, workers: Option<usize>) -> ConfigGuard {
    assert!(workers != Some(0), "lazydag::config::set: the worker count must be positive, got 0");
    let id = STACK.with(|stack| stack.push((kind, workers)));
    ConfigGuard { id, _not_send: PhantomData }
}

/// Ends the override [`set`] made when dropped. Not `Send`: an override belongs to the thread
/// that set it. Forgetting the guard (`std::mem::forget`) leaves the override on for the rest
/// of the thread's life.
///
/// ```
/// use lazydag_core::config::{self, SchedulerKind};
/// let outer = config::set(SchedulerKind::Threads, Some(2));
/// let inner = config::set(SchedulerKind::Sequential, Some(1));
/// drop(outer); // out of order: removes only its own override
/// assert_eq!(config::current().unwrap().0, SchedulerKind::Sequential);
/// drop(inner);
/// ```
///
/// A guard cannot be sent to another thread:
///
/// ```compile_fail,E0277
/// use lazydag_core::config::{self, SchedulerKind};
/// let guard = config::set(SchedulerKind::Sequential, None);
/// std::thread::spawn(move || drop(guard));
/// ```
#[derive(Debug)]
#[must_use = "the override ends when the guard is dropped; bind it with `let _guard = ...`"]
pub struct ConfigGuard {
    id: u64,
    /// Keeps the guard on its thread.
    _not_send: PhantomData<*const ()>,
}

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        // `try_with`: during thread teardown the stack may already be gone, and then there is
        // nothing left to restore.
        let _ = STACK.try_with(|stack| stack.remove(self.id));
    }
}

/// The override in force on this thread: the kind, and the worker count if it sets one.
pub(super) fn current() -> Option<(SchedulerKind, Option<usize>)> {
    STACK.with(|stack| stack.with(|entries| entries.last().copied()))
}
