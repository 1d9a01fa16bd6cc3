//! The pool: long-lived worker threads, their deques, and the registry of running computes.
//!
//! Jobs are `(run id, task index)` pairs, eight bytes, `Copy`: queueing a task costs no
//! allocation and no reference count. A worker keeps the `Execution` of its last job and looks a run
//! up in the registry (a short mutex) only when a job belongs to another compute; a job whose
//! run is gone or stopped is dropped. So several computes can share the pool at once.
//!
//! Where a worker looks for work, in order: its own deque (LIFO, for locality), the deques
//! named by steal tickets (queued by workers that left work for others), a batch from the
//! injector (where callers put the
//! initial tasks), then the other workers' deques (all of them in a pool of up to 65 workers,
//! else 64 from a random start, and all of them only if a woken worker found nothing so far).
//! A finished task runs one newly ready dependent directly (no queue round-trip) and pushes
//! the others on its own deque, waking one sleeper.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use super::execution::Execution;
use super::sleep::Sleep;
use crate::panic::drop_quietly;
use crate::sync::{Ready, lock_std as lock, spawn_ready};

/// The most other workers' deques a search for work looks at in a pool larger than this,
/// unless it follows a wake-up: from a random start, so that an idle worker's look costs O(1)
/// instead of O(workers) (the whole pool scanning every deque made a compute on 2,000 workers
/// cost O(workers²)). A search takes steal tickets first (deques that left work for others),
/// and a woken worker (work was published) looks at every deque only when tickets, the
/// injector and its random subset had nothing; taking work that leaves more behind wakes another, so no published job waits for
/// a lucky search.
const STEAL_SCAN: usize = 64;

/// The task of a job that stands for a compute's initial tasks (its cursor): a worker that
/// takes it adopts the compute and a range of its initial tasks, which it claims
/// ([`Execution::next_initial`]) whenever its own deque is empty, and queues the cursor again
/// for the next worker while some are left. So a compute from outside the pool costs one
/// queued job, not one per initial task, and each range starts in priority order.
const CURSOR: u32 = u32::MAX;

/// One runnable task of one compute (or its [`CURSOR`]).
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
    /// Steal tickets: the indices of deques that hold work for others (see `wake_for`). Every
    /// search takes tickets first, so a search finds published work in O(1) in a pool of any
    /// size; at most one ticket per deque is queued (`ticketed`).
    tickets: Injector<usize>,
    /// Whether deque `i` has a ticket queued.
    ticketed: Box<[AtomicBool]>,
    /// How many sleepers a new compute wakes at most: the machine's parallelism (more awake
    /// workers than cores cannot run at once; further workers are woken one per successful
    /// steal that leaves work behind).
    wake_at_submit: usize,
    runs: Mutex<Vec<Arc<Execution>>>,
    next_run: AtomicU32,
    shutdown: AtomicBool,
}

thread_local! {
    /// The pool this thread works for (its `Shared` address), or 0.
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
    /// This worker's own side of its pool (its deque), for a compute it starts from a task.
    static LOCAL: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
}

/// A worker's own side of the pool: its deque and victim generator. Shared (on its thread
/// only) between the worker's loop and the waits of the computes its tasks start, which run
/// jobs from the same deque while they wait.
struct Local {
    shared: Arc<Shared>,
    index: usize,
    deque: Worker<Job>,
    rng: Cell<u32>,
}

