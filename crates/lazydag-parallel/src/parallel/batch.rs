//! Running one batch: the items of a batch run one after the other on one thread.
//!
//! Two forms: [`Apply::batch`] returns a batch's values and errors apart (for streams), and
//! [`Apply::fill`] takes items from any iterator (a batch's buffer, or the input itself) and
//! appends one slot per item to a given `Vec` (for collecting maps, which write straight into
//! their output).
//!
//! Invariants: results keep their input order; a panic is caught at the item, so the index
//! it reports is exact, and (in collect mode) the rest of the batch still runs; the map's
//! [`Stop`] is checked before each item of a fallible function, and between chunks of about
//! 0.1 ms of work for an infallible one ([`run_chunked`]), so a stopped map wastes at most one
//! item or one such chunk per running batch.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::ItemError;
use lazydag_core::panic;

/// Where a stop-on-error map stops: no item at or past this index starts.
///
/// It is `usize::MAX` while the map runs. A failure at item `k` lowers it to `k` (never
/// raises it), so the items before `k` still run, in whichever batch holds them: the failure a
/// map reports is then the one with the smallest index in the whole input, the one a
/// sequential loop meets first, however the lanes were scheduled. (Every item before `k` was
/// taken from the input before `k` was, so no batch taken after the stop holds one.) Dropping
/// a stream or a failing compute stops every item ([`Stop::all`]).
///
/// Relaxed: the index publishes nothing but itself.
#[derive(Debug)]
pub(crate) struct Stop(AtomicUsize);

impl Stop {
    /// Nothing stopped.
    pub(crate) const fn new() -> Self {
        Stop(AtomicUsize::new(usize::MAX))
    }

    /// Stops every item from `index` on (keeping an earlier stop).
    pub(crate) fn at(&self, index: usize) {
        self.0.fetch_min(index, Ordering::Relaxed);
    }

    /// Stops every item not yet started.
    pub(crate) fn all(&self) {
        self.at(0);
    }

    /// Whether the map was stopped at all: no new batch is taken.
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed) != usize::MAX
    }

    /// Whether item `index` must not start.
    #[inline]
    pub(crate) fn reached(&self, index: usize) -> bool {
        index >= self.0.load(Ordering::Relaxed)
    }
}

/// The error a fallible item function returned, type-erased.
pub(crate) type Failure = Arc<dyn std::error::Error + Send + Sync>;

thread_local! {
    /// Whether this thread is running a batch (so a map started here is nested): 0 no, 1 yes,
    /// 2 yes and in place, holding the input's lock.
    static IN_BATCH: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// Marks the current thread as running batches until dropped.
pub(crate) struct InBatch(u8);

impl InBatch {
    pub(crate) fn enter() -> Self {
        InBatch(IN_BATCH.with(|flag| flag.replace(1)))
    }

    /// Marks a batch that runs in place, holding its map's input lock: a map started inside
    /// it runs inline, since a worker that helped while waiting for it could pick up another
    /// lane of the same map, which would wait for that lock on the same thread.
    pub(crate) fn in_place() -> Self {
        InBatch(IN_BATCH.with(|flag| flag.replace(2)))
    }
}

impl Drop for InBatch {
    fn drop(&mut self) {
        IN_BATCH.with(|flag| flag.set(self.0));
    }
}

/// Whether the calling thread is running a batch of a map. A stream started there runs inline
/// on the calling thread (it would start dispatcher threads of its own); a collecting map
/// there is a nested compute, which the waiting worker helps run.
pub(crate) fn nested() -> bool {
    IN_BATCH.with(std::cell::Cell::get) > 0
}

/// Whether the calling thread runs a batch in place, holding its map's input lock: a map
/// started there runs inline (see [`InBatch::in_place`]).
pub(crate) fn holding_input() -> bool {
    IN_BATCH.with(std::cell::Cell::get) == 2
}

/// What a collecting map keeps of each item: its value only (stop at the first failure), or a
/// `Result` per item (collect mode).
pub(crate) trait Output<R>: Send + Sync + 'static {
    /// One item's entry in the output.
    type Slot: Send + 'static;

    /// The entry of an item that succeeded.
    fn value(value: R) -> Self::Slot;

    /// The entry of an item that failed, or the failure back when it ends the map.
    fn failure(error: ItemError) -> Result<Self::Slot, ItemError>;
}

/// Stop mode: the output holds values; the first failure ends the batch and the map.
#[derive(Debug)]
pub(crate) struct Values;

/// Collect mode: one `Result` per item; every item runs.
#[derive(Debug)]
pub(crate) struct Settled;

impl<R: Send + 'static> Output<R> for Values {
    type Slot = R;

    #[inline]
    fn value(value: R) -> R {
        value
    }

    fn failure(error: ItemError) -> Result<R, ItemError> {
        Err(error)
    }
}

