//! [`Callback`]: hooks a compute calls when it starts, around each task, and when it ends.
//!
//! Every scheduler runs tasks through [`PlanView::run`] or [`PlanView::start_async`], and every
//! compute starts in `compute.rs`, so the hooks live there and no scheduler loop knows about
//! them. A compute resolves its callbacks once, when it is planned: those of its
//! [`Control::callback`](crate::Control::callback), then the global ones from [`register`].
//! With none, a task pays one `Option` test. Only computes report: a plan built with
//! [`Plan::new`](crate::Plan::new) (inspection, hand-run schedulers) has no callbacks.
//!
//! # Invariants
//! - `start` is called once before any task runs, `finish` once after the scheduler returned
//!   (success or error); between them, each task that starts gets exactly one `pretask` and
//!   one `posttask`, on the thread that ran it. Literals are not tasks and are not reported;
//!   nor are tasks skipped in keep-going mode because an input failed. Two exceptions, both
//!   after a failure or a stop: an async task whose future is dropped gets no `posttask`, and
//!   a task still running when a parallel scheduler returns its error reports `posttask`
//!   after `finish`.
//! - `pretask`/`posttask` run concurrently on parallel schedulers: implementations must be
//!   cheap and thread-safe (`Send + Sync`). A panic in a callback is not caught.
//! - **Global callbacks are per thread** ([`register`], like [`config::set`](crate::config::set)):
//!   they apply to computes started on the registering thread, so parallel tests do not see
//!   each other's progress bars.
//! - **Nested computes** (a task that itself computes) report only to the callbacks of their
//!   own [`Control`](crate::Control), never to the outer compute's callbacks nor to global
//!   ones. This is Dask's rule (dask/dask#2397, "only the outermost scheduler uses global
//!   callbacks"): a progress bar counts the tasks of the compute it was started for, and an
//!   inner compute would push it past its total. Technically: while a task of a compute with
//!   callbacks runs, its thread is marked as inside a task, and a compute planned there skips
//!   the global callbacks registered before the task started. Two exceptions: callbacks the
//!   task registered itself ([`register`] inside the task body) hear the computes it starts,
//!   as in Dask, where only the outer scope's callbacks are hidden; and outer callbacks whose
//!   [`Callback::nested`] says `true` (a progress bar drawing nested bars) also hear them,
//!   told apart by [`PlanSummary::is_nested`].
//! - **Units.** A compute may declare that its work is `n` units
//!   ([`Control::progress_units`](crate::Control::progress_units), [`PlanSummary::units`]):
//!   its tasks report them with [`advance`] (to [`Callback::progress`]), which finds the
//!   compute through the thread's current task hooks, set around each task of a compute with
//!   callbacks. This is how a `Parallel` map's lanes report items without the core knowing
//!   of `Parallel`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::plan::{PlanView, TaskHooks, TaskRef, TaskStatus};
use crate::scoped::Scoped;
pub use crate::worker::Worker;

