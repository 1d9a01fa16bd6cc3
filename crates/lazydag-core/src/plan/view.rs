//! [`PlanView`]: the plan's data (tasks in priority order, dependency and dependent lists,
//! use and waiting counts, fused programs) and the caller's stop conditions.
//!
//! Invariants, for every task `i`: its dependencies have smaller indices; `uses[i]` counts its
//! entries in other tasks' `deps` plus its requests in `outputs`; `waiting[i]` counts the
//! non-literal entries of `deps(i)`. Nothing here runs a task: that is the task boundary's
//! job ([`task`](super::task)), which sits above this module.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use lazydag_optimize::OptimizeReport;

use super::TaskRef;
use super::program::{self, Instr};
use crate::cancel::CancelToken;
use crate::error::Error;
use crate::node::Node;

/// A frozen execution plan, borrowed from a [`Plan`](super::Plan): tasks in priority order,
/// with dependencies and dependents as compressed index lists. It is all a [`Scheduler`](crate::Scheduler) sees, and all a
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
    pub(super) tasks: Vec<&'g Node>,
    /// The same nodes as handles, for [`task`](PlanView::task).
    pub(super) handles: Vec<&'g Arc<Node>>,
    pub(super) literal: Vec<bool>,
    pub(super) dep_start: Vec<u32>,
    pub(super) dep_list: Vec<u32>,
    pub(super) uses: Vec<u32>,
    pub(super) waiting: Vec<u32>,
    pub(super) outputs: Vec<u32>,
    pub(super) dependents: OnceLock<(Vec<u32>, Vec<u32>)>,
    /// The tasks ready at the start, in priority order ([`initial`](PlanView::initial)), and
    /// the number of distinct non-literal outputs ([`distinct_outputs`](PlanView::distinct_outputs)).
    pub(super) initial: OnceLock<(Box<[u32]>, usize)>,
    pub(super) stop: Stop,
    /// Fused tasks' programs: task `i`'s is `program[program_start[i]..program_start[i + 1]]`,
    /// empty for a task that runs alone. Both are empty in a plan that was not optimized.
    pub(super) program_start: Vec<u32>,
    pub(super) program: Vec<Instr<'g>>,
    /// What the optimizer did, when the plan was optimized.
    pub(super) report: Option<OptimizeReport>,
    /// Whether a cached task missed its store when this plan was made (it runs its inputs;
    /// see [`has_cache_miss`](PlanView::has_cache_miss)): noted by the collector as it probes.
    pub(super) cache_miss: bool,
}

/// What stops a compute and whom its tasks report to: the caller's
/// [`Control`](crate::Control), resolved when the compute is planned.
#[derive(Default)]
pub(crate) struct Stop {
    pub(super) cancel: Option<CancelToken>,
    /// The timeout as given; the deadline is set when the plan is finished.
    pub(super) timeout: Option<Duration>,
    pub(super) deadline: Option<(Instant, Duration)>,
    pub(super) keep_going: bool,
    /// The callbacks this compute reports to; `None` (the usual case) costs one test per task.
    pub(super) hooks: Option<Arc<dyn TaskHooks>>,
    /// Whether each task runs with its hooks as the thread's current ones
    /// ([`current_hooks`]): only when a task may report units or start a nested compute
    /// that a callback follows, so other callbacks (a profiler) do not pay for it.
    pub(super) track: bool,
    /// Whether a `tracing` subscriber wants the per-task `task` spans: asked once, when the
    /// plan is finished, instead of at every task (see [`traced`]).
    pub(super) trace: bool,
    /// None of the above: no cancel token, deadline, keep-going, callbacks or task spans, so
    /// the task boundary runs a task by its shortest path ([`PlanView::run`]). Set with the
    /// others, when the plan is finished.
    pub(super) plain: bool,
}

/// The error a compute stopped by `cancel` or past `deadline` (with its timeout) returns, if
/// it is stopped: [`Error::Cancelled`] or [`Error::TimedOut`]. One home for
/// [`PlanView::stop_error`] and for an async task's future, which outlives the plan's borrow.
pub(super) fn stop_error(
    cancel: Option<&CancelToken>,
    deadline: Option<(Instant, Duration)>,
) -> Option<Error> {
    if cancel.is_some_and(CancelToken::is_cancelled) {
        return Some(Error::Cancelled);
    }
    match deadline {
        Some((at, timeout)) if Instant::now() >= at => Some(Error::TimedOut { timeout }),
        _ => None,
    }
}

