//! [`Latch`]: a one-shot "done" flag that one thread sets and another blocks on.
//!
//! Invariant: once set, it stays set. Setting it happens-after everything the setter did
//! before, and returning from [`wait`](Latch::wait) happens-after the set (the mutex orders
//! them), so the waiter sees all writes the setter saw.

use std::sync::{Condvar, Mutex, PoisonError};

/// A one-shot latch: `Mutex<bool>` plus a `Condvar`. The waiter sleeps, it does not spin.
#[derive(Debug, Default)]
pub(super) struct Latch {
    done: Mutex<bool>,
    cond: Condvar,
}

impl Latch {
    /// Sets the latch and wakes the waiter.
    pub(super) fn set(&self) {
        // No code that can panic runs under this lock; recover from poison all the same.
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cond.notify_all();
    }

    /// Blocks until the latch is set.
    pub(super) fn wait(&self) {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let _done =
            self.cond.wait_while(done, |done| !*done).unwrap_or_else(PoisonError::into_inner);
    }
}
