//! Noticing a timeout or a cancellation while the driver waits for running tasks.
//!
//! A [`Watch`] holds one timer, set to the plan's deadline or [`POLL`] from now, whichever is
//! sooner. [`Watch::stopped`] sleeps on it, asks [`PlanView::should_stop`], and re-arms it
//! until the answer is yes. The timer lives in the `Watch`, not in the future, so the driver
//! may drop an unfinished `stopped()` (when a task completes first) and call it again without
//! pushing the deadline back.
//!
//! The timer is registered with lazydag's shared runtime, whose time driver is always on, so
//! the caller's runtime need not enable time.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::plan::PlanView;
use crate::runtime::runtime;

/// How often a waiting driver asks whether the compute was cancelled.
pub(super) const POLL: Duration = Duration::from_millis(5);

/// The stop timer of one run.
pub(super) struct Watch {
    deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl Watch {
    /// A watch for a compute that times out at `deadline`, if ever.
    pub(super) fn new(deadline: Option<std::time::Instant>) -> Self {
        let deadline = deadline.map(Instant::from_std);
        let _shared = runtime().enter();
        let timer = Box::pin(tokio::time::sleep_until(next_check(deadline)));
        Watch { deadline, timer }
    }

    /// Resolves once `plan` should stop (cancelled or past its deadline). Cancel-safe: the
    /// timer survives a dropped call.
    pub(super) async fn stopped(&mut self, plan: &PlanView<'_>) {
        loop {
            self.timer.as_mut().await;
            if plan.should_stop() {
                return;
            }
            let at = next_check(self.deadline);
            self.timer.as_mut().reset(at);
        }
    }
}

/// When to look next: after one [`POLL`], or at the deadline if that comes first.
fn next_check(deadline: Option<Instant>) -> Instant {
    let poll = Instant::now() + POLL;
    deadline.map_or(poll, |deadline| deadline.min(poll))
}
