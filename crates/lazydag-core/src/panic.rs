//! Panics at a boundary: catching one ([`catch`], [`catch_async`]), naming it ([`message`],
//! [`Caught`]) and keeping a caught one quiet.
//!
//! A panic inside a user task is caught at the task boundary and becomes an error naming the
//! task; pools also catch panics from a value's `Drop` so that no worker dies. Every lazydag
//! crate catches and names panics through this module, so the rule (and the wording of a
//! payload that is not a string) lives in one place.
//!
//! # Quiet panics
//!
//! A panic that lazydag catches is an error value, not a crash, so it should not print Rust's
//! `thread '…' panicked at …` message and backtrace. The first [`catch`] installs, once per
//! process, a panic hook that stays quiet for panics raised *inside* a catching call on the
//! same thread (a thread-local depth counter, raised for the duration of the call) and hands
//! every other panic to the hook that was installed before it (Rust's default hook, or the
//! program's own). The quiet hook records where the panic was raised, so the error keeps the
//! message *and* the location ([`Caught::location`], `Error::Panicked { location, .. }`).
//!
//! Invariants: a panic outside any [`catch`] (on a thread a task spawned, in `main`, in a
//! test) prints exactly as it would without lazydag; with `panic = "abort"` nothing is quiet
//! (the process is about to end, and the message is all there is). A program that installs
//! its own hook *after* its first compute replaces the quiet hook, and then sees every panic.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Once;
use std::task::Poll;

/// A caught panic: its payload, and where it was raised.
///
/// It dereferences to the payload, so `message(&*caught)` names it.
///
/// ```
/// let caught = lazydag_core::panic::catch(|| -> u8 { panic!("kaboom") }).unwrap_err();
/// assert_eq!(caught.message(), "kaboom");
/// assert!(caught.location().unwrap().contains(".rs:"), "{:?}", caught.location());
/// ```
pub struct Caught {
    payload: Box<dyn Any + Send>,
    location: Option<String>,
}

impl Caught {
    /// The panic's message (see [`message`]).
    pub fn message(&self) -> String {
        message(&*self.payload)
    }

    /// Where the panic was raised, as `file:line:column`, when the quiet hook saw it: `None`
    /// when another hook replaced lazydag's, or for a payload re-raised with
    /// `std::panic::resume_unwind` (which runs no hook). One corner is not told apart: a
    /// `resume_unwind` inside the same `catch` after a panic that the user's own
    /// `catch_unwind` swallowed reports the swallowed panic's location.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The payload, for `std::panic::resume_unwind`.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl Deref for Caught {
    type Target = dyn Any + Send;

    fn deref(&self) -> &Self::Target {
        &*self.payload
    }
}

impl fmt::Debug for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caught")
            .field("message", &self.message())
            .field("location", &self.location)
            .finish()
    }
}

/// Runs `f`, catching a panic, and keeps the panic quiet (see the [module docs](self)). `f`
/// is treated as unwind-safe: callers either drop what `f` touched after a panic or only
/// report the panic, never observing broken invariants.
///
/// ```
/// let caught = lazydag_core::panic::catch(|| -> u8 { panic!("kaboom") }).unwrap_err();
/// assert_eq!(lazydag_core::panic::message(&*caught), "kaboom");
/// assert_eq!(lazydag_core::panic::catch(|| 7).unwrap(), 7);
/// ```
///
/// # Errors
/// The caught panic, when `f` panicked.
#[inline(always)]
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    if !INSTALLED.is_completed() {
        install_quiet_hook();
    }
    // `catch_unwind` returns on both paths, so the depth needs no drop guard.
    DEPTH.with(|depth| depth.set(depth.get() + 1));
    if RECORDED.with(Cell::get) {
        forget_stale_location();
    }
    let outcome = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|depth| depth.set(depth.get() - 1));
    outcome.map_err(|payload| Caught { payload, location: take_location() })
}

/// [`catch`] for a future: polls `future` to completion, catching (quietly) a panic from any
/// of its polls.
///
/// ```
/// let caught = futures::executor::block_on(lazydag_core::panic::catch_async(async {
///     panic!("async kaboom")
/// }))
/// .unwrap_err();
/// assert_eq!(caught.message(), "async kaboom");
/// ```
///
/// # Errors
/// The caught panic, when a poll of `future` panicked.
pub async fn catch_async<F: Future>(future: F) -> Result<F::Output, Caught> {
    let mut future = pin!(future);
    std::future::poll_fn(move |cx| match catch(|| future.as_mut().poll(cx)) {
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(caught) => Poll::Ready(Err(caught)),
    })
    .await
}

/// A panic payload's message: the `&str` or `String` given to `panic!`, or a placeholder for
/// other payloads.
///
/// ```
/// let payload: Box<dyn std::any::Any + Send> = Box::new(format!("bad input {}", 7));
/// assert_eq!(lazydag_core::panic::message(&*payload), "bad input 7");
/// assert_eq!(lazydag_core::panic::message(&42_u8), "(panic payload is not a string)");
/// ```
pub fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic payload is not a string)".to_owned()
    }
}