impl<R: Send + 'static> Output<R> for Settled {
    type Slot = Result<R, ItemError>;

    #[inline]
    fn value(value: R) -> Self::Slot {
        Ok(value)
    }

    fn failure(error: ItemError) -> Result<Self::Slot, ItemError> {
        Ok(Err(error))
    }
}

/// How [`Apply::fill`] ended.
#[derive(Debug)]
pub(crate) enum End {
    /// Every item ran.
    Done,
    /// The map's [`Stop`] was reached; the items not run were dropped.
    Stopped,
    /// An item failed in stop mode ([`Values`]); the items after it were dropped.
    Failed(ItemError),
    /// The items' iterator panicked (with this message) instead of producing item `ran`.
    InputPanicked(String),
}

/// What [`Apply::fill`] did.
#[derive(Debug)]
pub(crate) struct Filled {
    /// How many items were taken from the iterator and started (failed ones included).
    pub(crate) ran: usize,
    /// Why it ended.
    pub(crate) end: End,
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
    /// The map's [`Stop`] was reached.
    Stopped,
    /// An item failed and the map stops at the first error.
    Failed,
}

/// Runs `items` (the first of which has index `base`) through `g`. `stop` is polled before
/// each item; `stop_on_error` makes the first failure end the batch (the caller then stops
/// the map there).
pub(crate) fn run<T, R, G>(
    items: Vec<T>,
    base: usize,
    g: &G,
    stop: &Stop,
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
        let pass = panic::catch(|| {
            for item in &mut rest {
                let index = base + taken;
                if stop.reached(index) {
                    return Pass::Stopped;
                }
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
        });
        match pass {
            Ok(Pass::Done) => break,
            Ok(Pass::Stopped) | Ok(Pass::Failed) => {
                complete = rest.len() == 0;
                break;
            }
            Err(payload) => {
                let message = panic::message(&*payload);
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
        stop: &Stop,
        stop_on_error: bool,
        chunk: usize,
    ) -> Outcome<R>;

    /// Runs a batch of at most `n` items (the first has index `base`), taking them from
    /// `items` until it ends, and appends one `M` slot per item to `out`, in order; see
    /// [`fill_chunked`] and [`fill_each`]. No item is taken after the batch stops or fails.
    fn fill<M: Output<R>>(
        &self,
        items: &mut impl Iterator<Item = T>,
        n: usize,
        base: usize,
        stop: &Stop,
        chunk: usize,
        out: &mut Vec<M::Slot>,
    ) -> Filled;
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
        stop: &Stop,
        stop_on_error: bool,
        chunk: usize,
    ) -> Outcome<R> {
        run_chunked(items, base, &self.0, stop, stop_on_error, chunk)
    }

    fn fill<M: Output<R>>(
        &self,
        items: &mut impl Iterator<Item = T>,
        n: usize,
        base: usize,
        stop: &Stop,
        chunk: usize,
        out: &mut Vec<M::Slot>,
    ) -> Filled {
        fill_chunked::<T, R, M, _>(items, n, base, &self.0, stop, chunk, out)
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
        stop: &Stop,
        stop_on_error: bool,
        _chunk: usize,
    ) -> Outcome<R> {
        let g = |x| (self.0)(x).map_err(|e| Arc::new(e) as Failure);
        run(items, base, &g, stop, stop_on_error)
    }

    fn fill<M: Output<R>>(
        &self,
        items: &mut impl Iterator<Item = T>,
        n: usize,
        base: usize,
        stop: &Stop,
        _chunk: usize,
        out: &mut Vec<M::Slot>,
    ) -> Filled {
        let g = |x| (self.0)(x).map_err(|e| Arc::new(e) as Failure);
        fill_each::<T, R, M, _>(items, n, base, &g, stop, out)
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
    stop: &Stop,
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
        if stop.reached(base + taken) {
            complete = false;
            break;
        }
        let pass = panic::catch(|| {
            values.extend(rest.by_ref().take(chunk).map(|item| {
                taken += 1;
                f(item)
            }));
        });
        if let Err(payload) = pass {
            let message = panic::message(&*payload);
            errors.push(ItemError::Panicked { index: base + taken - 1, message });
            if stop_on_error {
                complete = rest.len() == 0;
                break;
            }
        }
    }
    Outcome { values, errors, complete, elapsed: start.elapsed() }
}

/// Marks that a panic unwinds through the item function rather than through the iterator:
/// made just before the call and forgotten just after it, it costs nothing unless the
/// function unwinds (no per-item store, so trivial functions still vectorize).
struct InFunction<'a>(&'a Cell<bool>);

