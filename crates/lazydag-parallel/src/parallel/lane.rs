//! The engine behind the collecting maps (`map`, `try_map` and their collect-mode forms):
//! lanes that take batches from the input and write them into the output in place.
//!
//! # Protocol
//! - **Lanes.** A map is one lazydag compute of `workers` independent tasks, the lanes, on
//!   the chosen scheduler: no thread of its own, one compute per map, and the calling thread
//!   waits in it like any compute. With one job or the `sync` backend the calling thread
//!   runs a single lane itself, with no compute at all. Inside another map's function a map is
//!   a nested compute on the same pool: the worker waiting for it helps run its lanes.
//! - **Batches.** A lane takes the next batch from the shared input ([`Source`], under its
//!   lock: sequence number, index of the first item, items moved into the lane's own buffer,
//!   which is reused from batch to batch), lets go of the lock, and runs the batch. The sizer
//!   picks sizes as for streams (about 20 ms of work, the end split between the lanes) and
//!   caps them at [`BATCH_BYTES`] of items or results, so a batch stays in the CPU cache from
//!   the input to the output. A batch costs a few locks and two clock reads, no lazydag task,
//!   so batches this small cost nothing that shows.
//! - **In place.** When the next batch is also next in the output (every batch taken before
//!   is already in it), no other lane is waiting for the input, and the sizer expects the
//!   batch to take at most [`IN_PLACE`], the lane runs it while it still holds the input's
//!   lock, straight from the input iterator into the output: no buffer, no staging, as fast as
//!   a sequential `collect`. This is what a lane does while it is alone (one job, a pool whose
//!   other workers are busy or not yet awake, the tail of a map). A lane that waits for the
//!   input makes the others take their batches the short way (pull, let go, run), so it gets
//!   the lock at their next batch instead of being starved by lanes that keep it; and the
//!   bound keeps it from waiting long for a batch already running in place. Never before the
//!   first measurement: the first items may be slow.
//! - **Trivial items.** Every item reaches the output through the one lane that holds it,
//!   either computed there in place or copied there from another lane's staging `Vec`. For
//!   items that take at most [`TRIVIAL`] (about what copying a result costs), a second lane
//!   saves nothing: the copies cost what the items do. So for those, the lane that holds the
//!   output keeps running batches in place even while others wait, and the others rest
//!   ([`Idle`]) instead of staging batches: they are woken when a batch shows slower items (and
//!   take their share again), when a lane leaves (the input ended or the map stopped), or
//!   after [`WAIT`] at the latest. A lane that would rest while the rest of a known-length
//!   input is expected to take less than [`WAIT`] leaves instead: the lane in place will be
//!   done before the rest would end, and the map need not wait to wake it.
//! - **Output.** Otherwise the lane writes each item's slot into the map's output when its
//!   batch is next in order, and into a recycled staging `Vec` when it is not ([`Assembly`]).
//!   The output was allocated once, at the input's length; it is returned as is, not copied.
//! - **Failures.** In stop mode, a failure a lane sees (a panic, an `Err`, a panic of the
//!   input iterator, told apart from a panic of the function by [`Apply::fill`]) is kept if
//!   its index is the smallest so far, and lowers the map's [`Stop`] to its index: no lane
//!   takes another batch, running batches stop at their next poll past that index (every item
//!   of a fallible function, every chunk of about 0.1 ms otherwise), and batches holding
//!   earlier items finish them. So the map returns the failure with the smallest index in the
//!   input, the one a sequential loop would meet, whatever the timing. In collect mode a
//!   failure is the item's slot and nothing stops. A failure of the compute itself (a
//!   scheduler error) stops every item, so lanes still running in the background stop, and is
//!   returned as [`Error::Scheduler`].
//!
//! Memory ordering: the stop index publishes nothing but itself (`Relaxed`), and the count of
//! waiting lanes is a hint (a stale read sends one batch the other way, never a wrong
//! result); the input, the sizer, the first failure and the output are under mutexes, and the
//! end of the compute (or of the inline lane) happens before the caller takes the output.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lazydag_core::sync::std_locks;
use lazydag_core::{Control, Delayed, compute_with_control, delayed_once};

