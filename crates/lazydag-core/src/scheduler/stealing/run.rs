//! One compute on the pool: its values, counters and completion latch.
//!
//! Invariants:
//! - a task is pushed (made runnable) exactly once: by the caller when it has no task inputs,
//!   or by the worker whose decrement of its `waiting` count reached zero;
//! - a value is stored before its dependents' counts are decremented, so whoever runs a
//!   dependent finds it; each slot tracks the uses left, and the last use moves the value out;
//! - the outcome is set once: success when `remaining` reaches zero, or the first error, or a
//!   stop (cancel, timeout). After an error or stop no task starts; jobs still queued are
//!   dropped when popped.
//!
//! # Memory ordering
//! `waiting[j]` is decremented with `AcqRel`: the worker that sees it reach zero acquires every
//! producer's earlier release, and so their stored values (the slot mutexes order the rest).
//! `remaining` uses `AcqRel` for the same reason towards the caller, which then reads outputs.
//! `stopped` is a hint read with `Relaxed` before starting a task: the outcome itself is
//! published under the `outcome` mutex, and a task that starts just before the flag becomes
//! visible is harmless (its result is dropped).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{Error, panic_message};
use crate::plan::Plan;
use crate::scheduler::slot::SharedSlots;
use crate::value::Value;

/// The scheduler's name, for errors.
const NAME: &str = "work-stealing";

/// How often a waiting caller looks at its cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(5);

/// The state of one compute on the pool.
#[derive(Debug)]
pub(super) struct Run {
    pub(super) id: u32,
    plan: Plan,
    slots: SharedSlots,
    waiting: Box<[AtomicU32]>,
    remaining: AtomicUsize,
    stopped: AtomicBool,
    outcome: Mutex<Option<Result<(), Error>>>,
    done: Condvar,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Run {
    pub(super) fn new(plan: Plan, id: u32) -> Self {
        let view = plan.view();
        let n = view.len();
        // Build the dependents lists now, on the caller, not inside the first worker's task.
        if n > 0 {
            let _ = view.dependents(0);
        }
        let waiting = view.all_waiting().iter().map(|&w| AtomicU32::new(w)).collect();
        let remaining = (0..n).filter(|&i| !view.is_literal(i)).count();
        Run {
            id,
            slots: SharedSlots::new(view),
            waiting,
            remaining: AtomicUsize::new(remaining),
            stopped: AtomicBool::new(false),
            outcome: Mutex::new(if remaining == 0 { Some(Ok(())) } else { None }),
            done: Condvar::new(),
            plan,
        }
    }

    /// The tasks runnable at the start, in priority order.
    pub(super) fn initial(&self) -> impl Iterator<Item = u32> + '_ {
        let view = self.plan.view();
        (0..view.len())
            .filter(move |&i| !view.is_literal(i) && view.waiting(i) == 0)
            .map(|i| i as u32)
    }

    /// Runs task `i` and makes its dependents runnable: the first (highest-priority) ready
    /// dependent is returned to be run next on this thread, the others go to `push`.
    /// Never unwinds: tasks' panics are caught by the plan, and a panic from a value's `Drop`
    /// outside a task fails the compute here instead of killing the worker.
    pub(super) fn execute(
        &self,
        i: u32,
        inputs: &mut Vec<Value>,
        push: impl FnMut(u32),
    ) -> Option<u32> {
        match catch_unwind(AssertUnwindSafe(|| self.execute_task(i, inputs, push))) {
            Ok(next) => next,
            Err(payload) => {
                let task = self.plan.view().task(i as usize).key();
                let _ = catch_unwind(AssertUnwindSafe(|| inputs.clear()));
                self.finish(Err(Error::Panicked { task, message: panic_message(&*payload) }));
                None
            }
        }
    }

    fn execute_task(
        &self,
        i: u32,
        inputs: &mut Vec<Value>,
        mut push: impl FnMut(u32),
    ) -> Option<u32> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let view = self.plan.view();
        if view.should_stop() {
            self.finish(Err(view.stop_error().expect("a stopped plan says why")));
            return None;
        }
        let i = i as usize;
        for &d in view.deps(i) {
            match self.slots.take(NAME, view, d as usize) {
                Ok(value) => inputs.push(value),
                Err(err) => {
                    inputs.clear();
                    self.finish(Err(err));
                    return None;
                }
            }
        }
        let value = match view.run(i, inputs) {
            Ok(value) => value,
            Err(err) => {
                self.finish(Err(err));
                return None;
            }
        };
        if self.stopped.load(Ordering::Relaxed) {
            return None; // the compute is over: drop the value, wake no dependent
        }
        self.slots.store(i, value);

        let mut next: Option<u32> = None;
        for &j in view.dependents(i) {
            if self.waiting[j as usize].fetch_sub(1, Ordering::AcqRel) == 1 {
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
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.finish(Ok(()));
        }
        next
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
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(result) = outcome.take() {
                return result;
            }
            if view.should_stop() {
                self.stopped.store(true, Ordering::Relaxed);
                return Err(view.stop_error().expect("a stopped plan says why"));
            }
            let pause = match view.deadline() {
                Some(at) => at.saturating_duration_since(Instant::now()).min(CANCEL_POLL),
                None => CANCEL_POLL,
            };
            outcome = self.done.wait_timeout(outcome, pause).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// The outputs' values, after a successful run.
    pub(super) fn outputs(&self) -> Result<Vec<Value>, Error> {
        let view = self.plan.view();
        view.outputs().iter().map(|&o| self.slots.take(NAME, view, o as usize)).collect()
    }
}
