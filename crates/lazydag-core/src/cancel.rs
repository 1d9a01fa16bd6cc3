//! [`CancelToken`]: a flag that stops computes, set from any thread.
//!
//! # Memory ordering
//! The flag is a lone `AtomicBool` that publishes no other data, so `Relaxed` loads and stores
//! suffice; a scheduler sees the flag at its next check (before it starts a task).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
