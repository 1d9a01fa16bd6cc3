//! The pool: long-lived worker threads, their deques, and the registry of running computes.
//!
//! Jobs are `(run id, task index)` pairs, eight bytes, `Copy`: queueing a task costs no
//! allocation and no reference count. A worker keeps the `Run` of its last job and looks a run
//! up in the registry (a short mutex) only when a job belongs to another compute; a job whose
//! run is gone or stopped is dropped. So several computes can share the pool at once.
//!
//! Where a worker looks for work, in order: its own deque (LIFO, for locality), a batch from
//! the injector (where callers put the initial tasks), then the other workers' deques (all of
//! them after a wake-up or in a pool of up to 65 workers, else 64 from a random start).
//! A finished task runs one newly ready dependent directly (no queue round-trip) and pushes
//! the others on its own deque, waking one sleeper.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use super::run::{Next, Run};
use super::sleep::Sleep;
use crate::panic::drop_quietly;
use crate::sync::lock_std as lock;

/// The most other workers' deques a search for work looks at in a pool larger than this,
/// unless it follows a wake-up: from a random start, so that an idle worker's look costs O(1)
/// instead of O(workers) (the whole pool scanning every deque made a compute on 2,000 workers
/// cost O(workers²)). A woken worker (work was published) looks at every deque, and taking
/// work that leaves more behind wakes another, so no published job waits for a lucky search.
const STEAL_SCAN: usize = 64;

/// One runnable task of one compute.
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    run: u32,
    task: u32,
}

/// What the workers share.
#[derive(Debug)]
pub(super) struct Shared {
    injector: Injector<Job>,
    stealers: Box<[Stealer<Job>]>,
    sleep: Sleep,
    runs: Mutex<Vec<Arc<Run>>>,
    next_run: AtomicU32,
    shutdown: AtomicBool,
}