/// A pool of worker threads; they stop and are joined when it drops.
#[derive(Debug)]
pub(super) struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads named `lazydag-ws-{i}`, one after another, each set up before
    /// the next ([`spawn_ready`]). If the operating system refuses one, the threads already
    /// started are shut down and joined, and the refusal is returned with how many had
    /// started.
    pub(super) fn new(workers: usize) -> Result<Self, (usize, std::io::Error)> {
        let deques: Vec<Worker<Job>> = (0..workers).map(|_| Worker::new_lifo()).collect();
        let shared = Arc::new(Shared {
            injector: Injector::new(),
            stealers: deques.iter().map(Worker::stealer).collect(),
            sleep: Sleep::new(),
            tickets: Injector::new(),
            ticketed: (0..workers).map(|_| AtomicBool::new(false)).collect(),
            wake_at_submit: thread::available_parallelism().map_or(1, usize::from),
            runs: Mutex::new(Vec::new()),
            next_run: AtomicU32::new(0),
            shutdown: AtomicBool::new(false),
        });
        let mut pool = Pool { shared, threads: Vec::with_capacity(workers) };
        for (index, deque) in deques.into_iter().enumerate() {
            let shared = Arc::clone(&pool.shared);
            let builder = thread::Builder::new().name(format!("lazydag-ws-{index}"));
            let thread = spawn_ready(builder, move |ready| work(&shared, index, deque, ready))
                .map_err(|err| (index, err))?; // dropping `pool` joins the started threads
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// What the workers share: a handle that computes on this pool (see [`Shared::submit`]).
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
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

    /// Whether the calling thread is one of this pool's workers.
    pub(super) fn is_worker(&self) -> bool {
        WORKER_OF.with(Cell::get) == self.addr()
    }

    /// Registers a run for `plan` and queues its initial tasks.
    ///
    /// From outside the pool one job, the run's [`CURSOR`], goes to the injector, and one
    /// worker per initial task is woken, but no more than the machine has cores: each worker
    /// that takes the cursor adopts the run, claims its initial tasks in priority order, puts
    /// the cursor back while some are left and wakes the next, so the pool ramps up as far as
    /// there is work, and a compute of a few tiny tasks on a large pool does not wake (and
    /// context-switch) a crowd.
    ///
    /// From one of its workers (a task computing a nested graph) they go on top of that
    /// worker's own deque, pushed in reverse so that the first in priority pops first: the
    /// worker, which helps while it waits, takes them before any older job below them, and a
    /// steal ticket lets idle workers find the rest.
    pub(super) fn submit(self: &Arc<Self>, plan: crate::plan::Plan) -> Arc<Execution> {
        let id = self.next_run.fetch_add(1, Ordering::Relaxed);
        let local = if self.is_worker() { LOCAL.with(|l| l.borrow().clone()) } else { None };
        let parts = if local.is_none() { self.wake_at_submit.min(self.stealers.len()) } else { 0 };
        let run = Arc::new(Execution::new(plan, id, parts));
        lock(&self.runs).push(Arc::clone(&run));
        if let Some(local) = local {
            let initial = run.initial();
            for &task in initial.iter().rev() {
                local.deque.push(Job { run: id, task });
            }
            if !initial.is_empty() {
                self.wake_for(local.index);
            }
            return run;
        }
        let jobs = run.initial().len();
        if jobs > 0 {
            self.injector.push(Job { run: id, task: CURSOR });
        }
        self.sleep.notify_many(jobs.min(self.wake_at_submit));
        run
    }

    /// Forgets a finished run; jobs of it still queued are dropped when popped.
    pub(super) fn retire(&self, run: &Arc<Execution>) {
        lock(&self.runs).retain(|r| !Arc::ptr_eq(r, run));
    }

    /// The live run with this id.
    fn lookup(&self, id: u32) -> Option<Arc<Execution>> {
        lock(&self.runs).iter().find(|r| r.id == id).cloned()
    }

    /// A job from this worker's deque, a deque with a steal ticket, the injector, or another
    /// worker's deque: up to `STEAL_SCAN` of them from a random start (`rng`, this worker's own
    /// generator), all of them in a pool of up to `STEAL_SCAN + 1`. Only a woken worker
    /// (`woken`: work was published) that found nothing so far looks at every deque: a
    /// fallback, since every deque with work for others has a ticket and the injector is
    /// always looked at. So an idle worker's look costs O(1), and a compute that wakes few
    /// workers costs O(workers) at most. Taking work that leaves more behind (a batch from the
    /// injector, a steal from a deque not empty yet) wakes one more worker for it.
    fn find_job(
        &self,
        index: usize,
        deque: &Worker<Job>,
        rng: &mut u32,
        woken: bool,
    ) -> Option<Job> {
        if let Some(job) = deque.pop() {
            return Some(job);
        }
        let n = self.stealers.len();
        if n == 1 {
            return self.search(index, deque, 0, 0);
        }
        if let Some(job) = self.by_ticket(index) {
            return Some(job);
        }
        if n <= STEAL_SCAN + 1 {
            return self.search(index, deque, 0, n - 1);
        }
        // xorshift32: cheap, and good enough to spread the victims.
        *rng ^= *rng << 13;
        *rng ^= *rng >> 17;
        *rng ^= *rng << 5;
        let start = *rng as usize % (n - 1);
        self.search(index, deque, start, STEAL_SCAN)
            .or_else(|| if woken { self.search(index, deque, 0, n - 1) } else { None })
    }

    /// A job stolen from a deque named by a ticket; stale tickets (their deque emptied
    /// meanwhile) are dropped.
    fn by_ticket(&self, index: usize) -> Option<Job> {
        loop {
            let victim = match self.tickets.steal() {
                Steal::Success(victim) => victim,
                Steal::Retry => continue,
                Steal::Empty => return None,
            };
            // Cleared before stealing: work pushed from now on gets a new ticket.
            self.ticketed[victim].store(false, Ordering::SeqCst);
            if victim != index
                && let Some(job) = self.steal_from(victim)
            {
                return Some(job);
            }
        }
    }

    /// One steal from `victim`'s deque (retried while contended), waking a worker for what it
    /// leaves behind.
    fn steal_from(&self, victim: usize) -> Option<Job> {
        let stealer = &self.stealers[victim];
        loop {
            match stealer.steal() {
                Steal::Success(job) => {
                    if !stealer.is_empty() {
                        self.wake_for(victim);
                    }
                    return Some(job);
                }
                Steal::Retry => continue,
                Steal::Empty => return None,
            }
        }
    }

    /// Wakes one sleeper for work left on `victim`'s deque, and queues a ticket for that
    /// deque unless one is queued already. Tickets are what makes waking few workers safe:
    /// whoever is woken (or searches next) finds the deque without scanning the pool, so no
    /// published job waits for a lucky search even when a worker blocks in a long task with
    /// work left on its deque.
    ///
    /// Memory ordering: the owner pushes its job, then sets `ticketed` (`SeqCst`); a thief
    /// takes a ticket, clears `ticketed` (`SeqCst`), then steals. Either the owner's swap
    /// comes after the clear and queues a new ticket, or it comes before, and then the push
    /// precedes the clear and so the thief's steal, which sees the job (or an older one, and
    /// then re-tickets the deque for what is left).
    fn wake_for(&self, victim: usize) {
        if self.stealers.len() > 1 && !self.ticketed[victim].swap(true, Ordering::SeqCst) {
            self.tickets.push(victim);
        }
        self.sleep.notify_one();
    }

    /// The injector, then `scan` other deques from offset `start`, until a job is found or
    /// nothing was contended.
    fn search(&self, index: usize, deque: &Worker<Job>, start: usize, scan: usize) -> Option<Job> {
        let n = self.stealers.len();
        loop {
            let mut retry = false;
            match self.injector.steal_batch_and_pop(deque) {
                Steal::Success(job) => {
                    if !deque.is_empty() {
                        self.wake_for(index);
                    }
                    if !self.injector.is_empty() {
                        self.sleep.notify_one();
                    }
                    return Some(job);
                }
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            for k in 0..scan {
                // An offset in 1..n: never this worker's own deque.
                let victim = (index + 1 + (start + k) % (n - 1)) % n;
                match self.stealers[victim].steal() {
                    Steal::Success(job) => {
                        if !self.stealers[victim].is_empty() {
                            self.wake_for(victim);
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
fn work(shared: &Arc<Shared>, index: usize, deque: Worker<Job>, ready: Ready) {
    WORKER_OF.with(|w| w.set(shared.addr()));
    crate::worker::set_worker("ws", index);
    // Seeds this worker's victim choice (never 0, which xorshift would keep).
    let rng = Cell::new((index as u32).wrapping_mul(0x9E37_79B9) | 1);
    let local = Rc::new(Local { shared: Arc::clone(shared), index, deque, rng });
    LOCAL.with(|l| *l.borrow_mut() = Some(Rc::clone(&local)));
    let helper = Rc::clone(&local);
    crate::worker::set_helper(Rc::new(move || helper.help_one()));
    crate::schedulers::set_here(Arc::new(super::Here(Arc::clone(shared))));
    let mut held = Held::default();
    let mut inputs = Vec::new();
    ready.done();
    loop {
        let job = match next_job(&local, &mut held) {
            Found::Job(job) => job,
            Found::Woken => continue,
            Found::Shutdown => break,
        };
        held.run(&local, job, &mut inputs);
    }
    release(&mut held.current, None);
    release(&mut held.adopted, None);
    // The helper and the handles name this pool: let them go before the thread ends.
    crate::worker::clear_helper();
    crate::schedulers::clear_here();
    LOCAL.with(|l| l.borrow_mut().take());
}

/// What a worker keeps between jobs.
#[derive(Default)]
struct Held {
    /// The compute of the worker's last job: a job of the same compute needs no lookup.
    current: Option<Arc<Execution>>,
    /// The compute whose cursor this worker took (see `CURSOR`), while it has initial tasks,
    /// and the range of them this worker owns (see `ranges.rs`).
    adopted: Option<Arc<Execution>>,
    mine: Option<usize>,
    /// Set by a wake-up: the next search looks at every deque.
    woken: bool,
    /// A job popped from this worker's deque by `run_chain` that it left to the loop.
    popped: Option<Job>,
}

/// What [`next_job`] found.
enum Found {
    Job(Job),
    /// The worker slept and was woken: look again.
    Woken,
    /// The pool is shutting down.
    Shutdown,
}

/// The worker's next job, in order: the one `run_chain` left, the adopted compute's next
/// initial task (after this worker's own deque, before anyone else's work: claimed from this
/// worker's range and run directly, thieves split the range, not a deque), a search
/// ([`Local::find`]), or, when there is none, sleep until work is published. Between computes
/// (before sleeping) the worker drops the runs it held: their plans and graphs are freed.
fn next_job(local: &Local, held: &mut Held) -> Found {
    if let Some(job) = held.popped.take() {
        return Found::Job(job);
    }
    if let Some(job) = held.initial(local) {
        return Found::Job(job);
    }
    if let Some(job) = local.find(std::mem::take(&mut held.woken)) {
        return Found::Job(job);
    }
    let shared = &local.shared;
    let key = shared.sleep.prepare();
    if shared.shutdown.load(Ordering::SeqCst) {
        shared.sleep.cancel();
        return Found::Shutdown;
    }
    if let Some(job) = local.find(false) {
        shared.sleep.cancel();
        return Found::Job(job);
    }
    release(&mut held.current, None);
    release(&mut held.adopted, None);
    shared.sleep.wait(key);
    held.woken = true;
    Found::Woken
}

impl Held {
    /// The adopted compute's next initial task, while this worker's deque is empty (what a
    /// task made ready runs first); the compute is let go once it has none left.
    fn initial(&mut self, local: &Local) -> Option<Job> {
        let run = self.adopted.as_ref()?;
        if !local.deque.is_empty() {
            return None;
        }
        if let Some(task) = run.next_initial(&mut self.mine, true) {
            return Some(Job { run: run.id, task });
        }
        release(&mut self.adopted, None);
        self.mine = None;
        None
    }

    /// Runs `job`: a task (and the chain it starts), or a compute's cursor, which this worker
    /// adopts; a job of a compute that is over is dropped.
    fn run(&mut self, local: &Local, job: Job, inputs: &mut Vec<crate::value::Value>) {
        if self.current.as_ref().is_none_or(|run| run.id != job.run) {
            release(&mut self.current, local.shared.lookup(job.run));
        }
        let Some(run) = self.current.as_ref() else {
            return; // the job's compute is over
        };
        if job.task == CURSOR {
            // Adopted: claim its initial tasks (`initial`). While some are left, the cursor
            // goes back for the next worker, and one more is woken (the ramp-up, as for any
            // work taken that leaves more behind).
            if run.has_unclaimed() && !run.is_over() {
                local.shared.injector.push(job);
                local.shared.sleep.notify_one();
                if self.adopted.as_ref().is_none_or(|a| a.id != run.id) {
                    release(&mut self.adopted, Some(Arc::clone(run)));
                    self.mine = run.adopt();
                }
            }
            return;
        }
        let own = self.adopted.as_ref().is_some_and(|a| a.id == run.id).then_some(&mut self.mine);
        self.popped = local.run_chain(run, job.task, own, inputs);
        if run.is_over() {
            // Let the finished compute's plan and graph go now, not when this worker idles.
            release(&mut self.current, None);
            if self.adopted.as_ref().is_some_and(|a| a.is_over()) {
                release(&mut self.adopted, None);
                self.mine = None;
            }
        }
    }
}

impl Local {
    /// A job from this worker's deque or elsewhere (see [`Shared::find_job`]).
    #[inline]
    fn find(&self, woken: bool) -> Option<Job> {
        let mut rng = self.rng.get();
        let job = self.shared.find_job(self.index, &self.deque, &mut rng, woken);
        self.rng.set(rng);
        job
    }

    /// Runs task `task` of `run`, then the dependents it hands on directly, pushing the
    /// others on this worker's deque (and waking a thief for them); when a chain ends, the
    /// next job of the same compute on this worker's own deque is run the same way, without
    /// going back to the worker's loop. Returns the first job popped that is not one of
    /// `run`'s tasks (another compute's, or a cursor), for the caller to handle; `None` once
    /// the deque is empty. One function for the worker's loop and its helping, out of line:
    /// with a single caller the compiler inlines the whole task step into it (two inlined
    /// copies made it keep the step out of line, +6% instructions per task on the 262k
    /// map-reduce). A panic outside the tasks (a value's `Drop`) is caught once for the whole
    /// loop, and fails the compute naming the task whose step raised it.
    #[inline(never)]
    fn run_chain(
        &self,
        run: &Execution,
        task: u32,
        mut mine: Option<&mut Option<usize>>,
        inputs: &mut Vec<crate::value::Value>,
    ) -> Option<Job> {
        let running = Cell::new(task);
        let mut other = None;
        let outcome = crate::panic::catch(|| {
            // Inside the catch: a carried value left by a failed step drops here.
            let mut carry = None;
            let mut task = task;
            let plain = run.is_plain();
            if run.is_stopped() {
                return;
            }
            loop {
                running.set(task);
                let mut pushed = false;
                let next = run.execute(task, plain, &mut carry, inputs, |task| {
                    self.deque.push(Job { run: run.id, task });
                    pushed = true;
                });
                if pushed {
                    self.shared.wake_for(self.index);
                }
                task = match next {
                    Some(next) => next,
                    // An empty deque is told by two loads, without `pop`'s fence.
                    None if self.deque.is_empty() => {
                        // This worker's range of the compute's initial tasks, if it owns one.
                        match mine.as_deref_mut().and_then(|m| run.next_initial(m, true)) {
                            Some(task) => task,
                            None => return,
                        }
                    }
                    None => match self.deque.pop() {
                        Some(job) if job.run == run.id && job.task != CURSOR => {
                            if run.is_stopped() {
                                return; // its queued jobs are dropped
                            }
                            job.task
                        }
                        popped => {
                            other = popped;
                            return;
                        }
                    },
                };
            }
        });
        if let Err(caught) = outcome {
            run.panicked(running.get(), caught, inputs);
        }
        other
    }

    /// Runs one ready job of any compute on this pool, for a worker that waits for a compute
    /// it started from a task (the worker's help hook, `worker::set_helper`); whether it found
    /// one (a job of a compute already over counts: it was dropped). The job runs apart from
    /// the waiting task ([`plan::helped`](crate::plan::helped)).
    fn help_one(&self) -> bool {
        let Some(job) = self.find(false) else {
            return false;
        };
        if let Some(run) = self.shared.lookup(job.run) {
            let mut inputs = Vec::new();
            let task = if job.task == CURSOR {
                // A compute from outside the pool: run one of its initial tasks, and leave the
                // cursor for the next worker.
                let task = run.next_initial(&mut None, false);
                if run.has_unclaimed() && !run.is_over() {
                    self.shared.injector.push(job);
                }
                task
            } else {
                Some(job.task)
            };
            // Apart from the waiting task: the job sees its own compute's cancel watch and
            // callbacks, not the waiting task's.
            if let Some(task) = task
                && let Some(other) =
                    crate::plan::helped(|| self.run_chain(&run, task, None, &mut inputs))
            {
                self.deque.push(other); // back on top, where it was
            }
            drop_quietly(run);
        }
        true
    }
}

/// Replaces the worker's current run. The old handle may be the last one of a failed run,
/// whose slots still hold values: they are dropped with panics caught, so that a panicking
/// `Drop` cannot kill the worker (which nothing would replace, hanging the pool).
fn release<T>(current: &mut Option<T>, next: Option<T>) {
    let old = std::mem::replace(current, next);
    if old.is_some() {
        drop_quietly(old);
    }
}
