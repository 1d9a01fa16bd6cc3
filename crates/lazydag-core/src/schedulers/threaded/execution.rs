//! [`Execution`]: the shared state of one compute on the pool, and the steps of running one task.
//!
//! Invariants (see the module above for the whole protocol):
//! - `active` counts this compute's queued plus running jobs. A finishing task adds its newly
//!   ready dependents before it subtracts itself, so `active` reaches 0 exactly once: when
//!   every task has run, or, after a stop, when the running ones have finished and the queued
//!   ones were purged or skipped. Whoever brings it to 0 sets the latch; so does the first
//!   error or stop, since the caller does not wait for running tasks;
//! - a task is queued exactly once, by the thread whose decrement brings its `waiting`
//!   count to 0 (or by the caller, for tasks that wait for nothing);
//! - a slot holds a task's value from when the task finishes until its last use takes it.
//!   For a boxed value each use takes the slot's lock, counts itself down and clones the
//!   value, or moves it out if it is the last: counting and taking under one lock is what
//!   stops a last use from moving the value while an earlier use is still cloning it (a
//!   `Value` is not `Sync`). A small `Copy` value sits in plain atomics instead, and every use
//!   reads a copy, with no lock (see `schedulers/slot.rs`);
//! - once `stopped` is set, no task of this compute starts and none is queued.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::latch::Latch;
use super::pool::Shared;
use crate::error::Error;
use crate::panic;
use crate::plan::Plan;
use crate::schedulers::countdown;
use crate::schedulers::slot::SharedSlots;
use crate::value::Value;

/// The scheduler's name, for errors.
const NAME: &str = "threads";

/// How often a waiting caller looks at its cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(5);

/// How often a waiting worker with nothing to help looks again for a job to help with.
const HELP_POLL: Duration = Duration::from_millis(1);

/// A worker's reusable buffers.
#[derive(Default)]
pub(super) struct Scratch {
    inputs: Vec<Value>,
    ready: Vec<u32>,
}

/// The shared state of one compute.
pub(super) struct Execution {
    plan: Plan,
    /// Start order among this pool's computes, the tie-break of job priorities.
    number: u64,
    /// Per task: its value and remaining uses (literals' slots stay unused), and its inputs
    /// not yet produced.
    slots: SharedSlots,
    /// Queued plus running jobs of this compute.
    active: AtomicUsize,
    /// Set on the first error or stop: start nothing more.
    stopped: AtomicBool,
    /// The first error; later ones are dropped.
    error: OnceLock<Error>,
    /// Set when `active` reaches 0, or on the first error or stop.
    done: Latch,
}

impl Execution {
    /// Runs `plan` on the pool behind `shared` and returns its outputs' values: queues the
    /// tasks that wait for nothing, blocks until the compute is done, then collects.
    pub(super) fn compute(plan: &Plan, shared: &Arc<Shared>) -> Result<Vec<Value>, Error> {
        let view = plan.view();
        let ready = view.initial();
        let run = Arc::new(Execution {
            plan: plan.clone(),
            number: shared.next_compute(),
            slots: SharedSlots::new(view),
            active: AtomicUsize::new(ready.len()),
            stopped: AtomicBool::new(false),
            error: OnceLock::new(),
            done: Latch::default(),
        });
        if !ready.is_empty() {
            shared.push(&run, ready, false);
            run.wait(shared);
        }
        let result = match run.error.get() {
            Some(err) => Err(err.clone()),
            None => run.slots.take_outputs(NAME, view),
        };
        if result.is_ok() {
            // Every job is done; wait for the workers to drop theirs, so that the caller
            // frees the plan and graph (see `sole_owner`).
            crate::schedulers::sole_owner(&run);
        }
        // The caller may hold the last handle: values left in the slots (after a failure) are
        // dropped here, each under its own catch (`SharedSlots`' drop), and a panicking `Drop`
        // among them must not replace the task's error.
        panic::drop_quietly(run);
        result
    }

