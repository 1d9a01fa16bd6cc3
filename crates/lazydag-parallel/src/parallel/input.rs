//! The input of a map: one iterator, shared by everything that takes batches from it.
//!
//! A batch is taken either by [`Source::pull`] (its items are moved into a buffer) or in place
//! ([`Source::lend`], then [`Source::commit`]: the caller runs the items straight from the
//! iterator while it holds the lock, and then says how many it took).
//!
//! Invariants: a batch's items, its sequence number and the index of its first item are taken
//! under one lock, so batches are numbered in input order and their items are contiguous; a
//! panic of the iterator is caught where a batch is taken, the items it produced before are
//! kept, and the iterator is not asked again; nor is it after it returned `None` (the source
//! remembers that itself rather than wrapping the iterator in `Fuse`, one adapter fewer in the
//! loop that runs items in place, so that it still vectorizes).

use lazydag_core::panic;
/// Locks a mutex whose data stays consistent even if a holder panicked (the core's rule).
pub(crate) use lazydag_core::sync::std_locks::lock;

/// The input and the numbering of batches.
pub(crate) struct Source<I> {
    iter: I,
    next_index: usize,
    next_seq: u64,
    /// The iterator returned `None`, or panicked.
    done: bool,
    /// The iterator panicked.
    broken: bool,
}

/// How a batch taken in place left the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// The input may have more items.
    More,
    /// The input returned `None`.
    Ended,
    /// The input panicked.
    Broken,
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
        Source { iter, next_index: 0, next_seq: 0, done: false, broken: false }
    }

    /// The number of items left, when the iterator knows it exactly (ranges, `Vec`s).
    pub(crate) fn remaining(&self) -> Option<usize> {
        if self.done {
            return Some(0);
        }
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

    /// The iterator, to take the next batch in place (`None` once it ended or panicked); then
    /// [`commit`](Source::commit) says how many items were taken and how.
    pub(crate) fn lend(&mut self) -> Option<&mut I> {
        (!self.done).then_some(&mut self.iter)
    }

    /// Records the batch taken in place: `len` items, and how the input was `left`. A batch
    /// with no item and no panic is no batch.
    pub(crate) fn commit(&mut self, len: usize, left: Left) {
        if len > 0 || left == Left::Broken {
            self.next_seq += 1;
            self.next_index += len;
        }
        self.done = left != Left::More;
        self.broken = left == Left::Broken;
    }

    /// Appends the next batch, at most `n` items, to `items`; `None` at the end of the input
    /// (or after it panicked). A panic of the iterator is caught: the items it produced before
    /// are kept and the panic comes back in [`Pulled::broken`].
    pub(crate) fn pull(&mut self, n: usize, items: &mut Vec<I::Item>) -> Option<Pulled> {
        let iter = self.lend()?;
        let before = items.len();
        let pulled = panic::catch(|| items.extend(iter.by_ref().take(n)));
        let broken = pulled.err().map(|payload| panic::message(&*payload));
        let len = items.len() - before;
        let left = match broken {
            Some(_) => Left::Broken,
            None if len < n => Left::Ended,
            None => Left::More,
        };
        let pulled = Pulled { seq: self.next_seq, base: self.next_index, len, broken };
        // A panicked iterator is not asked again; batches already taken still finish.
        self.commit(len, left);
        (len > 0 || pulled.broken.is_some()).then_some(pulled)
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
        source.commit(took.len(), Left::More);
        assert_eq!((source.batches(), source.taken()), (1, 4));
        let mut items = Vec::new();
        let b = source.pull(3, &mut items).unwrap();
        assert_eq!((b.seq, b.base, items), (1, 4, vec![4, 5, 6]));
        source.commit(0, Left::More); // an empty batch is no batch
        assert_eq!(source.batches(), 2);
        source.commit(1, Left::Broken);
        assert!(source.lend().is_none() && source.pull(3, &mut Vec::new()).is_none());
    }

    #[test]
    fn an_ended_iterator_is_not_asked_again() {
        let mut calls = 0;
        let input = std::iter::from_fn(move || {
            calls += 1;
            assert!(calls <= 3, "asked after it ended");
            (calls <= 2).then_some(calls)
        });
        let mut source = Source::new(input);
        let mut items = Vec::new();
        assert_eq!(source.pull(5, &mut items).unwrap().len, 2);
        assert_eq!(source.remaining(), Some(0));
        assert!(source.pull(5, &mut items).is_none() && source.lend().is_none());
    }
}
