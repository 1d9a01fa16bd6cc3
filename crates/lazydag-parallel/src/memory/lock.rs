//! Per-key locking within a process: concurrent callers that miss the same key compute it
//! once; the others wait and then load what it stored.
//!
//! Protocol: a process-wide table maps an entry's path to a slot (`busy` flag and a condition
//! variable). A caller that missed takes the slot ([`acquire`]: waits while `busy`, then sets
//! it), looks the entry up again (another caller may have stored it meanwhile), and computes
//! only if it is still missing. Dropping the [`Held`] guard, also on unwinding from a
//! panicking function, clears `busy`, wakes one waiter, and removes the slot from the table
//! when no one else holds it (counted under the table's lock, so no caller can be between
//! taking the slot from the table and waiting on it). Hits never touch the table.
//!
//! A thread that holds a key never waits for another (nor for the same one again): it
//! computes without the lock ([`acquire`] gives it an unlocked [`Held`]). Such a thread is a
//! pool worker whose cached function waits for a nested compute (a `Parallel` map inside it)
//! and runs other tasks meanwhile (helping): one of them calling a key held by its own
//! thread, or by a thread that waits for a key this one holds, would wait forever. The cost
//! is at most a duplicate computation of that key.
//!
//! Invariants: different keys never wait for each other. A waiter whose computing caller
//! stored nothing (an `Err`, a panic, a failed write) finds the entry still missing and
//! computes it itself. The table is keyed by the path as spelled, so two `Memory` values on
//! one folder share slots when they name it alike. Across processes there is no lock: see
//! `entry` for what holds there (atomic renames; both may compute; the last write wins).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use lazydag_core::sync::std_locks::{lock, wait};

/// One key's slot.
#[derive(Default)]
struct Slot {
    busy: Mutex<bool>,
    free: Condvar,
}

/// The slots of the keys being computed in this process.
static SLOTS: Mutex<BTreeMap<PathBuf, Arc<Slot>>> = Mutex::new(BTreeMap::new());

thread_local! {
    /// How many keys this thread holds (a cached function's call nested in another's, on a
    /// helping worker).
    static HOLDING: Cell<usize> = const { Cell::new(0) };
}

/// The right to compute one key, held until dropped; `slot` is `None` for a thread that held
/// a key already (it computes without the lock).
pub(crate) struct Held {
    path: PathBuf,
    slot: Option<Arc<Slot>>,
}

/// Waits until no other thread of this process computes the key of `path`, then holds it;
/// returns at once, holding nothing, on a thread that holds a key already (module docs).
pub(crate) fn acquire(path: &Path) -> Held {
    if HOLDING.get() > 0 {
        return Held { path: path.to_path_buf(), slot: None };
    }
    let slot = Arc::clone(lock(&SLOTS).entry(path.to_path_buf()).or_default());
    let mut busy = lock(&slot.busy);
    while *busy {
        busy = wait(&slot.free, busy);
    }
    *busy = true;
    drop(busy);
    HOLDING.set(HOLDING.get() + 1);
    Held { path: path.to_path_buf(), slot: Some(slot) }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(slot) = &self.slot else { return };
        HOLDING.set(HOLDING.get() - 1);
        *lock(&slot.busy) = false;
        slot.free.notify_one();
        let mut slots = lock(&SLOTS);
        // The table's reference and this one: nobody else holds or waits for the slot.
        if Arc::strong_count(slot) == 2 {
            slots.remove(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_empties_when_the_last_holder_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.entry");
        let held = acquire(&path);
        assert!(lock(&SLOTS).contains_key(&path));
        drop(held);
        assert!(!lock(&SLOTS).contains_key(&path));
        drop(acquire(&path)); // and it can be taken again
    }

    #[test]
    fn a_thread_holding_a_key_never_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (k, other) = (dir.path().join("k.entry"), dir.path().join("o.entry"));
        let outer = acquire(&k);
        // The same key again, and another one: unlocked, at once (no wait on itself).
        let again = acquire(&k);
        assert!(again.slot.is_none());
        assert!(acquire(&other).slot.is_none());
        drop(again);
        drop(outer);
        // Held by nobody now: the next holder locks again.
        assert!(acquire(&k).slot.is_some());
    }
}