thread_local! {
    /// The pool this thread works for (its `Shared` address), or 0.
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

/// A pool of worker threads; they stop and are joined when it drops.
#[derive(Debug)]
pub(super) struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads named `lazydag-ws-{i}`. If the operating system refuses one,
    /// the threads already started are shut down and joined, and the refusal is returned with
    /// how many had started.
    pub(super) fn new(workers: usize) -> Result<Self, (usize, std::io::Error)> {
        let deques: Vec<Worker<Job>> = (0..workers).map(|_| Worker::new_lifo()).collect();
        let shared = Arc::new(Shared {
            injector: Injector::new(),
            stealers: deques.iter().map(Worker::stealer).collect(),
            sleep: Sleep::new(),
            runs: Mutex::new(Vec::new()),
            next_run: AtomicU32::new(0),
            shutdown: AtomicBool::new(false),
        });
        let mut pool = Pool { shared, threads: Vec::with_capacity(workers) };
        for (index, deque) in deques.into_iter().enumerate() {
            let shared = Arc::clone(&pool.shared);
            let thread = thread::Builder::new()
                .name(format!("lazydag-ws-{index}"))
                .spawn(move || work(&shared, index, &deque))
                .map_err(|err| (index, err))?; // dropping `pool` joins the started threads
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// Whether the calling thread is one of this pool's workers.
    pub(super) fn is_worker(&self) -> bool {
        WORKER_OF.with(Cell::get) == self.shared.addr()
    }

    /// Registers a run for `plan`, queues its initial tasks and wakes one worker per initial
    /// task (at most every sleeper): waking the whole pool for a few tasks would cost each
    /// woken worker a scan of every deque, O(workers²) per compute in a large pool.
    pub(super) fn submit(&self, plan: crate::plan::Plan) -> Arc<Run> {
        let id = self.shared.next_run.fetch_add(1, Ordering::Relaxed);
        let run = Arc::new(Run::new(plan, id));
        lock(&self.shared.runs).push(Arc::clone(&run));
        let mut jobs = 0;
        for task in run.initial() {
            self.shared.injector.push(Job { run: id, task });
            jobs += 1;
        }
        self.shared.sleep.notify_many(jobs);
        run
    }

    /// Forgets a finished run; jobs of it still queued are dropped when popped.
    pub(super) fn retire(&self, run: &Arc<Run>) {
        lock(&self.shared.runs).retain(|r| !Arc::ptr_eq(r, run));
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.sleep.notify_all();
        let me = std::thread::current().id();
        for thread in self.threads.drain(..) {
            // A task's leftovers may hold the last handle to their own scheduler and be
            // dropped on a worker (a task still running when its compute returned): that
            // worker exits after its job instead of joining itself, which would panic.
            if thread.thread().id() == me {
                continue;
            }
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn addr(&self) -> usize {
        (self as *const Shared).cast::<()>() as usize
    }

    /// The live run with this id.
    fn lookup(&self, id: u32) -> Option<Arc<Run>> {
        lock(&self.runs).iter().find(|r| r.id == id).cloned()
    }

    /// A job from this worker's deque, the injector, or another worker's deque. A `full`
    /// search (after a wake-up: work was published) and any search in a pool of up to
    /// `STEAL_SCAN + 1` look at every other deque; the others look at `STEAL_SCAN`
    /// consecutive ones from a random start (`rng`, this worker's own generator). Taking work
    /// that leaves more behind (a batch from the injector, a steal from a deque that is not
    /// empty yet) wakes one more worker for it.
    fn find_job(
        &self,
        index: usize,
        deque: &Worker<Job>,
        rng: &mut u32,
        full: bool,
    ) -> Option<Job> {
        if let Some(job) = deque.pop() {
            return Some(job);
        }
        let n = self.stealers.len();
        let (start, scan) = if full || n <= STEAL_SCAN + 1 {
            (0, n - 1)
        } else {
            // xorshift32: cheap, and good enough to spread the victims.
            *rng ^= *rng << 13;
            *rng ^= *rng >> 17;
            *rng ^= *rng << 5;
            (*rng as usize % (n - 1), STEAL_SCAN)
        };
        loop {
            let mut retry = false;
            match self.injector.steal_batch_and_pop(deque) {
                Steal::Success(job) => {
                    if !deque.is_empty() {
                        self.sleep.notify_one();
                    }
                    return Some(job);
                }
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            for k in 0..scan {
                // An offset in 1..n: never this worker's own deque.
                let victim = &self.stealers[(index + 1 + (start + k) % (n - 1)) % n];
                match victim.steal() {
                    Steal::Success(job) => {
                        if !victim.is_empty() {
                            self.sleep.notify_one();
                        }
                        return Some(job);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }
}

/// A worker thread's loop: find a job and run it, or sleep until work is published.
fn work(shared: &Shared, index: usize, deque: &Worker<Job>) {
    WORKER_OF.with(|w| w.set(shared.addr()));
    crate::worker::set_worker("ws", index);
    let mut current: Option<Arc<Run>> = None;
    let mut inputs = Vec::new();
    // Seeds this worker's victim choice (never 0, which xorshift would keep).
    let mut rng = (index as u32).wrapping_mul(0x9E37_79B9) | 1;
    // Set by a wake-up: the next search looks at every deque.
    let mut woken = false;
    loop {
        let job = match shared.find_job(index, deque, &mut rng, std::mem::take(&mut woken)) {
            Some(job) => job,
            None => {
                let key = shared.sleep.prepare();
                if shared.shutdown.load(Ordering::SeqCst) {
                    shared.sleep.cancel();
                    release(&mut current, None);
                    return;
                }
                match shared.find_job(index, deque, &mut rng, false) {
                    Some(job) => {
                        shared.sleep.cancel();
                        job
                    }
                    None => {
                        // Between computes, drop the last run: its plan and graph are freed.
                        release(&mut current, None);
                        shared.sleep.wait(key);
                        woken = true;
                        continue;
                    }
                }
            }
        };
        if current.as_ref().is_none_or(|run| run.id != job.run) {
            release(&mut current, shared.lookup(job.run));
        }
        let Some(run) = current.as_ref() else {
            continue; // the job's compute is over
        };
        let mut next = Some(Next { task: job.task, carry: None });
        while let Some(Next { task, carry }) = next {
            let mut pushed = false;
            next = run.execute(task, carry, &mut inputs, |task| {
                deque.push(Job { run: run.id, task });
                pushed = true;
            });
            if pushed {
                shared.sleep.notify_one();
            }
        }
        if run.is_over() {
            // Let the finished compute's plan and graph go now, not when this worker idles.
            release(&mut current, None);
        }
    }
}

/// Replaces the worker's current run. The old handle may be the last one of a failed run,
/// whose slots still hold values: they are dropped with panics caught, so that a panicking
/// `Drop` cannot kill the worker (which nothing would replace, hanging the pool).
fn release(current: &mut Option<Arc<Run>>, next: Option<Arc<Run>>) {
    let old = std::mem::replace(current, next);
    if old.is_some() {
        drop_quietly(old);
    }
}
