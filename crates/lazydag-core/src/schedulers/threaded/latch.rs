//! [`Latch`]: a one-shot "done" flag that one thread sets and another blocks on.
//!
//! Invariant: once set, it stays set. Setting it happens-after everything the setter did
//! before, and returning from [`wait`](Latch::wait) happens-after the set (the mutex orders
//! them), so the waiter sees all writes the setter saw.

use std::time::Duration;

use crate::sync::{Condvar, Mutex, lock, wait, wait_timeout};

/// A one-shot latch: `Mutex<bool>` plus a `Condvar`. The waiter sleeps, it does not spin.
#[derive(Debug, Default)]
pub(super) struct Latch {
    done: Mutex<bool>,
    cond: Condvar,
}

impl Latch {
    /// Sets the latch and wakes the waiter.
    pub(super) fn set(&self) {
        *lock(&self.done) = true;
        self.cond.notify_all();
    }

    /// Blocks until the latch is set.
    pub(super) fn wait(&self) {
        let mut done = lock(&self.done);
        while !*done {
            done = wait(&self.cond, done);
        }
    }

    /// Blocks until the latch is set or `timeout` has passed; whether it is set.
    pub(super) fn wait_timeout(&self, timeout: Duration) -> bool {
        let done = lock(&self.done);
        if *done {
            return true;
        }
        *wait_timeout(&self.cond, done, timeout)
    }

    /// Whether the latch is set, without blocking.
    pub(super) fn is_set(&self) -> bool {
        *lock(&self.done)
    }
}
