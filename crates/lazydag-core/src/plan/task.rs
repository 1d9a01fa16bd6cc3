//! The task boundary: running one task of a plan ([`PlanView::run`],
//! [`PlanView::start_async`]), cloning a value for a use that is not its last
//! ([`PlanView::share`]), and turning what a task did into its result.
//!
//! Invariants: a panic inside a user task (or a value's `Clone`) is caught here and becomes
//! [`Error::Panicked`] naming the task (for a fused task, the member that panicked), except
//! through [`PlanView::run_caught_outside`], whose caller catches it and names the task; a task
//! that returns `Err` becomes [`Error::Failed`]. In keep-going mode a failure (a task's, or a
//! value's `Clone` for one of its uses: one rule, [`failed`]) becomes a [`Poison`] value that
//! flows to dependents in place of their input, so they are skipped and report the original
//! failure. Each task that starts reports `pretask` and `posttask` to the
//! plan's hooks, if it has any; literals and skipped tasks report nothing.

use std::future::Future;
use std::sync::Arc;

use super::TaskRef;
use super::program::{self, Instr, exec};
use super::view::{PlanView, TaskStatus, with_current_hooks, without_current_hooks};
use crate::cancel;
use crate::error::Error;
use crate::key::TaskKey;
use crate::node::{Failure, Node};
use crate::panic;
use crate::value::Value;
use crate::worker::{self, Worker};

/// A failed value in keep-going mode: it flows to dependents in place of their input, so they
/// are skipped and report the original failure.
struct Poison(Error);

/// Runs `f`, a job that a pool worker runs while its own task waits for a nested compute
/// (helping), apart from the waiting task: with none of the thread state the task boundary
/// set for it (its compute's cancel watch, its current hooks, the mark of a task inside a
/// compute with callbacks), as if the job ran on an idle worker. The job may belong to any
/// compute on the pool; its own task boundary sets its own compute's state. The waiting
/// task's state is back when `f` returns or unwinds.
///
/// Called where helping runs a job (the pools' help hooks), never per task: a worker that is
/// not helping has nothing of another task to hide.
pub(crate) fn helped<R>(f: impl FnOnce() -> R) -> R {
    cancel::unwatched(|| worker::outside_task(|| without_current_hooks(f)))
}

impl<'g> PlanView<'g> {
    /// Runs task `i` on `inputs` (one value per entry of [`deps(i)`](PlanView::deps), in order;
    /// the vector is left empty). A literal ignores `inputs` and returns its value.
    ///
    /// # Errors
    /// [`Error::Failed`] when the task returns `Err`, [`Error::Panicked`] when it panics (the
    /// panic is caught here), [`Error::LiteralMoved`] for a spent non-`Clone` literal.
    #[inline(always)]
    pub fn run(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        if self.is_plain() {
            return self.run_plain(i, inputs); // nothing to watch, report, trace or fuse
        }
        if self.stop.can_stop() && !self.literal[i] {
            return self.run_watching(i, inputs);
        }
        self.run_watched(i, inputs)
    }

    /// [`run`](PlanView::run) for a caller that catches panics around it itself and reports
    /// one as [`Error::Panicked`] naming task `i` (the work-stealing worker, once per chain of
    /// tasks): in a plain compute (nothing to watch, report, trace or fuse) the task is called
    /// without a catch of its own, which is then the only difference; any other compute takes
    /// [`run`](PlanView::run).
    ///
    /// # Errors
    /// As [`run`](PlanView::run), except that a panic unwinds to the caller.
    #[inline(always)]
    pub(crate) fn run_caught_outside(
        &self,
        i: usize,
        inputs: &mut Vec<Value>,
    ) -> Result<Value, Error> {
        if !self.is_plain() || self.literal[i] {
            return self.run(i, inputs);
        }
        self.run_plain_uncaught(i, inputs).map_err(|failure| self.plain_failed(i, failure))
    }

