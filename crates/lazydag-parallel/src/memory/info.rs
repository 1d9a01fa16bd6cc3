//! What a caller sees of the cache's entries: [`EntryInfo`], the facts a validation callback
//! judges an entry by, and [`Limits`], what [`Memory::reduce_size`](super::Memory::reduce_size)
//! trims the folder to.
//!
//! Invariant: both are plain data; the rules that use them live in `mod.rs` (validation) and
//! `evict` (trimming).

use std::time::{Duration, SystemTime};

/// What a stored entry records about its value: joblib's `metadata` dict, as a
/// [validation callback](super::Cached::validate) receives it.
///
/// ```
/// use std::time::Duration;
/// use lazydag_parallel::Memory;
/// # fn main() -> Result<(), lazydag_parallel::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// // Keep only results that took at least 10 ms to compute: quick ones are not worth a file.
/// let slow = Memory::new(dir.path())
///     .cache("slow", |x: u64| { std::thread::sleep(Duration::from_millis(20)); x })
///     .validate(|info| info.duration >= Duration::from_millis(10));
/// assert_eq!(slow.call(1)?, 1);
/// assert!(slow.check_call_in_cache(&1)?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryInfo {
    /// When the computation of the value began (joblib's `metadata["time"]`).
    pub started: SystemTime,
    /// How long the computation ran (joblib's `metadata["duration"]`).
    pub duration: Duration,
    /// The entry file's size in bytes.
    pub bytes: u64,
}

impl EntryInfo {
    /// How long ago the computation began (zero if the clock went back since).
    pub fn age(&self) -> Duration {
        SystemTime::now().duration_since(self.started).unwrap_or_default()
    }
}

/// Limits for [`Memory::reduce_size`](super::Memory::reduce_size): joblib's `bytes_limit`,
/// `items_limit` and `age_limit`. Unset limits do not apply; the default sets none.
///
/// ```
/// use std::time::Duration;
/// use lazydag_parallel::Limits;
/// let limits = Limits::default().bytes(1 << 30).items(10_000).age(Duration::from_secs(7 * 86_400));
/// assert_eq!(limits.items_limit(), Some(10_000));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    bytes: Option<u64>,
    items: Option<usize>,
    age: Option<Duration>,
}

impl Limits {
    /// At most `bytes` bytes of entries (and temporary files of writes in flight): the least
    /// recently used entries go first.
    #[must_use]
    pub fn bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    /// At most `items` entries: the least recently used go first.
    #[must_use]
    pub fn items(mut self, items: usize) -> Self {
        self.items = Some(items);
        self
    }

    /// No entry unused (neither written nor hit) for `age` or longer; `Duration::ZERO` removes
    /// every entry.
    #[must_use]
    pub fn age(mut self, age: Duration) -> Self {
        self.age = Some(age);
        self
    }

    /// The byte limit, if set.
    pub fn bytes_limit(&self) -> Option<u64> {
        self.bytes
    }

    /// The item limit, if set.
    pub fn items_limit(&self) -> Option<usize> {
        self.items
    }

    /// The age limit, if set.
    pub fn age_limit(&self) -> Option<Duration> {
        self.age
    }
}
