//! [`Parallel`]: joblib's `Parallel(n_jobs)(delayed(f)(x) for x in xs)`, on lazydag schedulers.
//!
//! A map cuts its input into batches, runs them on the chosen scheduler, and puts the results
//! back in input order. Two engines share the input, the sizer and the batch runner: the
//! collecting maps (`map`, `try_map`) run `n_jobs` lanes as one lazydag compute and write
//! into the output in place; the streams (`map_iter`) run each batch as one lazydag task from
//! dispatcher threads, so that memory stays bounded whatever the input's length. The files:
//! - `backend`: `n_jobs` (joblib's convention) and the process-wide cache of pools;
//! - `input`: the shared input iterator and the numbering of batches;
//! - `sizer`: auto-batching (batches of about 20 ms);
//! - `batch`: running the items of one batch, catching panics per item;
//! - `lane` and `assembly`: the collecting engine, and its ordered, in-place output;
//! - `stream`: dispatchers, the window that bounds memory, and re-ordering;
//! - `progress`: joblib's `verbose`, counting items as batches finish.
//!
//! Invariants: results are in input order; every item runs at most once; in the default mode
//! a failure stops the map (no later item starts once it is seen, earlier ones finish) and the
//! failure with the smallest index is returned with that index, whatever the timing; a panic
//! in the user's function is caught and reported, never a hang.

mod assembly;
mod backend;
mod batch;
mod input;
mod lane;
mod progress;
mod sizer;
mod stream;

pub use self::sizer::BatchSize;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use lazydag_core::Scheduler;
use lazydag_core::config::SchedulerKind;

use self::batch::{Apply, Fallible, Infallible, Settled, Values};
use self::progress::{Counted, Progress};
use self::stream::Stream;
use crate::error::{Error, ItemError};

/// The number of cores this process may use, joblib's `cpu_count()`: the machine's cores as
/// limited by the process's CPU affinity mask and its cgroup CPU quota (what
/// [`std::thread::available_parallelism`] reports on Linux), asked once per process.
///
/// ```
/// assert!(lazydag_parallel::cpu_count() >= 1);
/// ```
pub fn cpu_count() -> usize {
    backend::cores()
}

/// How a map runs.
pub(crate) struct Settings {
    pub(crate) scheduler: Arc<dyn Scheduler>,
    pub(crate) workers: usize,
    pub(crate) batch: BatchSize,
    pub(crate) stop_on_error: bool,
    /// Run batches on the calling thread, one at a time.
    pub(crate) inline: bool,
    /// The most batches of a stream not yet consumed.
    pub(crate) window: usize,
}

/// Where batches run: the configured scheduler (`lazydag::config`, like joblib's
/// `parallel_config`), a built-in scheduler kind (pools shared per process with `compute`), or
/// a given one.
#[derive(Clone)]
enum Backend {
    Configured,
    Kind(SchedulerKind),
    Given(Arc<dyn Scheduler>),
}

/// A parallel map with joblib's knobs: how many jobs, which backend, how big the batches.
///
/// The function and the items must be `'static` (they move to pool threads): share large
/// read-only data through an [`Arc`] captured by the closure, which every batch uses in place
/// (one reference count per map, never a copy per item or per task):
///
/// ```
/// use std::sync::Arc;
/// use lazydag_parallel::Parallel;
///
/// let table: Arc<Vec<u64>> = Arc::new((0..1_000_000).collect()); // 8 MB, shared
/// let lookups = {
///     let table = Arc::clone(&table);
///     Parallel::new().n_jobs(2).map(0..1000usize, move |i| table[i * 1000])
/// };
/// assert_eq!(lookups.unwrap()[999], 999_000);
/// // One clone for the whole map (a pool worker may still be letting go of it), no copies.
/// assert!(Arc::strong_count(&table) <= 2);
/// ```
///
/// Errors stop the map at the first failure by default; [`collect_errors`](Parallel::collect_errors)
/// returns one `Result` per item instead.
#[derive(Clone)]
pub struct Parallel {
    /// `None`: the configured worker count.
    n_jobs: Option<isize>,
    backend: Backend,
    batch: BatchSize,
    verbose: u32,
}

