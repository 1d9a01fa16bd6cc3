//! The engine behind streams (`map_iter` and its forms): dispatchers that cut the input into
//! batches and run each batch as one lazydag task, and a consumer that puts the batches back
//! in input order. (Collecting maps run on `lane.rs` instead.)
//!
//! # Protocol
//! - **Input.** The input iterator sits behind a mutex. A dispatcher takes the next batch
//!   (its size from the [`Sizer`]) and gives it the next sequence number and the index of its
//!   first item, under that mutex: batches are numbered in input order.
//! - **Execution.** A batch becomes one task, `delayed_once(items).map(run)`, computed with
//!   `compute_with` on the chosen scheduler: one task per batch, never one per item. There are
//!   as many dispatcher threads as workers, so at most `workers` batches run at once; with one
//!   worker, the `sync` backend, or inside another map's batch there is no dispatcher thread
//!   and the consumer runs each batch itself when it needs it (inline). A consumer on a pool
//!   worker (a stream read inside a lazydag task) helps that pool while it waits for a batch
//!   or for the dispatchers to end, instead of blocking the worker that batches may need.
//! - **Window.** A dispatcher takes a permit before it takes a batch; the consumer gives it
//!   back when it starts on that batch. Batches not yet consumed (running, or finished and
//!   waiting for an earlier one) are at most the window: `2 × workers` for a streaming map, so
//!   memory stays bounded whatever the input's length. Permits are taken before sequence
//!   numbers, so the earliest unconsumed batch always holds one: no deadlock. They are handed
//!   out once every dispatcher has started (each set up before the next is spawned).
//! - **Order.** Finished batches come back on a channel in any order; the consumer parks them
//!   in a `BTreeMap` by sequence number and hands out the next one in order.
//! - **A panicking input.** A panic of the input iterator is caught where a batch is taken:
//!   the items it produced before run as usual, then the map ends (in both modes) with an
//!   [`ItemError::Panicked`] at the index of the item it failed to produce.
//! - **Stop.** In stop-on-error mode, a failing item `k` halts the map there (the [`Stop`]
//!   at `k`): sleeping dispatchers are woken and exit, running batches stop before their
//!   next item past `k`, and batches holding items before `k` finish them. The consumer
//!   yields everything before the failure in order, then the failure with the smallest
//!   index, the one a sequential loop would meet. Dropping the stream, or a failing compute,
//!   halts every item and joins the dispatchers (a running item is finished first: a thread
//!   cannot be killed).
//!
//! Memory ordering: the stop index publishes nothing but itself (`Relaxed`); permits and the
//! input are under mutexes, results travel over a channel, both of which synchronize.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::marker::PhantomData;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use lazydag_core::sync::{spawn_ready, std_locks};
use lazydag_core::{Scheduler, task};

use super::Settings;
use super::batch::{Apply, Failure, InBatch, Outcome, Stop};
use super::input::{Pulled, Source, lock};
use super::sizer::Sizer;
use crate::error::{Error, ItemError};

/// A batch taken from the input.
struct Taken<T> {
    seq: u64,
    base: usize,
    items: Vec<T>,
    /// The panic message, if the input iterator panicked after `items`.
    broken: Option<String>,
}

/// A finished (or failed) batch on its way to the consumer.
pub(crate) struct Message<R> {
    seq: u64,
    base: usize,
    len: usize,
    outcome: Result<Outcome<R>, Error>,
    /// The input ended with a panic after this batch: nothing follows.
    last: bool,
}

/// One map: what dispatchers share.
struct Job<I: Iterator, G, R> {
    source: Mutex<Source<I>>,
    sizer: Mutex<Sizer>,
    permits: Mutex<usize>,
    room: Condvar,
    stop: Stop,
    g: G,
    scheduler: Arc<dyn Scheduler>,
    stop_on_error: bool,
    _result: PhantomData<fn() -> R>,
}

impl<I: Iterator, G, R> Job<I, G, R> {
    /// Hands out the window's `permits` at once: the dispatchers start taking batches.
    fn release_all(&self, permits: usize) {
        *lock(&self.permits) = permits;
        self.room.notify_all();
    }

    /// Stops the items from `index` on, and wakes the dispatchers waiting for a permit: they
    /// exit (every item before `index` was taken already).
    fn halt_at(&self, index: usize) {
        self.stop.at(index);
        let _permits = lock(&self.permits);
        self.room.notify_all();
    }
}

/// What the consumer needs from a job, whatever its input and function types.
trait Control: Send + Sync {
    /// Stops every item not yet started.
    fn halt(&self);
    fn release(&self);
}