impl Drop for InFunction<'_> {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// Calls `f(item)` under an [`InFunction`] guard on `flag`.
#[inline(always)]
fn call<T, R>(f: impl FnOnce(T) -> R, item: T, flag: &Cell<bool>) -> R {
    let guard = InFunction(flag);
    let value = f(item);
    std::mem::forget(guard);
    value
}

/// What a panic during a fill pass was: an item's (its error, which then takes the item's
/// slot or ends the batch) or the iterator's (its message). Every item that finished has
/// exactly one slot in `out`, so the `done`-th item of the batch is the one that panicked.
fn caught<O>(
    out: &mut Vec<O>,
    done: usize,
    base: usize,
    function: &Cell<bool>,
    payload: &(dyn std::any::Any + Send),
    failure: impl FnOnce(ItemError) -> Result<O, ItemError>,
) -> Option<Filled> {
    let message = panic::message(payload);
    if !function.replace(false) {
        return Some(Filled { ran: done, end: End::InputPanicked(message) });
    }
    match failure(ItemError::Panicked { index: base + done, message }) {
        Ok(slot) => {
            out.push(slot);
            None
        }
        Err(error) => Some(Filled { ran: done + 1, end: End::Failed(error) }),
    }
}

/// [`Apply::fill`] for an infallible `f`: `stop` is polled every `chunk` items, and each
/// chunk is one `Vec::extend` from `items` straight into `out`, with nothing else in the loop
/// (when `items` has a trusted length, as a `Vec`'s drain or a range has, trivial functions
/// vectorize; `items` is borrowed, not wrapped, as a `take` of a `take` would not be). The
/// length of `out` says how many items finished, so the index of a panic is exact; an
/// [`InFunction`] guard says whose panic it was.
pub(crate) fn fill_chunked<T, R, M, F>(
    items: &mut impl Iterator<Item = T>,
    n: usize,
    base: usize,
    f: &F,
    stop: &Stop,
    chunk: usize,
    out: &mut Vec<M::Slot>,
) -> Filled
where
    M: Output<R>,
    F: Fn(T) -> R,
{
    let (len0, chunk) = (out.len(), chunk.max(1));
    let function = Cell::new(false);
    loop {
        let done = out.len() - len0;
        if stop.reached(base + done) {
            return Filled { ran: done, end: End::Stopped };
        }
        let want = chunk.min(n - done);
        let pass = panic::catch(|| {
            out.extend(items.take(want).map(|item| M::value(call(f, item, &function))));
        });
        match pass {
            Ok(()) if out.len() - len0 - done < want || out.len() - len0 == n => {
                return Filled { ran: out.len() - len0, end: End::Done };
            }
            Ok(()) => {}
            Err(payload) => {
                let done = out.len() - len0;
                if let Some(filled) = caught(out, done, base, &function, &*payload, M::failure) {
                    return filled;
                }
            }
        }
    }
}