/// Hooks into a compute, like `dask.callbacks.Callback`. Every method has an empty default,
/// so implement only what you need. Attach one to a compute with
/// [`Control::callback`](crate::Control::callback), or to every compute on this thread with
/// [`register`].
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use lazydag_core::{compute_with_control, delayed, Callback, Control, TaskEvent, Worker};
/// use lazydag_core::scheduler::Sequential;
///
/// #[derive(Default)]
/// struct Count(AtomicUsize);
/// impl Callback for Count {
///     fn posttask(&self, _: &TaskEvent<'_>, _: Duration, _: Worker) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let count = Arc::new(Count::default());
/// let control = Control::new().callback(count.clone());
/// assert_eq!(compute_with_control(delayed!(add(&x, &x)), &Sequential, &control).unwrap(), 6);
/// assert_eq!(count.0.load(Ordering::Relaxed), 2); // two tasks; literals are not reported
/// ```
pub trait Callback: Send + Sync {
    /// The compute is planned and about to run.
    fn start(&self, _plan: &PlanSummary<'_>) {}

    /// A task is about to run, on the calling thread.
    fn pretask(&self, _task: &TaskEvent<'_>) {}

    /// A task has finished (or failed), after running for `duration` on `worker`. For an async
    /// task, `duration` runs from its start to its completion, awaits included.
    fn posttask(&self, _task: &TaskEvent<'_>, _duration: Duration, _worker: Worker) {}

    /// The compute has returned. After a success every task has finished; after an error,
    /// a cancel or a timeout, tasks still running finish in the background (see the
    /// [`Scheduler`](crate::Scheduler) contract) and report [`posttask`](Callback::posttask)
    /// later, with [`TaskStatus::Cancelled`] when the compute was stopped.
    fn finish(&self, _outcome: &Outcome<'_>) {}

    /// A running task of compute `compute` did `units` more units of its work, reported with
    /// [`advance`] (a `Parallel` map's lanes report the items of each batch). Called
    /// concurrently from worker threads, like `posttask`.
    fn progress(&self, _compute: u64, _units: u64) {}

    /// Whether computes started inside a task of a compute this callback follows report to
    /// it too ([`PlanSummary::is_nested`] tells them apart). `false` by default: see the
    /// [module docs](self) for Dask's rule. A progress bar says `true` to draw nested bars.
    /// Cost: a compute with such a callback (or with declared units) runs each task with its
    /// hooks as the thread's current ones, about 110 more instructions per task (callgrind,
    /// `Sequential`, 10k-task steps); other callbacks do not pay it.
    fn nested(&self) -> bool {
        false
    }
}

/// What a compute is about to run, given to [`Callback::start`] and [`Outcome::plan`].
#[derive(Clone, Copy, Debug)]
pub struct PlanSummary<'a> {
    pub(crate) compute: u64,
    pub(crate) scheduler: &'a str,
    pub(crate) tasks: usize,
    pub(crate) plan: &'a PlanView<'a>,
    pub(crate) units: Option<u64>,
    pub(crate) nested: bool,
    pub(crate) parent: Option<u64>,
}

impl<'a> PlanSummary<'a> {
    /// A process-unique number for this compute, also in every [`TaskEvent`] of it.
    pub fn compute(&self) -> u64 {
        self.compute
    }

    /// The scheduler's name (`"sync"`, `"threads"`, ...).
    pub fn scheduler(&self) -> &str {
        self.scheduler
    }

    /// The number of tasks that will run (literals excluded): the progress total.
    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// The whole plan, to look up a task by index ([`PlanView::task`]).
    pub fn plan(&self) -> &'a PlanView<'a> {
        self.plan
    }

    /// The units of work this compute's tasks report with [`advance`], if its
    /// [`Control::progress_units`](crate::Control::progress_units) declared them: then the
    /// progress total is this, counted by [`Callback::progress`], not [`tasks`](Self::tasks).
    pub fn units(&self) -> Option<u64> {
        self.units
    }

    /// Whether this compute was started inside a task of another compute (it reaches the
    /// outer compute's callbacks only if they opt in with [`Callback::nested`]).
    pub fn is_nested(&self) -> bool {
        self.nested
    }

    /// The [`compute`](Self::compute) number of the compute whose task started this one, when
    /// that compute reports to callbacks that follow nested computes; `None` for a compute
    /// started outside a task. A callback that follows one compute at a time (a progress bar)
    /// tells by it whether a nested compute is inside the one it follows.
    pub fn parent(&self) -> Option<u64> {
        self.parent
    }
}

/// One task of a compute, given to [`Callback::pretask`] and [`Callback::posttask`].
#[derive(Clone, Copy, Debug)]
pub struct TaskEvent<'a> {
    pub(crate) compute: u64,
    pub(crate) index: usize,
    pub(crate) start: Instant,
    pub(crate) task: TaskRef<'a>,
    pub(crate) status: Option<TaskStatus>,
}

impl<'a> TaskEvent<'a> {
    /// The compute this task belongs to ([`PlanSummary::compute`]).
    pub fn compute(&self) -> u64 {
        self.compute
    }

    /// The task's plan index: its priority, and its index in [`PlanSummary::plan`].
    pub fn index(&self) -> usize {
        self.index
    }

    /// When the task started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// How the task ended: succeeded, failed, or cancelled (its compute was stopped while it
    /// ran). `None` in [`Callback::pretask`], before it ran.
    pub fn status(&self) -> Option<TaskStatus> {
        self.status
    }

    /// The task itself; [`TaskRef::key`] names it (it allocates: prefer [`index`](Self::index)
    /// on hot paths and look keys up once, in [`Callback::finish`]).
    pub fn task(&self) -> TaskRef<'a> {
        self.task
    }
}

/// How a compute ended, given to [`Callback::finish`].
#[derive(Clone, Copy, Debug)]
pub struct Outcome<'a> {
    pub(crate) summary: PlanSummary<'a>,
    pub(crate) elapsed: Duration,
    pub(crate) error: Option<&'a Error>,
}