use super::Settings;
use super::assembly::{Assembly, Claim};
use super::batch::{Apply, End, Filled, InBatch, Output, Stop};
use super::input::{Left, Source, lock};
use super::sizer::Sizer;
use crate::error::{Error, ItemError};

/// The most memory an automatic batch's items (or results) take: 256 KiB, about a core's L2
/// cache, so that items written into the lane's buffer are still in cache when they run.
pub(crate) const BATCH_BYTES: usize = 256 << 10;

/// The most bytes of output slots reserved up front from an input's exact length (1 GiB):
/// past that the output grows as results come, so a huge length cannot fail the allocation
/// before any item runs.
const PRESIZE_MAX: usize = 1 << 30;

/// How often a running batch of an infallible function polls the stop index.
const POLL: Duration = Duration::from_micros(100);

/// The longest a batch may hold the input's lock when it runs in place.
const IN_PLACE: Duration = Duration::from_micros(100);

/// Items that take at most this long cost about as much as copying their result: lanes do not
/// split them (one lane runs them in place while the others wait for the output).
const TRIVIAL: Duration = Duration::from_nanos(1);

/// The longest a lane rests before it looks again by itself.
const WAIT: Duration = Duration::from_millis(1);

/// Lanes resting while another runs trivial items in place.
///
/// A generation, bumped under the lock by every [`rouse`](Idle::rouse), tells a lane whether
/// something happened since it looked at the map: it reads the generation before it decides
/// to rest, and rests only while the generation is unchanged, so no wake-up is lost.
#[derive(Default)]
struct Idle {
    /// Resting lanes, and the generation.
    state: Mutex<(usize, u64)>,
    /// A lane may be resting (a hint, so that a busy lane need not take the lock).
    any: AtomicBool,
    wake: Condvar,
}

impl Idle {
    fn generation(&self) -> u64 {
        lock(&self.state).1
    }

    /// Rests until the generation moves on from `seen`, at most `timeout`.
    fn rest(&self, seen: u64, timeout: Duration) {
        let mut state = lock(&self.state);
        state.0 += 1;
        self.any.store(true, Ordering::Relaxed);
        let mut state = std_locks::wait_timeout_while(&self.wake, state, timeout, |s| s.1 == seen);
        state.0 -= 1;
        if state.0 == 0 {
            self.any.store(false, Ordering::Relaxed);
        }
    }

    /// Wakes the resting lanes: something changed.
    fn rouse(&self) {
        let mut state = lock(&self.state);
        state.1 += 1;
        if state.0 > 0 {
            self.wake.notify_all();
        }
    }
}

/// What the lanes of one map share.
struct Job<I: Iterator, G, R, M: Output<R>> {
    source: Mutex<Source<I>>,
    sizer: Mutex<Sizer>,
    stop: Stop,
    /// The longest a batch run in place is expected to take.
    in_place_span: Duration,
    /// How many batches ran in place.
    in_place: AtomicU64,
    /// Lanes waiting for the input's lock.
    waiting: AtomicUsize,
    /// Lanes resting while another runs trivial items.
    idle: Idle,
    /// The failure with the smallest index so far (stop mode).
    failure: Mutex<Option<ItemError>>,
    assembly: Assembly<M::Slot>,
    g: G,
    _types: PhantomData<fn() -> (R, M)>,
}

/// Runs a collecting map of `g` over `input`: one `M` slot per item, in input order.
pub(crate) fn collect<I, R, G, M>(input: I, g: G, settings: Settings) -> Result<Vec<M::Slot>, Error>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    R: Send + 'static,
    G: Apply<I::Item, R>,
    M: Output<R>,
{
    let (result, stats) = run::<I, R, G, M>(input, g, settings, IN_PLACE);
    tracing::debug!(batches = stats.batches, in_place = stats.in_place, "parallel map finished");
    result
}

