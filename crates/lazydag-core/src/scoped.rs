//! A thread-local stack of scoped settings, the mechanism behind `config::set` and
//! `callback::register`: each live guard owns one entry, found by its id.
//!
//! Invariants: entries are kept oldest first, so the newest is last; removing an entry removes
//! exactly the one with its guard's id, so nested guards restore in LIFO order and a guard
//! dropped out of order disturbs no other. Ids are unique per stack (a `u64` never wraps).

use std::cell::{Cell, RefCell};

/// The live entries of one kind of scoped setting on one thread.
#[derive(Debug)]
pub(crate) struct Scoped<T> {
    next_id: Cell<u64>,
    entries: RefCell<Vec<(u64, T)>>,
}

impl<T> Scoped<T> {
    pub(crate) const fn new() -> Self {
        Scoped { next_id: Cell::new(0), entries: RefCell::new(Vec::new()) }
    }

    /// Adds an entry and returns the id its guard removes it by.
    pub(crate) fn push(&self, value: T) -> u64 {
        let id = self.next_id.replace(self.next_id.get() + 1);
        self.entries.borrow_mut().push((id, value));
        id
    }

    /// Removes the entry with this id, if it is still there.
    pub(crate) fn remove(&self, id: u64) {
        let mut entries = self.entries.borrow_mut();
        if let Some(i) = entries.iter().rposition(|(entry, _)| *entry == id) {
            entries.remove(i);
        }
    }

    /// Looks at the live entries' values, oldest first.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &T>) -> R) -> R {
        f(&mut self.entries.borrow().iter().map(|(_, value)| value))
    }
}