impl Default for Parallel {
    fn default() -> Self {
        Parallel { n_jobs: None, backend: Backend::Configured, batch: BatchSize::Auto, verbose: 0 }
    }
}

impl fmt::Debug for Parallel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.backend {
            Backend::Configured => "configured".to_owned(),
            Backend::Kind(kind) => kind.name().to_owned(),
            Backend::Given(s) => format!("given `{}`", s.name()),
        };
        f.debug_struct("Parallel")
            .field("n_jobs", &self.n_jobs)
            .field("backend", &backend)
            .field("batch_size", &self.batch)
            .field("verbose", &self.verbose)
            .finish()
    }
}

impl Parallel {
    /// The configured scheduler and worker count (what [`compute`](lazydag_core::compute())
    /// uses: `lazydag::config::set`, `LAZYDAG_SCHEDULER` / `LAZYDAG_NUM_WORKERS`,
    /// `lazydag.toml`, else work-stealing on every core), automatic batch sizes. So a map and
    /// a compute share one pool, and a scoped `config::set` steers both, like joblib's
    /// `parallel_config`.
    ///
    /// ```
    /// use lazydag::config::{self, SchedulerKind};
    /// use lazydag_parallel::Parallel;
    /// let _scope = config::set(SchedulerKind::Threads, Some(3));
    /// assert_eq!(Parallel::new().effective_n_jobs().unwrap(), 3);
    /// assert_eq!(Parallel::new().map(1..=3, |x: u32| x * 2).unwrap(), vec![2, 4, 6]);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many items run at once, with joblib's convention: a positive count, or `-1` for
    /// every core, `-2` for every core but one, down to minus the number of cores (one job).
    /// Invalid values (`0`, or fewer than minus the core count) make the map fail with
    /// [`Error::Config`], naming the valid values. With one job, batches run on the calling
    /// thread, one after the other. A collecting map started inside another map's function
    /// runs on the pool too (unlike joblib, which runs it sequentially): the worker that waits
    /// for it helps run its batches, so nesting neither deadlocks nor serialises; a stream
    /// (`map_iter`) started there runs on the calling thread.
    ///
    /// ```
    /// use lazydag_parallel::{Error, Parallel};
    /// let err = Parallel::new().n_jobs(0).map(0..3, |x: i32| x).unwrap_err();
    /// assert!(matches!(err, Error::Config { .. }));
    /// assert!(err.to_string().contains("valid values: a positive count, or -1"));
    /// ```
    #[must_use]
    pub fn n_jobs(mut self, n_jobs: isize) -> Self {
        self.n_jobs = Some(n_jobs);
        self
    }

    /// How many batches this map would run at once: `n_jobs` resolved with joblib's
    /// convention against [`cpu_count`], or the configured worker count
    /// when `n_jobs` was not set (joblib's `effective_n_jobs`).
    ///
    /// ```
    /// use lazydag_parallel::{cpu_count, Parallel};
    /// assert_eq!(Parallel::new().n_jobs(-1).effective_n_jobs().unwrap(), cpu_count());
    /// assert_eq!(Parallel::new().n_jobs(2).effective_n_jobs().unwrap(), 2);
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid `n_jobs` or configuration.
    pub fn effective_n_jobs(&self) -> Result<usize, Error> {
        match self.n_jobs {
            Some(n_jobs) => backend::resolve_jobs(n_jobs, backend::cores()),
            None => Ok(lazydag_core::config::current()?.1.max(1)),
        }
    }

