//! [`Pool`]: long-lived worker threads sharing one priority-ordered ready queue.
//!
//! Invariants:
//! - a worker sleeps on the condvar only after seeing the queue empty under its lock, so a
//!   job pushed under that lock is never missed: the pusher either finds the worker awake
//!   (it will look again) or counted in `sleeping` (it is woken);
//! - a job is popped by exactly one worker; jobs of all computes share the one heap, smallest
//!   `(task index, compute number)` first;
//! - no user code runs while the queue lock is held, and jobs are never dropped under it;
//! - after `shutdown` is set no worker's loop pops again, but a worker waiting for a nested
//!   compute (a task still running in the background) keeps helping: it runs the jobs left in
//!   the queue, which that compute may wait for, so the wait ends, the task returns, and its
//!   worker exits. [`Pool`]'s `Drop` joins every worker, so it returns once the background
//!   tasks have ended (contract rule 6).

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use super::execution::{Execution, Scratch};
use crate::panic::drop_quietly;
use crate::sync::{Ready, lock_std, spawn_ready, wait_std};

/// Numbers pools, for their `Debug` output.
static NEXT_POOL: AtomicU64 = AtomicU64::new(1);

/// One ready task of one compute.
pub(super) struct Job {
    index: u32,
    run: Arc<Execution>,
}

impl Job {
    /// The static priority: the plan index first (smaller runs first), then the compute's
    /// number, so two computes interleave by priority and tie-break by start order.
    fn priority(&self) -> (u32, u64) {
        (self.index, self.run.number())
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority() == other.priority()
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.priority().cmp(&other.priority())
    }
}

/// The state behind the queue lock.
struct Queue {
    /// Ready jobs, smallest priority on top.
    heap: BinaryHeap<Reverse<Job>>,
    /// Workers waiting on the condvar right now.
    sleeping: usize,
    /// Set once, by `Pool`'s `Drop`: workers exit.
    shutdown: bool,
}

/// What the workers and the computing threads share.
pub(super) struct Shared {
    id: u64,
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Numbers computes in start order, for tie-breaking priorities.
    ///
    /// Memory ordering: a counter that publishes nothing; `Relaxed`.
    next_compute: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // No user code runs under this lock, so it cannot be poisoned; recover all the same.
        lock_std(&self.queue)
    }

    /// A fresh compute number.
    pub(super) fn next_compute(&self) -> u64 {
        self.next_compute.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues tasks `ready` of `run` and wakes sleeping workers for them. A worker pushing
    /// from its loop passes `pusher_works = true`: it takes one job itself on its next pop, so
    /// it wakes one worker fewer. A helping worker passes `false`: its wait may end right
    /// after the job (the nested compute is done) and go back to the waiting task, which would
    /// leave a job queued while a worker sleeps. One lock for the whole batch.
    pub(super) fn push(&self, run: &Arc<Execution>, ready: &[u32], pusher_works: bool) {
        if ready.is_empty() {
            return;
        }
        let wake = {
            let mut queue = self.lock();
            let jobs = ready.iter().map(|&index| Reverse(Job { index, run: Arc::clone(run) }));
            queue.heap.extend(jobs);
            (ready.len() - usize::from(pusher_works)).min(queue.sleeping)
        };
        for _ in 0..wake {
            self.ready.notify_one();
        }
    }

    /// Removes every queued job of `run` and returns how many there were. Taking the lock
    /// also orders the caller's earlier writes (its `stopped` flag) before any later pop.
    pub(super) fn purge(&self, run: &Arc<Execution>) -> usize {
        let removed = {
            let mut queue = self.lock();
            if !queue.heap.iter().any(|Reverse(job)| Arc::ptr_eq(&job.run, run)) {
                return 0;
            }
            let (removed, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut queue.heap)
                .into_vec()
                .into_iter()
                .partition(|Reverse(job)| Arc::ptr_eq(&job.run, run));
            queue.heap = BinaryHeap::from(kept);
            removed
        };
        // Dropped outside the lock; the caller holds `run`, so these are never its last handle.
        removed.len()
    }

    /// The next job if one is ready, without sleeping, for a helping worker. Shutdown does not
    /// stop it: the jobs still queued then belong to nested computes whose tasks run in the
    /// background on this pool's workers (every other compute has returned: its caller held
    /// the pool, and a failed one purged its jobs), and only the helpers waiting for those
    /// computes are left to run them, as the other workers exit.
    fn try_pop(&self) -> Option<Job> {
        self.lock().heap.pop().map(|Reverse(job)| job)
    }

    /// The next job, sleeping while there is none; `None` once the pool shuts down.
    fn pop(&self) -> Option<Job> {
        let mut queue = self.lock();
        loop {
            if queue.shutdown {
                return None;
            }
            if let Some(Reverse(job)) = queue.heap.pop() {
                return Some(job);
            }
            queue.sleeping += 1;
            queue = wait_std(&self.ready, queue);
            queue.sleeping -= 1;
        }
    }
}

