//! [`Memory`]: joblib's `Memory(location).cache`, on-disk memoization with serde.
//!
//! A call of a [`Cached`] function hashes (blake3) the function's identity (its Rust type),
//! its name, its version and its arguments encoded with bincode (less the
//! [ignored](Cached::ignore) ones) into a key; the entry `location/<name>/<key>.entry` holds
//! the result, in bincode with a checksum (see `entry`). bincode, not JSON, because JSON is
//! lossy: NaN, +inf and -inf are all `null` in it, and so are `None` and `Some(None)`, so such
//! arguments shared one entry and such results read back as another value. A valid entry that the
//! [validation callback](Cached::validate), if any, accepts is a hit: it is returned without
//! running the function. Anything else is a miss: the function runs and its result, unless it
//! is a `Result`'s `Err`, is written atomically. Files:
//! - `function`: [`CachedFn`], the functions of 0 to 8 arguments that can be cached;
//! - `key`: function identity, keys, ignored arguments, the name-collision warning;
//! - `pointer`: which function of which build a `fn` pointer points to;
//! - `outcome`: which results are stored (not an `Err`);
//! - `lock`: per-key locking, so that threads that miss one key compute it once;
//! - `entry`: the entry format, atomic writes, checked reads;
//! - `temp`: temporary files' names (unique per process start and write) and creation;
//! - `discard`: removing a bad or old entry, and only that file, not one renamed over it since;
//! - `info`: [`EntryInfo`] (what a validation callback sees) and [`Limits`];
//! - `evict`: size, trimming to limits (least recently used first), clear;
//! - `store`: `Memory` as the core's `TaskStore` (graph tasks' entries, under `tasks/`).
//!
//! Invariants: the cache is only an accelerator. A call returns the function's result
//! whatever state the folder is in; failing to write an entry is logged (`warn`), not
//! returned. Two functions cached under one name never share an entry (their types differ,
//! or for `fn` pointers their targets; a warning names the collision; a trait object, whose
//! type cannot say which function it is, is refused). Within a process, concurrent callers of one key compute it
//! once (`lock`). Across processes there is no lock: a reader never sees a half-written entry
//! (atomic rename), two processes that miss one key may both compute it, and the last write
//! wins (both are complete, valid entries); a bad entry's removal never takes a good one a
//! writer renamed over it meanwhile (`discard`). Keys are stable across runs and processes of one
//! binary as long as the arguments serialize the same way: prefer `BTreeMap` to `HashMap`
//! in arguments, whose iteration order varies. The root folder gets a `.gitignore` (`*`) on
//! the first write, as joblib's does.

mod discard;
mod entry;
mod evict;
mod function;
mod info;
mod key;
mod lock;
mod outcome;
mod pointer;
mod store;
mod temp;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use lazydag_core::Delayed;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::discard::Seen;
use self::entry::{Found, Invalid, Timing};
pub use self::function::CachedFn;
pub use self::info::{EntryInfo, Limits};
use crate::error::Error;

/// An on-disk cache folder for memoized functions.
///
/// ```
/// use lazydag_parallel::{Limits, Memory};
/// # fn main() -> Result<(), lazydag_parallel::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// let memory = Memory::new(dir.path()).size_limit(10 << 20); // at most 10 MiB of entries
/// let area = memory.cache("area", |(w, h): (u32, u32)| w * h).version("1");
/// assert_eq!(area.call((3, 4))?, 12);
/// assert!(memory.size()? > 0);
/// assert_eq!(std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(), "*\n");
/// assert_eq!(memory.reduce_size(Limits::default().items(0))?, 1); // joblib's items_limit=0
/// assert_eq!(memory.size()?, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Memory {
    dir: Arc<Path>,
    /// `dir/tasks`: the folder of graph tasks' entries (`store`).
    tasks: Arc<Path>,
    limit: Option<u64>,
    /// Whether the root folder and its `.gitignore` were made (once per `Memory` and clones).
    rooted: Arc<AtomicBool>,
}