impl<I, G, R> Control for Job<I, G, R>
where
    I: Iterator + Send,
    I::Item: Send,
    G: Send + Sync,
{
    fn halt(&self) {
        self.halt_at(0);
    }

    fn release(&self) {
        *lock(&self.permits) += 1;
        self.room.notify_one();
    }
}

impl<I, G, R> Job<I, G, R>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    G: Apply<I::Item, R>,
    R: Send + 'static,
{
    fn stopped(&self) -> bool {
        self.stop.is_set()
    }

    /// Waits for a permit; false once the job is stopped.
    fn acquire(&self) -> bool {
        let mut free = lock(&self.permits);
        while *free == 0 && !self.stopped() {
            free = std_locks::wait(&self.room, free);
        }
        if self.stopped() {
            return false;
        }
        *free -= 1;
        true
    }

    /// Takes the next batch of the input, or `None` at the end. A panic of the input iterator
    /// is caught: the items it produced before are kept, and the panic comes back as the
    /// message that ends the map.
    fn take(&self) -> Option<Taken<I::Item>> {
        if self.stopped() {
            return None;
        }
        let mut source = lock(&self.source);
        let n = lock(&self.sizer).next(source.remaining());
        let mut items = Vec::new();
        let Pulled { seq, base, broken, .. } = source.pull(n, &mut items)?;
        Some(Taken { seq, base, items, broken })
    }

    /// Runs one batch as one lazydag task on the job's scheduler.
    fn execute(self: &Arc<Self>, taken: Taken<I::Item>) -> Message<R> {
        let Taken { seq, base, items, broken } = taken;
        let len = items.len();
        let job = Arc::clone(self);
        let task = lazydag_core::delayed_once(items)
            .map(move |items: Vec<I::Item>| job.run(items, base))
            .name("parallel-batch");
        let mut outcome = task.compute_with(&*self.scheduler).map_err(Error::from);
        if let (Some(message), Ok(done)) = (&broken, &mut outcome) {
            let message = format!("the input iterator panicked: {message}");
            done.errors.push(ItemError::Panicked { index: base + len, message });
            done.complete = false;
        }
        match &outcome {
            Ok(done) => {
                lock(&self.sizer).record(done.values.len() + done.errors.len(), done.elapsed)
            }
            Err(_) if self.stop_on_error => self.halt(),
            Err(_) => {}
        }
        Message { seq, base, len, outcome, last: broken.is_some() }
    }

    /// The body of a batch task.
    fn run(&self, items: Vec<I::Item>, base: usize) -> Outcome<R> {
        let _nested = InBatch::enter();
        // Poll the stop index about every 0.1 ms of work (every item until timed).
        let chunk = lock(&self.sizer).items_per(std::time::Duration::from_micros(100));
        let out = self.g.batch(items, base, &self.stop, self.stop_on_error, chunk);
        if self.stop_on_error
            && let Some(first) = out.errors.first()
        {
            self.halt_at(first.index());
        }
        out
    }

    /// Runs one batch, catching a panic that escapes it (a user [`Scheduler`] that panics):
    /// the batch then fails with an error naming the scheduler, so the stream ends with that
    /// error instead of losing the batch with its thread.
    fn execute_caught(self: &Arc<Self>, taken: Taken<I::Item>) -> Message<R> {
        let (seq, base, len) = (taken.seq, taken.base, taken.items.len());
        lazydag_core::panic::catch(|| self.execute(taken)).unwrap_or_else(|payload| {
            let err = lazydag_core::Error::Scheduler {
                scheduler: self.scheduler.name().to_owned(),
                message: format!("it panicked: {}", lazydag_core::panic::message(&*payload)),
            };
            if self.stop_on_error {
                self.halt();
            }
            Message { seq, base, len, outcome: Err(Error::from(err)), last: false }
        })
    }

    /// A dispatcher thread's loop.
    fn dispatch(self: Arc<Self>, results: Sender<Message<R>>) {
        while self.acquire() {
            let Some(taken) = self.take() else {
                self.release();
                break;
            };
            if results.send(self.execute_caught(taken)).is_err() {
                break;
            }
        }
    }
}

/// Where the consumer gets finished batches from.
enum Driver<R> {
    /// Dispatcher threads, sending over a channel.
    Threads {
        control: Arc<dyn Control>,
        results: Receiver<Message<R>>,
        threads: Vec<JoinHandle<()>>,
    },
    /// No thread: the consumer runs the next batch itself.
    Inline { control: Arc<dyn Control>, next: Box<dyn FnMut() -> Option<Message<R>> + Send> },
}

