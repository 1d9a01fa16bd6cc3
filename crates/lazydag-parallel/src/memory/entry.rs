//! The on-disk format of one cache entry, and how it is written and read.
//!
//! An entry is `payload ‖ started (u64) ‖ duration (u64) ‖ checksum (16 bytes) ‖ payload
//! length (u64) ‖ MAGIC (8 bytes)`, the numbers little endian. The payload is the value in
//! bincode (or, for a graph task, the bytes the core encoded), streamed straight into the file
//! while the checksum is computed; the trailer is written last. `started` is when the
//! computation began (nanoseconds since the Unix epoch) and `duration` how long it ran
//! (nanoseconds): the [`EntryInfo`] a validation callback sees. The checksum is xxh3-128 over
//! the payload and those two numbers, keyed by the entry's identity (its folder and file
//! name, that is, its key; see `identity`): an entry carries its key, so an intact entry
//! copied or renamed under another key's name reads as corrupt there, never as that key's
//! value.
//!
//! Invariants:
//! - **Lossless.** A value reads back as the value written: bincode (`config::standard()`)
//!   writes floats as their bits and tags each `Option`. JSON, the format before version 5,
//!   wrote NaN, +inf and -inf all as `null`, and `None`, `Some(None)` and `Some(())` too, so
//!   `Some(f64::INFINITY)` read back as `None`. bincode is not self-describing: a type whose
//!   `Deserialize` needs to look at the data (`#[serde(untagged)]`, `#[serde(flatten)]`,
//!   `serde_json::Value`) or skips fields (`skip_serializing_if`) is not written or does not
//!   decode: it is recomputed on every call, never read as another value.
//! - **Atomic.** An entry is written to a temporary file in the same folder (a name no reader
//!   looks at, unique per process start and write, created exclusively: `temp`) and renamed
//!   over the entry's name. Rename is atomic, so a reader sees the old entry, the new one, or
//!   none; a process killed mid-write leaves only a temporary file, which
//!   [`clear`](super::Memory::clear) and eviction remove, and which never stops a later write
//!   (a taken name is skipped). Concurrent writers of the same key are fine: each renames a
//!   complete file, the last wins.
//! - **Discarded as read.** A read hands back the file it read ([`Seen`]), so that a bad or
//!   rejected entry is removed only if it is still the file at the entry's name, never a new
//!   one a writer renamed over it meanwhile (`discard`).
//! - **Checked.** A file that is truncated, padded, or altered fails the magic, length or
//!   checksum test and reads as corrupt, never as a value. No `fsync`: after a power cut an
//!   entry may read as corrupt (and be recomputed), but never as a wrong value.
//! - **Why xxh3, not blake3.** The checksum guards against damage and misplacement, not
//!   against an attacker: it has no secret key, so anyone who can write the folder can write
//!   a valid entry whatever the hash. Against accidents a 128-bit xxh3 misses a random
//!   alteration, or passes an entry under another key's name, as rarely as a cryptographic
//!   hash would (odds of about 2^-128), at a tenth of blake3's cost on a 1 KB entry (blake3
//!   was half of a hit's instructions). Keys, which must not
//!   collide for distinct calls, stay blake3 (`key`).

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_128, xxh3_128_with_seed};

use super::discard::Seen;
use super::info::EntryInfo;
use super::temp;

/// The last 8 bytes of every entry (format version 5: values in bincode; version 4 had them
/// in JSON, which is lossy, version 3 a blake3 checksum, versions 1 and 2 no timing: entries
/// of older versions read as corrupt and are recomputed once, so that a JSON payload is never
/// decoded as bincode).
const MAGIC: &[u8; 8] = b"LZDGMEM5";

/// The trailer's length: start, duration, checksum, payload length, magic.
const TRAILER: usize = 8 + 8 + CHECKSUM + 8 + 8;

/// The checksum's length: xxh3's 128 bits.
const CHECKSUM: usize = 16;

/// How stale an entry's last-use time may get before a hit sets it again: the resolution
/// of least-recently-used eviction.
pub(crate) const TOUCH_EVERY: Duration = Duration::from_secs(1);

/// The suffix of entry files.
pub(crate) const ENTRY_SUFFIX: &str = ".entry";

/// The entry file of key `key` (hex) in `folder`: `folder/<key>.entry`, built in one
/// allocation (this is on every hit's path).
pub(crate) fn file_in(folder: &Path, key: &str) -> PathBuf {
    let mut path = std::ffi::OsString::with_capacity(
        folder.as_os_str().len() + 1 + key.len() + ENTRY_SUFFIX.len(),
    );
    path.push(folder);
    path.push(std::path::MAIN_SEPARATOR_STR);
    path.push(key);
    path.push(ENTRY_SUFFIX);
    PathBuf::from(path)
}

