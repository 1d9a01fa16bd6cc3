//! The on-disk format of one cache entry, and how it is written and read.
//!
//! An entry is `payload ‖ checksum (32 bytes) ‖ payload length (u64, little endian)
//! ‖ MAGIC (8 bytes)`. The payload is the value in JSON, streamed straight into the file while
//! the checksum is computed; the trailer is written last. The checksum is blake3 over the
//! entry's identity (its function folder and file name, that is, its key) and then the
//! payload: an entry carries its key, so an intact entry copied or renamed under another key's
//! name reads as corrupt there, never as that key's value.
//!
//! Invariants:
//! - **Atomic.** An entry is written to a temporary file in the same folder (a name no reader
//!   looks at, unique per process and write) and renamed over the entry's name. Rename is
//!   atomic, so a reader sees the old entry, the new one, or none; a process killed mid-write
//!   leaves only a temporary file, which [`clear`](super::Memory::clear) and eviction remove.
//!   Concurrent writers of the same key are fine: each renames a complete file, the last wins.
//! - **Checked.** A file that is truncated, padded, or altered fails the magic, length or
//!   checksum test and reads as corrupt, never as a value. No `fsync`: after a power cut an
//!   entry may read as corrupt (and be recomputed), but never as a wrong value.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The last 8 bytes of every entry (format version 2: the checksum covers the key; entries of
/// version 1 read as corrupt and are recomputed).
const MAGIC: &[u8; 8] = b"LZDGMEM2";

/// The trailer's length: checksum, payload length, magic.
const TRAILER: usize = 32 + 8 + 8;

/// The suffix of entry files.
pub(crate) const ENTRY_SUFFIX: &str = ".entry";

/// The suffix of temporary files.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Why a file is not a valid entry.
#[derive(Debug)]
pub(crate) enum Invalid {
    /// There is no entry.
    Missing,
    /// The file is not a complete, intact entry (the reason says which test failed).
    Corrupt(&'static str),
    /// The file could not be read.
    Io(io::Error),
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A checksum hasher primed with the identity of the entry at `path`: the names of its
/// function folder and of its file, which is its key.
fn keyed_hasher(path: &Path) -> blake3::Hasher {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"lazydag-parallel memory entry v2\0");
    for part in [name(path.parent()), name(Some(path))] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
}

/// A temporary name next to `path`, unique in this process and across processes.
fn temp_path(path: &Path) -> PathBuf {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}{TEMP_SUFFIX}", std::process::id()))
}

/// Writes `value` as the entry at `path`, atomically. Returns the entry's size in bytes.
pub(crate) fn write<T: serde::Serialize>(path: &Path, value: &T) -> io::Result<u64> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let temp = temp_path(path);
    let written = (|| {
        let file = File::create_new(&temp)?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 16, file),
            hasher: keyed_hasher(path),
            len: 0,
        };
        serde_json::to_writer(&mut out, value).map_err(io::Error::other)?;
        let Hashing { mut inner, hasher, len } = out;
        inner.write_all(hasher.finalize().as_bytes())?;
        inner.write_all(&len.to_le_bytes())?;
        inner.write_all(MAGIC)?;
        inner.into_inner().map_err(io::IntoInnerError::into_error)?;
        fs::rename(&temp, path)?;
        Ok(len + TRAILER as u64)
    })();
    if written.is_err() {
        // Best effort: a leftover temporary file is harmless and swept by eviction or clear.
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Reads the entry at `path` and returns its checked payload. With `touch`, a hit also sets
/// the file's modification time to now, which is what least-recently-used eviction sorts by.
pub(crate) fn read(path: &Path, touch: bool) -> Result<Vec<u8>, Invalid> {
    let opened = if touch {
        // Opened for writing only to set its time; where that is refused (no permission, a
        // read-only file system), read it anyway: a read-only cache still serves hits.
        match File::options().read(true).write(true).open(path) {
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                File::open(path)
            }
            other => other,
        }
    } else {
        File::open(path)
    };
    let mut file = match opened {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Invalid::Missing),
        Err(err) => return Err(Invalid::Io(err)),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(Invalid::Io)?;
    let payload = check(path, bytes)?;
    if touch {
        // Best effort: a read-only cache still serves hits, only its LRU order goes stale.
        let _ = file.set_modified(std::time::SystemTime::now());
    }
    Ok(payload)
}

/// Checks the trailer of the bytes of the entry at `path` and returns the payload.
fn check(path: &Path, mut bytes: Vec<u8>) -> Result<Vec<u8>, Invalid> {
    if bytes.len() < TRAILER {
        return Err(Invalid::Corrupt("shorter than the trailer"));
    }
    let at = bytes.len() - TRAILER;
    let trailer = &bytes[at..];
    if &trailer[40..] != MAGIC {
        return Err(Invalid::Corrupt("no end marker (truncated or not an entry)"));
    }
    let len = u64::from_le_bytes(trailer[32..40].try_into().expect("8 bytes"));
    if len != at as u64 {
        return Err(Invalid::Corrupt("length mismatch"));
    }
    if keyed_hasher(path).update(&bytes[..at]).finalize().as_bytes() != &trailer[..32] {
        return Err(Invalid::Corrupt("checksum mismatch (damaged, or another key's entry)"));
    }
    bytes.truncate(at);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_truncation_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").join("k.entry");
        let size = write(&path, &vec![1.5f64, 2.25]).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), size);
        let payload = read(&path, true).unwrap();
        assert_eq!(serde_json::from_slice::<Vec<f64>>(&payload).unwrap(), vec![1.5, 2.25]);
        let bytes = fs::read(&path).unwrap();
        for cut in 0..bytes.len() {
            let cut = check(&path, bytes[..cut].to_vec());
            assert!(matches!(cut, Err(Invalid::Corrupt(_))), "{cut:?}");
        }
        let mut flipped = bytes.clone();
        flipped[1] ^= 1;
        assert!(
            matches!(check(&path, flipped), Err(Invalid::Corrupt(why)) if why.starts_with("checksum mismatch"))
        );
        assert!(matches!(read(&dir.path().join("none"), false), Err(Invalid::Missing)));
    }

    #[test]
    fn an_entry_copied_under_another_key_reads_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("f").join("aaaa.entry");
        let other = dir.path().join("f").join("bbbb.entry");
        let elsewhere = dir.path().join("g").join("aaaa.entry");
        write(&mine, &7u32).unwrap();
        fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
        fs::copy(&mine, &other).unwrap();
        fs::copy(&mine, &elsewhere).unwrap();
        assert_eq!(read(&mine, false).unwrap(), b"7");
        for copied in [&other, &elsewhere] {
            let read = read(copied, false);
            assert!(matches!(read, Err(Invalid::Corrupt(why)) if why.contains("another key")));
        }
    }
}