/// Drops `value`, catching a panic from a user type's `Drop` (a leftover task value, a
/// capture): what schedulers do with everything a compute leaves behind, so that such a panic
/// can neither kill a worker nor replace the compute's own result. The panic is logged and
/// otherwise ignored.
///
/// One catch covers one value: a collection of user values (a run's slots, a task's inputs)
/// goes through [`drop_each_quietly`] instead. Under a single catch, the first `Drop` that
/// panics unwinds while the collection still drops the rest, and a second panic during that
/// unwind aborts the process.
pub(crate) fn drop_quietly<T>(value: T) {
    if let Err(caught) = catch(move || drop(value)) {
        tracing::error!(
            message = %caught.message(),
            location = caught.location().unwrap_or("unknown"),
            "a value's Drop panicked; ignored"
        );
    }
}

/// Drops each of `values` with its own [`drop_quietly`]: every `Drop` runs, each panic is
/// caught and logged, and none can abort the process by panicking during another's unwind.
/// For the failure and stop paths only (a compute's leftovers): a successful compute leaves
/// nothing to drop, so its hot path never comes here.
#[cold]
#[inline(never)]
pub(crate) fn drop_each_quietly<T>(values: impl IntoIterator<Item = T>) {
    for value in values {
        drop_quietly(value);
    }
}

/// Empties `values` with [`drop_each_quietly`], keeping the vector's allocation (a reused
/// input buffer). Inline: on the task boundary's path, where the vector is usually empty.
#[inline(always)]
pub(crate) fn clear_quietly<T>(values: &mut Vec<T>) {
    if !values.is_empty() {
        drop_each_quietly(values.drain(..));
    }
}

thread_local! {
    /// How many [`catch`] calls are running on this thread (they nest: a fused task inside a
    /// scheduler's guard). Raised and lowered around the `catch_unwind`, which returns on both
    /// paths.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last quiet panic on this thread was raised, until its [`catch`] takes it.
    static LOCATION: Cell<Option<String>> = const { Cell::new(None) };
    /// Whether `LOCATION` holds one (a cheap test for every [`catch`]).
    static RECORDED: Cell<bool> = const { Cell::new(false) };
}

/// The recorded location of the panic just caught, if the hook saw it.
fn take_location() -> Option<String> {
    let _ = RECORDED.try_with(|recorded| recorded.set(false));
    LOCATION.try_with(Cell::take).ok().flatten()
}

/// Drops a location no [`catch`] took (a panic the user's own `catch_unwind` swallowed), so
/// that a later panic that runs no hook (`resume_unwind`) cannot claim it; but not during an
/// unwind, whose own panic's location a `catch` in a `Drop` must leave for the `catch` around
/// it.
#[cold]
fn forget_stale_location() {
    if !std::thread::panicking() {
        RECORDED.with(|recorded| recorded.set(false));
        LOCATION.with(Cell::take);
    }
}

/// Whether a panic on this thread now will be caught by a [`catch`].
fn inside_catch() -> bool {
    DEPTH.try_with(Cell::get).is_ok_and(|depth| depth > 0)
}

/// Whether the quiet hook is installed.
static INSTALLED: Once = Once::new();

/// Installs the quiet hook, once per process, in front of the hook that was there.
#[cold]
fn install_quiet_hook() {
    // `take_hook` panics on a panicking thread (a `catch` inside a `Drop` during an unwind):
    // install on a later call instead.
    if std::thread::panicking() {
        return;
    }
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if cfg!(panic = "unwind") && inside_catch() {
                if let Some(at) = info.location() {
                    let _ = LOCATION.try_with(|slot| slot.set(Some(at.to_string())));
                    let _ = RECORDED.try_with(|flag| flag.set(true));
                }
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_catches_each_see_their_own_panic() {
        let outer = catch(|| {
            let inner = catch(|| -> u8 { panic!("inner") }).unwrap_err();
            assert_eq!(inner.message(), "inner");
            assert!(inner.location().is_some());
            assert!(inside_catch());
            panic!("outer")
        })
        .unwrap_err();
        assert_eq!(outer.message(), "outer");
        assert!(outer.location().unwrap().contains("panic.rs"));
        assert!(!inside_catch());
    }

    /// Two values whose `Drop` panics, in one vector: each is dropped under its own catch, so
    /// both run and the second does not panic during the first's unwind (an abort).
    #[test]
    fn each_value_of_a_collection_is_dropped_under_its_own_catch() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::SeqCst);
                panic!("bomb");
            }
        }
        drop_each_quietly(vec![Bomb, Bomb]);
        assert_eq!(DROPS.load(Ordering::SeqCst), 2);
        let mut buffer = vec![Bomb, Bomb, Bomb];
        clear_quietly(&mut buffer);
        assert!(buffer.is_empty());
        assert_eq!(DROPS.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn a_resumed_payload_has_no_stale_location() {
        // A panic the user's own `catch_unwind` swallows inside a catch leaves a location,
        // which the next catch forgets.
        let swallowed = catch(|| std::panic::catch_unwind(|| panic!("swallowed")).is_err());
        assert!(swallowed.unwrap());
        let resumed = catch(|| -> u8 { std::panic::resume_unwind(Box::new("again")) });
        let resumed = resumed.unwrap_err();
        assert_eq!(resumed.message(), "again");
        assert_eq!(resumed.location(), None);
    }
}