/// A validation callback ([`Cached::validate`]).
type Validate = Arc<dyn Fn(&EntryInfo) -> bool + Send + Sync>;

impl Memory {
    /// A cache in the folder `location`, created on the first write. No size limit.
    pub fn new(location: impl AsRef<Path>) -> Self {
        let dir: Arc<Path> = location.as_ref().into();
        let tasks = dir.join(store::TASKS).into();
        Memory { dir, tasks, limit: None, rooted: Arc::default() }
    }

    /// Keeps the entries' total size at most `bytes`: after each write, the least recently
    /// used entries (by the time of their last write or hit) are removed until it fits. Each
    /// eviction pass lists the folder, so it costs O(entries) per write. For limits on the
    /// number or the age of entries, call [`reduce_size`](Memory::reduce_size).
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
    /// `args` (and [`version`](Cached::version)), then loads the stored result. `f` takes 0 to
    /// 8 arguments ([`CachedFn`]); [`Cached::call`] takes them as one value (`x`, `(a, b)`,
    /// `()`).
    ///
    /// The key includes `f`'s identity, so two functions cached under one name never share
    /// entries; caching a second function under a name this process already used in this
    /// folder logs a `warn` (joblib's `JobLibCollisionWarning`). A closure or a `fn` item is
    /// identified by its type (each has its own); a `fn` pointer, whose type is shared by
    /// every function of its signature, by the function it points to in this executable
    /// (the file's hash and the offset: the same in every run of that file, new after a
    /// rebuild). A trait object (`Box<dyn Fn…>`) cannot say which function it is, so every
    /// call of its `Cached` fails with [`Error::Function`] (as does a `fn` pointer outside the
    /// executable, or anywhere but on Linux).
    ///
    /// Values a closure captures are not part of the key (they have no `Serialize`): a
    /// closure that captures a parameter must get a new [`version`](Cached::version) when the
    /// parameter changes, or take it as an argument.
    ///
    /// ```
    /// use lazydag_parallel::Memory;
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let memory = Memory::new(dir.path());
    /// fn double(x: i64) -> i64 { 2 * x }
    /// fn negate(x: i64) -> i64 { -x }
    /// let (a, b): (fn(i64) -> i64, fn(i64) -> i64) = (double, negate);
    /// assert_eq!(memory.cache("f", a).call(3)?, 6);
    /// assert_eq!(memory.cache("f", b).call(3)?, -3); // its own entry, not `a`'s
    /// let boxed: Box<dyn Fn(i64) -> i64 + Send + Sync> = Box::new(double);
    /// let err = memory.cache("g", boxed).call(3).unwrap_err();
    /// assert!(err.to_string().contains("cannot be cached"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn cache<M: 'static, F: CachedFn<M> + 'static>(
        &self,
        name: impl AsRef<str>,
        f: F,
    ) -> Cached<F> {
        let name: Arc<str> = name.as_ref().into();
        let folder = self.dir.join(key::folder(&name)).into();
        let identity = key::identity(&f).map(Arc::<str>::from).map_err(Arc::<str>::from);
        if let Ok(identity) = &identity {
            key::register(&self.dir, &name, identity);
        }
        Cached {
            memory: self.clone(),
            name,
            folder,
            version: "".into(),
            identity,
            ignore: Arc::new([]),
            prefix: Arc::new(blake3::Hasher::new()),
            validate: None,
            f: Arc::new(f),
        }
        .rekeyed()
    }

    /// Removes every entry (and stray temporary file) of every function in this folder;
    /// other files (and the `.gitignore`) are left alone.
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

    /// Removes entries until every one of `limits` holds: joblib's
    /// `reduce_size(bytes_limit, items_limit, age_limit)`. Entries unused (neither written
    /// nor hit) for the age limit or longer go; then the least recently used go until at most
    /// the item limit remain and the total size is within the byte limit. Temporary files of
    /// writers dead for 10 minutes go too. Returns how many entries were removed. It lists
    /// the folder: O(entries). Graph-task entries (`tasks/`) are counted like the others.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lazydag_parallel::{Limits, Memory};
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let memory = Memory::new(dir.path());
    /// let square = memory.cache("square", |x: u64| x * x);
    /// for x in 0..5 { square.call(x)?; }
    /// assert_eq!(memory.reduce_size(Limits::default().age(Duration::from_secs(3600)))?, 0);
    /// assert_eq!(memory.reduce_size(Limits::default().items(2))?, 3);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if the folder exists but cannot be listed.
    pub fn reduce_size(&self, limits: Limits) -> Result<usize, Error> {
        evict::reduce(&self.dir, &limits).map_err(|err| Error::io(&*self.dir, err))
    }

    /// Makes the root folder and its `.gitignore` (content `*`, so that a cache inside a
    /// repository is never committed), once. Best effort: a failure is retried next time.
    fn root(&self) {
        if self.rooted.load(Ordering::Relaxed) {
            return;
        }
        let made =
            std::fs::create_dir_all(&self.dir).and_then(|()| {
                match std::fs::File::create_new(self.dir.join(".gitignore")) {
                    Ok(mut file) => std::io::Write::write_all(&mut file, b"*\n"),
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                    Err(err) => Err(err),
                }
            });
        match made {
            Ok(()) => self.rooted.store(true, Ordering::Relaxed),
            Err(err) => {
                tracing::debug!(dir = %self.dir.display(), error = %err, "cannot write .gitignore");
            }
        }
    }

    /// The checked payload and facts of the entry at `path`, if there is a valid one (a
    /// corrupt entry is removed). With `touch`, a hit counts as a use for eviction.
    fn read(&self, path: &Path, touch: bool) -> Option<Found> {
        let (why, seen) = match entry::read(path, touch) {
            Ok(found) => return Some(found),
            Err(Invalid::Missing) => return None,
            Err(Invalid::Corrupt(why, seen)) => (why, seen),
            Err(Invalid::Io(err)) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read cache entry");
                return None;
            }
        };
        self.discard(path, why, &seen);
        None
    }

    /// Removes the entry at `path`, which is corrupt or invalid for the reason `why`, if it
    /// is still the file `seen` that was read: a good entry that a writer renamed over it
    /// since stays (`discard`).
    fn discard(&self, path: &Path, why: &str, seen: &Seen) {
        // Best effort: the rewrite that follows replaces it anyway.
        let outcome = seen.fingerprint().and_then(|judged| discard::discard(path, &judged));
        let path = path.display();
        match outcome {
            Ok(outcome) => tracing::debug!(path = %path, why, ?outcome, "memory bad entry"),
            Err(err) => tracing::debug!(path = %path, why, error = %err, "memory bad entry kept"),
        }
    }

    /// Writes an entry with `write` (logging a failure), then evicts down to the size limit.
    /// Returns the entry's size.
    fn store(
        &self,
        path: &Path,
        write: impl FnOnce() -> std::io::Result<u64>,
    ) -> std::io::Result<u64> {
        self.root();
        let bytes = write().inspect_err(|err| {
            tracing::warn!(path = %path.display(), error = %err, "cannot write cache entry");
        })?;
        tracing::debug!(path = %path.display(), bytes, "memory store");
        if let Some(limit) = self.limit
            && let Err(err) = evict::reduce(&self.dir, &Limits::default().bytes(limit))
        {
            tracing::warn!(dir = %self.dir.display(), error = %err, "cannot evict cache entries");
        }
        Ok(bytes)
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
    /// `location/<name, sanitized>`: where its entries are.
    folder: Arc<Path>,
    version: Arc<str>,
    /// The function's identity, or why it has none (every call fails with it).
    identity: Result<Arc<str>, Arc<str>>,
    ignore: Arc<[usize]>,
    /// The key hasher fed with the parts above (`key::prefix`), cloned for each call.
    prefix: Arc<blake3::Hasher>,
    validate: Option<Validate>,
    f: Arc<F>,
}

