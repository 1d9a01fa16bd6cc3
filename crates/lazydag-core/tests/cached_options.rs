//! The graph-aware cache keeps an `Option`'s nesting: a cached `Some(())` or `Some(None)`
//! loaded from its store on a hit is itself, not `None` (the encoding of cached values tags
//! every `Option`; MessagePack, the one before, wrote `None`, `Some(None)` and `Some(())` as
//! one nil byte).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lazydag_core::{ContentKey, TaskStore, delayed};

/// An in-memory store.
#[derive(Clone, Default)]
struct InMemory(Arc<Mutex<HashMap<ContentKey, Vec<u8>>>>);

impl TaskStore for InMemory {
    fn load(&self, key: &ContentKey, _task: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap().get(key).cloned()
    }

    fn store(&self, key: &ContentKey, _task: &str, bytes: &[u8]) -> Result<(), String> {
        self.0.lock().unwrap().insert(*key, bytes.to_vec());
        Ok(())
    }
}

static UNITS: AtomicUsize = AtomicUsize::new(0);
static NESTED: AtomicUsize = AtomicUsize::new(0);

fn some_unit() -> Option<()> {
    UNITS.fetch_add(1, Ordering::SeqCst);
    Some(())
}

fn some_none() -> Option<Option<u8>> {
    NESTED.fetch_add(1, Ordering::SeqCst);
    Some(None)
}

#[test]
fn a_cached_some_unit_reads_back_as_itself() {
    let store = InMemory::default();
    assert_eq!(delayed!(some_unit()).pure().cache(&store).compute().unwrap(), Some(()));
    assert_eq!(store.0.lock().unwrap().len(), 1);
    // A new graph: a hit, loaded while planning.
    assert_eq!(delayed!(some_unit()).pure().cache(&store).compute().unwrap(), Some(()));
    assert_eq!(UNITS.load(Ordering::SeqCst), 1, "the second compute was not a hit");
}

#[test]
fn a_cached_some_none_reads_back_as_itself() {
    let store = InMemory::default();
    assert_eq!(delayed!(some_none()).pure().cache(&store).compute().unwrap(), Some(None));
    assert_eq!(delayed!(some_none()).pure().cache(&store).compute().unwrap(), Some(None));
    assert_eq!(NESTED.load(Ordering::SeqCst), 1, "the second compute was not a hit");
}

static NAMES: AtomicUsize = AtomicUsize::new(0);

fn name() -> String {
    NAMES.fetch_add(1, Ordering::SeqCst);
    "lazydag".to_owned()
}

/// A store without checksums that returns corrupt bytes, here a string's length prefix
/// claiming 2^40 bytes: a miss (the task runs again and its value is stored over the bad
/// entry), not an abort on a terabyte allocation, which bincode's plain decode attempted.
#[test]
fn a_corrupt_length_prefix_is_a_miss_not_an_abort() {
    let store = InMemory::default();
    assert_eq!(delayed!(name()).pure().cache(&store).compute().unwrap(), "lazydag");
    let mut corrupt = vec![0xFD];
    corrupt.extend_from_slice(&(1_u64 << 40).to_le_bytes());
    corrupt.extend_from_slice(b"lazydag");
    for bytes in store.0.lock().unwrap().values_mut() {
        bytes.clone_from(&corrupt);
    }
    assert_eq!(delayed!(name()).pure().cache(&store).compute().unwrap(), "lazydag");
    assert_eq!(NAMES.load(Ordering::SeqCst), 2, "the corrupt entry was a miss");
    assert_eq!(delayed!(name()).pure().cache(&store).compute().unwrap(), "lazydag");
    assert_eq!(NAMES.load(Ordering::SeqCst), 2, "the entry was stored again");
}

/// A recursive value, as a user's list or tree type is.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
enum Chain {
    End,
    Link(Box<Chain>),
}

/// 1 MiB of corrupt bytes, each a `Link` tag, nests a million levels deep: bincode recurses
/// once per level, which overflowed the stack and aborted the process; the codec grows the
/// stack instead, and the bytes (which never end the chain) are an error.
#[test]
fn corrupt_bytes_nesting_a_million_levels_are_an_error_not_a_stack_overflow() {
    let bytes = vec![1_u8; 1 << 20];
    assert!(lazydag_core::codec::decode::<Chain>(&bytes).is_err());
    let shallow = lazydag_core::codec::encode(&Chain::Link(Box::new(Chain::End))).unwrap();
    assert!(matches!(lazydag_core::codec::decode::<Chain>(&shallow), Ok(Chain::Link(_))));
}
