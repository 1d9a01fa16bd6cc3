//! [`Ranges`]: a compute's initial tasks, handed out as ranges of its initial list, one range
//! per worker that adopts the compute, which thieves split.
//!
//! The initial list (the tasks runnable at the start, in priority order) is cut into up to
//! one contiguous range per core at the start of a run. A worker that takes the compute's
//! cursor *adopts* a range no one owns yet and claims its tasks one by one, from the front,
//! running each directly: an initial task costs one uncontended atomic add on the owner's own
//! cache line, not a deque push and pop, and each worker walks a contiguous, memory-friendly
//! part of the list. A worker whose range is empty adopts another unowned range, or steals the
//! back half of the range with most left (all of it, when one task is left), which becomes its
//! own. So the work stays stealable at every moment: a worker blocked in a long task keeps only
//! the task it runs; the rest of its range can be taken from it.
//!
//! ```text
//!   range c: one word, start (low 32 bits) | end (high 32 bits), indices into the list
//!   owner:  fetch_add(1) -> (s, e): s < e ? runs list[s] : empty
//!   thief:  load (s, e), e > s: CAS (s, e) -> (s, m), m = s + (e - s) / 2; runs list[m],
//!           its own range becomes (m + 1, e)
//! ```
//!
//! Invariants: every index of the list is claimed exactly once, by the owner's add that
//! returned it as `start` below `end`, or by the thief whose CAS moved `end` down past it;
//! ranges are disjoint; only a range's owner adds to it or stores a new range into it, and it
//! stores only into its own range once that is empty (no other thread then claims from it,
//! and a thief's CAS against the old word fails). A range's `start` grows past its `end` by one
//! for each claim that found it empty, never by more than the claims made, so it cannot
//! reach the `end` bits.
//!
//! # Memory ordering
//! `Relaxed` throughout: a range word only decides who runs which index (each read-modify-write
//! is atomic, whatever its ordering), and publishes no data: the list is immutable, shared with
//! the run, and an initial task reads no other task's value.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// A range word: `start` in the low 32 bits, `end` in the high ones.
fn pack(start: u32, end: u32) -> u64 {
    u64::from(start) | (u64::from(end) << 32)
}

/// A range word's `(start, end)`.
fn unpack(word: u64) -> (u32, u32) {
    (word as u32, (word >> 32) as u32)
}

/// The ranges of one run's initial list (see the module docs).
#[derive(Debug)]
pub(super) struct Ranges {
    ranges: Box<[CachePadded<AtomicU64>]>,
    /// How many ranges have been adopted (the next one to adopt), up to `ranges.len()`.
    adopted: AtomicUsize,
}

impl Ranges {
    /// A list of `len` initial tasks cut into `parts` ranges of nearly equal size (fewer when
    /// `len` is smaller; none when `len` or `parts` is 0: nothing to claim).
    pub(super) fn new(len: usize, parts: usize) -> Ranges {
        let len = u32::try_from(len).expect("a plan has fewer than 2^32 tasks");
        let parts = (parts as u32).min(len);
        let bound = |c: u32| (u64::from(len) * u64::from(c) / u64::from(parts.max(1))) as u32;
        let ranges = (0..parts)
            .map(|c| CachePadded::new(AtomicU64::new(pack(bound(c), bound(c + 1)))))
            .collect();
        Ranges { ranges, adopted: AtomicUsize::new(0) }
    }

    /// A range no worker owns yet, which the caller now owns; `None` once all are owned.
    pub(super) fn adopt(&self) -> Option<usize> {
        if self.adopted.load(Ordering::Relaxed) >= self.ranges.len() {
            return None;
        }
        let c = self.adopted.fetch_add(1, Ordering::Relaxed);
        (c < self.ranges.len()).then_some(c)
    }

    /// Whether some range still holds an unclaimed index.
    pub(super) fn has_unclaimed(&self) -> bool {
        self.ranges.iter().any(|r| {
            let (s, e) = unpack(r.load(Ordering::Relaxed));
            s < e
        })
    }

    /// The next index for the owner of range `c`, from its front; `None` when it is empty.
    #[inline]
    pub(super) fn claim(&self, c: usize) -> Option<u32> {
        let range = &self.ranges[c];
        let (s, e) = unpack(range.load(Ordering::Relaxed));
        if s >= e {
            return None;
        }
        let (s, e) = unpack(range.fetch_add(1, Ordering::Relaxed));
        (s < e).then_some(s)
    }

    /// The next index for a worker: from its own range `mine`, else from a range no one owns
    /// (which becomes `mine`), else stolen: the back half of the range with most left (which
    /// becomes `mine` when the caller may own one, `adopt`), one index otherwise. `None` when
    /// every range is empty.
    #[inline]
    pub(super) fn next(&self, mine: &mut Option<usize>, adopt: bool) -> Option<u32> {
        if let Some(c) = *mine
            && let Some(k) = self.claim(c)
        {
            return Some(k);
        }
        self.next_elsewhere(mine, adopt)
    }