    /// Runs batches on a built-in scheduler kind, like `lazydag::config` picks them: `sync`
    /// (everything on the calling thread, joblib's `sequential`), `threads`, `work-stealing`
    /// or `async` (by default, the configured one). Pools are built once per kind and job
    /// count per process, and shared with `compute` ([`lazydag_core::config::pool`]).
    ///
    /// ```
    /// use lazydag::config::SchedulerKind;
    /// use lazydag_parallel::Parallel;
    /// let p = Parallel::new().n_jobs(2).backend(SchedulerKind::Threads);
    /// assert_eq!(p.map(1..=4, |x: u32| x * x).unwrap(), vec![1, 4, 9, 16]);
    /// ```
    #[must_use]
    pub fn backend(mut self, kind: SchedulerKind) -> Self {
        self.backend = Backend::Kind(kind);
        self
    }

    /// Runs batches on the given scheduler (any [`Scheduler`], yours included); `n_jobs`
    /// still says how many batches run at once.
    #[must_use]
    pub fn scheduler(mut self, scheduler: Arc<dyn Scheduler>) -> Self {
        self.backend = Backend::Given(scheduler);
        self
    }

    /// How many items a batch gets: [`BatchSize::Auto`] (the default; batches of about 20 ms)
    /// or [`BatchSize::Fixed`]. `Fixed(0)` makes the map fail with [`Error::Config`].
    ///
    /// ```
    /// use lazydag_parallel::{BatchSize, Parallel};
    /// let p = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(3));
    /// assert_eq!(p.map(0..10, |x: u8| x + 1).unwrap(), (1..=10).collect::<Vec<u8>>());
    /// ```
    #[must_use]
    pub fn batch_size(mut self, batch: BatchSize) -> Self {
        self.batch = batch;
        self
    }

    /// Reports progress in items, like joblib's `verbose`: `0` (the default) is silent; from
    /// `1` on, a bar counts the items on stderr when it is a terminal, and otherwise (a CI log,
    /// `| tee`, a file) the map writes joblib's lines to stderr,
    /// `[Parallel(n_jobs=2)]: Done  250 out of 1000 | elapsed:    0.3s remaining:    0.9s`,
    /// about `10 × verbose` of them per map (every batch from `10` on; at powers of two for a
    /// stream of unknown length), and a last one when it is over.
    ///
    /// ```
    /// use lazydag_parallel::Parallel;
    /// let squares = Parallel::new().n_jobs(2).verbose(1).map(0..100u64, |x| x * x).unwrap();
    /// assert_eq!(squares[9], 81);
    /// ```
    #[must_use]
    pub fn verbose(mut self, verbose: u32) -> Self {
        self.verbose = verbose;
        self
    }

    /// Switches to collect mode: every item runs, and each gets its own `Result`.
    pub fn collect_errors(self) -> CollectErrors {
        CollectErrors { parallel: self }
    }

    /// Applies `f` to every item, in parallel, and returns the results in input order.
    ///
    /// ```
    /// use lazydag_parallel::Parallel;
    /// let squares = Parallel::new().n_jobs(4).map(0..10u64, |x| x * x).unwrap();
    /// assert_eq!(squares, vec![0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    /// ```
    ///
    /// The function runs on other threads, so it must be `Send + Sync`: a closure holding an
    /// `Rc` is rejected at compile time (use an `Arc`).
    ///
    /// ```compile_fail,E0277
    /// use std::rc::Rc;
    /// use lazydag_parallel::Parallel;
    /// let offset = Rc::new(5);
    /// Parallel::new().map(0..3, move |x: i32| x + *offset); // error: `Rc` is not `Send`
    /// ```
    ///
    /// The map is one lazydag compute of `n_jobs` lanes on the backend's pool (or runs on the
    /// calling thread with one job): it starts no thread of its own, and writes results into
    /// the returned `Vec` as batches finish.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid setting; [`Error::Item`] for the first item (in input
    /// order) whose function panicked, naming the item's index: no later item starts once
    /// it is seen, and the earlier ones finish, so it is the item a sequential loop would
    /// stop at;
    /// [`Error::Scheduler`] if the scheduler itself fails, or if the operating system refuses
    /// to start a thread when the first map of a backend and job count builds its pool (the
    /// threads already started are joined).
    pub fn map<I, R, F>(&self, items: I, f: F) -> Result<Vec<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
    {
        self.collect(items.into_iter(), Infallible(f))
    }

