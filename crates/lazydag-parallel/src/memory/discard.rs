//! Removing an entry that was judged bad (corrupt, rejected, undecodable) or old (eviction),
//! and only that file: never one that a writer renamed into place since it was judged.
//!
//! Writers rename complete files over an entry's name at any time, from any thread or
//! process, and nothing locks across processes. A plain `remove_file(path)` after judging
//! the file found there could remove a good entry renamed over it in between (a
//! recomputation, never a wrong value, but a needless one). POSIX has no "unlink if it is
//! still this inode", so instead:
//!
//! 1. **Take it aside.** Rename the entry's name to a fresh temporary name (`temp`): atomic,
//!    so the file taken is exactly the one the name held at that instant, and no later write
//!    can be caught. A name already gone means there is nothing to do.
//! 2. **Compare.** The taken file's [`Fingerprint`] (device, inode, length, modification time)
//!    is compared with the judged file's.
//! 3. **Settle.** The same: remove it. Another (a writer got in before step 1): put it back,
//!    with a hard link, which fails rather than replace a still newer entry written since
//!    step 1 (the aside copy is then dropped); where hard links are not supported, with a
//!    rename, which may replace such a newer entry with this one, both complete entries of
//!    the same key.
//!
//! Invariants: a file is removed only if it is the judged one; a file renamed into place
//! after the judgement is left at the entry's name, except for the moment between steps 1
//! and 3, when a reader finds no entry (a miss, so at worst a recomputation, as before). A
//! process killed between the steps leaves the file under its temporary name, which sweeps
//! remove (`evict`). For a file read through a handle ([`Seen`]) the fingerprint is taken
//! from the open handle, so the inode cannot have been reused meanwhile; for a file judged
//! from a directory listing (eviction), the length and the modification time must match too,
//! which a file written since cannot do unless the clock went back. A touch (a hit sets the
//! modification time) since the judgement also counts as another file: an entry used since
//! it was chosen for eviction is kept.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::temp;

/// What identifies one file: equal fingerprints mean the same file, unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    /// The device and inode (Unix; elsewhere only the length and time are compared).
    #[cfg(unix)]
    node: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
}

impl Fingerprint {
    /// The fingerprint of the file `meta` describes.
    pub(crate) fn of(meta: &Metadata) -> Self {
        Fingerprint {
            #[cfg(unix)]
            node: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// The file an entry was read from, kept open: while it is open its inode cannot be reused,
/// so its fingerprint, taken when it is discarded, is still its own.
#[derive(Debug)]
pub(crate) struct Seen(File);

impl Seen {
    /// The file `file`, as read.
    pub(crate) fn new(file: File) -> Self {
        Seen(file)
    }

    /// Its fingerprint now (after any touch of this read).
    pub(crate) fn fingerprint(&self) -> io::Result<Fingerprint> {
        self.0.metadata().map(|meta| Fingerprint::of(&meta))
    }
}

/// What a discard did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Discarded {
    /// The judged file was removed.
    Removed,
    /// There was no file at the entry's name (someone else removed it).
    Gone,
    /// Another file was at the entry's name (renamed into place since the judgement, or
    /// touched): it was left there.
    Kept,
}

/// Removes the file at `path` if it is the one with fingerprint `judged` (see the module's
/// steps).
///
/// # Errors
/// A failure to rename, compare or remove (a read-only folder); nothing is lost then, except
/// if putting another file back failed: it stays under its temporary name, for sweeps.
pub(crate) fn discard(path: &Path, judged: &Fingerprint) -> io::Result<Discarded> {
    match Aside::take(path)? {
        Some(aside) => aside.settle(judged),
        None => Ok(Discarded::Gone),
    }
}

/// The file an entry's name held, renamed to a temporary name (step 1).
#[derive(Debug)]
pub(crate) struct Aside {
    entry: PathBuf,
    temp: PathBuf,
}

impl Aside {
    /// Step 1: renames the file at `entry` aside; `None` if there is none.
    pub(crate) fn take(entry: &Path) -> io::Result<Option<Aside>> {
        let temp = temp::path(entry, temp::number());
        match fs::rename(entry, &temp) {
            Ok(()) => Ok(Some(Aside { entry: entry.to_path_buf(), temp })),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Steps 2 and 3: removes the file if it is the judged one, else puts it back.
    pub(crate) fn settle(self, judged: &Fingerprint) -> io::Result<Discarded> {
        match fs::symlink_metadata(&self.temp) {
            Ok(meta) if Fingerprint::of(&meta) == *judged => {
                return match fs::remove_file(&self.temp) {
                    Ok(()) => Ok(Discarded::Removed),
                    // A sweep took it for a dead writer's (it was old): gone all the same.
                    Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Discarded::Removed),
                    Err(err) => Err(err),
                };
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Discarded::Gone),
            // Another file, or one that cannot be told apart: put it back.
            _ => {}
        }
        match fs::hard_link(&self.temp, &self.entry) {
            // Back in place, or a still newer entry is there: either way drop the aside name.
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            // No hard links here (some file systems): a rename, which moves it.
            Err(_) => {
                fs::rename(&self.temp, &self.entry)?;
                return Ok(Discarded::Kept);
            }
        }
        // Best effort: a leftover temporary file is swept.
        let _ = fs::remove_file(&self.temp);
        Ok(Discarded::Kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The fingerprint of the file at `path` now.
    fn fingerprint(path: &Path) -> Fingerprint {
        Fingerprint::of(&fs::symlink_metadata(path).unwrap())
    }

    #[test]
    fn the_judged_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("k.entry");
        fs::write(&entry, b"bad").unwrap();
        let judged = fingerprint(&entry);
        assert_eq!(discard(&entry, &judged).unwrap(), Discarded::Removed);
        assert!(names(dir.path()).is_empty());
        assert_eq!(discard(&entry, &judged).unwrap(), Discarded::Gone);
    }

    #[test]
    fn a_file_renamed_into_place_since_the_judgement_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("k.entry");
        fs::write(&entry, b"bad").unwrap();
        let judged = fingerprint(&entry);
        // A writer renames a new file over the entry before the discard.
        let new = dir.path().join("new");
        fs::write(&new, b"good").unwrap();
        fs::rename(&new, &entry).unwrap();
        assert_eq!(discard(&entry, &judged).unwrap(), Discarded::Kept);
        assert_eq!(fs::read(&entry).unwrap(), b"good");
        assert_eq!(names(dir.path()), ["k.entry"], "no temporary file left");
    }

    #[test]
    fn putting_back_never_replaces_a_newer_entry() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("k.entry");
        fs::write(&entry, b"bad").unwrap();
        let judged = fingerprint(&entry);
        fs::write(dir.path().join("second"), b"second").unwrap();
        fs::rename(dir.path().join("second"), &entry).unwrap();
        let aside = Aside::take(&entry).unwrap().unwrap(); // takes "second"
        fs::write(dir.path().join("third"), b"third").unwrap();
        fs::rename(dir.path().join("third"), &entry).unwrap(); // between steps 1 and 3
        assert_eq!(aside.settle(&judged).unwrap(), Discarded::Kept);
        assert_eq!(fs::read(&entry).unwrap(), b"third");
        assert_eq!(names(dir.path()), ["k.entry"]);
    }
}