/// How a map's batches ran.
#[derive(Clone, Copy, Debug)]
struct Stats {
    /// Batches taken from the input.
    batches: u64,
    /// Those of them that ran in place.
    in_place: u64,
}

/// [`collect`], and how its batches ran; batches expected to take at most `in_place` may run
/// in place.
fn run<I, R, G, M>(
    input: I,
    g: G,
    settings: Settings,
    in_place: Duration,
) -> (Result<Vec<M::Slot>, Error>, Stats)
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    R: Send + 'static,
    G: Apply<I::Item, R>,
    M: Output<R>,
{
    // A known item count is the compute's progress total: the lanes report items as their
    // batches finish (`Counted`), so a progress bar counts items, not lanes.
    let control = match input.size_hint() {
        (low, Some(high)) if low == high => Control::new().progress_units(low as u64),
        _ => Control::new(),
    };
    let widest = size_of::<I::Item>().max(size_of::<M::Slot>()).max(1);
    let sizer = Sizer::new(settings.batch, settings.workers).capped(BATCH_BYTES / widest);
    let job = Arc::new(Job::<I, G, R, M> {
        // Room for the items the input says it has, when it knows exactly and they fit: an
        // endless range says `usize::MAX` at least (a capacity overflow), a huge exact
        // length would be allocated before the first item; otherwise the output grows.
        assembly: Assembly::new(match input.size_hint() {
            (low, Some(high)) if low == high => low.min(PRESIZE_MAX / size_of::<M::Slot>().max(1)),
            _ => 0,
        }),
        source: Mutex::new(Source::new(input)),
        sizer: Mutex::new(sizer),
        stop: Stop::new(),
        in_place_span: in_place,
        in_place: AtomicU64::new(0),
        waiting: AtomicUsize::new(0),
        idle: Idle::default(),
        failure: Mutex::new(None),
        g,
        _types: PhantomData,
    });
    if settings.inline {
        job.lane();
    } else {
        let lanes: Vec<Delayed<()>> = (0..settings.workers)
            .map(|_| {
                let job = Arc::clone(&job);
                delayed_once(()).map(move |()| job.lane()).name("parallel-lane")
            })
            .collect();
        if let Err(err) = compute_with_control(&lanes, &*settings.scheduler, &control) {
            // Lanes may still run in the background (the compute returned at the first
            // error): stop them before their next item.
            job.stop.all();
            return (Err(Error::Scheduler(err)), job.stats());
        }
    }
    if let Some(failure) = lock(&job.failure).take() {
        return (Err(Error::Item(failure)), job.stats());
    }
    (Ok(job.assembly.take()), job.stats())
}

