//! [`Plan`]: the frozen, index-based form of a graph that schedulers execute.
//!
//! Collecting walks back from the requested outputs with an explicit stack (never recursion),
//! so only tasks an output needs are planned (culling for free) and a 1,000,000-deep chain is
//! fine. The walk is a depth-first post-order, which gives every task an index that is
//!
//! - **topological**: a task's dependencies have smaller indices, and
//! - **memory-friendly**: like `dask.order`, it finishes one branch before opening the next,
//!   so running tasks in index order keeps few intermediate values alive.
//!
//! Schedulers use the index as the task's static priority (smaller runs first).

mod collect;
mod optimize;
mod program;

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::FutureExt as _;

use lazydag_optimize::{OptimizeReport, Optimizer};

use self::collect::Collector;
use self::program::{Instr, exec};

use crate::callback::{Hooks, TaskEvent, Worker};
use crate::control::{CancelToken, Control};
use crate::error::{Error, panic_message};
use crate::key::TaskKey;
use crate::node::{Failure, Node};
use crate::value::Value;

/// A borrowed view of one recorded task, for inspection and for schedulers.
#[derive(Clone, Copy)]
pub struct TaskRef<'g>(&'g Arc<Node>);

impl<'g> TaskRef<'g> {
    pub(crate) fn new(node: &'g Arc<Node>) -> Self {
        TaskRef(node)
    }

    /// The task's key: readable name and process-unique id.
    pub fn key(self) -> TaskKey {
        self.0.key()
    }

    /// Whether the task is a literal (a value held by the graph), not a function call.
    pub fn is_literal(self) -> bool {
        self.0.kind.literal
    }

    /// The Rust type of the task's output.
    pub fn output_type(self) -> &'static str {
        self.0.op.output_type()
    }

    /// A short `Debug` rendering of a literal's value, when the literal was recorded by
    /// `delayed!` from a `Debug` value.
    pub fn describe(self) -> Option<String> {
        self.0.op.describe()
    }

    /// The number of dependencies (edges into this task).
    pub fn dep_count(self) -> usize {
        self.0.deps.len()
    }
}

impl fmt::Debug for TaskRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef({})", self.key())
    }
}

self_cell::self_cell!(
    /// A plan together with the handles that keep its graph alive.
    struct PlanCell {
        owner: Vec<Arc<Node>>,
        #[covariant]
        dependent: PlanView,
    }
);

/// A frozen execution plan, cheap to clone and `'static`, so a scheduler can hand it to
/// threads that outlive one call (a pool). It owns the output handles, which keep every
/// planned task alive; [`view`](Plan::view) borrows the plan itself.
///
/// ```
/// use lazydag_core::{delayed, Plan};
/// fn inc(x: i32) -> i32 { x + 1 }
/// let plan = Plan::new(&[delayed!(inc(1)).task()]);
/// let shared = plan.clone();
/// let n = std::thread::spawn(move || shared.view().len()).join().unwrap();
/// assert_eq!(n, 2); // the literal and `inc`
/// ```
#[derive(Clone)]
pub struct Plan(Arc<PlanCell>);

