//! The config file: [`Config`], its TOML format, and where it is found.
//!
//! Invariants: a parsed [`Config`] only holds valid values (a known scheduler, a positive worker
//! count, at most [`MAX_WORKERS`]); a malformed file, an unknown
//! key, an unreadable file, or a path that is not a regular file of at most [`MAX_FILE_BYTES`]
//! is an [`Error::Config`] that names the file (and, for an unquoted scheduler name, says to
//! quote it). Only a missing `lazydag.toml` in the working directory counts as "no file".
//!
//! Caching: [`find`] re-reads a file only when its path, modification time or size changed
//! since it last parsed it (one `stat` per call, no read), so editing the file between computes
//! takes effect. A file rewritten within the filesystem's timestamp granularity with the same
//! size may be missed until its next change.

use std::collections::HashMap;
use std::fmt;
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::kind::workers_error;
use super::{ENV_CONFIG, FILE_NAME, SchedulerKind};
use crate::error::Error;
use crate::sync::lock_std;
use crate::worker::{MAX_WORKERS, too_many_workers};

/// The settings of a config file (`lazydag.toml`). Every key is optional; no other key is
/// allowed.
///
/// ```toml
/// scheduler = "threads"   # sync | threads | work-stealing | async | dask (external)
/// num-workers = 4         # a positive integer
/// # dask-address = "tcp://head:8786"  # the cluster `scheduler = "dask"` connects to
/// optimize = true         # false runs plans as collected (no fusion, no inlining)
/// max-fused-chain = 1000  # a positive integer: cut fused chains this long
/// fuse-reductions = 32    # a positive integer: fuse reduction trees of up to this many tasks
/// ```
///
/// ```
/// use lazydag_core::config::{Config, SchedulerKind};
/// let config = Config::from_toml_str("scheduler = \"threads\"\nnum-workers = 4").unwrap();
/// assert_eq!(config.scheduler(), Some(SchedulerKind::Threads));
/// assert_eq!(config.num_workers(), Some(4));
/// assert_eq!(Config::from_toml_str("").unwrap(), Config::default());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    scheduler: Option<SchedulerKind>,
    #[serde(default, deserialize_with = "positive")]
    num_workers: Option<usize>,
    optimize: Option<bool>,
    max_fused_chain: Option<i64>,
    fuse_reductions: Option<i64>,
    dask_address: Option<String>,
}

impl Config {
    /// Parses a config from TOML text.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// let err = Config::from_toml_str("num_workers = 4").unwrap_err();
    /// assert!(err.to_string().contains("unknown field `num_workers`"));
    /// let err = Config::from_toml_str("num-workers = 0").unwrap_err();
    /// assert!(err.to_string().contains("num-workers must be a positive integer, got `0`"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for malformed TOML, an unknown key, an unknown scheduler name or a
    /// worker count that is not a positive integer.
    pub fn from_toml_str(s: &str) -> Result<Config, Error> {
        let config: Config = toml::from_str(s).map_err(|err| Error::Config {
            message: format!("config TOML is not valid: {}{err}", quote_hint(s)),
        })?;
        config.validated("config TOML")
    }

    /// Checks the optimizer settings, which serde leaves as plain integers.
    fn validated(self, source: &str) -> Result<Config, Error> {
        for (key, value) in
            [("max-fused-chain", self.max_fused_chain), ("fuse-reductions", self.fuse_reductions)]
        {
            if let Some(n) = value.filter(|&n| n <= 0) {
                return Err(Error::Config {
                    message: format!("{source}: {key} must be a positive integer, got `{n}`"),
                });
            }
        }
        Ok(self)
    }