impl<I, G, R, M> Job<I, G, R, M>
where
    I: Iterator,
    G: Apply<I::Item, R>,
    M: Output<R>,
{
    fn stopped(&self) -> bool {
        self.stop.is_set()
    }

    fn stats(&self) -> Stats {
        let in_place = self.in_place.load(Ordering::Relaxed);
        Stats { batches: lock(&self.source).batches(), in_place }
    }

    /// Keeps `error` if it is the first failure by index, and stops the map there.
    fn fail(&self, error: ItemError) {
        let mut first = lock(&self.failure);
        self.stop.at(error.index());
        if first.as_ref().is_none_or(|f| error.index() < f.index()) {
            *first = Some(error);
        }
    }

    /// One lane: takes batches until the input ends or the map stops.
    fn lane(&self) {
        let _nested = InBatch::enter();
        let mut items = Vec::new();
        while !self.stopped() {
            let generation = self.idle.generation();
            self.waiting.fetch_add(1, Ordering::Relaxed);
            let mut source = lock(&self.source);
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            let (n, chunk, short, trivial, soon) = {
                let sizer = lock(&self.sizer);
                let remaining = source.remaining();
                let n = sizer.next(remaining);
                let short = sizer.takes_under(n, self.in_place_span);
                let trivial = short && sizer.takes_under(1, TRIVIAL);
                let soon = remaining.is_some_and(|left| sizer.takes_under(left, WAIT));
                (n, sizer.items_per(POLL), short, trivial, soon)
            };
            let seq = source.batches();
            let alone = self.waiting.load(Ordering::Relaxed) == 0;
            if short
                && (alone || trivial)
                && let Some(out) = self.assembly.front(seq)
            {
                if !self.in_place(source, seq, n, chunk, out) {
                    break;
                }
                continue;
            }
            if trivial {
                // Another lane writes the output: a copy would cost as much as the items. If
                // that lane will be done before a rest would end, this one is not needed.
                if soon {
                    break;
                }
                drop(source);
                self.idle.rest(generation, WAIT);
                continue;
            }
            let Some(pulled) = source.pull(n, &mut items) else { break };
            drop(source);
            let mut claim = self.assembly.claim(pulled.seq, pulled.len);
            let start = Instant::now();
            let (base, len) = (pulled.base, pulled.len);
            let filled =
                self.g.fill::<M>(&mut items.drain(..), len, base, &self.stop, chunk, claim.vec());
            self.record(filled.ran, start.elapsed());
            let broken = match filled.end {
                End::Done => pulled.broken,
                end => {
                    self.settle(end, pulled.base + filled.ran, claim.vec());
                    None
                }
            };
            if let Some(message) = broken {
                self.settle(End::InputPanicked(message), pulled.base + pulled.len, claim.vec());
            }
            self.assembly.finish(pulled.seq, claim);
        }
        // The input ended or the map stopped: resting lanes see it now, not after a timeout.
        self.idle.rouse();
    }

    /// Runs batch `seq` in place: straight from the input into the output, while holding the
    /// input's lock (`source`). False when the input had ended.
    fn in_place(
        &self,
        mut source: MutexGuard<'_, Source<I>>,
        seq: u64,
        n: usize,
        chunk: usize,
        mut out: Vec<M::Slot>,
    ) -> bool {
        let base = source.taken();
        let start = Instant::now();
        let locked = InBatch::in_place();
        let filled = match source.lend() {
            Some(input) => self.g.fill::<M>(input, n, base, &self.stop, chunk, &mut out),
            None => Filled { ran: 0, end: End::Done },
        };
        drop(locked);
        let broken = matches!(filled.end, End::InputPanicked(_));
        let left = match filled.end {
            End::InputPanicked(_) => Left::Broken,
            End::Done if filled.ran < n => Left::Ended,
            _ => Left::More,
        };
        source.commit(filled.ran, left);
        drop(source);
        if filled.ran == 0 && !broken {
            self.assembly.unclaim(seq, out);
            return !matches!(filled.end, End::Done);
        }
        self.record(filled.ran, start.elapsed());
        self.in_place.fetch_add(1, Ordering::Relaxed);
        self.settle(filled.end, base + filled.ran, &mut out);
        self.assembly.finish(seq, Claim::Front(out));
        true
    }

    /// Tells the sizer how long a batch's `ran` items took; wakes resting lanes if the items
    /// are no longer trivial.
    fn record(&self, ran: usize, elapsed: Duration) {
        let mut sizer = lock(&self.sizer);
        sizer.record(ran, elapsed);
        let slower = !sizer.takes_under(1, TRIVIAL);
        drop(sizer);
        if slower && self.idle.any.load(Ordering::Relaxed) {
            self.idle.rouse();
        }
    }

    /// Acts on how a batch ended: a failure ends the map (stop mode) or becomes the slot of
    /// item `index` (collect mode; for a panic of the input, the last slot).
    fn settle(&self, end: End, index: usize, out: &mut Vec<M::Slot>) {
        let error = match end {
            End::Done | End::Stopped => return,
            End::Failed(error) => error,
            End::InputPanicked(message) => {
                let message = format!("the input iterator panicked: {message}");
                ItemError::Panicked { index, message }
            }
        };
        match M::failure(error) {
            Ok(slot) => out.push(slot),
            Err(error) => self.fail(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread::sleep;

    use lazydag_core::scheduler::WorkStealing;

    use super::*;
    use crate::parallel::BatchSize;
    use crate::parallel::batch::{Infallible, Settled, Values};

    fn settings(workers: usize, batch: BatchSize) -> Settings {
        Settings {
            scheduler: Arc::new(WorkStealing::new(workers)),
            workers,
            batch,
            stop_on_error: true,
            inline: false,
            window: 0,
        }
    }

    /// Every batch may run in place (once timed), whatever the clock says.
    const ALWAYS: Duration = Duration::MAX;

    /// One lane on the calling thread, batches of 100 items.
    fn alone() -> Settings {
        Settings { inline: true, ..settings(1, BatchSize::Fixed(100)) }
    }

    /// Items 0.. that panic when item `at` is asked for.
    fn breaking(len: u32, at: u32) -> impl Iterator<Item = u32> + Send + 'static {
        (0..len).map(move |i| if i == at { panic!("input broke at {i}") } else { i })
    }

    #[test]
    fn a_lone_lane_runs_short_batches_in_place() {
        let f = Infallible(|x: u32| x * 3);
        let (out, stats) = run::<_, _, _, Values>(0..10_000u32, f, alone(), ALWAYS);
        assert_eq!(out.unwrap(), (0..10_000).map(|x| x * 3).collect::<Vec<_>>());
        // All but the first batch, which runs before any timing.
        assert_eq!((stats.batches, stats.in_place), (100, 99));
    }

    #[test]
    fn in_place_batches_tell_a_panicking_function_from_a_panicking_input() {
        let f = |x: u32| {
            assert!(x != 3_003, "bad {x}");
            x
        };
        let (out, stats) =
            run::<_, _, _, Settled>(breaking(9_000, 5_050), Infallible(f), alone(), ALWAYS);
        let out = out.unwrap();
        assert_eq!((stats.batches, stats.in_place), (51, 50));
        assert_eq!(out.len(), 5_051, "items 0..5050, then the input's panic");
        assert_eq!(out[3_003].as_ref().unwrap_err().to_string(), "item 3003 panicked: bad 3003");
        let last = out[5_050].as_ref().unwrap_err().to_string();
        assert_eq!(last, "item 5050 panicked: the input iterator panicked: input broke at 5050");
        assert!(out[..5_050].iter().enumerate().all(|(i, r)| (i == 3_003) == r.is_err()));

        let (err, _) =
            run::<_, _, _, Values>(breaking(9_000, 5_050), Infallible(f), alone(), ALWAYS);
        assert_eq!(err.unwrap_err().item_index(), Some(3_003));
        let (err, _) =
            run::<_, _, _, Values>(breaking(9_000, 5_050), Infallible(|x| x), alone(), ALWAYS);
        let err = err.unwrap_err();
        assert_eq!(err.item_index(), Some(5_050));
        assert!(err.to_string().contains("the input iterator panicked"), "{err}");
    }

    #[test]
    fn an_input_of_unknown_length_ends_inside_an_in_place_batch() {
        let input = (0..1_000u32).filter(|x| x % 3 != 0); // 666 items, length unknown
        let (out, stats) =
            run::<_, _, _, Values>(input, Infallible(|x: u32| x + 1), alone(), ALWAYS);
        let want: Vec<u32> = (0..1_000).filter(|x| x % 3 != 0).map(|x| x + 1).collect();
        assert_eq!(out.unwrap(), want);
        assert_eq!((stats.batches, stats.in_place), (7, 6));
    }

    #[test]
    fn fallible_functions_run_in_place_too() {
        use crate::parallel::batch::Fallible;
        let g = Fallible(|x: u32| x.checked_sub(1).ok_or(std::fmt::Error), PhantomData);
        let (out, stats) = run::<_, _, _, Settled>(0..1_000u32, g, alone(), ALWAYS);
        let out = out.unwrap();
        assert_eq!((stats.batches, stats.in_place), (10, 9));
        assert_eq!(
            out[0].as_ref().unwrap_err().to_string(),
            "item 0 failed: an error occurred when formatting an argument"
        );
        assert_eq!(*out[999].as_ref().unwrap(), 998);
    }

    #[test]
    fn a_million_trivial_items_take_cache_sized_batches() {
        let f = Infallible(|x: u64| x ^ 0xff);
        let (out, stats) =
            run::<_, _, _, Values>(0..1_000_000u64, f, settings(2, BatchSize::Auto), IN_PLACE);
        let batches = stats.batches;
        let out = out.unwrap();
        assert!(out.iter().enumerate().all(|(i, &x)| x == i as u64 ^ 0xff));
        // 256 KiB of u64 is 32,768 items: the cap holds, so at least 31 batches. (How many
        // more depends on the measured item time, which a loaded machine stretches; the
        // sizer's own tests check the sizes against fixed timings.)
        let fewest = 1_000_000 / (BATCH_BYTES / 8) as u64;
        assert!(batches >= fewest, "{batches} batches");
    }

    #[test]
    fn slow_items_get_small_batches() {
        let f = Infallible(|x: u64| {
            sleep(Duration::from_millis(5));
            x
        });
        let (out, stats) =
            run::<_, _, _, Values>(0..40u64, f, settings(2, BatchSize::Auto), IN_PLACE);
        let batches = stats.batches;
        assert_eq!(out.unwrap(), (0..40).collect::<Vec<_>>());
        // 5 ms items with a 20 ms target: batches of a few items, so both lanes stay busy.
        assert!((8..=40).contains(&batches), "{batches} batches for 40 slow items");
    }

    #[test]
    fn fixed_batches_are_exact() {
        let f = Infallible(|x: u32| x);
        let (out, stats) =
            run::<_, _, _, Values>(0..95u32, f, settings(2, BatchSize::Fixed(10)), IN_PLACE);
        assert_eq!(out.unwrap().len(), 95);
        assert_eq!(stats.batches, 10);
    }

    #[test]
    fn the_smallest_failing_index_wins() {
        // Item 5 fails late, item 6 at once: the map still reports 5, the earlier one.
        let f = Infallible(|x: u32| {
            if x == 5 {
                sleep(Duration::from_millis(50));
                panic!("five");
            }
            assert!(x != 6, "six");
            x
        });
        let (out, _) =
            run::<_, _, _, Values>(0..100u32, f, settings(2, BatchSize::Fixed(1)), IN_PLACE);
        assert_eq!(out.unwrap_err().to_string(), "item 5 panicked: five");
    }

    #[test]
    fn batches_finishing_out_of_order_come_back_in_order() {
        // Early batches are the slow ones: later batches are staged and parked behind them.
        let f = Infallible(|x: u64| {
            if x < 20 {
                sleep(Duration::from_millis(2));
            }
            assert!(x % 7 != 3, "bad {x}");
            x * 2
        });
        let (out, stats) =
            run::<_, _, _, Settled>(0..200u64, f, settings(4, BatchSize::Fixed(3)), IN_PLACE);
        let out = out.unwrap();
        assert_eq!(stats.batches, 67);
        assert_eq!(out.len(), 200);
        for (i, slot) in out.into_iter().enumerate() {
            match slot {
                Ok(v) => assert_eq!((i % 7 != 3, v), (true, i as u64 * 2)),
                Err(e) => {
                    assert_eq!((i % 7, e.to_string()), (3, format!("item {i} panicked: bad {i}")))
                }
            }
        }
    }
}