    /// [`next`](Ranges::next) once the worker's own range is empty: out of line.
    #[cold]
    #[inline(never)]
    fn next_elsewhere(&self, mine: &mut Option<usize>, adopt: bool) -> Option<u32> {
        while adopt && let Some(c) = self.adopt() {
            *mine = Some(c);
            if let Some(k) = self.claim(c) {
                return Some(k);
            }
        }
        self.steal(if adopt { *mine } else { None })
    }

    /// Steals from the range with most left, other than `into` (the thief's own range, which
    /// is empty): its back half, of which the thief runs the first index and keeps the rest
    /// as its range `into`; just the last index without a range of its own.
    fn steal(&self, into: Option<usize>) -> Option<u32> {
        loop {
            let mut best: Option<(usize, u64)> = None;
            for (v, range) in self.ranges.iter().enumerate() {
                let word = range.load(Ordering::Relaxed);
                let (s, e) = unpack(word);
                let best_left = best.map_or(0, |(_, w)| {
                    let (s, e) = unpack(w);
                    e.saturating_sub(s)
                });
                if Some(v) != into && e > s && e - s > best_left {
                    best = Some((v, word));
                }
            }
            let (v, word) = best?;
            let (s, e) = unpack(word);
            let (keep, first) = match into {
                Some(_) => (s + (e - s) / 2, s + (e - s) / 2),
                None => (e - 1, e - 1),
            };
            let exchanged = self.ranges[v].compare_exchange(
                word,
                pack(s, keep),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            if exchanged.is_ok() {
                if let Some(mine) = into {
                    self.ranges[mine].store(pack(first + 1, e), Ordering::Relaxed);
                }
                return Some(first);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_owner_claims_the_whole_list_in_order() {
        let ranges = Ranges::new(5, 1);
        let mut mine = None;
        let claimed: Vec<u32> = std::iter::from_fn(|| ranges.next(&mut mine, true)).collect();
        assert_eq!(claimed, [0, 1, 2, 3, 4]);
        assert!(!ranges.has_unclaimed());
        assert_eq!(Ranges::new(0, 4).next(&mut None, true), None);
    }

    #[test]
    fn a_thief_takes_the_back_half_and_owns_it() {
        let ranges = Ranges::new(8, 2); // [0, 4) and [4, 8)
        let (mut a, mut b) = (None, None);
        assert_eq!(ranges.next(&mut a, true), Some(0));
        assert_eq!(ranges.next(&mut b, true), Some(4));
        for k in 5..8 {
            assert_eq!(ranges.next(&mut b, true), Some(k));
        }
        // b's range is empty, none is unowned: it steals [2, 4) of a's [1, 4).
        assert_eq!(ranges.next(&mut b, true), Some(2));
        assert_eq!(ranges.next(&mut a, true), Some(1));
        assert_eq!(ranges.next(&mut b, true), Some(3));
        assert_eq!(ranges.next(&mut a, true), None);
        // Without a range of its own, a thief takes one index from the back.
        let ranges = Ranges::new(4, 1);
        assert_eq!(ranges.next(&mut None, false), Some(3));
        assert_eq!(ranges.next(&mut Some(0), false), Some(0));
    }

    #[test]
    fn threads_claim_every_index_once() {
        let ranges = Ranges::new(10_000, 3);
        let claimed: Vec<Vec<u32>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let ranges = &ranges;
                    s.spawn(move || {
                        let mut mine = None;
                        std::iter::from_fn(|| ranges.next(&mut mine, t != 3)).collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<u32> = claimed.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10_000).collect::<Vec<u32>>());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Model-checks the claims, the steal of single indices and of halves:
    //! `RUSTFLAGS="--cfg loom" cargo test --release -p lazydag-core --lib ranges`. An index claimed twice or never fails the assertion.
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn an_owner_and_a_thief_claim_every_index_once() {
        loom::model(|| {
            let ranges = Arc::new(Ranges::new(3, 1));
            let mut owner = ranges.adopt();
            let thief = {
                let ranges = Arc::clone(&ranges);
                loom::thread::spawn(move || {
                    let mut got = Vec::new();
                    // Owns no range (the only one is adopted): steals single indices.
                    while let Some(k) = ranges.next(&mut None, false) {
                        got.push(k);
                    }
                    got
                })
            };
            let mut got = Vec::new();
            while let Some(k) = ranges.next(&mut owner, true) {
                got.push(k);
            }
            got.extend(thief.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2]);
        });
    }

    #[test]
    fn two_owners_steal_halves_and_claim_every_index_once() {
        loom::model(|| {
            // [0, 2) and [2, 5): whoever empties its range first steals half of the other's.
            let ranges = Arc::new(Ranges::new(5, 2));
            let other = {
                let ranges = Arc::clone(&ranges);
                loom::thread::spawn(move || {
                    let mut mine = None;
                    std::iter::from_fn(|| ranges.next(&mut mine, true)).collect::<Vec<u32>>()
                })
            };
            let mut mine = None;
            let mut got: Vec<u32> = std::iter::from_fn(|| ranges.next(&mut mine, true)).collect();
            got.extend(other.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2, 3, 4]);
        });
    }
}