impl<'a> Outcome<'a> {
    /// What was computed.
    pub fn plan(&self) -> &PlanSummary<'a> {
        &self.summary
    }

    /// Time from [`Callback::start`] to the end of the run.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The error the compute returns, or `None` on success. In keep-going mode, the first
    /// failure among the outputs, in request order: the one
    /// [`compute_with_control`](crate::compute_with_control) returns, and the one
    /// [`compute_settled`](crate::compute_settled) returns in that output's place.
    pub fn error(&self) -> Option<&'a Error> {
        self.error
    }
}

thread_local! {
    /// This thread's global callbacks, oldest first, with their guard ids and their
    /// registration numbers (`worker::registered`: which task, if any, registered them).
    static GLOBAL: Scoped<(u64, Arc<dyn Callback>)> = const { Scoped::new() };
}

/// Reports every compute started on this thread (outside a task, or inside the task that
/// registers it) to `callback`, until the
/// guard is dropped, like `with ProgressBar():` in Dask. See the [module docs](self) for
/// nested computes.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use lazydag_core::{callback, delayed, Callback, PlanSummary};
/// #[derive(Default)]
/// struct Starts(AtomicUsize);
/// impl Callback for Starts {
///     fn start(&self, _: &PlanSummary<'_>) { self.0.fetch_add(1, Ordering::Relaxed); }
/// }
/// let starts = Arc::new(Starts::default());
/// {
///     let _guard = callback::register(starts.clone());
///     assert_eq!(delayed(1).map(|x: i32| x + 1).compute().unwrap(), 2);
/// }
/// assert_eq!(delayed(1).map(|x: i32| x + 1).compute().unwrap(), 2); // not reported
/// assert_eq!(starts.0.load(Ordering::Relaxed), 1);
/// ```
pub fn register(callback: Arc<dyn Callback>) -> CallbackGuard {
    let id = GLOBAL.with(|global| global.push((crate::worker::registered(), callback)));
    CallbackGuard { id, _not_send: PhantomData }
}

/// Unregisters the callback [`register`] added when dropped. Not `Send`: the registration
/// belongs to its thread.
#[derive(Debug)]
#[must_use = "the callback is unregistered when the guard is dropped"]
pub struct CallbackGuard {
    id: u64,
    _not_send: PhantomData<*const ()>,
}

impl Drop for CallbackGuard {
    fn drop(&mut self) {
        let _ = GLOBAL.try_with(|global| global.remove(self.id));
    }
}

/// A compute's callbacks, as given in a [`Control`](crate::Control).
#[derive(Clone, Default)]
pub(crate) struct Callbacks(pub(crate) Vec<Arc<dyn Callback>>);

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} callback(s)", self.0.len())
    }
}

/// Reports `units` more units of work done by the task running on this thread to its
/// compute's callbacks ([`Callback::progress`]); does nothing outside a task, when the
/// compute has no callbacks, or when it neither declared units
/// ([`Control::progress_units`](crate::Control::progress_units)) nor has a callback that
/// follows nested computes. Costs a thread-local read: call it per batch, not per item.
/// Only synchronous tasks report (an async task's polls are not tracked).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use lazydag_core::{callback, compute_with_control, delayed_once, Callback, Control};
/// use lazydag_core::scheduler::Sequential;
/// #[derive(Default)]
/// struct Units(AtomicU64);
/// impl Callback for Units {
///     fn progress(&self, _compute: u64, units: u64) { self.0.fetch_add(units, Ordering::Relaxed); }
/// }
/// let units = Arc::new(Units::default());
/// let control = Control::new().progress_units(30).callback(units.clone());
/// let task = delayed_once(()).map(|()| (0..3).for_each(|_| callback::advance(10)));
/// compute_with_control(task, &Sequential, &control).unwrap();
/// assert_eq!(units.0.load(Ordering::Relaxed), 30);
/// callback::advance(5); // outside a task: nobody hears it
/// assert_eq!(units.0.load(Ordering::Relaxed), 30);
/// ```
pub fn advance(units: u64) {
    if let Some(hooks) = crate::plan::current_hooks() {
        hooks.advance(units);
    }
}