    /// Whether the compute is plain: nothing to watch, report, trace or fuse, so that a task
    /// may run by [`run_plain_uncaught`](PlanView::run_plain_uncaught). Fixed once the plan
    /// is finished: a scheduler may ask it once per run, or per chain of tasks.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.stop.plain && self.program_start.is_empty()
    }

    /// [`run_caught_outside`](PlanView::run_caught_outside) for a caller that has checked
    /// [`is_plain`](PlanView::is_plain) and knows that task `i` is not a literal (a pool's
    /// task: literals are never scheduled, they are read through
    /// [`literal`](PlanView::literal)): the task's function called directly. The pool's chain
    /// loop and `Sequential` use it, each with one catch of its own that names the task.
    ///
    /// # Errors
    /// The task's own failure, which [`plain_failed`](PlanView::plain_failed) turns into the
    /// error [`run`](PlanView::run) would return (kept apart so that a success is not moved
    /// into another `Result` on the hot path); a panic unwinds to the caller.
    #[inline(always)]
    pub(crate) fn run_plain_uncaught(
        &self,
        i: usize,
        inputs: &mut Vec<Value>,
    ) -> Result<Value, Failure> {
        debug_assert!(self.is_plain() && !self.literal[i]);
        let result = self.tasks[i].op.call(inputs, 0, None);
        // What a task that failed early left: one catch per value (see `panic`).
        panic::clear_quietly(inputs);
        result
    }

    /// The error of plain task `i` that failed with `failure` in
    /// [`run_plain_uncaught`](PlanView::run_plain_uncaught): what [`run`](PlanView::run)
    /// returns for it.
    #[cold]
    #[inline(never)]
    pub(crate) fn plain_failed(&self, i: usize, failure: Failure) -> Error {
        if self.stopped_by(&failure) {
            return self.stop_error().unwrap_or(Error::Cancelled);
        }
        failure_error(self.tasks[i].key(), failure)
    }

    /// Literal `d`'s value for one use: what [`run`](PlanView::run) returns for it, by the
    /// short way the schedulers' slots take (a literal reports to no callback and checks no
    /// stop; only its clone, user code, is guarded): a clone of the value, or the value itself
    /// for a literal that cannot be cloned (then used once).
    ///
    /// # Errors
    /// [`Error::Panicked`] if the value's `Clone` panics, [`Error::LiteralMoved`] for a spent
    /// non-`Clone` literal.
    #[inline]
    pub(crate) fn literal(&self, d: usize) -> Result<Value, Error> {
        if self.stop.trace {
            return self.run(d, &mut Vec::new()); // in its `task` span, as before
        }
        let node = self.tasks[d];
        let cloner = node.cloner();
        // A small `Copy` literal that can be cloned: its copy (its bits) is its clone, read
        // without the literal's lock or the task boundary.
        if cloner.is_some()
            && let Some((kind, bits)) = node.op.literal_bits()
            && let Some(value) = Value::from_bits(kind, bits)
        {
            return Ok(value);
        }
        let mut none = Vec::new();
        let outcome = panic::catch(|| node.op.call(&mut none, 0, cloner));
        // A literal takes no inputs: `none` is still empty and unallocated, nothing to drop.
        std::mem::forget(none);
        match outcome {
            Ok(Ok(value)) => Ok(value),
            other => self.settle_failed(node, other),
        }
    }

    /// [`run`](PlanView::run) for a compute that can be stopped: the task runs with the
    /// thread watching its compute (see `cancel`). Out of line, so that the usual path (no
    /// token, no timeout) stays as small as it was.
    #[cold]
    #[inline(never)]
    fn run_watching(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        let deadline = self.deadline();
        cancel::watching(self.stop.cancel.as_ref(), deadline, || self.run_watched(i, inputs))
    }

    /// [`run`](PlanView::run), with the thread's watch already set (see `cancel`).
    #[inline(always)]
    fn run_watched(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        if self.stop.keep_going || self.stop.hooks.is_some() {
            return self.run_reporting(i, inputs);
        }
        self.run_now(i, inputs)
    }

    /// [`run_watched`](PlanView::run_watched) in keep-going mode or with callbacks: out of
    /// line, so that the usual path stays small enough to inline into the schedulers' loops.
    #[inline(never)]
    fn run_reporting(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        // A fused task's members see their own inputs' failures, in order (`run_settling`).
        if self.program(i).is_none()
            && let Some(poisoned) = self.upstream_failure(inputs)
        {
            return Ok(poisoned);
        }
        if let Some(hooks) = &self.stop.hooks
            && !self.literal[i]
        {
            let start = hooks.pretask(i, self.task(i));
            let result = if self.stop.track {
                with_current_hooks(hooks, || worker::in_task(|| self.run_now(i, inputs)))
            } else {
                worker::in_task(|| self.run_now(i, inputs))
            };
            hooks.posttask(i, start, self.task(i), self.status(&result));
            return result;
        }
        self.run_now(i, inputs)
    }

    /// Runs task `i` (no callbacks), in a trace span named by its key and worker when a
    /// subscriber wants them.
    #[inline(always)]
    fn run_now(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        if let Some(program) = self.program(i) {
            return self.run_program(i, program, inputs);
        }
        if self.stop.trace {
            return self.run_traced(i, inputs);
        }
        self.run_plain(i, inputs)
    }

    /// [`run_now`](PlanView::run_now) inside the task's `task` span: out of line, so that the
    /// usual path (no subscriber) holds no span guard to drop.
    #[cold]
    #[inline(never)]
    fn run_traced(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        let node = self.tasks[i];
        let _span =
            tracing::trace_span!("task", key = %node.key(), worker = %Worker::current()).entered();
        self.run_plain(i, inputs)
    }

    /// Calls task `i`'s function on `inputs`, catching a panic.
    #[inline(always)]
    fn run_plain(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        let node = self.tasks[i];
        let cloner = if self.literal[i] { node.cloner() } else { None };
        let outcome = panic::catch(|| node.op.call(inputs, 0, cloner));
        // What a task that failed early left: one catch per value (see `panic`).
        panic::clear_quietly(inputs);
        self.settle(node, outcome)
    }

    /// Runs fused task `i`'s program. A failure or panic names the member that caused it.
    fn run_program(
        &self,
        i: usize,
        program: &[Instr<'g>],
        inputs: &mut Vec<Value>,
    ) -> Result<Value, Error> {
        let node = self.tasks[i];
        let _span = self.stop.trace.then(|| {
            tracing::trace_span!(
                "task",
                key = %node.key(),
                worker = %Worker::current(),
                fused = program.iter().filter(|step| step.node().is_some()).count(),
                chain = %program::ChainName(program)
            )
            .entered()
        });
        if self.stop.keep_going {
            return self.run_settling(program, inputs);
        }
        let mut current = None;
        // Without a cancel token or a deadline nothing can stop the compute: the step loop then
        // asks a constant (`should_stop` would be false at every step).
        let stoppable = self.stop.cancel.is_some() || self.stop.deadline.is_some();
        let outcome = panic::catch(|| {
            let mut stack = if stoppable {
                exec(program, inputs, &mut current, &|| self.should_stop())?
            } else {
                exec(program, inputs, &mut current, &|| false)?
            };
            Ok(stack.pop().expect("a program leaves its root's value"))
        });
        panic::clear_quietly(inputs);
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Stopped)) => Err(self.stop_error().unwrap_or(Error::Cancelled)),
            other if self.stopped_inside(&other) => {
                Err(self.stop_error().unwrap_or(Error::Cancelled))
            }
            other => {
                let key = current.map_or_else(|| node.key(), |member| member.key());
                settle_keyed(key, self.stop.keep_going, other)
            }
        }
    }

    /// [`run_program`](PlanView::run_program) in keep-going mode: each member runs as it would
    /// unfused. A member one of whose inputs is a failure is skipped and passes on the first
    /// one, in argument order; a member that fails or panics becomes a failure value naming
    /// it, which its consumers in the program see; the others run. So the task's value names
    /// the same failure as the unfused tasks would (an inlined cheap input that panics before
    /// a failed scheduled one is the one reported, and the other way round). Carried runs are
    /// run step by step on plain values (a failure is not of the carried type). Out of line:
    /// the slow path of a mode that already pays a catch per member.
    #[cold]
    #[inline(never)]
    fn run_settling(&self, program: &[Instr<'g>], inputs: &mut Vec<Value>) -> Result<Value, Error> {
        let mut stack: Vec<Value> = Vec::with_capacity(4);
        let mut next_input = inputs.drain(..);
        let mut result = Ok(());
        for &instr in program {
            let Some(node) = instr.node() else {
                stack.push(next_input.next().expect("one scheduled input per Input step"));
                continue;
            };
            if self.should_stop() {
                result = Err(self.stop_error().unwrap_or(Error::Cancelled));
                break;
            }
            let from = stack.len() - node.deps.len();
            if let Some(failed) = stack[from..].iter().position(Value::is::<Poison>) {
                let poisoned = stack.swap_remove(from + failed);
                panic::drop_each_quietly(stack.drain(from..));
                stack.push(poisoned);
                continue;
            }
            let cloner = if node.kind.literal { node.cloner() } else { None };
            let outcome = panic::catch(|| node.op.call(&mut stack, from, cloner));
            if self.stopped_inside(&outcome) {
                result = Err(self.stop_error().unwrap_or(Error::Cancelled));
                break;
            }
            // The stack above `from` holds what a panicking call left of its inputs.
            panic::drop_each_quietly(stack.drain(from..));
            match settle_keyed(node.key(), true, outcome) {
                Ok(value) => stack.push(value),
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
        }
        panic::drop_each_quietly(next_input);
        let value = result.map(|()| stack.pop().expect("a program leaves its root's value"));
        panic::drop_each_quietly(stack);
        value
    }

    /// Starts async task `i` on `inputs` and returns the future that finishes it, or `None`
    /// if the task is not async. The future owns everything it needs (`'static`), catches a
    /// panic while polled, and reports errors like [`run`](PlanView::run).
    pub fn start_async(
        &self,
        i: usize,
        inputs: &mut Vec<Value>,
    ) -> Option<impl Future<Output = Result<Value, Error>> + Send + 'static> {
        let node = self.tasks[i];
        if !node.kind.is_async {
            return None;
        }
        let keep_going = self.stop.keep_going;
        let poisoned = self.upstream_failure(inputs);
        let key = node.key();
        // With callbacks, the future keeps the node and the hooks to report its end.
        let report = match (&self.stop.hooks, &poisoned) {
            (Some(hooks), None) => {
                let start = hooks.pretask(i, self.task(i));
                Some((Arc::clone(hooks), Arc::clone(self.handles[i]), i, start))
            }
            _ => None,
        };
        // A fused async task first runs its inlined inputs (never async) on this thread.
        let mut current = None;
        let started = match poisoned {
            Some(_) => None,
            None => Some(panic::catch(|| match self.program(i) {
                None => Ok(node.op.start(inputs, 0)),
                Some(program) => {
                    let prefix = &program[..program.len() - 1];
                    let mut stack = exec(prefix, inputs, &mut current, &|| false)?;
                    current = None;
                    Ok(node.op.start(&mut stack, 0))
                }
            })),
        };
        panic::clear_quietly(inputs);
        let key = current.map_or(key, |member| member.key());
        let watch = self.stop.can_stop().then(|| (self.stop.cancel.clone(), self.deadline()));
        let stopping = self.stop.can_stop().then(|| (self.stop.cancel.clone(), self.stop.deadline));
        let task = async move {
            let outcome = match started {
                None => return Ok(poisoned.expect("skipped because an input failed")),
                Some(Err(payload)) => Err(payload),
                Some(Ok(Err(failure))) => Ok(Err(failure)),
                Some(Ok(Ok(future))) => {
                    let future = future.expect("an async op starts a future");
                    match watch {
                        None => panic::catch_async(future).await,
                        Some((token, deadline)) => {
                            // Each poll runs with the thread watching this compute.
                            let mut future = Box::pin(future);
                            panic::catch_async(std::future::poll_fn(|cx| {
                                cancel::watching(token.as_ref(), deadline, || {
                                    future.as_mut().poll(cx)
                                })
                            }))
                            .await
                        }
                    }
                }
            };
            if let Some((hooks, node, index, start)) = report {
                let status = match &outcome {
                    Ok(Ok(_)) => TaskStatus::Succeeded,
                    Ok(Err(Failure::Stopped)) => TaskStatus::Cancelled,
                    _ => TaskStatus::Failed,
                };
                hooks.posttask(index, start, TaskRef(&node), status);
            }
            // A task that gave up because its compute was stopped (an `Err(Cancelled)` once
            // `is_cancelled`): the stop's error, as on the other schedulers, not a failure.
            if let Some((cancel, deadline)) = &stopping
                && let Ok(Err(failure)) = &outcome
                && gave_up(failure)
                && let Some(stopped) = super::view::stop_error(cancel.as_ref(), *deadline)
            {
                return Err(stopped);
            }
            settle_keyed(key, keep_going, outcome)
        };
        Some(task)
    }

    /// How a task that ran with `result` ended, for the callbacks.
    fn status(&self, result: &Result<Value, Error>) -> TaskStatus {
        match result {
            Err(Error::Cancelled | Error::TimedOut { .. }) => TaskStatus::Cancelled,
            Err(_) => TaskStatus::Failed,
            Ok(value) if value.is::<Poison>() => TaskStatus::Failed,
            Ok(_) if self.should_stop() => TaskStatus::Cancelled,
            Ok(_) => TaskStatus::Succeeded,
        }
    }

    /// In keep-going mode, the failure among `inputs` (which it drops), if any.
    fn upstream_failure(&self, inputs: &mut Vec<Value>) -> Option<Value> {
        if !self.stop.keep_going {
            return None;
        }
        let failed = inputs.iter().position(Value::is::<Poison>)?;
        let poisoned = inputs.swap_remove(failed);
        panic::clear_quietly(inputs);
        Some(poisoned)
    }

    /// Turns a caught outcome into the task's result.
    fn settle(
        &self,
        node: &Node,
        outcome: Result<Result<Value, Failure>, panic::Caught>,
    ) -> Result<Value, Error> {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            other => self.settle_failed(node, other),
        }
    }

    /// [`settle`](PlanView::settle) for a task that did not succeed: out of line, so that
    /// the success path stays small enough to inline into the schedulers' loops.
    #[cold]
    #[inline(never)]
    fn settle_failed(
        &self,
        node: &Node,
        outcome: Result<Result<Value, Failure>, panic::Caught>,
    ) -> Result<Value, Error> {
        if self.stopped_inside(&outcome) {
            return Err(self.stop_error().unwrap_or(Error::Cancelled));
        }
        settle_keyed(node.key(), self.stop.keep_going, outcome)
    }

    /// Whether a task failed only because a compute it started was stopped while its own
    /// compute stops too (a flattened graph inherits its outer compute's cancel token and
    /// deadline): then the error is the compute's stop, not a failure of the task.
    fn stopped_inside(&self, outcome: &Result<Result<Value, Failure>, panic::Caught>) -> bool {
        matches!(outcome, Ok(Err(failure)) if self.stopped_by(failure))
    }

    /// [`stopped_inside`](PlanView::stopped_inside) for a task's failure.
    fn stopped_by(&self, failure: &Failure) -> bool {
        gave_up(failure) && self.should_stop()
    }

    /// Takes a requested output's value apart: the value, or in keep-going mode the failure it
    /// stands for.
    pub(crate) fn settled(value: Value) -> Result<Value, Error> {
        match value.downcast::<Poison>() {
            Ok(Poison(err)) => Err(err),
            Err(value) => Ok(value),
        }
    }

    /// The failure a requested output's value stands for in keep-going mode, if it stands for
    /// one (see [`settled`](PlanView::settled)).
    pub(crate) fn failure(value: &Value) -> Option<&Error> {
        value.downcast_ref::<Poison>().map(|Poison(err)| err)
    }

    /// Clones task `i`'s value for a consumer that is not its last use.
    ///
    /// In keep-going mode a panicking `Clone` is a failure like a task's (as for a literal):
    /// the consumer gets a value standing for the error, which skips it and its dependents,
    /// and outputs that do not depend on it still succeed.
    ///
    /// # Errors
    /// [`Error::Panicked`] if the type's `Clone` panics (not in keep-going mode);
    /// [`Error::NotClone`] if the type is not known to be `Clone` (a plan that passed
    /// [`check`](PlanView::check) never asks that).
    pub fn share(&self, i: usize, value: &Value) -> Result<Value, Error> {
        if self.stop.keep_going
            && let Some(Poison(err)) = value.downcast_ref::<Poison>()
        {
            return Ok(Value::new(Poison(err.clone())));
        }
        let node = self.tasks[i];
        let Some(clone) = node.cloner() else {
            return Err(self.not_clone(i));
        };
        match panic::catch(|| clone(value)) {
            Ok(value) => Ok(value),
            Err(caught) => self.clone_panicked(node, &caught),
        }
    }

    /// [`share`](PlanView::share) for a `Clone` that panicked: the error names the task
    /// whose value it is, and keep-going mode turns it into a value ([`failed`]).
    #[cold]
    #[inline(never)]
    fn clone_panicked(&self, node: &Node, caught: &panic::Caught) -> Result<Value, Error> {
        let err = Error::Panicked {
            task: node.key(),
            message: format!("cloning its output panicked: {}", caught.message()),
            location: caught.location().map(str::to_owned),
        };
        failed(err, self.stop.keep_going)
    }
}