/// A valid entry, as read.
#[derive(Debug)]
pub(crate) struct Found {
    /// The checked payload.
    pub(crate) payload: Vec<u8>,
    /// What its trailer says.
    pub(crate) info: EntryInfo,
    /// The file it was read from, for a discard (a validation callback may reject it).
    pub(crate) seen: Seen,
}

/// Why a file is not a valid entry.
#[derive(Debug)]
pub(crate) enum Invalid {
    /// There is no entry.
    Missing,
    /// The file is not a complete, intact entry (the reason says which test failed); the
    /// file, for a discard.
    Corrupt(&'static str, Seen),
    /// The file could not be read.
    Io(io::Error),
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Xxh3,
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

/// The identity of the entry at `path`, as the checksum uses it: a 64-bit seed and a 128-bit
/// mask, both hashes of the names of its function folder and of its file, which is its key
/// (the path's last two components, as bytes: entry paths are built by `file_in`, so no `.`
/// or `..` is among them). The checksum is xxh3-128 of the payload and timing with that seed,
/// XORed with the mask: seeding rather than prefixing lets a read checksum them in one pass
/// over the bytes as read (xxh3 streamed with a seed equals xxh3 of the whole with that
/// seed), and the mask makes an entry under another key's name fail with 128-bit odds even
/// if the two seeds collided.
fn identity(path: &Path) -> (u64, u128) {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut names = bytes.rsplit(|&b| std::path::is_separator(char::from(b)));
    let file = names.next().unwrap_or_default();
    let folder = names.next().unwrap_or_default();
    const DOMAIN: &[u8] = b"lazydag-parallel memory entry v4\0";
    let mut framed = Vec::with_capacity(DOMAIN.len() + 16 + folder.len() + file.len());
    framed.extend_from_slice(DOMAIN);
    for part in [folder, file] {
        framed.extend_from_slice(&(part.len() as u64).to_le_bytes());
        framed.extend_from_slice(part);
    }
    (xxh3_64(&framed), xxh3_128(&framed))
}

/// When and for how long an entry's value was computed: the two numbers of its trailer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    /// When the computation began.
    pub(crate) started: SystemTime,
    /// How long it ran.
    pub(crate) duration: Duration,
}

impl Timing {
    /// The trailer's 16 bytes.
    fn encode(self) -> [u8; 16] {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let started =
            nanos(self.started.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default());
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&started.to_le_bytes());
        out[8..].copy_from_slice(&nanos(self.duration).to_le_bytes());
        out
    }

    /// The inverse of [`encode`](Timing::encode).
    fn decode(bytes: &[u8]) -> Self {
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Timing {
            started: SystemTime::UNIX_EPOCH + Duration::from_nanos(word(0)),
            duration: Duration::from_nanos(word(8)),
        }
    }
}

/// Writes `value`, encoded with bincode (`config::standard()`), as the entry at `path`,
/// atomically. Returns the entry's size in bytes.
pub(crate) fn write<T: serde::Serialize>(
    path: &Path,
    value: &T,
    timing: Timing,
) -> io::Result<u64> {
    write_with(path, timing, |mut out| {
        bincode::serde::encode_into_std_write(value, &mut out, bincode::config::standard())
            .map(drop)
            .map_err(io::Error::other)
    })
}

/// The value a payload written by [`write()`] encodes: `None` unless all of it decodes as a `T`
/// (a payload of another type, or with bytes left over, is not this value).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Option<T> {
    lazydag_core::codec::decode(payload).ok()
}

/// Writes `payload` as the entry at `path`, atomically. Returns the entry's size in bytes.
#[allow(
    dead_code,
    reason = "the TaskStore (graph tasks) writes raw bytes; until it lands only the tests do"
)]
pub(crate) fn write_bytes(path: &Path, payload: &[u8], timing: Timing) -> io::Result<u64> {
    write_with(path, timing, |out| out.write_all(payload))
}

