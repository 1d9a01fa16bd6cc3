//! The driver: the one future that starts tasks, collects their results and hands values on.
//!
//! Invariants, for every non-literal task `i` (see the [module docs](super) for the whole
//! protocol):
//! - `waiting[i]` counts inputs not yet completed; `i` is queued exactly when it reaches zero,
//!   and started at most once, from the queue;
//! - `slots` holds `i`'s value from the task's completion until its last use takes it;
//! - `cpu_running <= workers`, counting CPU tasks started and not yet reported.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tokio::task::{JoinError, JoinSet};

use super::watch::Watch;
use crate::error::Error;
use crate::panic;
use crate::plan::{Plan, PlanView};
use crate::schedulers::slot::Slots;
use crate::value::Value;

/// What a running task reports: its index and its result.
type Report = (u32, Result<Value, Error>);

/// Runs `plan` with at most `workers` CPU tasks at once and returns its outputs' values.
/// Must be polled inside a tokio runtime (tasks are spawned on the current one).
pub(super) async fn drive(plan: Plan, workers: usize) -> Result<Vec<Value>, Error> {
    let mut run = Execution::new(&plan, workers);
    let result = run.execute().await;
    if result.is_err() {
        // Cancels async tasks (dropped at their next `.await`) and CPU tasks not yet started.
        // CPU tasks already running cannot be interrupted: they finish in the background on
        // tokio's blocking pool, where tokio drops their reports (catching a panicking
        // `Drop`), and nothing waits for them.
        run.running.abort_all();
        run.running.detach_all();
    }
    // The values a failed run left in its slots are dropped each under its own catch
    // (`Slots`' drop): a panicking `Drop` must not replace the error.
    panic::drop_quietly(run);
    result
}

/// The state of one run, owned by the driver future.
struct Execution<'p> {
    plan: &'p Plan,
    view: &'p PlanView<'p>,
    workers: usize,
    /// Inputs of each task not yet completed.
    waiting: Vec<u32>,
    /// Each task's value, from its completion until its last use takes it.
    slots: Slots,
    /// Ready async tasks, smallest index first.
    ready_async: BinaryHeap<Reverse<u32>>,
    /// Ready CPU tasks, smallest index first.
    ready_cpu: BinaryHeap<Reverse<u32>>,
    /// CPU tasks started and not yet reported.
    cpu_running: usize,
    /// Every task started and not yet reported.
    running: JoinSet<Report>,
}

impl<'p> Execution<'p> {
    fn new(plan: &'p Plan, workers: usize) -> Self {
        let view = plan.view();
        let mut run = Execution {
            plan,
            view,
            workers,
            waiting: view.all_waiting().to_vec(),
            slots: Slots::new(view),
            ready_async: BinaryHeap::new(),
            ready_cpu: BinaryHeap::new(),
            cpu_running: 0,
            running: JoinSet::new(),
        };
        for i in 0..view.len() {
            if !view.is_literal(i) && view.waiting(i) == 0 {
                run.enqueue(i as u32);
            }
        }
        run
    }

    /// Runs every task, then takes the outputs' values in request order.
    async fn execute(&mut self) -> Result<Vec<Value>, Error> {
        let view = self.view;
        let mut watch = Watch::new(view.deadline());
        loop {
            self.start_ready()?;
            if self.running.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                report = self.running.join_next() => {
                    self.complete(report.expect("a non-empty set yields a report"))?;
                }
                () = watch.stopped(view) => return Err(stopped(view)),
            }
        }
        debug_assert!(self.ready_async.is_empty() && self.ready_cpu.is_empty());
        self.slots.take_outputs("async", view)
    }

    /// Queues a task whose inputs are all done.
    fn enqueue(&mut self, i: u32) {
        if self.view.is_async(i as usize) {
            self.ready_async.push(Reverse(i));
        } else {
            self.ready_cpu.push(Reverse(i));
        }
    }

    /// Starts ready tasks, smallest index first, while CPU workers are free for CPU tasks.
    fn start_ready(&mut self) -> Result<(), Error> {
        loop {
            let next_async = self.ready_async.peek().map(|r| r.0);
            let next_cpu = self.ready_cpu.peek().map(|r| r.0).filter(|_| self.cpu_free());
            let i = match (next_async, next_cpu) {
                (None, None) => return Ok(()),
                (Some(a), Some(c)) if c < a => self.ready_cpu.pop(),
                (Some(_), _) => self.ready_async.pop(),
                (None, Some(_)) => self.ready_cpu.pop(),
            };
            if self.view.should_stop() {
                return Err(stopped(self.view));
            }
            self.start(i.expect("peeked above").0 as usize)?;
        }
    }

    fn cpu_free(&self) -> bool {
        self.cpu_running < self.workers
    }

    /// Takes task `i`'s inputs and spawns it.
    fn start(&mut self, i: usize) -> Result<(), Error> {
        let mut inputs = Vec::with_capacity(self.view.deps(i).len());
        for &d in self.view.deps(i) {
            match self.slots.take("async", self.view, d as usize) {
                Ok(value) => inputs.push(value),
                Err(err) => {
                    panic::clear_quietly(&mut inputs);
                    return Err(err);
                }
            }
        }
        let plan = self.plan.clone();
        let index = i as u32;
        if let Some(task) = self.view.start_async(i, &mut inputs) {
            self.running.spawn(async move {
                let result = panic::catch_async(task).await;
                (index, result.unwrap_or_else(|caught| Err(panicked(&plan, i, &caught))))
            });
        } else {
            self.cpu_running += 1;
            self.running.spawn_blocking(move || {
                let result = panic::catch(|| plan.view().run(i, &mut inputs));
                (index, result.unwrap_or_else(|caught| Err(panicked(&plan, i, &caught))))
            });
        }
        Ok(())
    }

    /// Stores a finished task's value and queues the dependents it completes.
    fn complete(&mut self, report: Result<Report, JoinError>) -> Result<(), Error> {
        let (index, result) = report.map_err(|err| Error::Scheduler {
            scheduler: "async".to_owned(),
            message: format!("a task was lost: {err}"),
        })?;
        let i = index as usize;
        if !self.view.is_async(i) {
            self.cpu_running -= 1;
        }
        self.slots.store(i, result?);
        for &j in self.view.dependents(i) {
            let waiting = &mut self.waiting[j as usize];
            *waiting -= 1;
            if *waiting == 0 {
                self.enqueue(j);
            }
        }
        Ok(())
    }
}

/// The error of a stopped plan.
fn stopped(plan: &PlanView<'_>) -> Error {
    plan.stop_error().expect("a stopped plan says why")
}

/// The error for a panic that escaped a task's own guard (for instance, from a `Drop`).
fn panicked(plan: &Plan, i: usize, caught: &panic::Caught) -> Error {
    let location = caught.location().map(str::to_owned);
    Error::Panicked { task: plan.view().task(i).key(), message: caught.message(), location }
}
