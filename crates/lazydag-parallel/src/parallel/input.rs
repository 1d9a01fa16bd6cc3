//! The input of a map: one iterator, shared by everything that takes batches from it.
//!
//! A batch is taken either by [`Source::pull`] (its items are moved into a buffer) or in place
//! ([`Source::lend`], then [`Source::commit`]: the caller runs the items straight from the
//! iterator while it holds the lock, and then says how many it took).
//!
//! Invariants: a batch's items, its sequence number and the index of its first item are taken
//! under one lock, so batches are numbered in input order and their items are contiguous; a
//! panic of the iterator is caught where a batch is taken, the items it produced before are
//! kept, and the iterator is not asked again.

use std::iter::Fuse;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::panic_message;

/// Locks a mutex whose data stays consistent even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The input and the numbering of batches.
pub(crate) struct Source<I> {
    iter: Fuse<I>,
    next_index: usize,
    next_seq: u64,
    /// The iterator panicked.
    broken: bool,
}

/// Where a batch taken from the input sits in it.
#[derive(Debug)]
pub(crate) struct Pulled {
    /// The batch's sequence number (0, 1, 2, … in input order).
    pub(crate) seq: u64,
    /// The index of the batch's first item.
    pub(crate) base: usize,
    /// How many items the batch has.
    pub(crate) len: usize,
    /// The panic message, if the input iterator panicked after these items.
    pub(crate) broken: Option<String>,
}

impl<I: Iterator> Source<I> {
    pub(crate) fn new(iter: I) -> Self {
        Source { iter: iter.fuse(), next_index: 0, next_seq: 0, broken: false }
    }

    /// The number of items left, when the iterator knows it exactly (ranges, `Vec`s).
    pub(crate) fn remaining(&self) -> Option<usize> {
        let (low, high) = self.iter.size_hint();
        (high == Some(low)).then_some(low)
    }

    /// How many batches were taken so far.
    pub(crate) fn batches(&self) -> u64 {
        self.next_seq
    }

    /// The index of the next item.
    pub(crate) fn taken(&self) -> usize {
        self.next_index
    }

    /// The iterator, to take the next batch in place (`None` after it panicked); then
    /// [`commit`](Source::commit) says how many items were taken.
    pub(crate) fn lend(&mut self) -> Option<&mut Fuse<I>> {
        (!self.broken).then_some(&mut self.iter)
    }

    /// Records the batch taken in place: `len` items, then a panic of the iterator if `broken`.
    /// A batch with no item and no panic is no batch (the input has ended).
    pub(crate) fn commit(&mut self, len: usize, broken: bool) {
        if len > 0 || broken {
            self.next_seq += 1;
            self.next_index += len;
            self.broken = broken;
        }
    }

    /// Appends the next batch, at most `n` items, to `items`; `None` at the end of the input
    /// (or after it panicked). A panic of the iterator is caught: the items it produced before
    /// are kept and the panic comes back in [`Pulled::broken`].
    pub(crate) fn pull(&mut self, n: usize, items: &mut Vec<I::Item>) -> Option<Pulled> {
        if self.broken {
            return None;
        }
        let before = items.len();
        let pulled = catch_unwind(AssertUnwindSafe(|| items.extend(self.iter.by_ref().take(n))));
        let broken = pulled.err().map(|payload| panic_message(&*payload));
        let len = items.len() - before;
        if len == 0 && broken.is_none() {
            return None;
        }
        let pulled = Pulled { seq: self.next_seq, base: self.next_index, len, broken };
        self.next_seq += 1;
        self.next_index += len;
        // A panicked iterator is not asked again; batches already taken still finish.
        self.broken = pulled.broken.is_some();
        Some(pulled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_numbered_in_order() {
        let mut source = Source::new(0..7u8);
        let mut items = Vec::new();
        let a = source.pull(3, &mut items).unwrap();
        assert_eq!((a.seq, a.base, a.len), (0, 0, 3));
        assert_eq!(source.remaining(), Some(4));
        items.clear();
        let b = source.pull(5, &mut items).unwrap();
        assert_eq!((b.seq, b.base, b.len, &items[..]), (1, 3, 4, &[3, 4, 5, 6][..]));
        assert!(source.pull(5, &mut items).is_none());
    }

    #[test]
    fn a_panicking_iterator_keeps_what_it_produced() {
        let input = (0..10u8).map(|i| if i == 4 { panic!("four") } else { i });
        let mut source = Source::new(input);
        let mut items = Vec::new();
        let a = source.pull(3, &mut items).unwrap();
        assert!(a.broken.is_none());
        items.clear();
        let b = source.pull(3, &mut items).unwrap();
        assert_eq!((b.base, b.len, b.broken.as_deref()), (3, 1, Some("four")));
        assert_eq!(items, vec![3]);
        assert!(source.pull(3, &mut items).is_none(), "not asked again");
    }

    #[test]
    fn batches_taken_in_place_are_numbered_too() {
        let mut source = Source::new(0..10u8);
        let took: Vec<u8> = source.lend().unwrap().take(4).collect();
        source.commit(took.len(), false);
        assert_eq!((source.batches(), source.taken()), (1, 4));
        let mut items = Vec::new();
        let b = source.pull(3, &mut items).unwrap();
        assert_eq!((b.seq, b.base, items), (1, 4, vec![4, 5, 6]));
        source.commit(0, false); // an empty batch is no batch
        assert_eq!(source.batches(), 2);
        source.commit(1, true);
        assert!(source.lend().is_none() && source.pull(3, &mut Vec::new()).is_none());
    }
}
