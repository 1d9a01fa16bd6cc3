//! [`Countdown`]: per task, the inputs not yet produced, counted down by the threads that
//! produce them: the readiness rule the threaded and work-stealing pools share.
//!
//! Invariants: task `j` starts at [`PlanView::waiting`]`(j)` (its non-literal inputs) and is
//! made ready exactly once, by the thread whose decrement brings it to 0
//! ([`arrive`](Countdown::arrive)), or at the start when it waits for nothing
//! ([`PlanView::initial`]). A thread that sees a count of 1 with [`is_last`](Countdown::is_last)
//! is the only producer left, and may [`claim`](Countdown::claim) the task without a
//! decrement (the work-stealing pool's hand-off of a carried value).
//!
//! # Memory ordering
//! Producers store their value, then decrement with `AcqRel`; the thread that sees the count
//! reach 0 (or 1, with `Acquire`, in `is_last`) has acquired every producer's release, and so
//! their stored values. `claim` then writes 0 with `Relaxed`: no other thread touches that
//! count any more.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::plan::PlanView;

/// The inputs each task of one compute still waits for.
#[derive(Debug)]
pub(super) struct Countdown(Box<[AtomicU32]>);

impl Countdown {
    /// Counts for every task of `view`. Also builds the plan's dependents lists now, on the
    /// caller, rather than inside the first worker's task.
    pub(super) fn new(view: &PlanView<'_>) -> Countdown {
        if !view.is_empty() {
            let _ = view.dependents(0);
        }
        Countdown(view.all_waiting().iter().map(|&w| AtomicU32::new(w)).collect())
    }

    /// One input of task `j` has been produced (and stored); whether `j` is now ready.
    #[inline]
    pub(super) fn arrive(&self, j: u32) -> bool {
        self.0[j as usize].fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Whether the caller's value is the last input task `j` waits for.
    #[inline]
    pub(super) fn is_last(&self, j: u32) -> bool {
        self.0[j as usize].load(Ordering::Acquire) == 1
    }

    /// Makes task `j` ready without a decrement, after [`is_last`](Countdown::is_last).
    #[inline]
    pub(super) fn claim(&self, j: u32) {
        self.0[j as usize].store(0, Ordering::Relaxed);
    }
}
