//! Synchronization primitives and the one rule for locking them.
//!
//! - **Poison-free locking.** lazydag never runs user code while it holds one of its locks
//!   (tasks, `Clone` and `Drop` of values run outside them), so a poisoned lock only means a
//!   panic elsewhere was caught, and the data behind it is consistent. The crate's `lock` and
//!   `wait` (for the loom-shimmed types) and [`std_locks`] (for std's own types, public for the
//!   crates built on the core) therefore recover the guard from a poisoned lock instead of
//!   panicking: one rule, here, instead of a recovery written out at every call.
//! - **The loom shim** (the tokio `loom` module pattern): the crate's `Mutex`, `Condvar` and
//!   atomics are std's, or loom's under `--cfg loom`, so the concurrency protocols built on
//!   them (the work-stealing sleep protocol, the threaded completion latch) can be
//!   model-checked with `RUSTFLAGS="--cfg loom"`. Statics and `OnceLock`s stay std's: loom
//!   models neither, and they hold no protocol.
//! - **Starting threads one at a time** ([`spawn_ready`]): every thread a pool starts has
//!   finished its setup before the next is asked for, so a refusal finds no thread halfway.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;
use std::time::Duration;

/// Locks `mutex`, recovering the guard if a panic poisoned it (see the module docs).
#[inline]
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) use self::std_locks::{
    lock as lock_std, wait as wait_std, wait_timeout as wait_timeout_std,
};

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

/// The same rule for std's own primitives, public for the crates built on the core
/// (`lazydag-parallel`, `lazydag-diagnostics`, the collections): one home for every poison
/// recovery in the workspace. The core uses it for `static` locks, which loom cannot model.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use lazydag_core::sync::std_locks::lock;
/// let m = Arc::new(Mutex::new(1));
/// let poisoner = Arc::clone(&m);
/// let _ = std::thread::spawn(move || {
///     let _guard = poisoner.lock().unwrap();
///     panic!("poisons the mutex");
/// })
/// .join();
/// assert!(m.is_poisoned());
/// *lock(&m) += 1; // no panic: the guard is recovered
/// assert_eq!(*lock(&m), 2);
/// ```
pub mod std_locks {
    use std::sync::{
        Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
    };
    use std::time::Duration;

    /// Locks `mutex`, recovering the guard if a panic poisoned it.
    #[inline]
    pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits on `cond`, recovering the guard from poison.
    #[inline]
    pub fn wait<'a, T>(cond: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        cond.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits on `cond` for at most `timeout`, recovering the guard from poison.
    #[inline]
    pub fn wait_timeout<'a, T>(
        cond: &Condvar,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> MutexGuard<'a, T> {
        cond.wait_timeout(guard, timeout).unwrap_or_else(PoisonError::into_inner).0
    }

    /// Waits on `cond` while `condition` holds, for at most `timeout`, recovering the guard
    /// from poison (std's `wait_timeout_while`, without the timed-out flag).
    #[inline]
    pub fn wait_timeout_while<'a, T, F: FnMut(&mut T) -> bool>(
        cond: &Condvar,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
        condition: F,
    ) -> MutexGuard<'a, T> {
        cond.wait_timeout_while(guard, timeout, condition).unwrap_or_else(PoisonError::into_inner).0
    }

    /// Takes a read guard of `lock`, recovering it from poison.
    #[inline]
    pub fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
        lock.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the write guard of `lock`, recovering it from poison.
    #[inline]
    pub fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
        lock.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new thread's word that its setup is done (see [`spawn_ready`]).
#[derive(Debug)]
pub struct Ready(std::sync::mpsc::SyncSender<()>);

impl Ready {
    /// Tells the thread that spawned this one that its setup is done.
    pub fn done(self) {
        // The spawner waits for this, or for the sender to drop: it cannot be gone.
        let _ = self.0.send(());
    }
}

/// Spawns `f` with `builder` and returns once the new thread has called [`Ready::done`] (or
/// has ended without it).
///
/// Pools start their threads with it, one after another, so every thread started so far has
/// finished its setup (the standard library's, its thread-locals, its first allocations)
/// before the next is asked for. When the operating system then refuses a thread, because the
/// address space or a thread limit is used up, no thread is still in a setup that needs what
/// just ran out (glibc aborts the whole process when a thread cannot register a thread-local
/// destructor), and the pool shuts the started threads down and reports the refusal. It costs
/// one rendezvous per thread, once per pool.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use lazydag_core::sync::spawn_ready;
/// let set_up = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&set_up);
/// let thread = spawn_ready(std::thread::Builder::new(), move |ready| {
///     flag.store(true, Ordering::SeqCst);
///     ready.done();
/// })
/// .unwrap();
/// assert!(set_up.load(Ordering::SeqCst)); // already, before the join
/// thread.join().unwrap();
/// ```
///
/// # Errors
/// The operating system's refusal to start the thread.
pub fn spawn_ready<F>(
    builder: std::thread::Builder,
    f: F,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnOnce(Ready) + Send + 'static,
{
    let (sender, started) = std::sync::mpsc::sync_channel(1);
    let thread = builder.spawn(move || f(Ready(sender)))?;
    // An error: the thread ended (or panicked) before saying so; it is joined like any other.
    let _ = started.recv();
    Ok(thread)
}