/// Whether the current `tracing` dispatcher is interested in the task boundary's `task` spans
/// (level `TRACE`, target `lazydag_core::plan::task`). Asked once per plan: a subscriber set
/// after a plan was made (a [`Compiled`](crate::Compiled) plan run later) does not see its
/// task spans; the `compute` span still comes per run.
pub(super) fn traced() -> bool {
    tracing::span_enabled!(target: "lazydag_core::plan::task", tracing::Level::TRACE)
}

impl Stop {
    pub(crate) fn new(
        cancel: Option<CancelToken>,
        timeout: Option<Duration>,
        keep_going: bool,
        hooks: Option<Arc<dyn TaskHooks>>,
    ) -> Stop {
        Stop {
            cancel,
            timeout,
            deadline: None,
            keep_going,
            hooks,
            track: false,
            trace: false,
            plain: false,
        }
    }

    /// Runs each task with its hooks as the thread's current ones when `track` (see
    /// [`current_hooks`]).
    pub(crate) fn tracking(mut self, track: bool) -> Stop {
        self.track = track;
        self
    }

    /// Whether anything can stop the compute (a cancel token or a deadline): only then does
    /// the task boundary tell running tasks about it (see `cancel`).
    #[inline]
    pub(super) fn can_stop(&self) -> bool {
        self.cancel.is_some() || self.deadline.is_some()
    }
}

impl fmt::Debug for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stop")
            .field("cancel", &self.cancel)
            .field("deadline", &self.deadline)
            .field("keep_going", &self.keep_going)
            .field("hooks", &self.hooks.is_some())
            .finish()
    }
}

/// How a task that ran ended, as callbacks see it ([`TaskEvent::status`](crate::TaskEvent::status)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// It returned a value, and its compute was still running.
    Succeeded,
    /// It returned `Err` or panicked (or, in keep-going mode, was skipped by a failure).
    Failed,
    /// Its compute was cancelled or timed out while it ran (it returned after the stop, or
    /// gave up because of it): its value is dropped.
    Cancelled,
}

/// A compute's callbacks as the task boundary calls them, around each task. The callback
/// layer ([`callback`](crate::callback)) implements it: its events borrow plan types, so it
/// sits above the plan, and the plan holds its hooks behind this trait.
pub(crate) trait TaskHooks: Send + Sync {
    /// Reports that task `index` starts now, and returns when that is.
    fn pretask(&self, index: usize, task: TaskRef<'_>) -> Instant;

    /// Reports that task `index`, started at `start`, has finished with `status`.
    fn posttask(&self, index: usize, start: Instant, task: TaskRef<'_>, status: TaskStatus);

    /// Reports that a running task of this compute did `units` more units of its work
    /// ([`callback::advance`](crate::callback::advance)).
    fn advance(&self, units: u64);

    /// The hooks themselves, so the callback layer can find the callbacks of the compute
    /// whose task starts a nested compute ([`current_hooks`]).
    fn as_any(&self) -> &dyn std::any::Any;
}

thread_local! {
    /// The hooks of the compute whose task runs on this thread right now, if it has callbacks
    /// (the innermost one, for nested computes).
    static CURRENT: RefCell<Option<Arc<dyn TaskHooks>>> = const { RefCell::new(None) };
}

/// Runs `f` (a task of the compute with `hooks`) with `hooks` as this thread's current hooks,
/// restoring the previous ones afterwards, on unwind too.
pub(crate) fn with_current_hooks<R>(hooks: &Arc<dyn TaskHooks>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<dyn TaskHooks>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(hooks))));
    let _restore = Restore(previous);
    f()
}

/// Runs `f` with no current hooks on this thread, restoring them afterwards, on unwind too:
/// for a job a worker runs while its own task waits (helping), which reports to its own
/// compute's hooks, not the waiting task's.
pub(crate) fn without_current_hooks<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<dyn TaskHooks>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
        }
    }
    let Some(previous) = CURRENT.with(|current| current.borrow_mut().take()) else {
        return f();
    };
    let _restore = Restore(Some(previous));
    f()
}

/// The hooks of the compute whose task runs on this thread, if it has callbacks.
pub(crate) fn current_hooks() -> Option<Arc<dyn TaskHooks>> {
    CURRENT.with(|current| current.borrow().clone())
}

impl<'g> PlanView<'g> {
    /// Applies the caller's stop conditions, and asks `tracing` once whether task spans are
    /// wanted; the timeout starts counting now. A timeout too
    /// long for the clock to represent (such as `Duration::MAX`) is no deadline.
    pub(super) fn with_stop(mut self, mut stop: Stop) -> Self {
        stop.deadline = stop.timeout.and_then(|t| Some((Instant::now().checked_add(t)?, t)));
        stop.trace = traced();
        stop.plain = !stop.can_stop() && !stop.keep_going && stop.hooks.is_none() && !stop.trace;
        self.stop = stop;
        self
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
        stop_error(self.stop.cancel.as_ref(), self.stop.deadline)
    }