impl Plan {
    /// Plans the tasks needed to compute `outputs`, in the order given.
    ///
    /// Costs O(tasks + edges) time and memory, and no recursion.
    ///
    /// # Panics
    /// If the outputs need 2^32 tasks or more.
    pub fn new(outputs: &[TaskRef<'_>]) -> Plan {
        let owner: Vec<Arc<Node>> = outputs.iter().map(|task| Arc::clone(task.0)).collect();
        Plan(Arc::new(PlanCell::new(owner, |roots| {
            let roots: Vec<TaskRef<'_>> = roots.iter().map(TaskRef).collect();
            Collector::new(false, None).run(&roots).plan
        })))
    }

    /// Plans the tasks needed to compute `outputs` and optimizes the plan with `optimizer`
    /// (fused chains become one task each; see [`PlanView::members`] and
    /// [`PlanView::report`]).
    ///
    /// ```
    /// use lazydag_core::{delayed, Plan};
    /// use lazydag_optimize::Optimizer;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let tip = delayed!(inc(delayed!(inc(delayed!(inc(0))))));
    /// let plan = Plan::optimized(&[tip.task()], &Optimizer::default()).unwrap();
    /// let plan = plan.view();
    /// assert_eq!(plan.len(), 2); // the literal `0`, and one task that runs the three incs
    /// let top = plan.outputs()[0] as usize;
    /// assert_eq!(plan.members(top).len(), 3);
    /// assert_eq!(plan.report().unwrap().fused, 2);
    /// ```
    ///
    /// # Errors
    /// [`Error::NotClone`] when a value with several uses cannot be cloned.
    pub fn optimized(outputs: &[TaskRef<'_>], optimizer: &Optimizer) -> Result<Plan, Error> {
        Plan::build(outputs, &Control::default(), false, optimizer)
    }

    /// Plans `outputs` for a compute, under the caller's options: the plan is checked and
    /// optimized, a timeout starts counting now, and the compute's callbacks are resolved
    /// (those of `control`, then global ones).
    pub(crate) fn with_control(
        outputs: &[TaskRef<'_>],
        control: &Control,
        optimizer: &Optimizer,
    ) -> Result<Plan, Error> {
        Plan::build(outputs, control, true, optimizer)
    }

    /// Collects, checks and optimizes; `callbacks` says whether tasks report to callbacks
    /// (only computes report).
    fn build(
        outputs: &[TaskRef<'_>],
        control: &Control,
        callbacks: bool,
        optimizer: &Optimizer,
    ) -> Result<Plan, Error> {
        let owner: Vec<Arc<Node>> = outputs.iter().map(|task| Arc::clone(task.0)).collect();
        let cell = PlanCell::try_new(owner, |roots| {
            let roots: Vec<TaskRef<'_>> = roots.iter().map(TaskRef).collect();
            let fuse = optimizer.is_enabled() && optimizer.fuses();
            let collector =
                Collector::new(optimizer.is_enabled(), fuse.then(|| optimizer.chain_limit()));
            let collected = collector.run(&roots);
            collected.plan.check()?;
            let plan = match collected.facts {
                Some(facts) => {
                    let (plan, rebuilt) =
                        optimize::optimize(collected.plan, facts, optimizer, collected.prefused);
                    if rebuilt {
                        plan.check()?;
                    }
                    plan
                }
                None => collected.plan,
            };
            Ok::<_, Error>(plan.with_control(control, callbacks))
        })?;
        Ok(Plan(Arc::new(cell)))
    }

    /// The plan's tasks, edges and operations.
    pub fn view(&self) -> &PlanView<'_> {
        self.0.borrow_dependent()
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// A frozen execution plan, borrowed from a [`Plan`]: tasks in priority order, with dependencies and dependents as
/// compressed index lists. It is all a [`Scheduler`](crate::Scheduler) sees, and all a
/// user-written scheduler needs.
///
/// Indices are `usize` in method arguments and `u32` in lists. For every task `i`:
/// - [`deps(i)`](PlanView::deps) lists its inputs in argument order (an index repeats when the
///   same value is passed twice); all are smaller than `i`;
/// - [`uses(i)`](PlanView::uses) counts the consumers of its value: entries in other tasks'
///   `deps` plus requests in [`outputs`](PlanView::outputs). The value is moved into the last use
///   and cloned with [`share`](PlanView::share) for the others;
/// - a literal ([`is_literal(i)`](PlanView::is_literal)) is never scheduled: a consumer asks for
///   its value with [`run`](PlanView::run) at any time;
/// - [`waiting(i)`](PlanView::waiting) counts the non-literal entries of `deps(i)`: the task is
///   ready once that many inputs have completed.
///
/// ```
/// use lazydag_core::{delayed, Plan};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let y = delayed!(add(&x, &x));
/// let plan = Plan::new(&[y.task()]);
/// let plan = plan.view();
/// let top = plan.outputs()[0] as usize;
/// assert_eq!(plan.len(), 4); // two literals, two adds
/// assert_eq!(plan.deps(top).len(), 2);
/// assert_eq!(plan.waiting(top), 2);
/// assert_eq!(plan.uses(plan.deps(top)[0] as usize), 2);
/// ```
pub struct PlanView<'g> {
    /// The nodes, in plan order (read on every run).
    tasks: Vec<&'g Node>,
    /// The same nodes as handles, for [`task`](PlanView::task).
    handles: Vec<&'g Arc<Node>>,
    literal: Vec<bool>,
    dep_start: Vec<u32>,
    dep_list: Vec<u32>,
    uses: Vec<u32>,
    waiting: Vec<u32>,
    outputs: Vec<u32>,
    dependents: OnceLock<(Vec<u32>, Vec<u32>)>,
    stop: Stop,
    /// Fused tasks' programs: task `i`'s is `program[program_start[i]..program_start[i + 1]]`,
    /// empty for a task that runs alone. Both are empty in a plan that was not optimized.
    program_start: Vec<u32>,
    program: Vec<Instr<'g>>,
    /// What the optimizer did, when the plan was optimized.
    report: Option<OptimizeReport>,
}

/// The caller's [`Control`], resolved when the compute starts.
#[derive(Debug, Default)]
struct Stop {
    cancel: Option<CancelToken>,
    deadline: Option<(Instant, Duration)>,
    keep_going: bool,
    /// The callbacks this compute reports to; `None` (the usual case) costs one test per task.
    hooks: Option<Arc<Hooks>>,
}

/// A failed value in keep-going mode: it flows to dependents in place of their input, so they
/// are skipped and report the original failure.
struct Poison(Error);

impl<'g> PlanView<'g> {
    /// Applies the caller's options; the timeout starts counting now.
    fn with_control(mut self, control: &Control, callbacks: bool) -> Self {
        self.stop = Stop {
            cancel: control.cancel.clone(),
            deadline: control.timeout.map(|t| (Instant::now() + t, t)),
            keep_going: control.keep_going,
            hooks: if callbacks { Hooks::resolve(&control.callbacks) } else { None },
        };
        self
    }

    /// The callbacks of this compute, if any.
    pub(crate) fn hooks(&self) -> Option<&Hooks> {
        self.stop.hooks.as_deref()
    }

    /// Whether a scheduler should start no more tasks: the compute was cancelled or timed
    /// out. Check it before starting each task; then wait for running tasks and return
    /// [`stop_error`](PlanView::stop_error). One relaxed load, plus a clock read with a timeout.
    #[inline]
    pub fn should_stop(&self) -> bool {
        self.stop.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
            || self.stop.deadline.is_some_and(|(at, _)| Instant::now() >= at)
    }

    /// The error a stopped compute returns: [`Error::Cancelled`] or [`Error::TimedOut`].
    pub fn stop_error(&self) -> Option<Error> {
        if self.stop.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Some(Error::Cancelled);
        }
        match self.stop.deadline {
            Some((at, timeout)) if Instant::now() >= at => Some(Error::TimedOut { timeout }),
            _ => None,
        }
    }

    /// When the compute's timeout expires, if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.stop.deadline.map(|(at, _)| at)
    }

    /// Whether the compute runs in keep-going mode. Schedulers need not care: in that mode
    /// [`run`](PlanView::run) turns a task failure into a value that skips its dependents.
    pub fn keep_going(&self) -> bool {
        self.stop.keep_going
    }

    /// Whether task `i` is async (recorded with `delayed_async!`): the async scheduler awaits
    /// it with [`start_async`](PlanView::start_async); [`run`](PlanView::run) blocks on it.
    pub fn is_async(&self, i: usize) -> bool {
        self.tasks[i].kind.is_async
    }

    /// The number of planned tasks, literals included.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether nothing was planned.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Task `i`.
    pub fn task(&self, i: usize) -> TaskRef<'g> {
        TaskRef(self.handles[i])
    }

    /// Whether task `i` is a literal.
    pub fn is_literal(&self, i: usize) -> bool {
        self.literal[i]
    }

    /// The inputs of task `i`, in argument order.
    pub fn deps(&self, i: usize) -> &[u32] {
        &self.dep_list[self.dep_start[i] as usize..self.dep_start[i + 1] as usize]
    }

    /// How many consumers (dependent tasks and output requests) use task `i`'s value.
    pub fn uses(&self, i: usize) -> u32 {
        self.uses[i]
    }

    /// All use counts, indexed by task: a scheduler's starting point for counting down.
    pub fn all_uses(&self) -> &[u32] {
        &self.uses
    }

    /// How many non-literal inputs task `i` waits for before it can run.
    pub fn waiting(&self, i: usize) -> u32 {
        self.waiting[i]
    }

    /// All waiting counts, indexed by task.
    pub fn all_waiting(&self) -> &[u32] {
        &self.waiting
    }

    /// The tasks that take task `i`'s value as an input (a task appears once per edge).
    /// Computed on first use, in O(tasks + edges).
    pub fn dependents(&self, i: usize) -> &[u32] {
        let (start, list) = self.dependents.get_or_init(|| self.invert());
        &list[start[i] as usize..start[i + 1] as usize]
    }

    /// The requested outputs, in request order (an index repeats if requested twice).
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    /// Runs task `i` on `inputs` (one value per entry of [`deps(i)`](PlanView::deps), in order;
    /// the vector is left empty). A literal ignores `inputs` and returns its value.
    ///
    /// # Errors
    /// [`Error::Failed`] when the task returns `Err`, [`Error::Panicked`] when it panics (the
    /// panic is caught here), [`Error::LiteralMoved`] for a spent non-`Clone` literal.
    pub fn run(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        if let Some(poisoned) = self.upstream_failure(inputs) {
            return Ok(poisoned);
        }
        if let Some(hooks) = &self.stop.hooks
            && !self.literal[i]
        {
            let event = hooks.pretask(i, self.task(i));
            let result = Hooks::in_task(|| self.run_now(i, inputs));
            hooks.posttask(&event);
            return result;
        }
        self.run_now(i, inputs)
    }

    /// The program of fused task `i`, if it is one.
    #[inline]
    fn program(&self, i: usize) -> Option<&[Instr<'g>]> {
        let start = *self.program_start.get(i)? as usize;
        let end = self.program_start[i + 1] as usize;
        (start < end).then(|| &self.program[start..end])
    }

    /// Every recorded task that task `i` runs, in the order it runs them: the task itself
    /// alone, or for a fused task its members (and inlined cheap tasks), ending with task `i`.
    pub fn members(&self, i: usize) -> Vec<TaskRef<'g>> {
        match self.program(i) {
            None => vec![self.task(i)],
            Some(program) => program.iter().filter_map(|s| s.node()).map(TaskRef).collect(),
        }
    }

