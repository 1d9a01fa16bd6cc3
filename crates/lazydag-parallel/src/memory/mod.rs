//! [`Memory`]: joblib's `Memory(location).cache`, on-disk memoization with serde.
//!
//! A call of a [`Cached`] function hashes (blake3) the function's name, its version and its
//! arguments serialized as JSON into a key; the entry `location/<name>/<key>.entry` holds the
//! result, as JSON with a checksum (see `entry`). A valid entry is a hit: it is returned
//! without running the function. A missing, corrupt or unreadable entry is a miss: the
//! function runs and its result is written atomically. Files:
//! - `function`: [`CachedFn`], the functions of 0 to 8 arguments that can be cached;
//! - `entry`: the entry format, atomic writes, checked reads;
//! - `evict`: size, least-recently-used eviction, clear.
//!
//! Invariants: the cache is only an accelerator. A call returns the function's result
//! whatever state the folder is in; failing to write an entry is logged (`warn`), not
//! returned. Threads and processes share a folder without locks (see `entry`); two that miss
//! the same key at once both compute it, and the last write wins.
//! Keys are stable across runs and processes as long as the arguments serialize to the same
//! JSON: prefer `BTreeMap` to `HashMap` in arguments, whose iteration order varies.

mod entry;
mod evict;
mod function;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lazydag_core::Delayed;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::entry::Invalid;
pub use self::function::CachedFn;
use crate::error::Error;

/// An on-disk cache folder for memoized functions.
///
/// ```
/// use lazydag_parallel::Memory;
/// # fn main() -> Result<(), lazydag_parallel::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// let memory = Memory::new(dir.path()).size_limit(10 << 20); // at most 10 MiB of entries
/// let area = memory.cache("area", |(w, h): (u32, u32)| w * h).version("1");
/// assert_eq!(area.call((3, 4))?, 12);
/// assert!(memory.size()? > 0);
/// memory.clear()?;
/// assert_eq!(memory.size()?, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Memory {
    dir: Arc<Path>,
    limit: Option<u64>,
}

impl Memory {
    /// A cache in the folder `location`, created on the first write. No size limit.
    pub fn new(location: impl AsRef<Path>) -> Self {
        Memory { dir: location.as_ref().into(), limit: None }
    }

    /// Keeps the entries' total size at most `bytes`: after each write, the least recently
    /// used entries (by the time of their last write or hit) are removed until it fits. Each
    /// eviction pass lists the folder, so it costs O(entries) per write.
    #[must_use]
    pub fn size_limit(mut self, bytes: u64) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// The cache folder.
    pub fn location(&self) -> &Path {
        &self.dir
    }

    /// Memoizes `f` under `name`: the returned [`Cached`] computes `f(args)` once per distinct
    /// `args` (and [`version`](Cached::version)), then loads the stored result. Two functions
    /// given the same name share entries, so give each function its own name. `f` takes 0 to
    /// 8 arguments ([`CachedFn`]); [`Cached::call`] takes them as one value (`x`, `(a, b)`,
    /// `()`).
    pub fn cache<F>(&self, name: impl AsRef<str>, f: F) -> Cached<F> {
        Cached {
            memory: self.clone(),
            name: name.as_ref().into(),
            version: "".into(),
            f: Arc::new(f),
        }
    }

    /// Removes every entry (and stray temporary file) of every function in this folder;
    /// other files are left alone.
    ///
    /// # Errors
    /// [`Error::Io`] if the folder exists but cannot be listed.
    pub fn clear(&self) -> Result<(), Error> {
        evict::clear(&self.dir).map_err(|err| Error::io(&*self.dir, err))
    }

    /// The total size of the entries in this folder, in bytes, counting the temporary files
    /// of writes in flight or of writers that were killed (they take disk space until a sweep
    /// removes them).
    ///
    /// # Errors
    /// [`Error::Io`] if the folder exists but cannot be listed.
    pub fn size(&self) -> Result<u64, Error> {
        evict::size(&self.dir).map_err(|err| Error::io(&*self.dir, err))
    }

    /// The stored value at `path`, if there is a valid one.
    fn load<R: DeserializeOwned>(&self, path: &Path) -> Option<R> {
        let why = match entry::read(path, true) {
            Ok(payload) => match serde_json::from_slice(&payload) {
                Ok(value) => return Some(value),
                Err(_) => "the value does not deserialize as the result type",
            },
            Err(Invalid::Missing) => return None,
            Err(Invalid::Corrupt(why)) => why,
            Err(Invalid::Io(err)) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read cache entry");
                return None;
            }
        };
        tracing::debug!(path = %path.display(), why, "memory corrupt entry, recomputing");
        // Best effort: the rewrite that follows replaces it anyway.
        let _ = std::fs::remove_file(path);
        None
    }

    /// Stores `value` at `path`, then evicts down to the size limit.
    fn store<R: Serialize>(&self, path: &Path, value: &R) {
        match entry::write(path, value) {
            Ok(bytes) => tracing::debug!(path = %path.display(), bytes, "memory store"),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot write cache entry");
                return;
            }
        }
        if let Some(limit) = self.limit
            && let Err(err) = evict::evict(&self.dir, limit)
        {
            tracing::warn!(dir = %self.dir.display(), error = %err, "cannot evict cache entries");
        }
    }
}

