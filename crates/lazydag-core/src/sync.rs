//! Synchronization primitives and the one rule for locking them.
//!
//! - **Poison-free locking.** lazydag never runs user code while it holds one of its locks
//!   (tasks, `Clone` and `Drop` of values run outside them), so a poisoned lock only means a
//!   panic elsewhere was caught, and the data behind it is consistent. [`lock`], [`wait`] (and their
//!   `_std` twins for std's own types) therefore recover the guard from a poisoned lock instead of panicking:
//!   one rule, here, instead of a recovery written out at every call.
//! - **The loom shim** (the tokio `loom` module pattern): [`Mutex`], [`Condvar`] and the
//!   atomics are std's, or loom's under `--cfg loom`, so the concurrency protocols built on
//!   them (the work-stealing sleep protocol, the threaded completion latch) can be
//!   model-checked with `RUSTFLAGS="--cfg loom"`. Statics and `OnceLock`s stay std's: loom
//!   models neither, and they hold no protocol.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;
use std::time::Duration;

/// Locks `mutex`, recovering the guard if a panic poisoned it (see the module docs).
#[inline]
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Locks a std mutex (a `static` one, which loom cannot model), recovering from poison.
#[inline]
pub(crate) fn lock_std<T: ?Sized>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on a std condition variable, recovering the guard from poison.
#[inline]
pub(crate) fn wait_std<'a, T>(
    cond: &std::sync::Condvar,
    guard: std::sync::MutexGuard<'a, T>,
) -> std::sync::MutexGuard<'a, T> {
    cond.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on a std condition variable for at most `timeout`, recovering the guard from poison.
#[inline]
pub(crate) fn wait_timeout_std<'a, T>(
    cond: &std::sync::Condvar,
    guard: std::sync::MutexGuard<'a, T>,
    timeout: Duration,
) -> std::sync::MutexGuard<'a, T> {
    cond.wait_timeout(guard, timeout).unwrap_or_else(PoisonError::into_inner).0
}

/// Waits on `cond`, recovering the guard from poison.
#[inline]
pub(crate) fn wait<'a, T>(cond: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cond.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cond` for at most `timeout`, recovering the guard from poison.
#[inline]
pub(crate) fn wait_timeout<'a, T>(
    cond: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> MutexGuard<'a, T> {
    cond.wait_timeout(guard, timeout).unwrap_or_else(PoisonError::into_inner).0
}