    /// Applies a fallible `f` to every item; the first `Err` (or panic) stops the map.
    ///
    /// ```
    /// use lazydag_parallel::Parallel;
    /// let p = Parallel::new().n_jobs(2);
    /// assert_eq!(p.try_map(vec!["1", "2"], |s: &str| s.parse::<u8>()).unwrap(), vec![1, 2]);
    /// let err = p.try_map(vec!["1", "x", "3"], |s: &str| s.parse::<u8>()).unwrap_err();
    /// assert_eq!(err.item_index(), Some(1));
    /// ```
    ///
    /// # Errors
    /// As [`map`](Parallel::map), plus the first item whose function returned `Err`.
    pub fn try_map<I, R, E, F>(&self, items: I, f: F) -> Result<Vec<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(I::Item) -> Result<R, E> + Send + Sync + 'static,
    {
        self.collect(items.into_iter(), Fallible(f, PhantomData))
    }

    /// Streams: consumes `items` lazily and yields results in input order as they are ready.
    /// At most `2 × n_jobs` batches are taken from the input and not yet yielded, so an input
    /// larger than memory streams through in bounded memory. A failure stops the map: items
    /// after it are skipped, items before it still run (one of them may fail first), so the
    /// stream yields values in input order up to the failure with the smallest index, then
    /// that error, and ends: what a sequential loop would give. Dropping the iterator stops
    /// the map.
    ///
    /// ```
    /// use lazydag_parallel::Parallel;
    /// let naturals = 0u64..; // endless: only what is pulled gets computed
    /// let mut squares = Parallel::new().n_jobs(2).map_iter(naturals, |x| x * x).unwrap();
    /// assert_eq!(squares.nth(1000).unwrap().unwrap(), 1_000_000);
    /// ```
    ///
    /// A stream consumed inside a lazydag task on a pool worker helps that pool while it waits
    /// for its next batch (and while a drop joins its dispatchers), as a nested compute's
    /// wait does: with every worker of a pool consuming a stream, the batches still run. A
    /// stream started inside another map's function runs its batches on the calling thread.
    ///
    /// # Errors
    /// An invalid setting is reported at once, as [`Error::Config`].
    ///
    /// A stream with more than one job starts `n_jobs` dispatcher threads, which live until it
    /// ends or is dropped; if the operating system refuses one, the ones started are joined
    /// and the refusal is an [`Error::Scheduler`].
    pub fn map_iter<I, R, F>(&self, items: I, f: F) -> Result<MapIter<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
    {
        let settings = self.settings(true, true)?;
        let (items, g) = self.counted(items.into_iter(), Infallible(f), &settings);
        Ok(MapIter { stream: Stream::start(items, g, settings)? })
    }

    /// [`map_iter`](Parallel::map_iter) for a fallible `f`: the first `Err` is yielded and
    /// ends the stream.
    ///
    /// # Errors
    /// An invalid setting is reported at once, as [`Error::Config`].
    pub fn try_map_iter<I, R, E, F>(&self, items: I, f: F) -> Result<MapIter<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(I::Item) -> Result<R, E> + Send + Sync + 'static,
    {
        let settings = self.settings(true, true)?;
        let (items, g) = self.counted(items.into_iter(), Fallible(f, PhantomData), &settings);
        Ok(MapIter { stream: Stream::start(items, g, settings)? })
    }

