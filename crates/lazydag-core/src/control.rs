//! How a caller steers a running compute: cancellation, a timeout, keep-going mode, and the
//! [`Callback`]s it reports to.
//!
//! Schedulers see these through the [`Plan`](crate::Plan): before starting each task they ask
//! [`PlanView::should_stop`](crate::PlanView::should_stop), which costs one relaxed atomic load (plus a
//! clock read when a timeout is set). Stopping never interrupts a running task: Rust cannot
//! kill a thread, so a compute returns once the tasks already running have finished.
//!
//! The cancel flag itself is a [`CancelToken`] (module `cancel`, below the plan, which reads
//! it before each task).

use std::sync::Arc;
use std::time::Duration;

use lazydag_optimize::Optimizer;

use crate::callback::{Callback, Callbacks, Hooks};
use crate::cancel::CancelToken;
use crate::plan::{Stop, TaskHooks};

/// Per-compute options: a cancel token, a timeout, keep-going mode, and callbacks.
///
/// - **cancel token**: [`CancelToken::cancel`] from any thread stops the compute.
/// - **timeout**: no task starts after it has passed; the compute returns
///   [`Error::TimedOut`](crate::Error::TimedOut).
/// - **keep going** (dask/dask#799): a failing task does not stop the compute. Its dependents
///   are skipped and carry its error, independent branches finish, and each output gets its
///   own result (see [`compute_settled`](crate::compute_settled)).
/// - **callbacks**: [`Callback`]s this compute (and no nested one) reports to, before the
///   global ones of [`callback::register`](crate::callback::register).
/// - **optimizer**: the [`Optimizer`] for this compute, instead of the configured one (see
///   [`config::optimizer`](crate::config::optimizer)); [`Optimizer::off`] runs the plan as
///   collected.
#[derive(Clone, Debug, Default)]
pub struct Control {
    pub(crate) cancel: Option<CancelToken>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) keep_going: bool,
    pub(crate) callbacks: Callbacks,
    pub(crate) optimizer: Option<Optimizer>,
    pub(crate) units: Option<u64>,
}

impl Control {
    /// Defaults: no token, no timeout, stop at the first error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the compute when `token` is cancelled.
    #[must_use]
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Stops the compute once `timeout` has passed since it started. A timeout the clock cannot
    /// represent (`Duration::MAX`, or anything that overflows `Instant`) means no deadline.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets independent branches finish when a task fails.
    #[must_use]
    pub fn keep_going(mut self, keep_going: bool) -> Self {
        self.keep_going = keep_going;
        self
    }

    /// Optimizes this compute's plan with `optimizer` instead of the configured one.
    ///
    /// ```
    /// use lazydag_core::{compute_with_control, delayed, Control, scheduler::Sequential};
    /// use lazydag_optimize::Optimizer;
    /// let n = delayed(1).map(|x: i32| x + 1).map(|x: i32| x * 10);
    /// let unfused = Control::new().optimize(Optimizer::off());
    /// assert_eq!(compute_with_control(&n, &Sequential, &unfused).unwrap(), 20);
    /// let short = Control::new().optimize(Optimizer::new().max_chain(1));
    /// assert_eq!(compute_with_control(&n, &Sequential, &short).unwrap(), 20);
    /// ```
    #[must_use]
    pub fn optimize(mut self, optimizer: Optimizer) -> Self {
        self.optimizer = Some(optimizer);
        self
    }

    /// Reports this compute to `callback` (in the order added, before global callbacks).
    #[must_use]
    pub fn callback(mut self, callback: std::sync::Arc<dyn Callback>) -> Self {
        self.callbacks.0.push(callback);
        self
    }

    /// Says that this compute's work is `total` units (the items of a `Parallel` map, say)
    /// that its tasks report as they go, with
    /// [`callback::advance`](crate::callback::advance): progress callbacks then count units,
    /// not tasks ([`PlanSummary::units`](crate::PlanSummary::units)).
    #[must_use]
    pub fn progress_units(mut self, total: u64) -> Self {
        self.units = Some(total);
        self
    }

    /// Resolves these options for one compute: its callbacks (those given here, then this
    /// thread's global ones), and the stop conditions its plan checks, which report to them.
    pub(crate) fn resolve(&self) -> (Option<Arc<Hooks>>, Stop) {
        let hooks = Hooks::resolve(&self.callbacks, self.units);
        let observer = hooks.clone().map(|h| h as Arc<dyn TaskHooks>);
        let track = hooks.as_ref().is_some_and(|hooks| hooks.tracks());
        let stop =
            Stop::new(self.cancel.clone(), self.timeout, self.keep_going, observer).tracking(track);
        (hooks, stop)
    }
}
