//! [`CancelToken`]: a flag that stops computes, set from any thread; and what a running task
//! sees of it ([`is_cancelled`], public as `lazydag_core::task::is_cancelled`).
//!
//! Invariant: while the task boundary runs a task of a compute that can be stopped (it has a
//! cancel token or a timeout), the running thread's *watch* holds that compute's token and
//! deadline; otherwise it holds the enclosing task's, or nothing. [`watching`] saves and
//! restores it, so a nested compute's tasks see their own compute and the outer task sees its
//! own again afterwards. A compute with neither a token nor a timeout sets nothing: the check
//! costs its tasks one branch. A job a pool worker runs while its task waits (helping) runs
//! [`unwatched`]: it belongs to its own compute, which may be another one, and sets that
//! compute's watch itself; the waiting task's is back when the job returns.
//!
//! # Memory ordering
//! The flag is a lone `AtomicBool` that publishes no other data, so `Relaxed` loads and stores
//! suffice; a scheduler sees the flag at its next check (before it starts a task, and while
//! its caller waits), a task at its next [`is_cancelled`].

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Cancels computes from another thread. Clones share one flag; once cancelled, every compute
/// using the token stops (starts no new task) and returns [`Error::Cancelled`](crate::Error).
///
/// ```
/// use lazydag_core::{compute_with_control, delayed, CancelToken, Control, Error, scheduler::Sequential};
/// let token = CancelToken::new();
/// token.cancel();
/// let control = Control::new().cancel_token(token.clone());
/// let err = compute_with_control(delayed(1).map(|x: i32| x + 1), &Sequential, &control).unwrap_err();
/// assert!(matches!(err, Error::Cancelled));
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every compute that uses this token, now and later.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stop conditions of the compute whose task runs on this thread.
#[derive(Clone, Debug)]
struct Watch {
    token: Option<CancelToken>,
    deadline: Option<Instant>,
}

thread_local! {
    /// The watch of the task running on this thread, if its compute can be stopped.
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Runs `f` (one task) with this thread watching `token` and `deadline`, then restores the
/// enclosing watch, on unwind too.
pub(crate) fn watching<R>(
    token: Option<&CancelToken>,
    deadline: Option<Instant>,
    f: impl FnOnce() -> R,
) -> R {
    with_watch(Some(Watch { token: token.cloned(), deadline }), f)
}

/// Runs `f` with this thread watching nothing, then restores the enclosing watch, on unwind
/// too: for a job that a worker runs while its own task waits (helping), which belongs to
/// its own compute, not the waiting task's (its task boundary sets its compute's watch, if
/// that compute can be stopped).
pub(crate) fn unwatched<R>(f: impl FnOnce() -> R) -> R {
    if WATCH.with(|w| w.borrow().is_none()) {
        return f();
    }
    with_watch(None, f)
}

/// Runs `f` with `watch` as this thread's watch, then restores the one before.
fn with_watch<R>(watch: Option<Watch>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Watch>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            let _ = WATCH.try_with(|w| *w.borrow_mut() = outer);
        }
    }
    let _restore = Restore(WATCH.with(|w| std::mem::replace(&mut *w.borrow_mut(), watch)));
    f()
}

/// The cancel token and deadline of the compute whose task runs on this thread, if it can be
/// stopped: what a compute the task starts on its behalf ([`Delayed::flatten`]) inherits.
///
/// [`Delayed::flatten`]: crate::Delayed::flatten
pub(crate) fn watched() -> (Option<CancelToken>, Option<Instant>) {
    WATCH.with(|w| w.borrow().as_ref().map(|w| (w.token.clone(), w.deadline)).unwrap_or_default())
}

/// Whether the compute running the calling task was cancelled or has timed out: a long task
/// polls it and returns early (any value or error will do: the compute has already returned
/// [`Error::Cancelled`](crate::Error::Cancelled) or
/// [`Error::TimedOut`](crate::Error::TimedOut), and drops what the task returns).
///
/// `false` outside a task, and for a compute with neither a
/// [`cancel_token`](crate::Control::cancel_token) nor a [`timeout`](crate::Control::timeout).
/// A task that never asks runs to its end in the background; see the
/// [`Scheduler`](crate::Scheduler) contract. Async tasks see it too, and are also dropped at
/// their next `.await` by the async scheduler. Cost: a thread-local read, one relaxed load and
/// a clock read when a timeout is set.
///
/// ```
/// use std::time::Duration;
/// use lazydag_core::{compute_with_control, delayed, task, Control, Error, scheduler::Threaded};
/// // A task that would spin forever, but gives up once its compute is over.
/// let spin = delayed(0u64).map(|mut n: u64| {
///     while !task::is_cancelled() {
///         n += 1;
///         std::thread::yield_now();
///     }
///     n
/// });
/// // A task after it: it never starts once the deadline has passed.
/// let after = spin.map(|n: u64| n + 1);
/// let control = Control::new().timeout(Duration::from_millis(20));
/// let err = compute_with_control(&after, &Threaded::new(1), &control).unwrap_err();
/// assert!(matches!(err, Error::TimedOut { .. }));
/// assert!(!task::is_cancelled()); // not inside a task
/// ```
pub fn is_cancelled() -> bool {
    WATCH.with(|w| {
        w.borrow().as_ref().is_some_and(|watch| {
            watch.token.as_ref().is_some_and(CancelToken::is_cancelled)
                || watch.deadline.is_some_and(|at| Instant::now() >= at)
        })
    })
}