/// A worker's life: pop, run, repeat until shutdown. Never unwinds: `Execution::run_job` catches
/// panics, and a job (possibly the last handle to a plan) is dropped with `drop_quietly`.
fn work(shared: &Arc<Shared>, ready: Ready) {
    let helper = Arc::clone(shared);
    crate::worker::set_helper(std::rc::Rc::new(move || help(&helper)));
    crate::schedulers::set_here(Arc::new(super::Here(Arc::clone(shared))));
    let mut scratch = Scratch::default();
    ready.done();
    while let Some(job) = shared.pop() {
        job.run.run_job(job.index as usize, &mut scratch, shared, true);
        drop_quietly(job);
    }
    // The helper and the handle name this pool: let them go before the thread ends.
    crate::worker::clear_helper();
    crate::schedulers::clear_here();
}

/// Runs one ready job, if any, on a worker that waits for a nested compute; whether it did.
/// The job runs apart from the waiting task (`plan::helped`): it sees its own compute's
/// cancel watch and callbacks, not the waiting task's.
fn help(shared: &Shared) -> bool {
    match shared.try_pop() {
        Some(job) => {
            crate::plan::helped(|| {
                job.run.run_job(job.index as usize, &mut Scratch::default(), shared, false);
            });
            drop_quietly(job);
            true
        }
        None => false,
    }
}

/// `workers` threads named `lazydag-threads-{i}`, alive until the pool is dropped.
pub(super) struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads, one after another, each set up before the next
    /// ([`spawn_ready`]). If the operating system refuses one, the threads already started are
    /// shut down and joined, and the refusal is returned.
    pub(super) fn new(workers: usize) -> Result<Pool, (usize, std::io::Error)> {
        let shared = Arc::new(Shared {
            id: NEXT_POOL.fetch_add(1, Ordering::Relaxed),
            queue: Mutex::new(Queue { heap: BinaryHeap::new(), sleeping: 0, shutdown: false }),
            ready: Condvar::new(),
            next_compute: AtomicU64::new(0),
        });
        let mut pool = Pool { shared, threads: Vec::with_capacity(workers) };
        for i in 0..workers {
            let shared = Arc::clone(&pool.shared);
            let builder = thread::Builder::new().name(format!("lazydag-threads-{i}"));
            let thread = spawn_ready(builder, move |ready| {
                crate::worker::set_worker("threads", i);
                work(&shared, ready)
            })
            .map_err(|err| (i, err))?; // dropping `pool` joins the started threads
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// What workers and computes share.
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The number of worker threads.
    pub(super) fn len(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.ready.notify_all();
        let me = thread::current().id();
        for thread in self.threads.drain(..) {
            // A task that drops the last handle to its own scheduler runs this on a worker:
            // that worker exits after its job instead of joining itself.
            if thread.thread().id() == me {
                continue;
            }
            if thread.join().is_err() {
                tracing::error!("a lazydag-threads worker panicked outside any task");
            }
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("id", &self.shared.id).field("workers", &self.len()).finish()
    }
}
