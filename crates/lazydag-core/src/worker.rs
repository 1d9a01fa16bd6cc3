//! [`Worker`]: the identity of the thread a task runs on, and whether it is inside a task.
//!
//! Both are thread-local and set by the code below the schedulers: a pool names each of its
//! threads once as it starts ([`set_worker`]); the task boundary marks a thread as inside a
//! task of a compute with callbacks while it runs one ([`in_task`]), which is how a nested
//! compute knows to skip the global callbacks (see [`callback`](crate::callback)).
//!
//! It also holds the one cached core count ([`cores`]): pools, the async scheduler's CPU
//! bound and the default worker count all ask here.
//!
//! Invariant: a thread's identity never changes once read, except through [`set_worker`],
//! which a pool calls before its thread runs anything.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The thread a task ran on: a pool worker (`ws-2`, `threads-0`) or another thread
/// (`thread-7`: the caller of a `Sequential` compute, a tokio blocking thread), numbered in
/// the order threads first ran a reported task. Cheap to get and to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Worker {
    pool: &'static str,
    index: u32,
}

impl Worker {
    /// `"ws"` (work-stealing pool), `"threads"` (threaded pool) or `"thread"` (any other).
    pub fn pool(self) -> &'static str {
        self.pool
    }

    /// The worker's index in its pool, or the thread's number for `"thread"`.
    pub fn index(self) -> u32 {
        self.index
    }

    /// The worker of the calling thread.
    pub fn current() -> Worker {
        WORKER.with(|w| match w.get() {
            Some(worker) => worker,
            None => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let worker = Worker { pool: "thread", index: NEXT.fetch_add(1, Ordering::Relaxed) };
                w.set(Some(worker));
                worker
            }
        })
    }
}

impl fmt::Display for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.pool, self.index)
    }
}

/// Runs one ready job of the calling worker's pool, if there is one; whether it ran one.
pub(crate) type Help = Rc<dyn Fn() -> bool>;

/// How many jobs a thread may be running for waits at once, one inside another's wait, before
/// a compute it starts runs inline ([`must_inline`]): the bound on how deep helping stacks
/// tasks on one thread (see the `stealing` scheduler's "Nesting" docs).
pub(crate) const MAX_HELP_DEPTH: u32 = 16;