/// A function memoized on disk by a [`Memory`] ([`Memory::cache`]). Cloning it is cheap.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use lazydag_parallel::Memory;
/// # fn main() -> Result<(), lazydag_parallel::Error> {
/// static RUNS: AtomicU32 = AtomicU32::new(0);
/// let dir = tempfile::tempdir().unwrap();
/// let memory = Memory::new(dir.path());
/// let square = memory.cache("square", |x: i64| { RUNS.fetch_add(1, Ordering::Relaxed); x * x });
/// assert_eq!(square.call(7)?, 49);
/// assert_eq!(square.call(7)?, 49);                      // a hit: not run again
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// assert_eq!(square.clone().version("2").call(7)?, 49); // a new version recomputes
/// assert_eq!(RUNS.load(Ordering::Relaxed), 2);
/// # Ok(())
/// # }
/// ```
pub struct Cached<F> {
    memory: Memory,
    name: Arc<str>,
    version: Arc<str>,
    f: Arc<F>,
}

impl<F> Clone for Cached<F> {
    fn clone(&self) -> Self {
        Cached {
            memory: self.memory.clone(),
            name: Arc::clone(&self.name),
            version: Arc::clone(&self.version),
            f: Arc::clone(&self.f),
        }
    }
}

impl<F> fmt::Debug for Cached<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("location", &self.memory.dir)
            .finish_non_exhaustive()
    }
}

impl<F> Cached<F> {
    /// Sets the version that is part of every key: change it when the function's code
    /// changes, so that old results are not reused. The default is the empty string.
    #[must_use]
    pub fn version(mut self, version: impl AsRef<str>) -> Self {
        self.version = version.as_ref().into();
        self
    }

    /// The file that holds (or would hold) the result for `args`.
    ///
    /// # Errors
    /// [`Error::Arguments`] if `args` cannot be serialized.
    pub fn entry_path<A: Serialize>(&self, args: &A) -> Result<PathBuf, Error> {
        let json = serde_json::to_vec(args).map_err(|err| Error::Arguments {
            function: self.name.to_string(),
            message: err.to_string(),
        })?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"lazydag-parallel memory key v1\0");
        for part in [self.name.as_bytes(), self.version.as_bytes(), &json] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let key = hasher.finalize().to_hex();
        let folder: String = self
            .name
            .chars()
            .take(64)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        Ok(self.memory.dir.join(folder).join(format!("{key}{}", entry::ENTRY_SUFFIX)))
    }

    /// Returns `f(args)`: loaded from the cache on a hit, else computed and stored. `args` is
    /// the argument for a function of one argument, a tuple `(a, b, …)` for two to eight, and
    /// `()` for none ([`CachedFn`]).
    ///
    /// ```
    /// use lazydag_parallel::Memory;
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let scale = Memory::new(dir.path()).cache("scale", |x: f64, by: f64| x * by);
    /// assert_eq!(scale.call((1.5, 4.0))?, 6.0);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Arguments`] if `args` cannot be serialized. Cache I/O problems are not
    /// errors: a bad entry is recomputed, a failed write is logged.
    pub fn call<M>(&self, args: F::Args) -> Result<F::Output, Error>
    where
        F: CachedFn<M>,
        F::Args: Serialize,
        F::Output: Serialize + DeserializeOwned,
    {
        let path = self.entry_path(&args)?;
        if let Some(value) = self.memory.load(&path) {
            tracing::debug!(function = %self.name, path = %path.display(), "memory hit");
            return Ok(value);
        }
        tracing::debug!(function = %self.name, path = %path.display(), "memory miss");
        let value = self.f.call_with(args);
        self.memory.store(&path, &value);
        Ok(value)
    }

    /// Records a lazydag task that applies this cached function to `input`'s value: when the
    /// graph runs, the task loads its result from the cache if this input was seen before,
    /// and computes and stores it otherwise. So re-running a pipeline recomputes a cached step
    /// only when its input changed (the steps before it run again, unless cached too). For a
    /// function of several arguments, `input` yields their tuple (as [`call`](Cached::call)
    /// takes it).
    ///
    /// ```
    /// use lazydag::delayed;
    /// use lazydag_parallel::Memory;
    /// let dir = tempfile::tempdir().unwrap();
    /// let memory = Memory::new(dir.path());
    /// let clean = memory.cache("clean", |s: String| s.trim().to_lowercase());
    /// let task = clean.delayed(&delayed("  Hello ".to_string()));
    /// assert_eq!(task.compute().unwrap(), "hello");
    /// assert_eq!(task.compute().unwrap(), "hello"); // from the cache
    ///
    /// let repeat = memory.cache("repeat", |s: String, n: usize| s.repeat(n));
    /// let pair = delayed!((|s: String, n: usize| (s, n))(task, 2));
    /// assert_eq!(repeat.delayed(&pair).compute().unwrap(), "hellohello");
    /// ```
    pub fn delayed<M>(&self, input: &Delayed<F::Args>) -> Delayed<F::Output>
    where
        F: CachedFn<M> + Send + Sync + 'static,
        F::Args: Serialize + Send + 'static,
        F::Output: Serialize + DeserializeOwned + Send + 'static,
        M: 'static,
    {
        let cached = self.clone();
        input.try_map(move |args: F::Args| cached.call(args)).name(&*self.name)
    }
}