impl<R> Driver<R> {
    fn control(&self) -> &Arc<dyn Control> {
        match self {
            Driver::Threads { control, .. } | Driver::Inline { control, .. } => control,
        }
    }

    fn recv(&mut self) -> Option<Message<R>> {
        match self {
            // A plain wait would hold this pool worker, which the batches may need (with every
            // worker of the pool consuming a stream, none would be left to run them).
            Driver::Threads { results, .. } if task::on_pool_worker() => {
                help_until(|wait| match results.recv_timeout(wait) {
                    Ok(message) => Some(Some(message)),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => Some(None),
                })
            }
            Driver::Threads { results, .. } => results.recv().ok(),
            Driver::Inline { next, .. } => next(),
        }
    }
}

/// How long a consumer on a pool worker waits before it looks for a job of the pool to help
/// with again.
const HELP_POLL: Duration = Duration::from_millis(1);

/// Waits on a pool worker by helping its pool: `poll(wait)` says whether the wait is over
/// (with its value), waiting at most `wait` for it; between polls, one ready job of the pool
/// runs here, or, with none, the next poll waits [`HELP_POLL`].
fn help_until<T>(mut poll: impl FnMut(Duration) -> Option<T>) -> T {
    loop {
        if let Some(value) = poll(Duration::ZERO) {
            return value;
        }
        if !task::help_pool()
            && let Some(value) = poll(HELP_POLL)
        {
            return value;
        }
    }
}

impl<R> Drop for Driver<R> {
    fn drop(&mut self) {
        self.control().halt();
        if let Driver::Threads { threads, .. } = self {
            // On a pool worker, help the pool until the dispatchers are done: one may be
            // waiting for a batch of its that only this pool can run.
            if task::on_pool_worker() {
                help_until(|wait| {
                    let done = threads.iter().all(JoinHandle::is_finished);
                    if !done {
                        std::thread::sleep(wait);
                    }
                    done.then_some(())
                });
            }
            for thread in threads.drain(..) {
                // A dispatcher catches every panic of user code; one that panics anyway has
                // nothing left to report.
                let _ = thread.join();
            }
        }
    }
}

/// One batch, back in input order, as the consumer hands it on.
struct Batch<R> {
    /// The index of the batch's first item.
    base: usize,
    /// The successful values, in order.
    values: Vec<R>,
    /// The failed items, in order (collect mode only).
    errors: Vec<ItemError>,
    /// The error that ends the map after `values` (stop mode only).
    end: Option<Error>,
}

/// The consumer's side of a map: batches, then items, in input order.
pub(crate) struct Stream<R> {
    driver: Driver<R>,
    parked: BTreeMap<u64, Message<R>>,
    next_seq: u64,
    stop_on_error: bool,
    finished: bool,
    cursor: Option<Cursor<R>>,
}

/// Walks the items of one batch.
struct Cursor<R> {
    index: usize,
    values: std::vec::IntoIter<R>,
    errors: Peekable<std::vec::IntoIter<ItemError>>,
    end: Option<Error>,
}

