//! `Memory` under a hostile file system: a read-only cache serves hits, temporary files left
//! by killed writers count toward the size, and an entry copied under another key's name is
//! not returned for that key.

use std::fs;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag_parallel::Memory;

/// A cached function that counts its runs.
fn counted() -> (Arc<AtomicUsize>, impl Fn(u64) -> String + Clone) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    (runs, move |x: u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        format!("value {x}")
    })
}

#[test]
fn an_entry_copied_under_another_key_is_recomputed_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted();
    let cached = memory.cache("f", f);
    assert_eq!(cached.call(1).unwrap(), "value 1");
    fs::copy(cached.entry_path(&1u64).unwrap(), cached.entry_path(&2u64).unwrap()).unwrap();
    assert_eq!(cached.call(2).unwrap(), "value 2", "the copy is not key 2's value");
    assert_eq!(runs.load(Ordering::Relaxed), 2);
    assert_eq!(cached.call(2).unwrap(), "value 2");
    assert_eq!(runs.load(Ordering::Relaxed), 2, "the recomputed entry is a hit");
}

#[test]
fn orphan_temp_files_count_toward_size() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (_, f) = counted();
    let cached = memory.cache("f", f);
    cached.call(1).unwrap();
    let entries = memory.size().unwrap();
    let entry = cached.entry_path(&1u64).unwrap();
    // What a writer killed mid-write leaves: a hidden temporary file next to the entry.
    let orphan = entry.with_file_name(".orphan.entry.1.0.tmp");
    fs::write(&orphan, vec![0u8; 1000]).unwrap();
    assert_eq!(memory.size().unwrap(), entries + 1000);
    memory.clear().unwrap();
    assert_eq!(memory.size().unwrap(), 0);
    assert!(!orphan.exists());
}

/// Runs `program args`, true on success.
fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).status().is_ok_and(|s| s.success())
}

#[test]
fn a_read_only_cache_serves_hits() {
    // A read-only file system needs a mount, so root; elsewhere this says so and passes.
    if !Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n")) {
        eprintln!("skipped: mounting a read-only file system needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().to_str().unwrap().to_owned();
    if !run("mount", &["-t", "tmpfs", "-o", "size=4m", "tmpfs", &mount]) {
        eprintln!("skipped: cannot mount a tmpfs here (no CAP_SYS_ADMIN?)");
        return;
    }
    struct Unmount(String);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let (runs, f) = counted();
    let cached = Memory::new(dir.path()).cache("f", f.clone());
    assert_eq!(cached.call(3).unwrap(), "value 3");
    assert!(run("mount", &["-o", "remount,ro", &mount]), "cannot remount read-only");
    let again = Memory::new(dir.path()).cache("f", f);
    assert_eq!(again.call(3).unwrap(), "value 3");
    assert_eq!(runs.load(Ordering::Relaxed), 1, "the read-only cache served the hit");
    assert_eq!(again.call(4).unwrap(), "value 4", "a miss is computed (and not stored)");
}