    /// Runs a stop-on-error map to the end on the collecting engine.
    fn collect<I, R, G>(&self, iter: I, g: G) -> Result<Vec<R>, Error>
    where
        I: Iterator + Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        G: Apply<I::Item, R>,
    {
        let settings = self.settings(true, false)?;
        let (iter, g) = self.counted(iter, g, &settings);
        let progress = g.progress.clone();
        let values = lane::collect::<_, _, _, Values>(iter, g, settings);
        if let Some(progress) = progress {
            progress.finish();
        }
        values
    }

    /// Wraps `g` to count the items of each batch, when [`verbose`](Parallel::verbose) asks.
    fn counted<I: Iterator, G>(&self, iter: I, g: G, settings: &Settings) -> (I, Counted<G>) {
        let total = match iter.size_hint() {
            (low, Some(high)) if low == high => Some(low as u64),
            _ => None,
        };
        let progress =
            (self.verbose > 0).then(|| Progress::new(self.verbose, settings.workers, total));
        // Inline (one lane on the caller, or a map inside another map's function) there is no
        // compute of this map for the items to reach: an outer compute counts its own work.
        (iter, Counted { g, progress, report: !settings.inline })
    }

    /// Checks the settings and picks the scheduler.
    fn settings(&self, stop_on_error: bool, streaming: bool) -> Result<Settings, Error> {
        let workers = self.effective_n_jobs()?;
        if self.batch == BatchSize::Fixed(0) {
            return Err(Error::Config {
                message: "batch_size must be BatchSize::Auto or BatchSize::Fixed(n) with n > 0, \
                          got Fixed(0)"
                    .to_owned(),
            });
        }
        let (scheduler, sequential) = match &self.backend {
            Backend::Configured => {
                let (kind, _) = lazydag_core::config::current()?;
                (backend::scheduler(kind, workers)?, kind == SchedulerKind::Sequential)
            }
            Backend::Kind(kind) => {
                (backend::scheduler(*kind, workers)?, *kind == SchedulerKind::Sequential)
            }
            Backend::Given(scheduler) => (Arc::clone(scheduler), false),
        };
        // A stream inside another map's function runs inline: each would start its own
        // dispatcher threads; so does a map inside a batch that runs in place (it holds the
        // outer input's lock). A collecting map there is a compute like any other, on the same
        // pool: its waiting worker helps run it (nested computes neither deadlock nor
        // serialise, see lazydag-core's work-stealing docs).
        if batch::nested() && (streaming || batch::holding_input()) {
            let scheduler: Arc<dyn Scheduler> = Arc::new(lazydag_core::scheduler::Sequential);
            return Ok(Settings {
                scheduler,
                workers: 1,
                batch: self.batch,
                stop_on_error,
                inline: true,
                window: 1,
            });
        }
        let inline = sequential || workers == 1;
        let window = if streaming { 2 * workers } else { usize::MAX / 2 };
        Ok(Settings { scheduler, workers, batch: self.batch, stop_on_error, inline, window })
    }
}

/// A [`Parallel`] in collect mode ([`Parallel::collect_errors`]): every item runs and gets
/// its own `Result`, like `dask.compute` in keep-going mode.
///
/// ```
/// use lazydag_parallel::Parallel;
/// let results = Parallel::new().n_jobs(2).collect_errors()
///     .map(0..4, |i: u32| if i == 2 { panic!("two") } else { i * 10 })
///     .unwrap();
/// assert_eq!(results[3].as_ref().ok(), Some(&30));
/// assert_eq!(results[2].as_ref().unwrap_err().to_string(), "item 2 panicked: two");
/// ```
#[derive(Clone, Debug)]
pub struct CollectErrors {
    parallel: Parallel,
}

impl CollectErrors {
    /// Applies `f` to every item; one `Result` per item, in input order.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid setting, [`Error::Scheduler`] if the scheduler itself
    /// fails; item failures are in the `Vec`.
    pub fn map<I, R, F>(&self, items: I, f: F) -> Result<Vec<Result<R, ItemError>>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
    {
        self.collect(items.into_iter(), Infallible(f))
    }

