//! Running one batch: the items of a batch run one after the other inside one lazydag task.
//!
//! Invariants: results keep their input order; a panic is caught at the item, so the index
//! it reports is exact, and (in collect mode) the rest of the batch still runs; the stop flag
//! is checked before each item of a fallible function, and between chunks of about 0.1 ms of
//! work for an infallible one ([`run_chunked`]), so a stopped map wastes at most one item or
//! one such chunk per running batch.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{ItemError, panic_message};

/// The error a fallible item function returned, type-erased.
pub(crate) type Failure = Arc<dyn std::error::Error + Send + Sync>;

thread_local! {
    /// Whether this thread is running a batch (so a map started here is nested).
    static IN_BATCH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as running batches until dropped.
pub(crate) struct InBatch(bool);

impl InBatch {
    pub(crate) fn enter() -> Self {
        InBatch(IN_BATCH.with(|flag| flag.replace(true)))
    }
}

impl Drop for InBatch {
    fn drop(&mut self) {
        IN_BATCH.with(|flag| flag.set(self.0));
    }
}

/// Whether the calling thread is running a batch of a map. A map started there runs inline
/// on the calling thread: its batches must not wait for pool workers that may all be busy
/// running the outer map's batches (joblib runs nested maps sequentially too).
pub(crate) fn nested() -> bool {
    IN_BATCH.with(std::cell::Cell::get)
}

/// What one batch produced.
#[derive(Debug)]
pub(crate) struct Outcome<R> {
    /// The values of the items that succeeded, in input order.
    pub(crate) values: Vec<R>,
    /// The items that failed, in input order.
    pub(crate) errors: Vec<ItemError>,
    /// Whether every item of the batch ran (false: stopped early).
    pub(crate) complete: bool,
    /// How long the items took, measured inside the task.
    pub(crate) elapsed: Duration,
}

/// How a pass over the batch's items ended.
enum Pass {
    /// Every item ran.
    Done,
    /// The stop flag was seen.
    Stopped,
    /// An item failed and the map stops at the first error.
    Failed,
}

/// Runs `items` (the first of which has index `base`) through `g`. `stop` is polled before
/// each item (a relaxed load: the flag publishes nothing else); `stop_on_error` makes the first failure end the batch (the caller then stops the
/// map).
pub(crate) fn run<T, R, G>(
    items: Vec<T>,
    base: usize,
    g: &G,
    stop: &AtomicBool,
    stop_on_error: bool,
) -> Outcome<R>
where
    G: Fn(T) -> Result<R, Failure>,
{
    let start = Instant::now();
    let mut values = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut taken = 0usize;
    let mut rest = items.into_iter();
    let mut complete = true;
    loop {
        let pass = catch_unwind(AssertUnwindSafe(|| {
            for item in &mut rest {
                if stop.load(Ordering::Relaxed) {
                    return Pass::Stopped;
                }
                let index = base + taken;
                taken += 1;
                match g(item) {
                    Ok(value) => values.push(value),
                    Err(source) => {
                        errors.push(ItemError::Failed { index, source });
                        if stop_on_error {
                            return Pass::Failed;
                        }
                    }
                }
            }
            Pass::Done
        }));
        match pass {
            Ok(Pass::Done) => break,
            Ok(Pass::Stopped) | Ok(Pass::Failed) => {
                complete = rest.len() == 0;
                break;
            }
            Err(payload) => {
                let message = panic_message(&*payload);
                errors.push(ItemError::Panicked { index: base + taken - 1, message });
                if stop_on_error {
                    complete = rest.len() == 0;
                    break;
                }
            }
        }
    }
    Outcome { values, errors, complete, elapsed: start.elapsed() }
}

/// The per-item function of a map, and how a batch of it runs.
pub(crate) trait Apply<T, R>: Send + Sync + 'static {
    /// Runs one batch (see [`run`]); `chunk` items run between two polls of `stop` where the
    /// function cannot fail.
    fn batch(
        &self,
        items: Vec<T>,
        base: usize,
        stop: &AtomicBool,
        stop_on_error: bool,
        chunk: usize,
    ) -> Outcome<R>;
}