    /// Reads and parses a config file (uncached: every call reads the file). Only a regular
    /// file (or a link to one) of at most [`MAX_FILE_BYTES`] is read: a FIFO, a device such as
    /// `/dev/zero` or a directory is refused without being opened for reading.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// let err = Config::from_file("/no/such/dir/lazydag.toml").unwrap_err();
    /// assert!(err.to_string().contains("cannot read config file `/no/such/dir/lazydag.toml`"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] naming the file when it cannot be read or is not valid (see
    /// [`from_toml_str`](Config::from_toml_str)).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, Error> {
        let path = path.as_ref();
        let cannot_read = |err: &dyn fmt::Display| Error::Config {
            message: format!("cannot read config file `{}`: {err}", path.display()),
        };
        // Look before opening: opening a FIFO blocks until a writer comes.
        let meta = std::fs::metadata(path).map_err(|err| cannot_read(&err))?;
        check_kind(&meta).map_err(|why| cannot_read(&why))?;
        let file = std::fs::File::open(path).map_err(|err| cannot_read(&err))?;
        // Read at most one byte past the cap, so a file that grew since is still refused.
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|err| cannot_read(&err))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(cannot_read(&too_big()));
        }
        let text = String::from_utf8(bytes).map_err(|err| cannot_read(&err))?;
        let config: Config = toml::from_str(&text).map_err(|err| Error::Config {
            message: format!(
                "config file `{}` is not valid: {}{err}",
                path.display(),
                quote_hint(&text)
            ),
        })?;
        config.validated(&format!("config file `{}`", path.display()))
    }

    /// The `scheduler` key, if set.
    ///
    /// ```
    /// use lazydag_core::config::{Config, SchedulerKind};
    /// let config = Config::from_toml_str("scheduler = \"SYNC\"").unwrap();
    /// assert_eq!(config.scheduler(), Some(SchedulerKind::Sequential));
    /// ```
    pub fn scheduler(&self) -> Option<SchedulerKind> {
        self.scheduler
    }

    /// The `num-workers` key, if set; never `Some(0)`.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// assert_eq!(Config::from_toml_str("num-workers = 3").unwrap().num_workers(), Some(3));
    /// assert_eq!(Config::from_toml_str("").unwrap().num_workers(), None);
    /// ```
    pub fn num_workers(&self) -> Option<usize> {
        self.num_workers
    }

    /// The `optimize` key, if set.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// assert_eq!(Config::from_toml_str("optimize = false").unwrap().optimize(), Some(false));
    /// ```
    pub fn optimize(&self) -> Option<bool> {
        self.optimize
    }

    /// The `dask-address` key, if set: the address the external `dask` scheduler connects to.
    ///
    /// ```
    /// use lazydag_core::config::{Config, SchedulerKind};
    /// let config = Config::from_toml_str("scheduler = \"dask\"\ndask-address = \"tcp://127.0.0.1:8786\"").unwrap();
    /// assert_eq!(config.scheduler(), Some(SchedulerKind::External("dask")));
    /// assert_eq!(config.dask_address(), Some("tcp://127.0.0.1:8786"));
    /// ```
    pub fn dask_address(&self) -> Option<&str> {
        self.dask_address.as_deref()
    }

    /// The `max-fused-chain` key, if set; never `Some(0)`.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// assert_eq!(Config::from_toml_str("max-fused-chain = 64").unwrap().max_fused_chain(), Some(64));
    /// let err = Config::from_toml_str("max-fused-chain = 0").unwrap_err();
    /// assert!(err.to_string().contains("max-fused-chain must be a positive integer, got `0`"));
    /// ```
    pub fn max_fused_chain(&self) -> Option<usize> {
        self.max_fused_chain.map(|n| n as usize)
    }

    /// The `fuse-reductions` key, if set; never `Some(0)`.
    ///
    /// ```
    /// use lazydag_core::config::Config;
    /// assert_eq!(Config::from_toml_str("fuse-reductions = 32").unwrap().fuse_reductions(), Some(32));
    /// ```
    pub fn fuse_reductions(&self) -> Option<usize> {
        self.fuse_reductions.map(|n| n as usize)
    }
}