    /// Task `i`'s name as Dask would write a fused key: the names of the tasks it runs joined
    /// by `-` (`load-clean-save`), a run of one name counted (`inc×999`), long lists cut in the
    /// middle; for a task that runs alone, its own name.
    ///
    /// ```
    /// use lazydag_core::{delayed, Plan, Optimizer};
    /// fn load(x: u8) -> u8 { x }
    /// fn inc(x: u8) -> u8 { x + 1 }
    /// let out = delayed!(inc(delayed!(inc(delayed!(load(1))))));
    /// let plan = Plan::optimized(&[out.task()], &Optimizer::default()).unwrap();
    /// let top = plan.view().outputs()[0] as usize;
    /// assert_eq!(plan.view().chain_name(top), "load-inc×2");
    /// ```
    pub fn chain_name(&self, i: usize) -> String {
        program::chain_name(&self.members(i))
    }

    /// What the optimizer did to this plan (`None` when it was not optimized).
    pub fn report(&self) -> Option<OptimizeReport> {
        self.report
    }

    /// Runs task `i` (no callbacks), in a trace span named by its key and worker.
    #[inline]
    fn run_now(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        if let Some(program) = self.program(i) {
            return self.run_program(i, program, inputs);
        }
        let node = self.tasks[i];
        let cloner = if self.literal[i] { node.cloner() } else { None };
        let _span =
            tracing::trace_span!("task", key = %node.key(), worker = %Worker::current()).entered();
        let outcome = catch_unwind(AssertUnwindSafe(|| node.op.run(inputs, 0, cloner)));
        inputs.clear();
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
        let _span = tracing::trace_span!(
            "task",
            key = %node.key(),
            worker = %Worker::current(),
            fused = program.iter().filter(|step| step.node().is_some()).count(),
            chain = %program::ChainName(program)
        )
        .entered();
        let mut current = None;
        let stop = || self.should_stop();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut stack = exec(program, inputs, &mut current, &stop)?;
            Ok(stack.pop().expect("a program leaves its root's value"))
        }));
        inputs.clear();
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Stopped)) => Err(self.stop_error().unwrap_or(Error::Cancelled)),
            other => {
                let key = current.map_or_else(|| node.key(), |member| member.key());
                settle_keyed(key, self.stop.keep_going, other)
            }
        }
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
                let event = hooks.pretask(i, self.task(i));
                Some((Arc::clone(hooks), Arc::clone(self.handles[i]), i, event.start))
            }
            _ => None,
        };
        // A fused async task first runs its inlined inputs (never async) on this thread.
        let mut current = None;
        let started = match poisoned {
            Some(_) => None,
            None => Some(catch_unwind(AssertUnwindSafe(|| match self.program(i) {
                None => Ok(node.op.start(inputs, 0)),
                Some(program) => {
                    let prefix = &program[..program.len() - 1];
                    let mut stack = exec(prefix, inputs, &mut current, &|| false)?;
                    current = None;
                    Ok(node.op.start(&mut stack, 0))
                }
            }))),
        };
        inputs.clear();
        let key = current.map_or(key, |member| member.key());
        Some(async move {
            let outcome = match started {
                None => return Ok(poisoned.expect("skipped because an input failed")),
                Some(Err(payload)) => Err(payload),
                Some(Ok(Err(failure))) => Ok(Err(failure)),
                Some(Ok(Ok(future))) => {
                    let future = future.expect("an async op starts a future");
                    AssertUnwindSafe(future).catch_unwind().await
                }
            };
            if let Some((hooks, node, index, start)) = report {
                hooks.posttask(&TaskEvent::new(hooks.compute(), index, start, TaskRef(&node)));
            }
            settle_keyed(key, keep_going, outcome)
        })
    }

    /// In keep-going mode, the failure among `inputs` (which it drops), if any.
    fn upstream_failure(&self, inputs: &mut Vec<Value>) -> Option<Value> {
        if !self.stop.keep_going {
            return None;
        }
        let failed = inputs.iter().position(Value::is::<Poison>)?;
        let poisoned = inputs.swap_remove(failed);
        inputs.clear();
        Some(poisoned)
    }

    /// Turns a caught outcome into the task's result.
    fn settle(
        &self,
        node: &Node,
        outcome: std::thread::Result<Result<Value, Failure>>,
    ) -> Result<Value, Error> {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            other => settle_keyed(node.key(), self.stop.keep_going, other),
        }
    }

    /// Takes a requested output's value apart: the value, or in keep-going mode the failure it
    /// stands for.
    pub(crate) fn settled(value: Value) -> Result<Value, Error> {
        match value.downcast::<Poison>() {
            Ok(Poison(err)) => Err(err),
            Err(value) => Ok(value),
        }
    }

    /// Clones task `i`'s value for a consumer that is not its last use.
    ///
    /// # Errors
    /// [`Error::Panicked`] if the type's `Clone` panics; [`Error::NotClone`] if the type is
    /// not known to be `Clone` (a plan that passed [`check`](PlanView::check) never asks that).
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
        catch_unwind(AssertUnwindSafe(|| clone(value))).map_err(|payload| Error::Panicked {
            task: node.key(),
            message: format!("cloning its output panicked: {}", panic_message(&*payload)),
        })
    }

    /// Checks, before anything runs, that every value used more than once can be cloned.
    ///
    /// # Errors
    /// [`Error::NotClone`] naming the first such task.
    pub fn check(&self) -> Result<(), Error> {
        match (0..self.len()).find(|&i| self.uses[i] > 1 && self.tasks[i].cloner().is_none()) {
            Some(i) => Err(self.not_clone(i)),
            None => Ok(()),
        }
    }

    fn not_clone(&self, i: usize) -> Error {
        let node = self.tasks[i];
        Error::NotClone {
            task: node.key(),
            type_name: node.op.output_type(),
            uses: self.uses[i] as usize,
        }
    }

    fn invert(&self) -> (Vec<u32>, Vec<u32>) {
        lazydag_optimize::invert(&self.dep_start, &self.dep_list)
    }
}

/// Turns a caught outcome (not a success) into the task's error, or in keep-going mode into a
/// value that stands for it.
fn settle_keyed(
    key: TaskKey,
    keep_going: bool,
    outcome: std::thread::Result<Result<Value, Failure>>,
) -> Result<Value, Error> {
    let err = match outcome {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(Failure::Err(source))) => Error::Failed { task: key, source: source.into() },
        Ok(Err(Failure::LiteralMoved { type_name })) => {
            Error::LiteralMoved { task: key, type_name }
        }
        // Only fused programs stop, and `run_program` reports that itself.
        Ok(Err(Failure::Stopped)) => Error::Cancelled,
        Err(payload) => Error::Panicked { task: key, message: panic_message(&*payload) },
    };
    if keep_going { Ok(Value::new(Poison(err))) } else { Err(err) }
}

impl fmt::Debug for PlanView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("tasks", &self.len())
            .field("edges", &self.dep_list.len())
            .field("outputs", &self.outputs)
            .finish()
    }
}