/// The callbacks one compute reports to, resolved when it is planned.
pub(crate) struct Hooks {
    compute: u64,
    list: Vec<Arc<dyn Callback>>,
    units: Option<u64>,
    nested: bool,
    /// The compute whose task started this one, if it has hooks (see [`PlanSummary::parent`]).
    parent: Option<u64>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("compute", &self.compute)
            .field("callbacks", &self.list.len())
            .finish()
    }
}

impl<'a> TaskEvent<'a> {
    pub(crate) fn new(compute: u64, index: usize, start: Instant, task: TaskRef<'a>) -> Self {
        TaskEvent { compute, index, start, task, status: None }
    }
}

impl Hooks {
    /// The compute's own callbacks, then this thread's global ones (outside a task) or those
    /// of the compute whose task starts it that follow nested computes (inside one).
    pub(crate) fn resolve(own: &Callbacks, units: Option<u64>) -> Option<Arc<Hooks>> {
        let mut list: Vec<Arc<dyn Callback>> = Vec::with_capacity(own.0.len());
        // One callback is told once per event, however many ways it was attached (on the
        // `Control`, registered globally, followed from an outer compute), as Dask keeps its
        // active callbacks in a set.
        let push_once = |list: &mut Vec<Arc<dyn Callback>>, cb: &Arc<dyn Callback>| {
            if !list.iter().any(|had| std::ptr::addr_eq(Arc::as_ptr(had), Arc::as_ptr(cb))) {
                list.push(Arc::clone(cb));
            }
        };
        for cb in &own.0 {
            push_once(&mut list, cb);
        }
        let nested = crate::worker::is_in_task();
        // Outside a task every global callback; inside one only those the running task
        // registered itself (Dask hides only the outer scope's callbacks).
        let since = if nested { crate::worker::task_mark() } else { 0 };
        GLOBAL.with(|global| {
            global.with(|cbs| {
                for (_, cb) in cbs.filter(|(at, _)| *at >= since) {
                    push_once(&mut list, cb);
                }
            })
        });
        let mut parent = None;
        if nested
            && let Some(outer) = crate::plan::current_hooks()
            && let Some(outer) = outer.as_any().downcast_ref::<Hooks>()
        {
            parent = Some(outer.compute);
            for cb in outer.list.iter().filter(|cb| cb.nested()) {
                push_once(&mut list, cb);
            }
        }
        if list.is_empty() {
            return None;
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let compute = NEXT.fetch_add(1, Ordering::Relaxed);
        Some(Arc::new(Hooks { compute, list, units, nested, parent }))
    }

    /// Whether the compute's tasks must run with these hooks as the thread's current ones:
    /// it declared units (its tasks report them with [`advance`]), or a callback follows
    /// nested computes.
    pub(crate) fn tracks(&self) -> bool {
        self.units.is_some() || self.list.iter().any(|cb| cb.nested())
    }

    pub(crate) fn summary<'a>(
        &self,
        scheduler: &'a str,
        plan: &'a PlanView<'a>,
    ) -> PlanSummary<'a> {
        let tasks = (0..plan.len()).filter(|&i| !plan.is_literal(i)).count();
        let (units, nested, parent) = (self.units, self.nested, self.parent);
        PlanSummary { compute: self.compute, scheduler, tasks, plan, units, nested, parent }
    }

    pub(crate) fn start(&self, summary: &PlanSummary<'_>) {
        self.list.iter().for_each(|cb| cb.start(summary));
    }

    pub(crate) fn finish(&self, outcome: &Outcome<'_>) {
        self.list.iter().for_each(|cb| cb.finish(outcome));
    }
}

impl TaskHooks for Hooks {
    fn pretask(&self, index: usize, task: TaskRef<'_>) -> Instant {
        let event = TaskEvent::new(self.compute, index, Instant::now(), task);
        self.list.iter().for_each(|cb| cb.pretask(&event));
        event.start
    }

    fn posttask(&self, index: usize, start: Instant, task: TaskRef<'_>, status: TaskStatus) {
        let event =
            TaskEvent { status: Some(status), ..TaskEvent::new(self.compute, index, start, task) };
        let duration = start.elapsed();
        let worker = Worker::current();
        self.list.iter().for_each(|cb| cb.posttask(&event, duration, worker));
    }

    fn advance(&self, units: u64) {
        self.list.iter().for_each(|cb| cb.progress(self.compute, units));
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
