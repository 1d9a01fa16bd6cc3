//! A process killed while writing an entry leaves nothing that reads as valid; several
//! processes share one cache folder.
//!
//! The tests re-run this test binary as a child process (selected with `--exact` and an
//! environment variable naming the cache folder), the way `cargo test` runs it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lazydag_parallel::Memory;
use serde::{Deserialize, Serialize, Serializer};

const WRITER_DIR: &str = "LAZYDAG_PARALLEL_TEST_SLOW_WRITER";
const HAMMER_DIR: &str = "LAZYDAG_PARALLEL_TEST_HAMMER";

/// A large value that serializes slowly: about 1 ms per 1,000 numbers.
#[derive(Deserialize, Debug, PartialEq)]
struct Slow(Vec<u64>);

impl Serialize for Slow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (i, x) in self.0.iter().enumerate() {
            if i.is_multiple_of(1000) {
                std::thread::sleep(Duration::from_millis(1));
            }
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}

/// When set, [`slow`]'s function returns a one-number value (same function, same key).
static SMALL: AtomicBool = AtomicBool::new(false);

/// The cached function both sides use: one closure type, so one identity in every process.
fn slow(
    memory: &Memory,
    runs: &'static AtomicUsize,
) -> lazydag_parallel::Cached<impl Fn(u64) -> Slow + 'static> {
    memory.cache("slow", move |n: u64| {
        runs.fetch_add(1, Ordering::Relaxed);
        if SMALL.load(Ordering::Relaxed) { Slow(vec![n]) } else { Slow((0..n).collect()) }
    })
}

/// Runs this binary's test `name` as a child process with `var` set to `dir`.
fn child(name: &str, var: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env(var, dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// The child side: writes a huge entry slowly (takes seconds).
#[test]
fn child_slow_writer() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else { return };
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    slow(&Memory::new(dir), &RUNS).call(2_000_000).unwrap();
}

/// Every file under `dir`, recursively (two levels: function folders, then files).
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for folder in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(folder.path()).into_iter().flatten().flatten() {
            let len = file.metadata().map_or(0, |m| m.len());
            out.push((file.file_name().to_string_lossy().into_owned(), len));
        }
    }
    out
}

#[test]
fn a_writer_killed_mid_write_leaves_no_valid_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = child("child_slow_writer", WRITER_DIR, dir.path());
    let start = Instant::now();
    loop {
        // Wait until the child has streamed part of the value into its temporary file.
        if files(dir.path()).iter().any(|(name, len)| name.ends_with(".tmp") && *len > 100_000) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the child never started writing");
        assert!(writer.try_wait().unwrap().is_none(), "the child finished before it was killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    writer.kill().unwrap();
    writer.wait().unwrap();
    let left = files(dir.path());
    assert!(left.iter().all(|(name, _)| !name.ends_with(".entry")), "{left:?}");

    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let memory = Memory::new(dir.path());
    let cached = slow(&memory, &RUNS);
    assert!(!cached.entry_path(&2_000_000u64).unwrap().exists());
    // The same key is a miss: computed (with a small value, to keep the test short).
    SMALL.store(true, Ordering::Relaxed);
    assert_eq!(cached.call(2_000_000).unwrap(), Slow(vec![2_000_000]));
    assert_eq!(cached.call(2_000_000).unwrap(), Slow(vec![2_000_000]));
    assert_eq!(RUNS.load(Ordering::Relaxed), 1);
    memory.clear().unwrap();
    assert!(files(dir.path()).is_empty(), "clear sweeps the dead writer's temporary file");
}

/// The function the multi-process test caches (a `fn` item: one identity in every process).
fn hammer(x: u64) -> Vec<u64> {
    vec![x; 100]
}

/// The child side of the multi-process test: many calls on overlapping keys.
#[test]
fn child_hammer() {
    let Some(dir) = std::env::var_os(HAMMER_DIR) else { return };
    let cached = Memory::new(dir).size_limit(1 << 20).cache("hammer", hammer);
    for i in 0..200u64 {
        let x = (i * 13 + u64::from(std::process::id())) % 30;
        assert_eq!(cached.call(x).unwrap(), vec![x; 100]);
    }
}

#[test]
fn processes_share_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..3).map(|_| child("child_hammer", HAMMER_DIR, dir.path())).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let check = Memory::new(dir.path()).cache("hammer", hammer);
    let mut found = 0;
    for x in 0..30u64 {
        if check.entry_path(&x).unwrap().exists() {
            assert!(check.check_call_in_cache(&x).unwrap(), "entry {x} should be a valid hit");
            assert_eq!(check.call(x).unwrap(), vec![x; 100]);
            found += 1;
        }
    }
    assert!(found > 0, "the children stored entries this process can read");
    assert!(files(dir.path()).iter().all(|(name, _)| name.ends_with(".entry")));
}
