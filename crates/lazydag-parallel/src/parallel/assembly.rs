//! Putting a collecting map's batches into one output `Vec`, in input order, while they run.
//!
//! The output has one holder at a time. A lane whose batch is next in order (every earlier
//! batch is already in the output) takes the output and writes its batch straight into it: no
//! copy. A lane whose batch is not next writes into a spare `Vec` and, when done, parks it
//! under its sequence number, unless the batch became next meanwhile and the output is free,
//! in which case it appends it itself. Whoever holds the output appends the parked batches
//! that have become next (one `memcpy` each) and recycles their `Vec`s as spares, so the
//! staging memory of a map is a few batches, reused while it is warm in cache.
//!
//! Invariants: the output holds batches `0..next`, in order, whenever it is not held; each
//! batch reaches the output exactly once; handing the output back and looking for a parked
//! next batch happen under one lock, so a batch is never left parked behind a free output.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::input::lock;

/// The ordered output of one map.
pub(crate) struct Assembly<O> {
    state: Mutex<State<O>>,
}

struct State<O> {
    /// The output, `None` while a lane holds it.
    out: Option<Vec<O>>,
    /// The first batch not yet in the output (exact whenever `out` is not held).
    next: u64,
    /// Finished batches waiting for an earlier one.
    parked: BTreeMap<u64, Vec<O>>,
    /// Empty `Vec`s to stage batches in.
    spare: Vec<Vec<O>>,
}

/// Where a lane writes a batch.
pub(crate) enum Claim<O> {
    /// The output itself: the batch is next in order.
    Front(Vec<O>),
    /// A staging `Vec`, appended to the output later.
    Staged(Vec<O>),
}

impl<O> Claim<O> {
    /// The `Vec` to append the batch's slots to.
    pub(crate) fn vec(&mut self) -> &mut Vec<O> {
        match self {
            Claim::Front(out) | Claim::Staged(out) => out,
        }
    }
}

impl<O> Assembly<O> {
    /// An empty output with room for `capacity` slots.
    pub(crate) fn new(capacity: usize) -> Self {
        let state = State {
            out: Some(Vec::with_capacity(capacity)),
            next: 0,
            parked: BTreeMap::new(),
            spare: Vec::new(),
        };
        Assembly { state: Mutex::new(state) }
    }

    /// Where batch `seq`, of `len` items, is to be written.
    pub(crate) fn claim(&self, seq: u64, len: usize) -> Claim<O> {
        let mut state = lock(&self.state);
        if state.next == seq
            && let Some(out) = state.out.take()
        {
            return Claim::Front(out);
        }
        let spare = state.spare.pop();
        drop(state);
        let mut staged = spare.unwrap_or_default();
        staged.reserve(len);
        Claim::Staged(staged)
    }

    /// The output itself, if batch `seq` is next in order and nobody holds it.
    pub(crate) fn front(&self, seq: u64) -> Option<Vec<O>> {
        let mut state = lock(&self.state);
        if state.next == seq { state.out.take() } else { None }
    }

    /// Gives back the output taken by [`front`](Assembly::front) for batch `seq`, which turned
    /// out not to exist (the input had ended).
    pub(crate) fn unclaim(&self, seq: u64, out: Vec<O>) {
        self.hand_back(out, seq);
    }

    /// Batch `seq` is written: it goes into the output (now or once the batches before it are
    /// in), with every parked batch that follows it.
    pub(crate) fn finish(&self, seq: u64, claim: Claim<O>) {
        match claim {
            Claim::Front(out) => self.hand_back(out, seq + 1),
            Claim::Staged(mut staged) => {
                let mut state = lock(&self.state);
                if state.next == seq
                    && let Some(mut out) = state.out.take()
                {
                    drop(state);
                    out.append(&mut staged);
                    lock(&self.state).spare.push(staged);
                    self.hand_back(out, seq + 1);
                } else {
                    state.parked.insert(seq, staged);
                }
            }
        }
    }

    /// Appends the parked batches from `next` on, then puts the output back.
    fn hand_back(&self, mut out: Vec<O>, mut next: u64) {
        loop {
            let mut state = lock(&self.state);
            let Some(mut batch) = state.parked.remove(&next) else {
                state.out = Some(out);
                state.next = next;
                return;
            };
            drop(state);
            out.append(&mut batch);
            next += 1;
            lock(&self.state).spare.push(batch);
        }
    }

    /// The output, once no lane holds it: every batch up to the first one not finished.
    pub(crate) fn take(&self) -> Vec<O> {
        let mut state = lock(&self.state);
        state.parked.clear();
        state.spare.clear();
        state.out.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes batch `seq` (two slots: `2 × seq`, `2 × seq + 1`) through a claim.
    fn write(assembly: &Assembly<u64>, seq: u64) -> Claim<u64> {
        let mut claim = assembly.claim(seq, 2);
        claim.vec().extend([2 * seq, 2 * seq + 1]);
        claim
    }

    #[test]
    fn the_next_batch_writes_in_place_and_later_ones_are_parked() {
        let assembly = Assembly::new(8);
        let zero = write(&assembly, 0);
        assert!(matches!(zero, Claim::Front(_)));
        let two = write(&assembly, 2);
        let one = write(&assembly, 1);
        assert!(matches!(two, Claim::Staged(_)) && matches!(one, Claim::Staged(_)));
        assembly.finish(2, two); // parked: 0 and 1 are not in yet
        assembly.finish(0, zero);
        assembly.finish(1, one); // appends 1, then the parked 2
        let three = write(&assembly, 3);
        assert!(matches!(three, Claim::Front(_)), "3 is next and the output is free");
        assembly.finish(3, three);
        assert_eq!(assembly.take(), (0..8).collect::<Vec<u64>>());
    }

    #[test]
    fn staged_vecs_are_recycled() {
        let assembly = Assembly::new(6);
        let zero = write(&assembly, 0);
        let one = write(&assembly, 1);
        assembly.finish(1, one);
        assembly.finish(0, zero);
        assert_eq!(lock(&assembly.state).spare.len(), 1);
        let mut two = assembly.claim(2, 2);
        assert!(matches!(two, Claim::Front(_)));
        two.vec().extend([4, 5]);
        assembly.finish(2, two);
        assert_eq!(assembly.take(), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn the_front_is_only_for_the_next_batch_and_can_be_given_back() {
        let assembly = Assembly::new(4);
        assert!(assembly.front(1).is_none(), "batch 0 is next");
        let mut out = assembly.front(0).unwrap();
        assert!(assembly.front(0).is_none(), "held");
        out.extend([0, 1]);
        assembly.finish(0, Claim::Front(out));
        let out = assembly.front(1).unwrap();
        assembly.unclaim(1, out); // batch 1 had no item: still next
        assert!(matches!(assembly.claim(1, 2), Claim::Front(_)));
    }
}