/// An infallible function (`map`): batches run in chunks that the compiler can vectorize.
pub(crate) struct Infallible<F>(pub(crate) F);

/// A fallible function (`try_map`), its error type-erased.
pub(crate) struct Fallible<F, E>(pub(crate) F, pub(crate) PhantomData<fn() -> E>);

impl<T, R, F> Apply<T, R> for Infallible<F>
where
    F: Fn(T) -> R + Send + Sync + 'static,
{
    fn batch(
        &self,
        items: Vec<T>,
        base: usize,
        stop: &AtomicBool,
        stop_on_error: bool,
        chunk: usize,
    ) -> Outcome<R> {
        run_chunked(items, base, &self.0, stop, stop_on_error, chunk)
    }
}

impl<T, R, E, F> Apply<T, R> for Fallible<F, E>
where
    F: Fn(T) -> Result<R, E> + Send + Sync + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    fn batch(
        &self,
        items: Vec<T>,
        base: usize,
        stop: &AtomicBool,
        stop_on_error: bool,
        _chunk: usize,
    ) -> Outcome<R> {
        let g = |x| (self.0)(x).map_err(|e| Arc::new(e) as Failure);
        run(items, base, &g, stop, stop_on_error)
    }
}

/// [`run`] for an infallible `f`: `stop` is polled every `chunk` items, and each chunk is one
/// `Vec::extend` from a trusted-length iterator (no per-item capacity check, so trivial
/// functions vectorize). A panic still reports its exact index: `taken` counts items as they
/// start.
pub(crate) fn run_chunked<T, R, F>(
    items: Vec<T>,
    base: usize,
    f: &F,
    stop: &AtomicBool,
    stop_on_error: bool,
    chunk: usize,
) -> Outcome<R>
where
    F: Fn(T) -> R,
{
    let start = Instant::now();
    let mut values = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut taken = 0usize;
    let mut rest = items.into_iter();
    let chunk = chunk.max(1);
    let mut complete = true;
    while rest.len() > 0 {
        if stop.load(Ordering::Relaxed) {
            complete = false;
            break;
        }
        let pass = catch_unwind(AssertUnwindSafe(|| {
            values.extend(rest.by_ref().take(chunk).map(|item| {
                taken += 1;
                f(item)
            }));
        }));
        if let Err(payload) = pass {
            let message = panic_message(&*payload);
            errors.push(ItemError::Panicked { index: base + taken - 1, message });
            if stop_on_error {
                complete = rest.len() == 0;
                break;
            }
        }
    }
    Outcome { values, errors, complete, elapsed: start.elapsed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(x: u32) -> Result<u32, Failure> {
        if x == 3 { panic!("three") } else { Ok(x * 10) }
    }

    #[test]
    fn collect_mode_runs_past_a_panic() {
        let out = run((0..6).collect(), 100, &ok, &AtomicBool::new(false), false);
        assert_eq!(out.values, vec![0, 10, 20, 40, 50]);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].index(), 103);
        assert!(out.complete);
    }

    #[test]
    fn chunked_reports_exact_panic_indexes() {
        let f = |x: u32| if x % 4 == 3 { panic!("bad {x}") } else { x };
        let out = run_chunked((0..10).collect(), 0, &f, &AtomicBool::new(false), false, 3);
        assert_eq!(out.values, vec![0, 1, 2, 4, 5, 6, 8, 9]);
        let idx: Vec<_> = out.errors.iter().map(ItemError::index).collect();
        assert_eq!(idx, vec![3, 7]);
        let out = run_chunked((0..10).collect(), 10, &f, &AtomicBool::new(false), true, 4);
        assert_eq!((out.values.len(), out.errors[0].index(), out.complete), (3, 13, false));
    }

    #[test]
    fn stop_mode_ends_at_the_first_failure() {
        let out = run((0..6).collect(), 0, &ok, &AtomicBool::new(false), true);
        assert_eq!(out.values, vec![0, 10, 20]);
        assert_eq!(out.errors[0].to_string(), "item 3 panicked: three");
        assert!(!out.complete);
    }
}