thread_local! {
    /// How this thread, a pool worker, helps its pool while it waits for a nested compute.
    static HELP: RefCell<Option<Help>> = const { RefCell::new(None) };
    /// The worker identity of this thread, set by pools when a worker starts.
    static WORKER: Cell<Option<Worker>> = const { Cell::new(None) };
    /// How many tasks of computes with callbacks run on this thread right now (nesting), and
    /// the registration count ([`registered`]) when the innermost of them started.
    static IN_TASK: Cell<(u32, u64)> = const { Cell::new((0, 0)) };
    /// Callbacks registered on this thread so far (a count that only grows).
    static REGISTERED: Cell<u64> = const { Cell::new(0) };
    /// How many jobs this thread runs right now from inside a wait (helping), nested.
    static HELP_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Names the calling thread as worker `index` of `pool` (called once as a pool thread starts).
pub(crate) fn set_worker(pool: &'static str, index: usize) {
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    WORKER.with(|w| w.set(Some(Worker { pool, index })));
}

/// Makes `help` how the calling thread (a pool worker, as it starts) helps its pool while it
/// waits for a compute it started from a task.
pub(crate) fn set_helper(help: Help) {
    HELP.with(|h| *h.borrow_mut() = Some(help));
}

/// Removes the calling thread's helper (a pool worker, as it ends).
pub(crate) fn clear_helper() {
    HELP.with(|h| h.borrow_mut().take());
}

/// Whether the calling thread can help a pool while it waits (it is a worker of one that set
/// a helper).
pub(crate) fn can_help() -> bool {
    HELP.with(|h| h.borrow().is_some())
}

/// Whether the calling thread is a worker of a lazydag pool ([`WorkStealing`] or
/// [`Threaded`]), as it is while it runs one of their tasks.
///
/// A task there must not block on work that only a pool can run. A compute it starts helps
/// its pool while it waits, but any other wait (a channel, a condition variable, a join) holds
/// the worker: if every worker of the pool waits so, nothing runs what they wait for. Code
/// that waits there for threads of its own that compute on a pool (a `lazydag-parallel`
/// stream's consumer does) calls [`help_pool`] while it waits.
///
/// ```
/// use lazydag_core::{delayed, scheduler::WorkStealing, task::on_pool_worker};
/// assert!(!on_pool_worker());
/// let inside = delayed(()).map(|()| on_pool_worker());
/// assert!(inside.compute_with(&WorkStealing::new(2)).unwrap());
/// ```
///
/// [`WorkStealing`]: crate::scheduler::WorkStealing
/// [`Threaded`]: crate::scheduler::Threaded
pub fn on_pool_worker() -> bool {
    can_help()
}

/// On a pool worker ([`on_pool_worker`]), runs one ready job of its pool, as the worker's
/// wait for a nested compute does; whether it ran one. Elsewhere, or with the thread already
/// that deep in helping jobs, it runs nothing and returns false.
///
/// For a task that waits on something other than a compute, fed by threads that compute on
/// this pool (a `lazydag-parallel` stream's channel): calling it while it waits keeps the
/// pool's work moving, so the wait cannot hold up what it waits for.
///
/// ```
/// use lazydag_core::{delayed, scheduler::WorkStealing, task::help_pool};
/// assert!(!help_pool()); // not a pool worker: nothing to help
/// let inside = delayed(()).map(|()| {
///     help_pool(); // may run a job of the pool, or find none
///     1
/// });
/// assert_eq!(inside.compute_with(&WorkStealing::new(2)).unwrap(), 1);
/// ```
pub fn help_pool() -> bool {
    help()
}

/// Runs one ready job of the calling worker's pool, if it has a helper and a job is ready;
/// whether it ran one. A worker waiting for a nested compute calls it instead of blocking,
/// so that the jobs its waiting holds up (its own pool's, or those another pool's tasks wait
/// for in turn) still run: this is what keeps nested computes, and pools computing on each
/// other, from deadlocking.
///
/// Past [`MAX_HELP_DEPTH`] helping jobs deep on this thread it runs none (the caller then
/// just waits): the thread's stack stays bounded.
pub(crate) fn help() -> bool {
    if help_depth() >= MAX_HELP_DEPTH {
        return false;
    }
    let help = HELP.with(|h| h.borrow().clone());
    help.is_some_and(|help| helping(|| help()))
}

/// Runs `f`, a job run from inside a wait, with this thread's help depth one higher (restored
/// on unwind too).
pub(crate) fn helping<R>(f: impl FnOnce() -> R) -> R {
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            HELP_DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    HELP_DEPTH.with(|d| d.set(d.get() + 1));
    let _restore = Restore;
    f()
}

/// How many jobs this thread runs right now from inside waits, one inside another.
pub(crate) fn help_depth() -> u32 {
    HELP_DEPTH.with(Cell::get)
}

/// Whether a compute started on this thread must run inline on it (with `Sequential`) instead
/// of on a pool: the thread already runs [`MAX_HELP_DEPTH`] helping jobs, one inside another's
/// wait. Inline, the compute needs no other thread (it cannot deadlock) and adds only its own
/// tasks' frames to the stack, as plain recursion would.
pub(crate) fn must_inline() -> bool {
    help_depth() >= MAX_HELP_DEPTH
}

/// Runs `f` with this thread marked as inside a task, so computes it starts skip the global
/// callbacks. Unmarks on unwind too (`f` catches task panics, but be safe).
pub(crate) fn in_task<R>(f: impl FnOnce() -> R) -> R {
    struct Unmark((u32, u64));
    impl Drop for Unmark {
        fn drop(&mut self) {
            IN_TASK.with(|n| n.set(self.0));
        }
    }
    let outer = IN_TASK.with(|n| n.replace((n.get().0 + 1, REGISTERED.with(Cell::get))));
    let _unmark = Unmark(outer);
    f()
}

/// Runs `f` with this thread not marked as inside a task, then restores the mark, on unwind
/// too: for a job a worker runs while its own task waits (helping), whose compute is not the
/// waiting task's.
pub(crate) fn outside_task<R>(f: impl FnOnce() -> R) -> R {
    struct Remark((u32, u64));
    impl Drop for Remark {
        fn drop(&mut self) {
            let _ = IN_TASK.try_with(|n| n.set(self.0));
        }
    }
    let outer = IN_TASK.with(|n| n.replace((0, 0)));
    if outer.0 == 0 {
        return f();
    }
    let _remark = Remark(outer);
    f()
}

/// Whether the calling thread is running a task of a compute with callbacks.
pub(crate) fn is_in_task() -> bool {
    IN_TASK.with(Cell::get).0 > 0
}

/// Counts one callback registration on this thread and returns its number: registrations made
/// while a task runs have numbers at or above [`task_mark`].
pub(crate) fn registered() -> u64 {
    REGISTERED.with(|n| n.replace(n.get() + 1))
}

/// The registration number the innermost task running on this thread started at: callbacks
/// registered from that number on were registered inside the task.
pub(crate) fn task_mark() -> u64 {
    IN_TASK.with(Cell::get).1
}

/// The number of cores this process may use, asked once per process: asking the system
/// (affinity mask, cgroup quota files) takes tens of microseconds. Also public as
/// [`config::cores`](crate::config::cores).
///
/// ```
/// assert!(lazydag_core::config::cores() >= 1);
/// ```
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// The most workers one lazydag pool may have: 4096. Each worker is an operating-system
/// thread with its own stack, and a pool's start-up and idle wake-ups grow with its size, so
/// counts far above any machine's core count buy nothing and can exhaust memory or the
/// system's thread limit. A larger count in `LAZYDAG_NUM_WORKERS`, the config file's
/// `num-workers` or a `try_new` constructor is an [`Error::Config`](crate::Error::Config);
/// the infallible constructors (`Threaded::new`, `WorkStealing::new`, `Async::new`) clamp to
/// it. Also public as [`config::MAX_WORKERS`](crate::config::MAX_WORKERS).
///
/// ```
/// assert_eq!(lazydag_core::config::MAX_WORKERS, 4096);
/// ```
pub const MAX_WORKERS: usize = 4096;

/// The error for a worker count above [`MAX_WORKERS`], naming the setting.
pub(crate) fn too_many_workers(setting: &str, value: impl fmt::Display) -> crate::error::Error {
    crate::error::Error::Config {
        message: format!(
            "{setting} must be at most {MAX_WORKERS}, got `{value}`: each worker is an \
             operating-system thread, and more than {MAX_WORKERS} per pool only cost memory \
             and start-up time"
        ),
    }
}
