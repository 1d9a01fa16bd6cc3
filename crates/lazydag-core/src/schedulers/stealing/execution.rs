//! One compute on the pool: its values, counters and completion latch.
//!
//! Invariants:
//! - a task is pushed (made runnable) exactly once: by the caller when it has no task inputs,
//!   or by the worker whose decrement of its `waiting` count reached zero;
//! - a value is stored before its dependents' counts are decremented, so whoever runs a
//!   dependent finds it; each slot tracks the uses left, and the last use moves the value out;
//! - the outcome is set once: success when `outputs_left` reaches zero (every planned task is
//!   an output or an ancestor of one, so all outputs done means all tasks done), or the first
//!   error, or a
//!   stop (cancel, timeout). After an error or stop no task starts; jobs still queued are
//!   dropped when popped.
//!
//! # Memory ordering
//! `waiting[j]` is decremented with `AcqRel`: the worker that sees it reach zero acquires every
//! producer's earlier release, and so their stored values (the slot mutexes order the rest).
//! `outputs_left` uses `AcqRel` for the same reason towards the caller, which then reads the
//! outputs (and, through the chains of `waiting` decrements, everything they depend on).
//! `stopped` is a hint read with `Relaxed` before starting a task: the outcome itself is
//! published under the `outcome` mutex, and a task that starts just before the flag becomes
//! visible is harmless (its result is dropped).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::ranges::Ranges;
use crate::error::Error;
use crate::panic;
use crate::plan::Plan;
use crate::schedulers::countdown;
use crate::schedulers::slot::SharedSlots;
use crate::sync::{lock_std as lock, wait_timeout_std};
use crate::value::Value;

/// The scheduler's name, for errors.
const NAME: &str = "work-stealing";

/// How often a waiting caller looks at its cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(5);

/// How often a waiting worker of another pool with nothing to help looks again.
const HELP_POLL: Duration = Duration::from_millis(1);

/// A value handed from a task straight to its only consumer, bypassing the slot. It stays in
/// the frame of the worker's chain loop (`run_chain`), which passes it to each
/// [`execute`](Execution::execute) by reference: a task step moves no carry in or out.
#[derive(Debug)]
pub(super) struct Carry {
    /// The task that produced it.
    from: u32,
    value: Value,
}

/// The state of one compute on the pool.
#[derive(Debug)]
pub(super) struct Execution {
    pub(super) id: u32,
    plan: Plan,
    /// The values and the readiness counts.
    slots: SharedSlots,
    /// Distinct non-literal output tasks not yet done.
    outputs_left: AtomicUsize,
    /// The tasks runnable at the start ([`initial`](Execution::initial)), as ranges the
    /// workers that adopt the compute claim and steal ([`next_initial`](Execution::next_initial)):
    /// a compute submitted from outside the pool queues no job per initial task.
    ranges: Ranges,
    stopped: AtomicBool,
    outcome: Mutex<Option<Result<(), Error>>>,
    done: Condvar,
}

impl Execution {
    /// The run of `plan`; its initial tasks are handed out by
    /// [`next_initial`](Execution::next_initial) in up to `parts` ranges (one per worker
    /// that may adopt it), or when `parts` is 0 the caller queues them as jobs (a nested
    /// compute, on its worker's own deque).
    pub(super) fn new(plan: Plan, id: u32, parts: usize) -> Self {
        let view = plan.view();
        let ranges = Ranges::new(view.initial().len(), parts);
        let outputs_left = view.distinct_outputs();
        Execution {
            id,
            slots: SharedSlots::new(view),
            outputs_left: AtomicUsize::new(outputs_left),
            ranges,
            stopped: AtomicBool::new(false),
            outcome: Mutex::new(if outputs_left == 0 { Some(Ok(())) } else { None }),
            done: Condvar::new(),
            plan,
        }
    }

    /// The tasks runnable at the start, in priority order.
    pub(super) fn initial(&self) -> &[u32] {
        self.plan.view().initial()
    }