/// [`Apply::fill`] for a fallible `g`: `stop` is polled before each item.
pub(crate) fn fill_each<T, R, M, G>(
    items: &mut impl Iterator<Item = T>,
    n: usize,
    base: usize,
    g: &G,
    stop: &Stop,
    out: &mut Vec<M::Slot>,
) -> Filled
where
    M: Output<R>,
    G: Fn(T) -> Result<R, Failure>,
{
    let len0 = out.len();
    let function = Cell::new(false);
    loop {
        let pass = panic::catch(|| {
            loop {
                let done = out.len() - len0;
                if done == n {
                    return End::Done;
                }
                if stop.reached(base + done) {
                    return End::Stopped;
                }
                let Some(item) = items.next() else { return End::Done };
                let slot = match call(g, item, &function) {
                    Ok(value) => M::value(value),
                    Err(source) => {
                        match M::failure(ItemError::Failed { index: base + done, source }) {
                            Ok(slot) => slot,
                            Err(error) => return End::Failed(error),
                        }
                    }
                };
                out.push(slot);
            }
        });
        let done = out.len() - len0;
        match pass {
            Ok(End::Failed(error)) => return Filled { ran: done + 1, end: End::Failed(error) },
            Ok(end) => return Filled { ran: done, end },
            Err(payload) => {
                if let Some(filled) = caught(out, done, base, &function, &*payload, M::failure) {
                    return filled;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(x: u32) -> Result<u32, Failure> {
        if x == 3 { panic!("three") } else { Ok(x * 10) }
    }

    #[test]
    fn collect_mode_runs_past_a_panic() {
        let out = run((0..6).collect(), 100, &ok, &Stop::new(), false);
        assert_eq!(out.values, vec![0, 10, 20, 40, 50]);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].index(), 103);
        assert!(out.complete);
    }

    #[test]
    fn chunked_reports_exact_panic_indexes() {
        let f = |x: u32| if x % 4 == 3 { panic!("bad {x}") } else { x };
        let out = run_chunked((0..10).collect(), 0, &f, &Stop::new(), false, 3);
        assert_eq!(out.values, vec![0, 1, 2, 4, 5, 6, 8, 9]);
        let idx: Vec<_> = out.errors.iter().map(ItemError::index).collect();
        assert_eq!(idx, vec![3, 7]);
        let out = run_chunked((0..10).collect(), 10, &f, &Stop::new(), true, 4);
        assert_eq!((out.values.len(), out.errors[0].index(), out.complete), (3, 13, false));
    }

    #[test]
    fn stop_mode_ends_at_the_first_failure() {
        let out = run((0..6).collect(), 0, &ok, &Stop::new(), true);
        assert_eq!(out.values, vec![0, 10, 20]);
        assert_eq!(out.errors[0].to_string(), "item 3 panicked: three");
        assert!(!out.complete);
    }

    #[test]
    fn fill_writes_after_what_is_there_with_exact_panic_indexes() {
        let f = |x: u32| if x % 4 == 3 { panic!("bad {x}") } else { x };
        let (go, mut items) = (Stop::new(), (0..10).collect::<Vec<u32>>());
        let mut out = vec![Ok(99)];
        let filled =
            fill_chunked::<_, _, Settled, _>(&mut items.drain(..), 10, 20, &f, &go, 3, &mut out);
        assert!(matches!(filled.end, End::Done) && filled.ran == 10 && items.is_empty());
        assert_eq!(out.len(), 11);
        assert_eq!(*out[3].as_ref().unwrap(), 2, "item 22 holds 2");
        let failed: Vec<_> = out.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failed.iter().map(|e| e.index()).collect::<Vec<_>>(), vec![23, 27]);
        assert_eq!(failed[0].to_string(), "item 23 panicked: bad 3");

        // Stop mode: the values before the failure, then the failure; the rest is dropped.
        let mut items: Vec<u32> = (0..10).collect();
        let mut values = Vec::new();
        let filled =
            fill_chunked::<_, _, Values, _>(&mut items.drain(..), 10, 0, &f, &go, 4, &mut values);
        assert_eq!(values, vec![0, 1, 2]);
        let End::Failed(error) = filled.end else { panic!("{:?}", filled.end) };
        assert_eq!((error.index(), filled.ran, items.len()), (3, 4, 0));
    }

    #[test]
    fn fill_each_keeps_or_stops_at_errors_and_sees_the_stop_flag() {
        let g = |x: u32| match x {
            2 => Err(Arc::new(std::fmt::Error) as Failure),
            4 => panic!("four"),
            x => Ok(x),
        };
        let go = Stop::new();
        let mut out = Vec::new();
        let filled = fill_each::<_, _, Settled, _>(&mut (0..6), 6, 10, &g, &go, &mut out);
        assert_eq!(filled.ran, 6);
        let failed: Vec<_> =
            out.iter().filter_map(|r| r.as_ref().err()).map(|e| e.index()).collect();
        assert_eq!((out.len(), failed), (6, vec![12, 14]));

        let mut values = Vec::new();
        let filled = fill_each::<_, _, Values, _>(&mut (0..6), 6, 0, &g, &go, &mut values);
        assert_eq!(values, vec![0, 1]);
        assert!(matches!(filled.end, End::Failed(ItemError::Failed { index: 2, .. })));

        let stop = Stop::new();
        stop.all();
        let mut items = vec![1u32, 2, 3];
        let filled =
            fill_each::<_, _, Values, _>(&mut items.drain(..), 3, 0, &g, &stop, &mut Vec::new());
        assert!(matches!(filled.end, End::Stopped) && filled.ran == 0 && items.is_empty());
    }

    #[test]
    fn a_panic_of_the_iterator_is_told_apart_from_a_panic_of_the_function() {
        let input = || (0..10u32).map(|i| if i == 6 { panic!("input six") } else { i });
        let f = |x: u32| if x == 2 { panic!("two") } else { x };
        let go = Stop::new();
        let mut out = Vec::new();
        let filled = fill_chunked::<_, _, Settled, _>(&mut input(), 99, 100, &f, &go, 4, &mut out);
        assert_eq!(filled.ran, 6);
        assert!(matches!(&filled.end, End::InputPanicked(m) if m == "input six"), "{filled:?}");
        assert_eq!(out.len(), 6, "items 0..6, the panic of item 2 included");
        assert_eq!(out[2].as_ref().unwrap_err().to_string(), "item 102 panicked: two");

        let g = |x: u32| if x == 2 { Err(Arc::new(std::fmt::Error) as Failure) } else { Ok(x) };
        let mut out = Vec::new();
        let filled = fill_each::<_, _, Settled, _>(&mut input(), 99, 0, &g, &go, &mut out);
        assert!(matches!(&filled.end, End::InputPanicked(_)) && filled.ran == 6 && out.len() == 6);
    }
}