/// Turns a caught outcome (not a success) into the task's error, or in keep-going mode into a
/// value that stands for it.
fn settle_keyed(
    key: TaskKey,
    keep_going: bool,
    outcome: Result<Result<Value, Failure>, panic::Caught>,
) -> Result<Value, Error> {
    let err = match outcome {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(failure)) => failure_error(key, failure),
        Err(caught) => Error::Panicked {
            task: key,
            message: caught.message(),
            location: caught.location().map(str::to_owned),
        },
    };
    failed(err, keep_going)
}

/// Whether a task's `failure` is its giving up on a stopped compute (an `Err` of
/// [`Error::Cancelled`] or [`Error::TimedOut`]): then, if its compute is stopped, the compute
/// returns the stop's error rather than a failure naming the task.
fn gave_up(failure: &Failure) -> bool {
    matches!(failure, Failure::Err(source)
    if matches!(
        source.downcast_ref::<Error>(),
        Some(Error::Cancelled | Error::TimedOut { .. })
    ))
}

/// The one rule for a failure at the task boundary (a task's `Err` or panic, a literal's or a
/// task value's panicking `Clone`): the error, or in keep-going mode a [`Poison`] value that
/// stands for it, so that its consumers are skipped and independent outputs still succeed.
fn failed(err: Error, keep_going: bool) -> Result<Value, Error> {
    if keep_going { Ok(Value::new(Poison(err))) } else { Err(err) }
}

/// The error for task `key`'s `failure` (not a stop of its compute).
fn failure_error(key: TaskKey, failure: Failure) -> Error {
    match failure {
        Failure::Err(source) => Error::Failed { task: key, source: source.into() },
        Failure::LiteralMoved { type_name } => Error::LiteralMoved { task: key, type_name },
        // Only fused programs stop, and `run_program` reports that itself.
        Failure::Stopped => Error::Cancelled,
    }
}
