//! Temporary files next to an entry: their names and their exclusive creation.
//!
//! A write streams into a temporary file and renames it over the entry (`entry`); a discard
//! renames the entry aside to one first (`discard`). The name is
//! `.<entry's name>.<pid>-<nonce>.<n>.tmp`: hidden, so no reader looks at it, and ending in
//! [`TEMP_SUFFIX`], so sweeps (`evict`) know it. `<pid>` tells the writer apart from the
//! other processes alive now, `<n>` (a counter) from its other writes, and `<nonce>`, 64 bits
//! drawn once per process start, from the *dead* processes that had the same pid: a process
//! killed mid-write leaves its temporary file until a sweep removes it, and a later process
//! given the same pid (pids are reused, and containers sharing a folder each count their own
//! from 1) would otherwise pick that very name.
//!
//! Invariants: a write creates its file exclusively ([`create`], `O_CREAT | O_EXCL`), so it
//! never writes into another writer's file; if the name is taken anyway (by a stale file of
//! an earlier process whose pid and nonce matched, however unlikely) it takes the next
//! number, up to [`ATTEMPTS`] names, so a stale temporary file never stops an entry from
//! being stored.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// The suffix of temporary files.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// How many names [`create`] tries before it gives up.
pub(crate) const ATTEMPTS: usize = 16;

/// This process's nonce: random (std's `RandomState` is seeded by the operating system),
/// mixed with the pid and the clock for good measure. A forked child keeps it, but has a pid
/// of its own.
static NONCE: LazyLock<u64> = LazyLock::new(|| {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    hasher.write_u128(since.as_nanos());
    hasher.finish()
});

/// The next number for a temporary name: unique within this process.
pub(crate) fn number() -> u64 {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    #[cfg(test)]
    if let Some(forced) = tests::forced() {
        return forced;
    }
    WRITES.fetch_add(1, Ordering::Relaxed)
}

/// The temporary name number `n` of this process next to the entry `entry`.
pub(crate) fn path(entry: &Path, n: u64) -> PathBuf {
    let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (pid, nonce) = (std::process::id(), *NONCE);
    entry.with_file_name(format!(".{name}.{pid}-{nonce:016x}.{n}{TEMP_SUFFIX}"))
}

/// Creates a new temporary file next to `entry`, exclusively, and returns its name and the
/// file. A name that is taken is skipped for the next [`number`].
///
/// # Errors
/// The first error other than "already exists", or that one after [`ATTEMPTS`] taken names.
pub(crate) fn create(entry: &Path) -> io::Result<(PathBuf, File)> {
    let mut attempt = 0;
    loop {
        let temp = path(entry, number());
        match File::create_new(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < ATTEMPTS => {
                tracing::debug!(path = %temp.display(), "memory temporary name taken");
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// The numbers [`number`] hands out on this thread instead of the counter's.
        static FORCED: Cell<Option<u64>> = const { Cell::new(None) };
    }

    /// The forced number for this thread, if any (and the next one is forced after it).
    pub(super) fn forced() -> Option<u64> {
        FORCED.with(|cell| {
            let n = cell.get()?;
            cell.set(Some(n + 1));
            Some(n)
        })
    }

    /// Forced numbers on this thread, until dropped ([`force_numbers`]).
    #[must_use = "the numbers are forced only until this guard drops"]
    pub(crate) struct Forced;

    impl Drop for Forced {
        fn drop(&mut self) {
            FORCED.with(|cell| cell.set(None));
        }
    }

    /// Makes [`number`] hand out `from`, `from + 1`, … on this thread until the guard drops,
    /// so that a test knows the name the next write will try first.
    pub(crate) fn force_numbers(from: u64) -> Forced {
        FORCED.with(|cell| cell.set(Some(from)));
        Forced
    }

    #[test]
    fn names_are_hidden_distinct_and_carry_the_pid() {
        let entry = Path::new("/cache/f/abc.entry");
        let (a, b) = (path(entry, 1), path(entry, 2));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".abc.entry.") && name.ends_with(".1.tmp"), "{name}");
        assert!(name.contains(&format!(".{}-", std::process::id())), "{name}");
        assert_eq!(a.parent(), entry.parent());
    }

    #[test]
    fn taken_names_are_skipped_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("k.entry");
        let _forced = force_numbers(0);
        // A dead writer's leftovers under the first three names.
        for n in 0..3 {
            std::fs::write(path(&entry, n), b"stale").unwrap();
        }
        let (temp, _) = create(&entry).unwrap();
        assert_eq!(temp, path(&entry, 3));
        // Every name taken: the error, not an endless loop.
        let _forced = force_numbers(100);
        for n in 100..100 + ATTEMPTS as u64 {
            std::fs::write(path(&entry, n), b"stale").unwrap();
        }
        let err = create(&entry).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    }
}