impl<F> Clone for Cached<F> {
    fn clone(&self) -> Self {
        Cached {
            memory: self.memory.clone(),
            name: Arc::clone(&self.name),
            folder: Arc::clone(&self.folder),
            version: Arc::clone(&self.version),
            identity: self.identity.clone(),
            ignore: Arc::clone(&self.ignore),
            prefix: Arc::clone(&self.prefix),
            validate: self.validate.clone(),
            f: Arc::clone(&self.f),
        }
    }
}

impl<F> fmt::Debug for Cached<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("function", &self.identity)
            .field("ignore", &self.ignore)
            .field("validated", &self.validate.is_some())
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
        self.rekeyed()
    }

    /// Leaves the arguments at these positions (counting from 0) out of the key: joblib's
    /// `ignore=["verbose"]`, by position since Rust arguments have no names at run time.
    /// Calls that differ only in ignored arguments share one entry. A position the function
    /// does not have is an [`Error::Config`] at the call.
    ///
    /// ```
    /// use lazydag_parallel::Memory;
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let fit = Memory::new(dir.path())
    ///     .cache("fit", |data: Vec<f64>, verbose: bool| data.iter().sum::<f64>())
    ///     .ignore([1]);
    /// assert_eq!(fit.call((vec![1.0, 2.0], false))?, 3.0);
    /// assert!(fit.check_call_in_cache(&(vec![1.0, 2.0], true))?); // `verbose` is not in the key
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn ignore(mut self, positions: impl IntoIterator<Item = usize>) -> Self {
        let mut positions: Vec<usize> = positions.into_iter().collect();
        positions.sort_unstable();
        positions.dedup();
        self.ignore = positions.into();
        self.rekeyed()
    }

    /// Hashes the key's [prefix](key::prefix) again, after a change of its parts.
    fn rekeyed(mut self) -> Self {
        let parts = key::KeyParts {
            identity: self.identity.as_deref().unwrap_or_default(),
            name: &self.name,
            version: &self.version,
            ignore: &self.ignore,
        };
        self.prefix = Arc::new(key::prefix(&parts));
        self
    }

    /// Accepts a stored entry only when `valid` returns true for it: joblib's
    /// `cache_validation_callback`. It is asked on every lookup (calls, graph tasks,
    /// [`check_call_in_cache`](Cached::check_call_in_cache)); an entry it rejects is removed
    /// and the value recomputed (and stored again, to be judged at the next lookup).
    #[must_use]
    pub fn validate(mut self, valid: impl Fn(&EntryInfo) -> bool + Send + Sync + 'static) -> Self {
        self.validate = Some(Arc::new(valid));
        self
    }

    /// Results expire `ttl` after their computation began: joblib's
    /// `cache_validation_callback=expires_after(seconds=…)`. Replaces any
    /// [`validate`](Cached::validate) callback.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lazydag_parallel::Memory;
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let memory = Memory::new(dir.path());
    /// let fresh = memory.cache("quote", |s: String| s.len()).expires_after(Duration::from_secs(3600));
    /// fresh.call("abc".into())?;
    /// assert!(fresh.check_call_in_cache(&"abc".to_string())?);
    /// let stale = fresh.clone().expires_after(Duration::ZERO); // everything has expired
    /// assert!(!stale.check_call_in_cache(&"abc".to_string())?);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn expires_after(self, ttl: Duration) -> Self {
        self.validate(move |info| info.age() < ttl)
    }

    /// The file that holds (or would hold) the result for `args`.
    ///
    /// # Errors
    /// [`Error::Function`] if the function cannot be cached (see [`Memory::cache`]);
    /// [`Error::Arguments`] if `args` cannot be serialized; [`Error::Config`] if an
    /// [ignored](Cached::ignore) position is not one of the function's.
    pub fn entry_path<M>(&self, args: &F::Args) -> Result<PathBuf, Error>
    where
        F: CachedFn<M>,
        F::Args: Serialize,
    {
        if let Err(message) = &self.identity {
            return Err(Error::Function {
                function: self.name.to_string(),
                message: message.to_string(),
            });
        }
        // The prefix holds the identity, name, version and ignored positions.
        key::entry_path(&self.folder, &self.prefix, (F::ARITY, &self.ignore), args).map_err(
            |message| {
                if message.starts_with("`ignore`") {
                    Error::Config { message: format!("cached function `{}`: {message}", self.name) }
                } else {
                    Error::Arguments { function: self.name.to_string(), message }
                }
            },
        )
    }

    /// Whether a call with `args` would be a hit: joblib's `check_call_in_cache`. It reads
    /// and checks the entry (and asks the [validation callback](Cached::validate)), but does
    /// not run the function, store anything, or count as a use for eviction.
    ///
    /// ```
    /// use lazydag_parallel::Memory;
    /// # fn main() -> Result<(), lazydag_parallel::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let f = Memory::new(dir.path()).cache("f", |x: i64| x * x + 1);
    /// assert!(!f.check_call_in_cache(&2)?);
    /// assert_eq!(f.call(2)?, 5);
    /// assert!(f.check_call_in_cache(&2)?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`entry_path`](Cached::entry_path).
    pub fn check_call_in_cache<M>(&self, args: &F::Args) -> Result<bool, Error>
    where
        F: CachedFn<M>,
        F::Args: Serialize,
    {
        let path = self.entry_path(args)?;
        Ok(self.lookup(&path, false).is_some())
    }

    /// The valid entry at `path`: checked, accepted by the validation callback.
    fn lookup(&self, path: &Path, touch: bool) -> Option<Found> {
        let found = self.memory.read(path, touch)?;
        if let Some(valid) = &self.validate
            && !valid(&found.info)
        {
            self.memory.discard(path, "rejected by the validation callback", &found.seen);
            return None;
        }
        Some(found)
    }

    /// The value stored at `path`, if there is a valid one.
    fn load<R: DeserializeOwned>(&self, path: &Path) -> Option<R> {
        let found = self.lookup(path, true)?;
        let value = entry::decode(&found.payload);
        if value.is_none() {
            let why = "the value does not deserialize as the result type";
            self.memory.discard(path, why, &found.seen);
        }
        value
    }

    /// Returns `f(args)`: loaded from the cache on a hit, else computed and stored (unless it
    /// is a `Result`'s `Err`: failures are never stored, so the next call runs `f` again).
    /// `args` is the argument for a function of one argument, a tuple `(a, b, …)` for two to
    /// eight, and `()` for none ([`CachedFn`]). Threads of this process that miss the same
    /// key at once wait for the first, which computes it once.
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
    /// [`Error::Function`] if the function cannot be cached (see [`Memory::cache`]);
    /// [`Error::Arguments`] if `args` cannot be serialized; [`Error::Config`] if an ignored
    /// position is not one of the function's. Cache I/O problems are not errors: a bad entry
    /// is recomputed, a failed write is logged.
    pub fn call<M>(&self, args: F::Args) -> Result<F::Output, Error>
    where
        F: CachedFn<M>,
        F::Args: Serialize,
        F::Output: Serialize + DeserializeOwned,
    {
        let path = self.entry_path(&args)?;
        if let Some(value) = self.load(&path) {
            tracing::debug!(function = %self.name, path = %path.display(), "memory hit");
            return Ok(value);
        }
        let _held = lock::acquire(&path);
        // Another thread may have stored it while this one waited.
        if let Some(value) = self.load(&path) {
            tracing::debug!(function = %self.name, path = %path.display(), "memory hit after wait");
            return Ok(value);
        }
        tracing::debug!(function = %self.name, path = %path.display(), "memory miss");
        let started = SystemTime::now();
        let clock = Instant::now();
        let value = self.f.call_with(args);
        let timing = Timing { started, duration: clock.elapsed() };
        if outcome::is_err(&value) {
            tracing::debug!(function = %self.name, "memory: an Err result is not stored");
        } else {
            // A failed write was logged; the call still returns the value.
            let _ = self.memory.store(&path, || entry::write(&path, &value, timing));
        }
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