/// Writes the entry at `path` whose payload `payload` streams out, atomically: into a
/// temporary file, trailer last, then renamed over `path`. Returns the entry's size in bytes.
fn write_with(
    path: &Path,
    timing: Timing,
    payload: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let (temp, file) = temp::create(path)?;
    let (seed, mask) = identity(path);
    let written = (|| {
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 16, file),
            hasher: Xxh3::with_seed(seed),
            len: 0,
        };
        payload(&mut out)?;
        let Hashing { mut inner, mut hasher, len } = out;
        let timing = timing.encode();
        hasher.update(&timing);
        inner.write_all(&timing)?;
        inner.write_all(&(hasher.digest128() ^ mask).to_le_bytes())?;
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

/// Reads the entry at `path` and returns its checked payload and what its trailer says. With
/// `touch`, a hit also sets the file's modification time to now, which is what
/// least-recently-used eviction sorts by.
pub(crate) fn read(path: &Path, touch: bool) -> Result<Found, Invalid> {
    // Read-only even to touch: setting a file's times needs its ownership, not a writable
    // descriptor, so a read-only cache (or file system) serves hits all the same.
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Invalid::Missing),
        Err(err) => return Err(Invalid::Io(err)),
    };
    // One `statx` for the size and the last use; an entry is never written in place (writes
    // rename a new file over it), so the size is the content's. A shorter read than the size
    // fails the trailer checks below.
    let meta = file.metadata().map_err(Invalid::Io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&mut file).take(meta.len()).read_to_end(&mut bytes).map_err(Invalid::Io)?;
    let size = bytes.len() as u64;
    let (payload, timing) = match check(path, bytes) {
        Ok(checked) => checked,
        Err(why) => return Err(Invalid::Corrupt(why, Seen::new(file))),
    };
    let info = EntryInfo { started: timing.started, duration: timing.duration, bytes: size };
    let now = SystemTime::now();
    let last_use = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    // Least-recently-used order at a resolution of `TOUCH_EVERY`: a hit within that time of
    // the last write or touch skips the `futimens`.
    if touch && now.duration_since(last_use).is_ok_and(|since| since >= TOUCH_EVERY) {
        // Best effort: a read-only cache still serves hits, only its LRU order goes stale.
        let _ = file.set_modified(now);
    }
    Ok(Found { payload, info, seen: Seen::new(file) })
}

/// Checks the trailer of the bytes of the entry at `path` and returns the payload and timing.
fn check(path: &Path, mut bytes: Vec<u8>) -> Result<(Vec<u8>, Timing), &'static str> {
    if bytes.len() < TRAILER {
        return Err("shorter than the trailer");
    }
    let at = bytes.len() - TRAILER;
    let trailer = &bytes[at..];
    let (timing, rest) = trailer.split_at(16);
    let (checksum, rest) = rest.split_at(CHECKSUM);
    let (len, magic) = rest.split_at(8);
    if magic != MAGIC {
        return Err("no end marker (truncated or not an entry)");
    }
    if u64::from_le_bytes(len.try_into().expect("8 bytes")) != at as u64 {
        return Err("length mismatch");
    }
    // The payload and the timing are contiguous: one pass, as the writer streamed them.
    let (seed, mask) = identity(path);
    if (xxh3_128_with_seed(&bytes[..at + 16], seed) ^ mask).to_le_bytes() != checksum {
        return Err("checksum mismatch (damaged, or another key's entry)");
    }
    let timing = Timing::decode(timing);
    bytes.truncate(at);
    Ok((bytes, timing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_truncation_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").join("k.entry");
        let timing = Timing { started: SystemTime::now(), duration: Duration::from_millis(7) };
        let size = write(&path, &vec![1.5f64, 2.25], timing).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), size);
        let Found { payload, info, .. } = read(&path, true).unwrap();
        assert_eq!(info.duration, Duration::from_millis(7));
        assert_eq!(info.bytes, size);
        let since = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos();
        assert_eq!(since(info.started), since(timing.started));
        assert_eq!(decode::<Vec<f64>>(&payload), Some(vec![1.5, 2.25]));
        // Another type, or bytes left over, is not the value.
        assert_eq!(decode::<Vec<String>>(&payload), None);
        assert_eq!(decode::<Vec<f64>>(&[&payload[..], &[0]].concat()), None);
        let bytes = fs::read(&path).unwrap();
        for cut in 0..bytes.len() {
            let cut = check(&path, bytes[..cut].to_vec());
            assert!(cut.is_err(), "{cut:?}");
        }
        // A flipped bit in the payload or in the timing fails the checksum.
        for at in [1, bytes.len() - TRAILER + 3] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            assert!(
                matches!(check(&path, flipped), Err(why) if why.starts_with("checksum mismatch"))
            );
        }
        assert!(matches!(read(&dir.path().join("none"), false), Err(Invalid::Missing)));
    }

    #[test]
    fn an_entry_copied_under_another_key_reads_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("f").join("aaaa.entry");
        let other = dir.path().join("f").join("bbbb.entry");
        let elsewhere = dir.path().join("g").join("aaaa.entry");
        let timing = Timing { started: SystemTime::now(), duration: Duration::ZERO };
        write_bytes(&mine, b"7", timing).unwrap();
        fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
        fs::copy(&mine, &other).unwrap();
        fs::copy(&mine, &elsewhere).unwrap();
        assert_eq!(read(&mine, false).unwrap().payload, b"7");
        for copied in [&other, &elsewhere] {
            let read = read(copied, false);
            assert!(matches!(read, Err(Invalid::Corrupt(why, _)) if why.contains("another key")));
        }
    }
}
