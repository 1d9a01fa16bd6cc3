//! The engine behind the collecting maps (`map`, `try_map` and their collect-mode forms):
//! lanes that take batches from the input and write them into the output in place.
//!
//! # Protocol
//! - **Lanes.** A map is one lazydag compute of `workers` independent tasks, the lanes, on
//!   the chosen scheduler: no thread of its own, one compute per map, and the calling thread
//!   waits in it like any compute. With one job, the `sync` backend, or inside another map's
//!   function, the calling thread runs a single lane itself, with no compute at all.
//! - **Batches.** A lane takes the next batch from the shared input ([`Source`], under its
//!   lock: sequence number, index of the first item, items moved into the lane's own buffer,
//!   which is reused from batch to batch), lets go of the lock, and runs the batch. The sizer
//!   picks sizes as for streams (about 20 ms of work, the end split between the lanes) and
//!   caps them at [`BATCH_BYTES`] of items or results, so a batch stays in the CPU cache from
//!   the input to the output. A batch costs a lock and two clock reads, no lazydag task, so
//!   batches this small cost nothing that shows.
//! - **Output.** The lane writes each item's slot straight into the map's output when its
//!   batch is next in order, and into a recycled staging `Vec` otherwise ([`Assembly`]). The
//!   output was allocated once, at the input's length; it is returned as is, not copied.
//! - **Failures.** In stop mode, the first failure a lane sees (a panic, an `Err`, a panic of
//!   the input iterator) is kept if its index is the smallest so far, and sets the stop flag:
//!   no lane takes another batch, and running batches stop at their next poll (every item of
//!   a fallible function, every chunk of about 0.1 ms otherwise). The map returns that
//!   failure. In collect mode a failure is the item's slot and nothing stops. A failure of
//!   the compute itself (a scheduler error) sets the stop flag too, so lanes still running
//!   in the background stop, and is returned as [`Error::Scheduler`].
//!
//! Memory ordering: the stop flag publishes nothing but itself (`Relaxed`); the input, the
//! sizer, the first failure and the output are under mutexes, and the end of the compute
//! (or of the inline lane) happens before the caller takes the output.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lazydag_core::{Delayed, compute_with, delayed_once};

use super::Settings;
use super::assembly::Assembly;
use super::batch::{Apply, End, InBatch, Output};
use super::input::{Source, lock};
use super::sizer::Sizer;
use crate::error::{Error, ItemError};

/// The most memory an automatic batch's items (or results) take: 256 KiB, about a core's L2
/// cache, so that items written into the lane's buffer are still in cache when they run.
pub(crate) const BATCH_BYTES: usize = 256 << 10;

/// How often a running batch of an infallible function polls the stop flag.
const POLL: Duration = Duration::from_micros(100);

/// What the lanes of one map share.
struct Job<I: Iterator, G, R, M: Output<R>> {
    source: Mutex<Source<I>>,
    sizer: Mutex<Sizer>,
    stop: AtomicBool,
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
    run::<I, R, G, M>(input, g, settings).0
}

