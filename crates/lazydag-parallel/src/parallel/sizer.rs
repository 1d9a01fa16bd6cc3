//! Auto-batching: how many items the next batch gets.
//!
//! Like joblib's `batch_size="auto"`, the first batch has one item, and every finished batch
//! reports how long its items took. The sizer keeps a decaying, item-weighted estimate of the
//! time per item and sizes the next batch to take [`TARGET`] (20 ms): long enough that the
//! per-batch cost of scheduling a lazydag task (a few microseconds) is noise, short enough that
//! the workers stay balanced and that a streaming map holds few items in memory.
//!
//! Two corrections keep the end of a map balanced:
//! - when the input's length is known (an exact `size_hint`), a batch takes at most
//!   `remaining / (2 × workers)` items, so the last batches shrink and every worker gets some;
//! - but never fewer than [`FLOOR`] (1 ms) worth of items: splitting work finer than that costs
//!   more in scheduling than it gains in balance.
//!
//! A collecting map also caps automatic batches by memory ([`Sizer::capped`]), so that a
//! batch's items and results stay in the CPU cache between the moment they are taken from the
//! input and the moment they are written out.
//!
//! Invariant: the size is at least 1 and at most [`MAX_ITEMS`] (and the cap, for `Auto`).

use std::time::Duration;

/// The duration a batch aims for.
pub(crate) const TARGET: Duration = Duration::from_millis(20);

/// The smallest duration worth its own batch when splitting the end of a map.
pub(crate) const FLOOR: Duration = Duration::from_millis(1);

/// The largest batch, whatever the estimates say.
pub(crate) const MAX_ITEMS: usize = 1 << 22;

/// How batch sizes are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BatchSize {
    /// Measure how long items take and size batches to take about 20 ms each (the default).
    #[default]
    Auto,
    /// Exactly this many items per batch (the last batch may have fewer); must be positive.
    Fixed(usize),
}

/// The state of auto-batching for one map.
#[derive(Debug)]
pub(crate) struct Sizer {
    mode: BatchSize,
    workers: usize,
    /// The largest automatic batch.
    cap: usize,
    /// Decaying sums of measured seconds and items.
    seconds: f64,
    items: f64,
}

impl Sizer {
    pub(crate) fn new(mode: BatchSize, workers: usize) -> Self {
        Sizer { mode, workers: workers.max(1), cap: MAX_ITEMS, seconds: 0.0, items: 0.0 }
    }

    /// Automatic batches get at most `cap` items (fixed sizes are kept as they are).
    pub(crate) fn capped(mut self, cap: usize) -> Self {
        self.cap = cap.clamp(1, MAX_ITEMS);
        self
    }

    /// Records that a batch of `items` items took `elapsed`.
    pub(crate) fn record(&mut self, items: usize, elapsed: Duration) {
        if items == 0 {
            return;
        }
        // Halve the weight of the past at each report, so the estimate follows a change in
        // item cost within a few batches, while large batches weigh more than small ones.
        self.seconds = self.seconds * 0.5 + elapsed.as_secs_f64();
        self.items = self.items * 0.5 + items as f64;
    }

    /// How many items take about `span`, by the current estimate (1 before any measurement;
    /// at most 4,096).
    pub(crate) fn items_per(&self, span: Duration) -> usize {
        if self.items == 0.0 {
            return 1;
        }
        let per_item = (self.seconds / self.items).max(1e-9);
        ((span.as_secs_f64() / per_item) as usize).clamp(1, 4096)
    }

    /// Whether `n` items take at most `span`, by the current estimate (false before any
    /// measurement: even one item may take long).
    pub(crate) fn takes_under(&self, n: usize, span: Duration) -> bool {
        if self.items == 0.0 {
            return false;
        }
        n as f64 * (self.seconds / self.items) <= span.as_secs_f64()
    }

    /// The size of the next batch, given the number of items left when it is known.
    pub(crate) fn next(&self, remaining: Option<usize>) -> usize {
        let n = match self.mode {
            BatchSize::Fixed(n) => n,
            BatchSize::Auto if self.items == 0.0 => 1,
            BatchSize::Auto => {
                // A zero measurement (a clock too coarse) counts as 1 ns per item.
                let per_item = (self.seconds / self.items).max(1e-9);
                let target = (TARGET.as_secs_f64() / per_item) as usize;
                let floor = (FLOOR.as_secs_f64() / per_item) as usize;
                let n = match remaining {
                    Some(left) => target.min(floor.max(left.div_ceil(2 * self.workers))),
                    None => target,
                };
                n.min(self.cap)
            }
        };
        n.clamp(1, MAX_ITEMS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_one_then_aims_for_the_target() {
        let mut s = Sizer::new(BatchSize::Auto, 2);
        assert_eq!(s.next(None), 1);
        s.record(1000, Duration::from_millis(1)); // 1 µs per item
        let n = s.next(None);
        assert!((19_000..=21_000).contains(&n), "{n}");
    }

    #[test]
    fn splits_the_end_but_not_below_the_floor() {
        let mut s = Sizer::new(BatchSize::Auto, 2);
        s.record(1000, Duration::from_millis(1)); // 1 µs per item: floor 1000 items
        assert_eq!(s.next(Some(40_000)), 10_000);
        assert_eq!(s.next(Some(2_000)), 1_000);
        assert_eq!(s.next(Some(10)), 1_000);
    }

    #[test]
    fn the_cap_bounds_automatic_batches_only() {
        let mut s = Sizer::new(BatchSize::Auto, 2).capped(500);
        assert_eq!(s.next(None), 1);
        s.record(1000, Duration::from_millis(1));
        assert_eq!(s.next(None), 500);
        assert_eq!(s.next(Some(1_000_000)), 500);
        let fixed = Sizer::new(BatchSize::Fixed(7_000), 2).capped(500);
        assert_eq!(fixed.next(None), 7_000);
    }

    #[test]
    fn estimates_how_long_a_batch_takes() {
        let mut s = Sizer::new(BatchSize::Auto, 2);
        assert!(!s.takes_under(1, Duration::from_secs(1)), "no estimate yet");
        s.record(1000, Duration::from_millis(1)); // 1 µs per item
        assert!(s.takes_under(100, Duration::from_micros(100)));
        assert!(!s.takes_under(101, Duration::from_micros(100)));
    }

    #[test]
    fn fixed_is_fixed() {
        let mut s = Sizer::new(BatchSize::Fixed(7), 4);
        s.record(7, Duration::from_secs(10));
        assert_eq!(s.next(Some(100)), 7);
    }
}