/// Advice for the most common TOML slip, an unquoted scheduler name (`scheduler = threads`,
/// which TOML reads as a malformed boolean or number): `quote the value: scheduler =
/// "threads"; `, or nothing.
///
/// ```
/// use lazydag_core::config::Config;
/// let err = Config::from_toml_str("num-workers = 2\nscheduler = threads").unwrap_err();
/// assert!(err.to_string().contains(r#"quote the value: scheduler = "threads""#), "{err}");
/// ```
fn quote_hint(text: &str) -> String {
    let bare = |value: &str| {
        !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !matches!(value, "true" | "false")
            && !value.starts_with(|c: char| c.is_ascii_digit())
    };
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, _)| key.trim() == "scheduler")
        .map(|(_, value)| value.split('#').next().unwrap_or_default().trim())
        .find(|value| bare(value))
        .map(|value| format!("quote the value: scheduler = \"{value}\"; "))
        .unwrap_or_default()
}

/// The largest config file lazydag reads: 1 MiB, far above any real `lazydag.toml`, so that a
/// wrong path (a log, a disk image) fails at once instead of filling memory.
///
/// ```
/// assert_eq!(lazydag_core::config::MAX_FILE_BYTES, 1 << 20);
/// ```
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Why a config file of this kind is not read, if it is not a regular file within the cap.
fn check_kind(meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!(
            "it is not a regular file (it is {}); lazydag reads its config only from a regular \
             file of at most {MAX_FILE_BYTES} bytes",
            describe(meta.file_type())
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(())
}

/// The reason for a file over [`MAX_FILE_BYTES`].
fn too_big() -> String {
    format!("it is larger than {MAX_FILE_BYTES} bytes, the most lazydag reads for a config file")
}

/// What kind of file system object this is, for an error message.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a regular file" }
}

/// Deserializes `num-workers`: a TOML integer that is positive.
fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    struct Positive;

    impl Visitor<'_> for Positive {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a positive integer")
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<usize, E> {
            if n > 0 {
                return self.visit_u64(n.unsigned_abs());
            }
            Err(E::custom(workers_message(workers_error("num-workers", n))))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<usize, E> {
            match usize::try_from(n) {
                Ok(0) => Err(E::custom(workers_message(workers_error("num-workers", n)))),
                Ok(n) if n <= MAX_WORKERS => Ok(n),
                _ => Err(E::custom(workers_message(too_many_workers("num-workers", n)))),
            }
        }
    }

    deserializer.deserialize_i64(Positive).map(Some)
}

/// The message of a bad `num-workers` value's error.
fn workers_message(err: Error) -> String {
    match err {
        Error::Config { message } => message,
        other => other.to_string(),
    }
}

/// A parsed file and the metadata it was parsed at.
struct Cached {
    modified: SystemTime,
    len: u64,
    config: Config,
}

/// Parsed config files by path.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Cached>>> = LazyLock::new(Default::default);

/// The config file that applies: the one `LAZYDAG_CONFIG` names (`config_var`, relative to
/// `cwd`), which must exist, or else `lazydag.toml` in `cwd`, if there is one.
pub(super) fn find(config_var: Option<String>, cwd: &Path) -> Result<Option<Config>, Error> {
    let (path, named) = match config_var {
        Some(var) => (cwd.join(var), true),
        None => (cwd.join(FILE_NAME), false),
    };
    let cannot_read = |err: &dyn fmt::Display| {
        let by = if named { format!(" (named by {ENV_CONFIG})") } else { String::new() };
        Error::Config {
            message: format!("cannot read config file `{}`{by}: {err}", path.display()),
        }
    };
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == ErrorKind::NotFound && !named => return Ok(None),
        Err(err) => return Err(cannot_read(&err)),
    };
    // A FIFO would block the compute, a device could be read forever: refuse both unread.
    check_kind(&meta).map_err(|why| cannot_read(&why))?;
    let Ok(modified) = meta.modified() else {
        // No timestamps on this platform: nothing to key a cache on, so read every time.
        return Config::from_file(&path).map(Some);
    };
    let len = meta.len();
    let mut files = lock_std(&FILES);
    if let Some(cached) = files.get(&path)
        && cached.modified == modified
        && cached.len == len
    {
        return Ok(Some(cached.config.clone()));
    }
    let config = Config::from_file(&path)?;
    files.insert(path, Cached { modified, len, config: config.clone() });
    Ok(Some(config))
}