    /// A range of initial tasks no worker owns yet, for a worker that took the compute's
    /// cursor: its own from now on ([`next_initial`](Execution::next_initial)).
    pub(super) fn adopt(&self) -> Option<usize> {
        self.ranges.adopt()
    }

    /// The next initial task for a worker whose range is `mine` (see [`Ranges::next`]: its
    /// own range's next, else a range no one owns, else stolen), while the run is not over;
    /// `adopt`: whether the worker may take a range of its own (a helping worker takes single
    /// tasks). One load and one uncontended `fetch_add` from the worker's own range.
    #[inline]
    pub(super) fn next_initial(&self, mine: &mut Option<usize>, adopt: bool) -> Option<u32> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let k = self.ranges.next(mine, adopt)?;
        Some(self.initial()[k as usize])
    }

    /// Whether some initial task is not claimed yet.
    pub(super) fn has_unclaimed(&self) -> bool {
        self.ranges.has_unclaimed()
    }

    /// Reports a panic in task `i`'s step as the compute's error, instead of killing the
    /// worker: the task's own panic in a plain compute (see
    /// [`PlanView::run_caught_outside`](crate::plan::PlanView::run_caught_outside)), or one
    /// outside the task (a value's `Drop`). The chain that ran it (see
    /// [`execute`](Execution::execute)) ends there.
    #[cold]
    #[inline(never)]
    pub(super) fn panicked(&self, i: u32, caught: panic::Caught, inputs: &mut Vec<Value>) {
        let task = self.plan.view().task(i as usize).key();
        panic::clear_quietly(inputs);
        let location = caught.location().map(str::to_owned);
        self.finish(Err(Error::Panicked { task, message: caught.message(), location }));
    }

    /// Whether the run was stopped (an error, a cancel, a timeout): no task of it starts.
    #[inline]
    pub(super) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// Runs task `i` and makes its dependents runnable: the first (highest-priority) ready
    /// dependent is returned to be run next on this thread, the others go to `push`.
    /// `carry` may hold the value of one of `i`'s inputs, handed over directly by the task
    /// that ran before on this thread (see [`Carry`]); `i` takes it, and leaves in it the value
    /// it hands to the dependent it returns, if it hands one. May unwind only from a value's `Drop` outside a
    /// task, or from the task itself in a plain compute: the worker's `run_chain` catches that once
    /// per chain of tasks, not once per task, and reports it with
    /// [`panicked`](Execution::panicked). Inlined into that one caller, where every task passes.
    /// `plain` is [`PlanView::is_plain`](crate::plan::PlanView::is_plain), which the caller asks once per chain: then the
    /// task is called directly, with no check of a stop, callbacks or a fused program. The
    /// caller checks [`is_stopped`](Execution::is_stopped) before a task that does not follow
    /// directly from the one before (this step checks it after each task, before it hands on
    /// a value).
    #[inline(always)]
    pub(super) fn execute(
        &self,
        i: u32,
        plain: bool,
        carry: &mut Option<Carry>,
        inputs: &mut Vec<Value>,
        mut push: impl FnMut(u32),
    ) -> Option<u32> {
        let view = self.plan.view();
        // A plain compute has no cancel token and no deadline: nothing to look at.
        if !plain && view.should_stop() {
            self.finish(Err(view.stop_error().expect("a stopped plan says why")));
            return None;
        }
        let i = i as usize;
        for &d in view.deps(i) {
            // The carried value goes straight in, not through a `Result`.
            if let Some(carried) = carry.take_if(|c| c.from == d) {
                inputs.push(carried.value);
                continue;
            }
            match self.slots.take(NAME, view, d as usize) {
                Ok(value) => inputs.push(value),
                Err(err) => {
                    panic::clear_quietly(inputs);
                    self.finish(Err(err));
                    return None;
                }
            }
        }
        // A panic in the task unwinds to `run_chain`'s catch, which names the task. The plain
        // path matches the op's own result (a success is not moved into another `Result`).
        let value = if plain {
            match view.run_plain_uncaught(i, inputs) {
                Ok(value) => value,
                Err(failure) => {
                    self.finish(Err(view.plain_failed(i, failure)));
                    return None;
                }
            }
        } else {
            match view.run_caught_outside(i, inputs) {
                Ok(value) => value,
                Err(err) => {
                    self.finish(Err(err));
                    return None;
                }
            }
        };
        if self.stopped.load(Ordering::Relaxed) {
            return None; // the compute is over: drop the value, wake no dependent
        }
        // An output task has a use beyond its dependents: the caller's request.
        let dependents = view.dependents(i);
        let is_output = view.uses(i) as usize > dependents.len();
        let done = |this: &Self| {
            if is_output && this.outputs_left.fetch_sub(1, Ordering::AcqRel) == 1 {
                this.finish(Ok(()));
            }
        };

        // A value with one use, by a dependent that waits for nothing else, skips its slot:
        // it is carried straight into that dependent, run next on this thread. `waiting == 1`
        // seen with `Acquire` means every other input of `j` is stored and counted, so no other
        // thread will touch `j`'s count: this thread alone makes `j` ready.
        if let [j] = *dependents
            && view.uses(i) == 1
            && countdown::claim_last(self.slots.waiting(j))
        {
            done(self);
            *carry = Some(Carry { from: i as u32, value });
            return Some(j);
        }

        self.slots.store(view, i, value);
        let mut next: Option<u32> = None;
        for &j in dependents {
            if countdown::arrive(self.slots.waiting(j)) {
                match next {
                    Some(first) if first < j => push(j),
                    Some(first) => {
                        push(first);
                        next = Some(j);
                    }
                    None => next = Some(j),
                }
            }
        }
        done(self);
        next
    }

    /// Whether the plan is plain ([`PlanView::is_plain`](crate::plan::PlanView::is_plain)), for [`execute`](Execution::execute).
    #[inline]
    pub(super) fn is_plain(&self) -> bool {
        self.plan.view().is_plain()
    }

    /// Whether the run has ended: all its outputs are done, or it was stopped.
    pub(super) fn is_over(&self) -> bool {
        self.stopped.load(Ordering::Relaxed) || self.outputs_left.load(Ordering::Relaxed) == 0
    }

    /// Records the outcome; the first one wins. An error stops the run.
    pub(super) fn finish(&self, result: Result<(), Error>) {
        let mut outcome = lock(&self.outcome);
        if outcome.is_none() {
            if result.is_err() {
                self.stopped.store(true, Ordering::Relaxed);
            }
            *outcome = Some(result);
            self.done.notify_all();
        }
    }

    /// Blocks the caller until the run has an outcome, looking at the cancel token and the
    /// deadline meanwhile so that a stop returns at once, even while a long task still runs
    /// (it finishes in the background; its result is dropped).
    pub(super) fn wait(&self) -> Result<(), Error> {
        let view = self.plan.view();
        let helping = crate::worker::can_help();
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(result) = outcome.take() {
                return result;
            }
            if view.should_stop() {
                self.stopped.store(true, Ordering::Relaxed);
                return Err(view.stop_error().expect("a stopped plan says why"));
            }
            if helping {
                // A worker of another pool (a task computing here) runs its own pool's ready
                // jobs meanwhile: they may be what this compute's tasks wait for.
                drop(outcome);
                let helped = crate::worker::help();
                outcome = lock(&self.outcome);
                if helped {
                    continue;
                }
            }
            let poll = if helping { HELP_POLL } else { CANCEL_POLL };
            let pause = match view.deadline() {
                Some(at) => at.saturating_duration_since(Instant::now()).min(poll),
                None => poll,
            };
            outcome = wait_timeout_std(&self.done, outcome, pause);
        }
    }

    /// The outputs' values, after a successful run.
    pub(super) fn outputs(&self) -> Result<Vec<Value>, Error> {
        self.slots.take_outputs(NAME, self.plan.view())
    }
}
