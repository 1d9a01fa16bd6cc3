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
//! Invariants: different keys never wait for each other. A waiter whose computing caller
//! stored nothing (an `Err`, a panic, a failed write) finds the entry still missing and
//! computes it itself. The table is keyed by the path as spelled, so two `Memory` values on
//! one folder share slots when they name it alike. Across processes there is no lock: see
//! `entry` for what holds there (atomic renames; both may compute; the last write wins).

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

/// The right to compute one key, held until dropped.
pub(crate) struct Held {
    path: PathBuf,
    slot: Arc<Slot>,
}

/// Waits until no other thread of this process computes the key of `path`, then holds it.
pub(crate) fn acquire(path: &Path) -> Held {
    let slot = Arc::clone(lock(&SLOTS).entry(path.to_path_buf()).or_default());
    let mut busy = lock(&slot.busy);
    while *busy {
        busy = wait(&slot.free, busy);
    }
    *busy = true;
    drop(busy);
    Held { path: path.to_path_buf(), slot }
}

impl Drop for Held {
    fn drop(&mut self) {
        *lock(&self.slot.busy) = false;
        self.slot.free.notify_one();
        let mut slots = lock(&SLOTS);
        // The table's reference and this one: nobody else holds or waits for the slot.
        if Arc::strong_count(&self.slot) == 2 {
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
}