/// [`collect`], and how many batches the map took from its input.
fn run<I, R, G, M>(input: I, g: G, settings: Settings) -> (Result<Vec<M::Slot>, Error>, u64)
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    R: Send + 'static,
    G: Apply<I::Item, R>,
    M: Output<R>,
{
    let widest = size_of::<I::Item>().max(size_of::<M::Slot>()).max(1);
    let sizer = Sizer::new(settings.batch, settings.workers).capped(BATCH_BYTES / widest);
    let job = Arc::new(Job::<I, G, R, M> {
        assembly: Assembly::new(input.size_hint().0),
        source: Mutex::new(Source::new(input)),
        sizer: Mutex::new(sizer),
        stop: AtomicBool::new(false),
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
        if let Err(err) = compute_with(&lanes, &*settings.scheduler) {
            // Lanes may still run in the background (the compute returned at the first
            // error): stop them before their next batch.
            job.stop.store(true, Ordering::Relaxed);
            return (Err(Error::Scheduler(err)), lock(&job.source).batches());
        }
    }
    let batches = lock(&job.source).batches();
    if let Some(failure) = lock(&job.failure).take() {
        return (Err(Error::Item(failure)), batches);
    }
    (Ok(job.assembly.take()), batches)
}

impl<I, G, R, M> Job<I, G, R, M>
where
    I: Iterator,
    G: Apply<I::Item, R>,
    M: Output<R>,
{
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Keeps `error` if it is the first failure by index, and stops the map.
    fn fail(&self, error: ItemError) {
        let mut first = lock(&self.failure);
        if first.as_ref().is_none_or(|f| error.index() < f.index()) {
            *first = Some(error);
        }
        self.stop.store(true, Ordering::Relaxed);
    }

    /// One lane: takes batches until the input ends or the map stops.
    fn lane(&self) {
        let _nested = InBatch::enter();
        let mut items = Vec::new();
        while !self.stopped() {
            let (pulled, chunk) = {
                let mut source = lock(&self.source);
                let sizer = lock(&self.sizer);
                let n = sizer.next(source.remaining());
                let chunk = sizer.items_per(POLL);
                drop(sizer);
                let Some(pulled) = source.pull(n, &mut items) else { break };
                (pulled, chunk)
            };
            let mut claim = self.assembly.claim(pulled.seq, pulled.len);
            let start = Instant::now();
            let filled = self.g.fill::<M>(&mut items, pulled.base, &self.stop, chunk, claim.vec());
            lock(&self.sizer).record(filled.ran, start.elapsed());
            match filled.end {
                End::Failed(error) => self.fail(error),
                End::Done if pulled.broken.is_some() => {
                    let message = pulled.broken.unwrap_or_default();
                    let error = ItemError::Panicked {
                        index: pulled.base + pulled.len,
                        message: format!("the input iterator panicked: {message}"),
                    };
                    match M::failure(error) {
                        Ok(slot) => claim.vec().push(slot),
                        Err(error) => self.fail(error),
                    }
                }
                End::Done | End::Stopped => {}
            }
            self.assembly.finish(pulled.seq, claim);
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

    #[test]
    fn a_million_trivial_items_take_cache_sized_batches() {
        let f = Infallible(|x: u64| x ^ 0xff);
        let (out, batches) =
            run::<_, _, _, Values>(0..1_000_000u64, f, settings(2, BatchSize::Auto));
        let out = out.unwrap();
        assert!(out.iter().enumerate().all(|(i, &x)| x == i as u64 ^ 0xff));
        // 256 KiB of u64 is 32,768 items: at least 31 batches, and the first few are smaller.
        let fewest = 1_000_000 / (BATCH_BYTES / 8) as u64;
        assert!((fewest..=fewest + 16).contains(&batches), "{batches} batches");
    }

    #[test]
    fn slow_items_get_small_batches() {
        let f = Infallible(|x: u64| {
            sleep(Duration::from_millis(5));
            x
        });
        let (out, batches) = run::<_, _, _, Values>(0..40u64, f, settings(2, BatchSize::Auto));
        assert_eq!(out.unwrap(), (0..40).collect::<Vec<_>>());
        // 5 ms items with a 20 ms target: batches of a few items, so both lanes stay busy.
        assert!((8..=40).contains(&batches), "{batches} batches for 40 slow items");
    }

    #[test]
    fn fixed_batches_are_exact() {
        let f = Infallible(|x: u32| x);
        let (out, batches) = run::<_, _, _, Values>(0..95u32, f, settings(2, BatchSize::Fixed(10)));
        assert_eq!(out.unwrap().len(), 95);
        assert_eq!(batches, 10);
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
        let (out, _) = run::<_, _, _, Values>(0..100u32, f, settings(2, BatchSize::Fixed(1)));
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
        let (out, batches) =
            run::<_, _, _, Settled>(0..200u64, f, settings(4, BatchSize::Fixed(3)));
        let out = out.unwrap();
        assert_eq!(batches, 67);
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
