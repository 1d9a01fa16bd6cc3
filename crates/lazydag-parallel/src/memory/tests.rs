//! `Memory` against what other writers leave or do between two of its steps, driven in
//! sequence (no threads, no timing): a dead writer's temporary file under the very name the
//! next write tries first (`temp`), and a good entry renamed over a bad one between the read
//! that judged it and its discard (`discard`).

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::entry::{self, Invalid, Timing};
use super::{Cached, Memory, temp};

/// A cached `x * 3` that counts its runs, in a fresh folder, and the entry path of `x = 7`.
#[allow(clippy::type_complexity, reason = "a test fixture")]
fn tripled() -> (tempfile::TempDir, Memory, Cached<impl Fn(u64) -> u64>, Arc<AtomicUsize>, PathBuf)
{
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let cached = memory.cache("tripled", move |x: u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        x * 3
    });
    let path = cached.entry_path(&7).unwrap();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    (dir, memory, cached, runs, path)
}

/// The entries' folder's file names, sorted.
fn names(path: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A timing for entries the tests write themselves.
fn timing() -> Timing {
    Timing { started: SystemTime::now(), duration: Duration::ZERO }
}

#[test]
fn a_stale_temporary_file_under_the_next_name_does_not_stop_the_store() {
    let (_dir, _memory, cached, runs, path) = tripled();
    let _forced = temp::tests::force_numbers(0);
    // What a killed writer that had this pid (and nonce) left: the exact name the next write
    // of this thread tries first.
    let stale = temp::path(&path, 0);
    fs::write(&stale, b"half an entry").unwrap();
    assert_eq!(cached.call(7).unwrap(), 21);
    assert!(cached.check_call_in_cache(&7).unwrap(), "stored under the next name, renamed");
    assert_eq!(cached.call(7).unwrap(), 21);
    assert_eq!(runs.load(Ordering::Relaxed), 1, "the second call is a hit");
    assert_eq!(fs::read(&stale).unwrap(), b"half an entry", "not ours: left for the sweeps");
}

#[test]
fn a_good_entry_renamed_over_a_corrupt_one_survives_its_discard() {
    let (_dir, memory, cached, runs, path) = tripled();
    fs::write(&path, b"not an entry").unwrap();
    // A reader judges the file corrupt…
    let Err(Invalid::Corrupt(why, seen)) = entry::read(&path, false) else {
        panic!("the garbage reads as corrupt")
    };
    // …a writer renames a good entry over it…
    entry::write(&path, &21u64, timing()).unwrap();
    // …and the reader discards what it judged.
    memory.discard(&path, why, &seen);
    assert_eq!(cached.call(7).unwrap(), 21);
    assert_eq!(runs.load(Ordering::Relaxed), 0, "the good entry stayed: a hit");
    assert_eq!(names(&path).len(), 1, "no temporary file left: {:?}", names(&path));
}

#[test]
fn a_rejected_entry_replaced_by_one_of_the_same_size_survives_its_discard() {
    let (_dir, memory, cached, runs, path) = tripled();
    let long_ago = Timing { started: SystemTime::UNIX_EPOCH, duration: Duration::ZERO };
    entry::write(&path, &21u64, long_ago).unwrap();
    // A reader whose validation callback rejects the old entry (it has expired)…
    let found = memory.read(&path, true).expect("a valid entry");
    assert_eq!(found.info.started, SystemTime::UNIX_EPOCH);
    // …a writer stores a fresh one, of the same length…
    let fresh = timing();
    entry::write(&path, &21u64, fresh).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), found.info.bytes);
    // …and the reader discards the one it rejected: the fresh one stays.
    memory.discard(&path, "rejected by the validation callback", &found.seen);
    let kept = memory.read(&path, false).expect("the fresh entry stayed");
    assert_eq!(kept.info.started, fresh.started);
    assert_eq!(cached.call(7).unwrap(), 21);
    assert_eq!(runs.load(Ordering::Relaxed), 0);
}

#[test]
fn a_corrupt_entry_nobody_replaced_is_removed() {
    let (_dir, memory, cached, runs, path) = tripled();
    fs::write(&path, b"not an entry").unwrap();
    assert!(memory.read(&path, false).is_none(), "corrupt: a miss, and discarded");
    assert!(names(&path).is_empty(), "removed, no temporary file left: {:?}", names(&path));
    assert_eq!(cached.call(7).unwrap(), 21);
    assert_eq!(runs.load(Ordering::Relaxed), 1);
}
