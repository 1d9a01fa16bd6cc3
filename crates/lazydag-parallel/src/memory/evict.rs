//! Sweeping the cache folder: its size, trimming it to [`Limits`] (least recently used first),
//! and `clear`.
//!
//! The folder holds one sub-folder per cached function (and `tasks/` for graph tasks, see
//! `store`), each holding `<key>.entry` files and,
//! while writes are in flight (or after a writer was killed), hidden `.<key>.entry.*.tmp`
//! files. Only files with those suffixes are ever removed, so pointing a [`Memory`] at a folder
//! that holds other files deletes none of them.
//!
//! Invariants: "recently used" is the file's modification time, set when the entry is written
//! and again on a hit (unless it was set less than a second before: `entry::TOUCH_EVERY`). Trimming first removes entries unused for the age limit or longer,
//! then the oldest until at most the item limit remain, then the oldest until the total size
//! (entries and the temporary files still there) is within the byte limit; the survivors are
//! always the most recently used. Temporary files older than [`STALE`] belong to dead writers
//! and are removed. All
//! of this races benignly with other threads and processes: a file removed under a reader is a
//! miss (recomputed), an entry that a writer renamed into place (or a hit touched) since the
//! listing is kept, not evicted in the listed one's stead (`discard`), and a failure to
//! remove a file is logged, not returned.
//!
//! [`Memory`]: super::Memory

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::discard::{self, Discarded, Fingerprint};
use super::entry::ENTRY_SUFFIX;
use super::info::Limits;
use super::temp::TEMP_SUFFIX;

/// How old a temporary file must be before a sweep takes its writer for dead.
pub(crate) const STALE: Duration = Duration::from_secs(600);

/// One file of the cache.
struct File {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
    temp: bool,
    /// Which file it was when listed: eviction removes that one only.
    fingerprint: Fingerprint,
}

/// Every entry and temporary file under `dir` (a missing folder has none).
fn files(dir: &Path) -> io::Result<Vec<File>> {
    let mut out = Vec::new();
    let functions = match fs::read_dir(dir) {
        Ok(functions) => functions,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(err) => return Err(err),
    };
    for function in functions {
        let function = function?;
        if !function.file_type()?.is_dir() {
            continue;
        }
        let Ok(entries) = fs::read_dir(function.path()) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let temp = name.ends_with(TEMP_SUFFIX);
            if !temp && !name.ends_with(ENTRY_SUFFIX) {
                continue;
            }
            // A file removed since the listing is simply skipped.
            let Ok(meta) = entry.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let fingerprint = Fingerprint::of(&meta);
            out.push(File { path: entry.path(), len: meta.len(), modified, temp, fingerprint });
        }
    }
    Ok(out)
}

/// Removes a file, logging (not returning) a failure other than "already gone".
fn remove(path: &Path) -> bool {
    match fs::remove_file(path) {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::NotFound => false,
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "cannot remove cache file");
            false
        }
    }
}

/// The total size of the entries and temporary files under `dir`, in bytes: a temporary file
/// left by a killed writer takes disk space like an entry until a sweep removes it.
pub(crate) fn size(dir: &Path) -> io::Result<u64> {
    Ok(files(dir)?.iter().map(|f| f.len).sum())
}

/// Removes stale temporary files, then entries until `limits` hold (least recently used
/// first). Returns how many entries were removed.
pub(crate) fn reduce(dir: &Path, limits: &Limits) -> io::Result<usize> {
    Ok(trim(files(dir)?, limits))
}

/// [`reduce`] on the files listed (by [`files`]): what other writers did since the listing
/// is the discard's to see (see `discard`).
fn trim(listed: Vec<File>, limits: &Limits) -> usize {
    let now = SystemTime::now();
    let (temps, mut entries): (Vec<_>, Vec<_>) = listed.into_iter().partition(|f| f.temp);
    // Temporary files count toward the byte limit: stale ones (dead writers) are removed, the
    // others (writes in flight) stay and leave that much less room for entries.
    let mut total: u64 = 0;
    for temp in temps {
        if now.duration_since(temp.modified).unwrap_or_default() > STALE && remove(&temp.path) {
            continue;
        }
        total += temp.len;
    }
    total += entries.iter().map(|f| f.len).sum::<u64>();
    // Oldest first; ties (coarse file-system clocks) in path order, so runs agree.
    entries.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.path.cmp(&b.path)));
    let mut left = entries.len();
    let mut removed = 0;
    for entry in entries {
        let unused = now.duration_since(entry.modified).unwrap_or_default();
        let too_old = limits.age_limit().is_some_and(|age| unused >= age);
        let too_many = limits.items_limit().is_some_and(|items| left > items);
        let too_big = limits.bytes_limit().is_some_and(|bytes| total > bytes);
        if !(too_old || too_many || too_big) {
            // Sorted oldest first: every later entry is younger, and nothing else changes.
            break;
        }
        // Only the file listed: one renamed over it since (a new write) or touched (a hit)
        // is the most recently used, so it stays.
        match discard::discard(&entry.path, &entry.fingerprint) {
            Ok(Discarded::Removed) => {
                tracing::debug!(path = %entry.path.display(), bytes = entry.len, "memory evict");
                removed += 1;
            }
            Ok(Discarded::Gone) => {}
            // Still there, now the most recently used: it counts against the limits, which
            // the younger entries after it may still have to meet.
            Ok(Discarded::Kept) => continue,
            Err(err) => {
                // Not counted again: one file that cannot be removed must not make the sweep
                // remove every younger entry to meet a limit it cannot meet.
                let path = entry.path.display();
                tracing::warn!(path = %path, error = %err, "cannot remove cache file");
            }
        }
        left -= 1;
        total -= entry.len;
    }
    removed
}

/// Removes every entry and temporary file under `dir`, and the function folders left empty.
pub(crate) fn clear(dir: &Path) -> io::Result<()> {
    let files = files(dir)?;
    let mut folders: Vec<PathBuf> =
        files.iter().filter_map(|f| f.path.parent().map(Path::to_path_buf)).collect();
    for file in &files {
        remove(&file.path);
    }
    folders.sort();
    folders.dedup();
    for folder in folders {
        // Not empty (a concurrent write, or a user's file) is fine: the folder stays.
        let _ = fs::remove_dir(folder);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries `a` (older) and `b` are listed; then `a` is written again (a new file renamed
    /// over it) before the sweep's discard. With room for one entry, the new `a` (the most
    /// recently used) stays and `b` goes: the kept `a` still counts against the limit.
    #[test]
    fn an_entry_written_again_since_the_listing_counts_and_the_next_one_goes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("f");
        fs::create_dir_all(&folder).unwrap();
        let (a, b) =
            (folder.join(format!("a{ENTRY_SUFFIX}")), folder.join(format!("b{ENTRY_SUFFIX}")));
        fs::write(&a, b"old a").unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options().write(true).open(&a).unwrap().set_modified(old).unwrap();
        fs::write(&b, b"b").unwrap();
        let listed = files(dir.path()).unwrap();
        let fresh = folder.join("fresh");
        fs::write(&fresh, b"new a").unwrap();
        fs::rename(&fresh, &a).unwrap();
        assert_eq!(trim(listed, &Limits::default().items(1)), 1);
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists(), "the younger entry goes, as the limit still needs");
    }
}
