//! [`SchedulerKind`]: the built-in schedulers by name, and the parsing of setting values.
//!
//! Invariant: parsing never falls back to a default. An unknown name or a worker count that is
//! not a positive integer is an [`Error::Config`] naming the setting, the bad value and what
//! would be valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use super::external;
use crate::error::Error;
use crate::worker::{MAX_WORKERS, too_many_workers};

/// A scheduler, as named in `LAZYDAG_SCHEDULER` and in the config file: a built-in one, or
/// an [`External`](SchedulerKind::External) one registered by another crate.
///
/// Parsing ([`FromStr`]) is case-insensitive, ignores surrounding whitespace and accepts `_`
/// for `-`, and Dask's names too: `synchronous` and `single-threaded` for `sync`, `threading`
/// for `threads`. [`Display`](fmt::Display) gives the canonical name.
///
/// ```
/// use lazydag_core::config::SchedulerKind;
/// assert_eq!("Work_Stealing".parse::<SchedulerKind>().unwrap(), SchedulerKind::WorkStealing);
/// assert_eq!(SchedulerKind::WorkStealing.to_string(), "work-stealing");
///
/// let err = "thread".parse::<SchedulerKind>().unwrap_err();
/// assert!(err.to_string().contains("valid values: sync, threads, work-stealing, async"));
/// assert_eq!("synchronous".parse::<SchedulerKind>().unwrap(), SchedulerKind::Sequential);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchedulerKind {
    /// `sync`: [`scheduler::Sequential`](crate::scheduler::Sequential), every task on the calling thread.
    Sequential,
    /// `threads`: [`scheduler::Threaded`](crate::scheduler::Threaded), a pool sharing one
    /// ready queue.
    Threads,
    /// `work-stealing`: [`scheduler::WorkStealing`](crate::scheduler::WorkStealing), one deque
    /// per worker. The default.
    WorkStealing,
    /// `async`: [`scheduler::Async`](crate::scheduler::Async), on tokio.
    Async,
    /// A scheduler outside the core, by its registered name: `dask` (from `lazydag-dask`), or
    /// any name given to [`register_external`](super::register_external). It has no local pool
    /// and ignores the worker count; see [`config`](super) for how its address is set.
    ///
    /// ```
    /// use lazydag_core::config::SchedulerKind;
    /// // `dask` parses before anything registers it; computing on it then says what to add.
    /// assert_eq!("dask".parse::<SchedulerKind>().unwrap(), SchedulerKind::External("dask"));
    /// assert_eq!(SchedulerKind::External("dask").name(), "dask");
    /// ```
    External(&'static str),
}

impl SchedulerKind {
    /// Every built-in kind, in the order error messages list them (before the external names).
    ///
    /// ```
    /// use lazydag_core::config::SchedulerKind;
    /// let names: Vec<_> = SchedulerKind::ALL.iter().map(|k| k.name()).collect();
    /// assert_eq!(names, ["sync", "threads", "work-stealing", "async"]);
    /// ```
    pub const ALL: [SchedulerKind; 4] = [
        SchedulerKind::Sequential,
        SchedulerKind::Threads,
        SchedulerKind::WorkStealing,
        SchedulerKind::Async,
    ];

    /// The canonical name, as [`Display`](fmt::Display) writes it and as
    /// [`Scheduler::name`](crate::Scheduler::name) reports it.
    ///
    /// ```
    /// use lazydag_core::config::SchedulerKind;
    /// assert_eq!(SchedulerKind::Threads.name(), "threads");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            SchedulerKind::Sequential => "sync",
            SchedulerKind::Threads => "threads",
            SchedulerKind::WorkStealing => "work-stealing",
            SchedulerKind::Async => "async",
            SchedulerKind::External(name) => name,
        }
    }

    /// Parses `value`, naming `setting` (`LAZYDAG_SCHEDULER`) in the error, if any, with the
    /// externals registered in the process.
    pub(crate) fn parse_setting(value: &str, setting: Option<&str>) -> Result<Self, Error> {
        Self::parse_with(value, setting, &external::global().names())
    }

    /// [`parse_setting`](Self::parse_setting) with `registered` as the registered externals.
    pub(crate) fn parse_with(
        value: &str,
        setting: Option<&str>,
        registered: &[&'static str],
    ) -> Result<Self, Error> {
        let wanted = value.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(kind) = Self::ALL.into_iter().find(|kind| kind.name() == wanted) {
            return Ok(kind);
        }
        if let Some(&(_, kind)) = ALIASES.iter().find(|(alias, _)| *alias == wanted) {
            return Ok(kind);
        }
        if let Some(kind) = external::parse(&wanted, registered) {
            return Ok(kind);
        }
        let mut valid: Vec<_> = Self::ALL.iter().map(|kind| kind.name()).collect();
        valid.extend(external::valid_names(registered));
        let setting = setting.map(|s| format!(" in {s}")).unwrap_or_default();
        let why = if wanted == "processes" || wanted == "multiprocessing" {
            " (Dask's process pool has no lazydag equivalent: tasks share one address space)"
        } else {
            ""
        };
        Err(Error::Config {
            message: format!(
                "unknown scheduler `{}`{setting}{why}; valid values: {}",
                shown(value),
                valid.join(", ")
            ),
        })
    }
}

/// Dask's scheduler names, accepted as aliases of the canonical ones (after the same
/// normalization: lowercase, `_` read as `-`). Dask's `processes` has no equivalent.
///
/// ```
/// use lazydag_core::config::SchedulerKind;
/// for dask in ["synchronous", "single-threaded", "Single_Threaded"] {
///     assert_eq!(dask.parse::<SchedulerKind>().unwrap(), SchedulerKind::Sequential);
/// }
/// assert_eq!("threading".parse::<SchedulerKind>().unwrap(), SchedulerKind::Threads);
/// let err = "processes".parse::<SchedulerKind>().unwrap_err().to_string();
/// assert!(err.contains("no lazydag equivalent") && err.contains("valid values: sync, threads"));
/// ```
const ALIASES: [(&str, SchedulerKind); 3] = [
    ("synchronous", SchedulerKind::Sequential),
    ("single-threaded", SchedulerKind::Sequential),
    ("threading", SchedulerKind::Threads),
];

impl fmt::Display for SchedulerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SchedulerKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse_setting(s, None)
    }
}

impl<'de> Deserialize<'de> for SchedulerKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse_setting(&name, None).map_err(|err| match err {
            Error::Config { message } => serde::de::Error::custom(message),
            other => serde::de::Error::custom(other),
        })
    }
}

/// Parses a worker count: a positive integer up to [`MAX_WORKERS`], surrounding whitespace
/// ignored.
pub(crate) fn parse_workers(value: &str, setting: &str) -> Result<usize, Error> {
    let digits = value.trim();
    match digits.parse::<usize>() {
        Ok(n) if n > MAX_WORKERS => Err(too_many_workers(setting, n)),
        Ok(n) if n > 0 => Ok(n),
        _ => Err(workers_error(setting, shown(value))),
    }
}

/// The error for a worker count that is not a positive integer.
pub(crate) fn workers_error(setting: &str, value: impl fmt::Display) -> Error {
    Error::Config { message: format!("{setting} must be a positive integer, got `{value}`") }
}

/// The most characters of a bad setting value an error message quotes.
const SHOWN_CHARS: usize = 64;

/// `value` as an error message quotes it: whole if short, else its first [`SHOWN_CHARS`]
/// characters and how long it was, so a huge environment variable cannot flood a log.
pub(crate) fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &value[..cut], value.len()),
    }
}