    /// Applies a fallible `f` to every item; one `Result` per item, in input order.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid setting, [`Error::Scheduler`] if the scheduler itself
    /// fails; item failures are in the `Vec`.
    pub fn try_map<I, R, E, F>(&self, items: I, f: F) -> Result<Vec<Result<R, ItemError>>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(I::Item) -> Result<R, E> + Send + Sync + 'static,
    {
        self.collect(items.into_iter(), Fallible(f, PhantomData))
    }

    /// Streams one `Result` per item, in input order, in bounded memory (see
    /// [`Parallel::map_iter`]).
    ///
    /// A stream consumed inside a lazydag task on a pool worker helps that pool while it waits
    /// for its next batch (and while a drop joins its dispatchers), as a nested compute's
    /// wait does: with every worker of a pool consuming a stream, the batches still run. A
    /// stream started inside another map's function runs its batches on the calling thread.
    ///
    /// # Errors
    /// An invalid setting is reported at once, as [`Error::Config`].
    ///
    /// A stream with more than one job starts `n_jobs` dispatcher threads, which live until it
    /// ends or is dropped; if the operating system refuses one, the ones started are joined
    /// and the refusal is an [`Error::Scheduler`].
    pub fn map_iter<I, R, F>(&self, items: I, f: F) -> Result<SettledIter<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
    {
        let settings = self.parallel.settings(false, true)?;
        let (items, g) = self.parallel.counted(items.into_iter(), Infallible(f), &settings);
        Ok(SettledIter { stream: Stream::start(items, g, settings)? })
    }

    /// [`map_iter`](CollectErrors::map_iter) for a fallible `f`.
    ///
    /// # Errors
    /// An invalid setting is reported at once, as [`Error::Config`].
    pub fn try_map_iter<I, R, E, F>(&self, items: I, f: F) -> Result<SettledIter<R>, Error>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(I::Item) -> Result<R, E> + Send + Sync + 'static,
    {
        let settings = self.parallel.settings(false, true)?;
        let (items, g) =
            self.parallel.counted(items.into_iter(), Fallible(f, PhantomData), &settings);
        Ok(SettledIter { stream: Stream::start(items, g, settings)? })
    }

    /// Runs a collect-mode map to the end on the collecting engine.
    fn collect<I, R, G>(&self, iter: I, g: G) -> Result<Vec<Result<R, ItemError>>, Error>
    where
        I: Iterator + Send + 'static,
        I::Item: Send + 'static,
        R: Send + 'static,
        G: Apply<I::Item, R>,
    {
        let settings = self.parallel.settings(false, false)?;
        let (iter, g) = self.parallel.counted(iter, g, &settings);
        let progress = g.progress.clone();
        let results = lane::collect::<_, _, _, Settled>(iter, g, settings);
        if let Some(progress) = progress {
            progress.finish();
        }
        results
    }
}

/// The results of [`Parallel::map_iter`], in input order; the first failure is the last item.
pub struct MapIter<R> {
    stream: Stream<R>,
}

impl<R: Send + 'static> Iterator for MapIter<R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.stream.next()
    }
}

impl<R> fmt::Debug for MapIter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapIter").finish_non_exhaustive()
    }
}

/// The results of [`CollectErrors::map_iter`]: one `Result` per item, in input order.
pub struct SettledIter<R> {
    stream: Stream<R>,
}

impl<R: Send + 'static> Iterator for SettledIter<R> {
    type Item = Result<R, ItemError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.stream.next()? {
            Ok(value) => Ok(value),
            Err(Error::Item(item)) => Err(item),
            // Collect mode turns batch failures into item errors; nothing else reaches here.
            Err(other) => Err(ItemError::Failed { index: usize::MAX, source: Arc::new(other) }),
        })
    }
}

impl<R> fmt::Debug for SettledIter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettledIter").finish_non_exhaustive()
    }
}
