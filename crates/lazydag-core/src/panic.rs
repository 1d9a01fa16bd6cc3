//! Panics at a boundary: catching one ([`catch`]) and naming it ([`message`]).
//!
//! A panic inside a user task is caught at the task boundary and becomes an error naming the
//! task; pools also catch panics from a value's `Drop` so that no worker dies. Every lazydag
//! crate catches and names panics through this module, so the rule (and the wording of a
//! payload that is not a string) lives in one place.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, catching a panic. `f` is treated as unwind-safe: callers either drop what `f`
/// touched after a panic or only report the panic, never observing broken invariants.
///
/// ```
/// let caught = lazydag_core::panic::catch(|| -> u8 { panic!("kaboom") }).unwrap_err();
/// assert_eq!(lazydag_core::panic::message(&*caught), "kaboom");
/// assert_eq!(lazydag_core::panic::catch(|| 7).unwrap(), 7);
/// ```
///
/// # Errors
/// The panic's payload, when `f` panicked.
#[inline]
pub fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
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
pub(crate) fn drop_quietly<T>(value: T) {
    if let Err(payload) = catch(move || drop(value)) {
        tracing::error!(message = %message(&*payload), "a value's Drop panicked; ignored");
    }
}