    /// Whether the compute can be stopped at all (a cancel token or a timeout): schedulers
    /// that watch for a stop while they wait need not when it cannot.
    #[inline]
    pub(crate) fn can_stop(&self) -> bool {
        self.stop.can_stop()
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
        // One bounds check for both ends (a two-element window), not one per end.
        match self.dep_start[i..i + 2] {
            [start, end] => &self.dep_list[start as usize..end as usize],
            _ => &[],
        }
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
    /// Made by the collect for a tree, otherwise computed on first use, in O(tasks + edges).
    pub fn dependents(&self, i: usize) -> &[u32] {
        let (start, list) = self.dependents.get_or_init(|| self.invert());
        match start[i..i + 2] {
            [from, to] => &list[from as usize..to as usize],
            _ => &[],
        }
    }

    /// Whether a cached task (`Delayed::cache`) was a miss when this plan was made: it runs
    /// its inputs, and a plan made later, once the value is stored, would load it instead.
    pub(crate) fn has_cache_miss(&self) -> bool {
        self.cache_miss
    }

    /// Builds what a run needs that [`dependents`](PlanView::dependents) would otherwise
    /// build on first use, so that no run pays for it (a compiled plan).
    pub(crate) fn prepare(&self) {
        if !self.is_empty() {
            let _ = self.dependents(0);
        }
        let _ = self.initial();
    }

    /// The tasks runnable at the start (not literals, waiting for nothing), in priority
    /// order: where the pools start a run. Computed on first use, once per plan, so a compiled
    /// plan's runs share it.
    pub(crate) fn initial(&self) -> &[u32] {
        &self.start().0
    }

    /// How many distinct outputs are not literals: the tasks a pool's run counts down to its
    /// end. Computed on first use, once per plan, like [`initial`](PlanView::initial).
    pub(crate) fn distinct_outputs(&self) -> usize {
        self.start().1
    }

    /// What [`initial`](PlanView::initial) and [`distinct_outputs`](PlanView::distinct_outputs)
    /// return, made once.
    fn start(&self) -> &(Box<[u32]>, usize) {
        self.initial.get_or_init(|| {
            let initial = (0..self.len())
                .filter(|&i| !self.literal[i] && self.waiting[i] == 0)
                .map(|i| i as u32)
                .collect();
            let mut outputs: Vec<u32> =
                self.outputs.iter().copied().filter(|&o| !self.literal[o as usize]).collect();
            outputs.sort_unstable();
            outputs.dedup();
            (initial, outputs.len())
        })
    }

    /// The requested outputs, in request order (an index repeats if requested twice).
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    /// The program of fused task `i`, if it is one.
    #[inline]
    pub(super) fn program(&self, i: usize) -> Option<&[Instr<'g>]> {
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

    pub(super) fn not_clone(&self, i: usize) -> Error {
        let node = self.tasks[i];
        Error::NotClone {
            task: node.key(),
            type_name: node.op.output_type(),
            uses: self.uses[i] as usize,
        }
    }

    /// The dependents lists, CSR: what [`lazydag_optimize::invert`] computes, from the use
    /// counts the plan already has (a task's dependents are its uses less its output
    /// requests), filled from the last task down so that each list comes out in increasing
    /// order without a second array of cursors. O(tasks + edges).
    pub(super) fn invert(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.len();
        // `start[d]` first counts d's dependents, then is the end of its list, then, once
        // every edge is placed, its start.
        let mut start: Vec<u32> = Vec::with_capacity(n + 1);
        start.extend_from_slice(&self.uses);
        for &o in &self.outputs {
            start[o as usize] -= 1;
        }
        let mut sum = 0u32;
        for count in &mut start {
            sum += *count;
            *count = sum;
        }
        start.push(sum);
        debug_assert_eq!(sum as usize, self.dep_list.len(), "uses count every edge");
        let mut list = vec![0u32; self.dep_list.len()];
        let mut end = self.dep_list.len();
        for (j, &begin) in self.dep_start[..n].iter().enumerate().rev() {
            let begin = begin as usize;
            for &d in &self.dep_list[begin..end] {
                let at = &mut start[d as usize];
                *at -= 1;
                list[*at as usize] = j as u32;
            }
            end = begin;
        }
        (start, list)
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::delayed::{Delayed, delayed};
    use crate::plan::{Plan, TaskRef};

    fn add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
    fn inc(a: u64) -> u64 {
        a + 1
    }

    /// A random DAG: each step adds `inc` of one earlier node, or `add` of two (the same one
    /// twice when `a == b`), or `add` of an earlier node and a fresh literal.
    fn graph(steps: &[(u8, usize, usize)]) -> Vec<Delayed<u64>> {
        let mut nodes = vec![delayed(1_u64)];
        for &(shape, a, b) in steps {
            let (x, y) = (&nodes[a % nodes.len()], &nodes[b % nodes.len()]);
            let next = match shape % 3 {
                0 => crate::delayed!(inc(x)),
                1 => crate::delayed!(add(x, y)),
                _ => crate::delayed!(add(x, 7)),
            };
            nodes.push(next);
        }
        nodes
    }

    /// A random forest: each step takes one or two nodes out of the pool (each node is used
    /// once at most, so the plan is a tree and keeps its post-order) and puts back `inc` or
    /// `add` of them, or of one and a literal (`shared`: the same literal node every time).
    fn forest(steps: &[(u8, usize, usize)], shared: bool) -> Vec<Delayed<u64>> {
        let seven = delayed(7_u64);
        let mut pool: Vec<Delayed<u64>> = (0..4_u64).map(delayed).collect();
        for &(shape, a, b) in steps {
            if pool.len() < 2 {
                pool.push(delayed(1_u64));
            }
            let x = pool.swap_remove(a % pool.len());
            let next = match shape % 3 {
                0 => crate::delayed!(inc(x)),
                1 => {
                    let y = pool.swap_remove(b % pool.len());
                    crate::delayed!(add(x, y))
                }
                _ if shared => crate::delayed!(add(x, &seven)),
                _ => crate::delayed!(add(x, 7)),
            };
            pool.push(next);
        }
        pool
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The collected plan keeps the view's invariants, and its dependents (inverted from
        /// the use counts, from the last task down) are exactly the reference inversion.
        #[test]
        fn plan_invariants_and_dependents(
            steps in prop::collection::vec((0u8..3, 0usize..64, 0usize..64), 0..40),
            picks in prop::collection::vec(0usize..64, 1..6),
        ) {
            let nodes = graph(&steps);
            let outputs: Vec<TaskRef<'_>> =
                picks.iter().map(|&p| nodes[p % nodes.len()].task()).collect();
            let plan = Plan::new(&outputs);
            let view = plan.view();
            let n = view.len();
            let mut uses = vec![0u32; n];
            for i in 0..n {
                let deps = view.deps(i);
                prop_assert!(deps.iter().all(|&d| (d as usize) < i), "topological");
                let waiting = deps.iter().filter(|&&d| !view.is_literal(d as usize)).count();
                prop_assert_eq!(view.waiting(i) as usize, waiting);
                for &d in deps {
                    uses[d as usize] += 1;
                }
            }
            for &o in view.outputs() {
                uses[o as usize] += 1;
            }
            prop_assert_eq!(&uses[..], view.all_uses());
            let (start, list) = lazydag_optimize::invert(&view.dep_start, &view.dep_list);
            for i in 0..n {
                prop_assert_eq!(view.dependents(i), &list[start[i] as usize..start[i + 1] as usize]);
            }
        }

        /// A tree's run state, made while collecting (the dependents from each task's one
        /// consumer, the initial tasks, the distinct outputs), is what the passes over the
        /// plan make for any other plan.
        #[test]
        fn a_tree_gets_the_run_state_of_the_passes(
            steps in prop::collection::vec((0u8..3, 0usize..64, 0usize..64), 0..40),
            shared in any::<bool>(),
            picks in 1usize..4,
        ) {
            let pool = forest(&steps, shared);
            let outputs: Vec<TaskRef<'_>> = pool.iter().take(picks).map(Delayed::task).collect();
            let plan = Plan::new(&outputs);
            let view = plan.view();
            let (start, list) = lazydag_optimize::invert(&view.dep_start, &view.dep_list);
            for i in 0..view.len() {
                prop_assert_eq!(view.dependents(i), &list[start[i] as usize..start[i + 1] as usize]);
            }
            let initial: Vec<u32> = (0..view.len() as u32)
                .filter(|&i| !view.is_literal(i as usize) && view.waiting(i as usize) == 0)
                .collect();
            prop_assert_eq!(view.initial(), &initial[..]);
            let mut distinct: Vec<u32> =
                view.outputs().iter().copied().filter(|&o| !view.is_literal(o as usize)).collect();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(view.distinct_outputs(), distinct.len());
        }
    }
}
