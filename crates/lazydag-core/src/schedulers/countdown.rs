//! The readiness rule the threaded and work-stealing pools share: per task, an atomic count of
//! the inputs not yet produced, counted down by the threads that produce them. The counts live
//! in the run's slots, beside each task's value (`slot.rs`, [`SharedSlots::waiting`]): one array
//! to make and to index per run, not two. This module is the rule; the slots only keep it.
//!
//! Invariants: task `j`'s count starts at [`PlanView::waiting`]`(j)` (its non-literal inputs)
//! and `j` is made ready exactly once, by the thread whose decrement brings it to 0
//! ([`arrive`]), or at the start when it waits for nothing ([`PlanView::initial`]). A thread
//! that sees a count of 1 with [`claim_last`] is the only producer left, and takes the task
//! without a decrement (the work-stealing pool's hand-off of a carried value).
//!
//! # Memory ordering
//! Producers store their value, then decrement with `AcqRel`; the thread that sees the count
//! reach 0 (or 1, with `Acquire`, in `claim_last`) has acquired every producer's release, and
//! so their stored values. `claim_last` then writes 0 with `Relaxed`: no other thread touches
//! that count any more.
//!
//! [`SharedSlots::waiting`]: crate::schedulers::slot::SharedSlots::waiting
//! [`PlanView::waiting`]: crate::plan::PlanView::waiting
//! [`PlanView::initial`]: crate::plan::PlanView::initial

use std::sync::atomic::{AtomicU32, Ordering};

/// One input of the task counted by `count` has been produced (and stored); whether the task
/// is now ready.
#[inline]
pub(super) fn arrive(count: &AtomicU32) -> bool {
    count.fetch_sub(1, Ordering::AcqRel) == 1
}

/// Whether the caller's value is the last input the task counted by `count` waits for; if
/// so, the task is the caller's to run, made ready without a decrement.
#[inline]
pub(super) fn claim_last(count: &AtomicU32) -> bool {
    if count.load(Ordering::Acquire) == 1 {
        count.store(0, Ordering::Relaxed);
        return true;
    }
    false
}