    /// Blocks until the compute is done or has failed. A compute that can be stopped (a
    /// cancel token or a timeout) is watched meanwhile: a stop found here is recorded like a
    /// failure, so the caller returns at once while tasks still run (they finish in the
    /// background and their values are dropped).
    ///
    /// A caller that is itself a pool worker (a task computing a nested graph, on this pool or
    /// another) helps its own pool meanwhile: it runs ready jobs instead of blocking, and
    /// looks for more every [`HELP_POLL`] while there are none. So the inner compute runs on
    /// every worker, and pools that compute on each other cannot deadlock.
    fn wait(self: &Arc<Self>, shared: &Shared) {
        let view = self.plan.view();
        let helping = crate::worker::can_help();
        if !view.can_stop() && !helping {
            return self.done.wait();
        }
        loop {
            let helped = helping && crate::worker::help();
            if helped {
                if self.done.is_set() {
                    return;
                }
            } else {
                let poll = if helping { HELP_POLL } else { CANCEL_POLL };
                let pause = match view.deadline() {
                    Some(at) => at.saturating_duration_since(Instant::now()).min(poll),
                    None => poll,
                };
                if self.done.wait_timeout(pause) {
                    return;
                }
            }
            if let Some(err) = view.stop_error() {
                return self.fail(err, shared);
            }
        }
    }

    /// This compute's start order.
    pub(super) fn number(&self) -> u64 {
        self.number
    }

    /// Runs task `i` on a worker, then counts its job done. Never unwinds. `pops_next`: the
    /// worker pops the next job right after this one (its loop does; a helping worker's wait
    /// may return instead), so that it wakes one sleeper fewer for the jobs it queues.
    pub(super) fn run_job(
        self: &Arc<Self>,
        i: usize,
        scratch: &mut Scratch,
        shared: &Shared,
        pops_next: bool,
    ) {
        let outcome = panic::catch(|| self.run_task(i, scratch, shared, pops_next));
        if let Err(caught) = outcome {
            // `run` and `share` catch task and clone panics; only a value's panicking `Drop`
            // gets here. Report it against this task, and drop what the buffers still hold.
            let task = self.plan.view().task(i).key();
            let location = caught.location().map(str::to_owned);
            self.fail(Error::Panicked { task, message: caught.message(), location }, shared);
            panic::clear_quietly(&mut scratch.inputs);
            scratch.ready.clear();
        }
        self.finish(1);
    }

    /// Checks for a stop, gathers task `i`'s inputs, runs it, stores its value, and queues
    /// the dependents it made ready (see [`run_job`](Execution::run_job) for `pops_next`).
    fn run_task(
        self: &Arc<Self>,
        i: usize,
        scratch: &mut Scratch,
        shared: &Shared,
        pops_next: bool,
    ) {
        let plan = self.plan.view();
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        if plan.should_stop()
            && let Some(err) = plan.stop_error()
        {
            self.fail(err, shared);
            return;
        }
        for &d in plan.deps(i) {
            match self.slots.take(NAME, plan, d as usize) {
                Ok(value) => scratch.inputs.push(value),
                Err(err) => {
                    panic::clear_quietly(&mut scratch.inputs);
                    self.fail(err, shared);
                    return;
                }
            }
        }
        let value = match plan.run(i, &mut scratch.inputs) {
            Ok(value) => value,
            Err(err) => {
                self.fail(err, shared);
                return;
            }
        };
        self.slots.store(plan, i, value);
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        for &d in plan.dependents(i) {
            if countdown::arrive(self.slots.waiting(d)) {
                scratch.ready.push(d);
            }
        }
        if !scratch.ready.is_empty() {
            // Count the new jobs before anyone can pop (and finish) them.
            self.active.fetch_add(scratch.ready.len(), Ordering::Relaxed);
            shared.push(self, &scratch.ready, pops_next);
            scratch.ready.clear();
        }
    }

    /// Records `err` if it is the first, and on the first stop purges this compute's queued
    /// jobs and wakes the caller, which returns the error without waiting for running tasks.
    fn fail(self: &Arc<Self>, err: Error, shared: &Shared) {
        let _ = self.error.set(err);
        if !self.stopped.swap(true, Ordering::Relaxed) {
            let purged = shared.purge(self);
            if purged > 0 {
                self.finish(purged);
            }
            self.done.set();
        }
    }

    /// Counts `n` jobs done; the one that brings `active` to 0 sets the latch.
    fn finish(&self, n: usize) {
        if self.active.fetch_sub(n, Ordering::AcqRel) == n {
            self.done.set();
        }
    }
}