impl<R: Send + 'static> Stream<R> {
    /// Starts a map of `g` over `input`. If the operating system refuses a dispatcher
    /// thread, the ones already started are halted and joined, and the refusal is returned.
    pub(crate) fn start<I, G>(input: I, g: G, settings: Settings) -> Result<Self, Error>
    where
        I: Iterator + Send + 'static,
        I::Item: Send + 'static,
        G: Apply<I::Item, R>,
    {
        let job = Arc::new(Job {
            source: Mutex::new(Source::new(input)),
            sizer: Mutex::new(Sizer::new(settings.batch, settings.workers)),
            // No batch is taken before every dispatcher has started (see below).
            permits: Mutex::new(if settings.inline { settings.window.max(1) } else { 0 }),
            room: Condvar::new(),
            stop: Stop::new(),
            g,
            scheduler: settings.scheduler,
            stop_on_error: settings.stop_on_error,
            _result: PhantomData,
        });
        let control: Arc<dyn Control> = job.clone();
        let driver = if settings.inline {
            let next = Box::new(move || {
                let taken = job.take()?;
                Some(job.execute_caught(taken))
            });
            Driver::Inline { control, next }
        } else {
            let (sender, results) = channel();
            let mut threads = Vec::with_capacity(settings.workers);
            // One after another, each set up before the next, and none taking a batch until
            // all have started: if the operating system refuses one (its address space or
            // thread limit used up), no dispatcher is halfway through a setup or a batch that
            // needs what just ran out.
            for i in 0..settings.workers {
                let (dispatcher, sender) = (Arc::clone(&job), sender.clone());
                let builder = std::thread::Builder::new().name(format!("lazydag-parallel-{i}"));
                let spawned = spawn_ready(builder, move |ready| {
                    ready.done();
                    dispatcher.dispatch(sender)
                });
                match spawned {
                    Ok(thread) => threads.push(thread),
                    Err(err) => {
                        let scheduler = job.scheduler.name().to_owned();
                        // Dropping the driver halts and joins the dispatchers already started.
                        drop(Driver::Threads { control, results, threads });
                        return Err(Error::Scheduler(lazydag_core::Error::Scheduler {
                            scheduler,
                            message: format!(
                                "the operating system refused to start dispatcher thread {i} \
                                 ({err}); the {i} already started were stopped and joined"
                            ),
                        }));
                    }
                }
            }
            job.release_all(settings.window.max(1));
            Driver::Threads { control, results, threads }
        };
        Ok(Stream {
            driver,
            parked: BTreeMap::new(),
            next_seq: 0,
            stop_on_error: settings.stop_on_error,
            finished: false,
            cursor: None,
        })
    }

    /// The next message in sequence order, if any.
    fn next_message(&mut self) -> Option<Message<R>> {
        loop {
            if let Some(message) = self.parked.remove(&self.next_seq) {
                self.next_seq += 1;
                if let Driver::Threads { control, .. } = &self.driver {
                    control.release();
                }
                return Some(message);
            }
            let message = self.driver.recv()?;
            self.parked.insert(message.seq, message);
        }
    }

    /// The smallest-index failure among the batches still to come (after a stop).
    fn first_failure(&mut self) -> Option<Error> {
        self.driver.control().halt();
        let mut best: Option<Error> = None;
        let mut rest: Vec<_> = std::mem::take(&mut self.parked).into_values().collect();
        while let Some(message) = self.driver.recv() {
            rest.push(message);
        }
        for message in rest {
            let candidate = match message.outcome {
                Ok(outcome) => outcome.errors.into_iter().next().map(Error::from),
                Err(err) => Some(err),
            };
            best = match (best, candidate) {
                (Some(b), Some(c)) => Some(if c.item_index() < b.item_index() { c } else { b }),
                (b, c) => b.or(c),
            };
        }
        best
    }

    /// The next batch in input order, or `None` at the end.
    fn next_batch(&mut self) -> Option<Batch<R>> {
        if self.finished {
            return None;
        }
        let Some(message) = self.next_message() else {
            self.finished = true;
            return None;
        };
        let base = message.base;
        if message.last {
            self.finished = true;
        }
        let batch = |values, errors, end| Some(Batch { base, values, errors, end });
        match message.outcome {
            Err(err) if self.stop_on_error => {
                self.finished = true;
                self.driver.control().halt();
                batch(Vec::new(), Vec::new(), Some(err))
            }
            Err(err) => {
                let source: Failure = Arc::new(err);
                let errors = (base..base + message.len)
                    .map(|index| ItemError::Failed { index, source: Arc::clone(&source) })
                    .collect();
                batch(Vec::new(), errors, None)
            }
            Ok(outcome) if self.stop_on_error && !outcome.errors.is_empty() => {
                self.finished = true;
                self.driver.control().halt();
                let first = outcome.errors.into_iter().next().map(Error::from);
                batch(outcome.values, Vec::new(), first)
            }
            Ok(outcome) if self.stop_on_error && !outcome.complete => {
                self.finished = true;
                let end = self.first_failure();
                batch(outcome.values, Vec::new(), end)
            }
            Ok(outcome) => batch(outcome.values, outcome.errors, None),
        }
    }
}

impl<R: Send + 'static> Iterator for Stream<R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(cursor) = &mut self.cursor {
                if cursor.errors.peek().is_some_and(|e| e.index() == cursor.index) {
                    cursor.index += 1;
                    return cursor.errors.next().map(|e| Err(e.into()));
                }
                if let Some(value) = cursor.values.next() {
                    cursor.index += 1;
                    return Some(Ok(value));
                }
                if let Some(end) = cursor.end.take() {
                    return Some(Err(end));
                }
            }
            let batch = self.next_batch()?;
            self.cursor = Some(Cursor {
                index: batch.base,
                values: batch.values.into_iter(),
                errors: batch.errors.into_iter().peekable(),
                end: batch.end,
            });
        }
    }
}
