//! Runtime selection of the default scheduler, with Dask's precedence.
//!
//! [`Delayed::compute`](crate::Delayed::compute) and [`compute`](crate::compute()) run on the
//! scheduler picked here ([`default_scheduler`]);
//! [`compute_with`](crate::compute_with) runs on the one it is given and reads no
//! configuration. Two settings are picked, each from the first source that sets it:
//!
//! | precedence | source | scheduler | worker count |
//! | --- | --- | --- | --- |
//! | 1 | the scheduler passed to `compute_with` | itself | its own |
//! | 2 | a scoped override on this thread: [`set`] | `kind` | `workers`, if `Some` |
//! | 3 | the environment | `LAZYDAG_SCHEDULER` | `LAZYDAG_NUM_WORKERS` |
//! | 4 | the config file: `LAZYDAG_CONFIG`, else `./lazydag.toml` | `scheduler` | `num-workers` |
//! | 5 | the default | `work-stealing` | one per core |
//!
//! Scheduler names are `sync`, `threads`, `work-stealing` and `async` (see [`SchedulerKind`]),
//! and external ones registered by other crates ([`register_external`]): `dask`, registered by
//! `lazydag_dask::register()` or `lazydag_dask::main_hook()`, connects to the cluster at
//! `LAZYDAG_DASK_ADDRESS` ([`ENV_DASK_ADDRESS`]), else the file's `dask-address`. The core
//! depends on no cluster: configuring `dask` without registering it fails the compute with an
//! [`Error::Config`] that names the crate to add. The config file format is described on
//! [`Config`].
//!
//! ```
//! use lazydag_core::{delayed, config::{self, SchedulerKind}, scheduler::Sequential};
//! fn add(a: i32, b: i32) -> i32 { a + b }
//! let z = delayed!(add(1, 2));
//!
//! let _guard = config::set(SchedulerKind::Threads, Some(2)); // beats env and file
//! assert_eq!(config::current().unwrap(), (SchedulerKind::Threads, 2));
//! assert_eq!(z.compute().unwrap(), 3);                       // on the `threads` pool
//! assert_eq!(z.compute_with(&Sequential).unwrap(), 3);             // per call beats all
//! ```
//!
//! # Invariants
//! - **No silent fallback.** A source that is consulted and holds an invalid value (an unknown
//!   scheduler name, a worker count that is not a positive integer or is above
//!   [`MAX_WORKERS`], malformed TOML, an unknown key, a `LAZYDAG_CONFIG` that cannot be read, a
//!   config path that is not a regular file (a FIFO, a device, a directory) or is larger than
//!   [`MAX_FILE_BYTES`]) fails the compute with
//!   [`Error::Config`], naming the setting, the value (cut to its first 64 characters when
//!   longer) and what would be valid. No setting value or file can panic, hang or exhaust
//!   memory: a FIFO or device is refused before it is opened for reading. A source is
//!   consulted for a setting only while no higher source has set it: with both settings
//!   overridden by [`set`], the environment and the file are not read. An empty environment
//!   variable counts as unset. A missing `lazydag.toml` in the working directory is no file; a
//!   missing file named by `LAZYDAG_CONFIG` is an error.
//! - **One pool per setting.** Schedulers are built once per `(kind, workers)` pair per
//!   process, on first use, and every later compute with the same pair reuses the same
//!   [`Arc`]; they live until the process exits. `sync` always has one worker: a worker count
//!   that applies to it is still validated, then ignored.
//! - **Cheap per compute.** Each resolution reads the three environment variables (so a change
//!   takes effect at the next compute) and `stat`s the config file; the file is parsed again
//!   only when its path, modification time or size changed. The number of cores is read once
//!   per process.
//! - **Overrides are per thread** (see [`set`]): parallel tests and libraries cannot change
//!   each other's scheduler, and a spawned thread does not inherit its parent's override.

mod external;
mod file;
#[cfg(test)]
mod hostile;
mod kind;
mod pools;
mod scope;
#[cfg(test)]
mod tests;

pub use self::external::{ExternalFactory, register_external, registered_externals};
pub use self::file::{Config, MAX_FILE_BYTES};
pub use self::kind::SchedulerKind;
pub use self::scope::{ConfigGuard, set};

use std::path::Path;
use std::sync::Arc;

use lazydag_optimize::Optimizer;

use self::kind::parse_workers;
use crate::error::Error;
use crate::schedulers::Scheduler;

pub use crate::worker::{MAX_WORKERS, cores};

/// The environment variable that names the default scheduler (see [`SchedulerKind`]).
///
/// ```
/// assert_eq!(lazydag_core::config::ENV_SCHEDULER, "LAZYDAG_SCHEDULER");
/// ```
pub const ENV_SCHEDULER: &str = "LAZYDAG_SCHEDULER";

/// The environment variable that sets the worker count, a positive integer.
///
/// ```
/// assert_eq!(lazydag_core::config::ENV_NUM_WORKERS, "LAZYDAG_NUM_WORKERS");
/// ```
pub const ENV_NUM_WORKERS: &str = "LAZYDAG_NUM_WORKERS";

/// The environment variable that holds the address of the Dask scheduler the external `dask`
/// scheduler connects to (beats the config file's `dask-address`).
///
/// ```
/// assert_eq!(lazydag_core::config::ENV_DASK_ADDRESS, "LAZYDAG_DASK_ADDRESS");
/// ```
pub const ENV_DASK_ADDRESS: &str = "LAZYDAG_DASK_ADDRESS";

/// The environment variable that names the config file to read instead of
/// [`FILE_NAME`] in the working directory; relative paths are relative to the working directory.
///
/// ```
/// assert_eq!(lazydag_core::config::ENV_CONFIG, "LAZYDAG_CONFIG");
/// ```
pub const ENV_CONFIG: &str = "LAZYDAG_CONFIG";

/// The environment variable that turns the optimizer on or off: `on`/`off` (also
/// `true`/`false`, `1`/`0`, `yes`/`no`).
///
/// ```
/// assert_eq!(lazydag_core::config::ENV_OPTIMIZE, "LAZYDAG_OPTIMIZE");
/// ```
pub const ENV_OPTIMIZE: &str = "LAZYDAG_OPTIMIZE";

/// The config file looked for in the working directory when `LAZYDAG_CONFIG` is unset.
///
/// ```
/// assert_eq!(lazydag_core::config::FILE_NAME, "lazydag.toml");
/// ```
pub const FILE_NAME: &str = "lazydag.toml";

/// The scheduler kind and worker count that [`compute`](crate::compute()) would use on this
/// thread now (the override, environment, config file and default, in that order).
///
/// ```
/// use lazydag_core::config::{self, SchedulerKind};
/// let _guard = config::set(SchedulerKind::Sequential, Some(8));
/// assert_eq!(config::current().unwrap(), (SchedulerKind::Sequential, 1)); // `sync` has one worker
/// ```
///
/// # Errors
/// [`Error::Config`] when a consulted source holds an invalid value (see the
/// [module docs](self)).
pub fn current() -> Result<(SchedulerKind, usize), Error> {
    // Without a readable working directory, `lazydag.toml` resolves against the (gone)
    // directory and is simply not found.
    let cwd = std::env::current_dir().unwrap_or_default();
    resolve_from(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()), &cwd)
}

/// The [`Optimizer`] [`compute`](crate::compute()) uses when its [`Control`](crate::Control)
/// names none: the default pipeline, turned off by `LAZYDAG_OPTIMIZE=off` (which beats the
/// file) or `optimize = false` in the config file, and tuned by the file's `max-fused-chain`
/// and `fuse-reductions`.
///
/// ```
/// let optimizer = lazydag_core::config::optimizer().unwrap();
/// # if std::env::var_os("LAZYDAG_OPTIMIZE").is_none() {
/// assert!(optimizer.is_enabled() && optimizer.fuses());
/// # }
/// ```
///
/// # Errors
/// [`Error::Config`] for a bad `LAZYDAG_OPTIMIZE` value (naming the valid ones) or an invalid
/// config file.
pub fn optimizer() -> Result<Optimizer, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    optimizer_from(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()), &cwd)
}

/// [`optimizer`] with `env` as the environment and `cwd` as the working directory.
pub(crate) fn optimizer_from(
    env: impl Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<Optimizer, Error> {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let enabled = match var(ENV_OPTIMIZE) {
        None => None,
        Some(value) => Some(match value.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => true,
            "off" | "false" | "0" | "no" => false,
            _ => {
                return Err(Error::Config {
                    message: format!(
                        "{ENV_OPTIMIZE} must be on or off, got `{}` (valid values: on, off, true, false, 1, 0, yes, no)",
                        kind::shown(&value)
                    ),
                });
            }
        }),
    };
    let file = file::find(var(ENV_CONFIG), cwd)?.unwrap_or_default();
    Ok(Optimizer::default()
        .enabled(enabled.or(file.optimize()).unwrap_or(true))
        .max_chain(file.max_fused_chain().unwrap_or(usize::MAX))
        .fuse_reductions(file.fuse_reductions()))
}

/// The scheduler [`Delayed::compute`](crate::Delayed::compute) and
/// [`compute`](crate::compute()) use, as configured (see [`config`](crate::config)): the one
/// configured for this thread right now, from the process-wide cache of pools. Also public as
/// [`scheduler::default_scheduler`](crate::scheduler::default_scheduler).
///
/// ```
/// let _scoped = lazydag_core::config::set(lazydag_core::config::SchedulerKind::Threads, Some(2));
/// assert_eq!(lazydag_core::config::default_scheduler().unwrap().name(), "threads");
/// ```
///
/// # Errors
/// [`Error::Config`] when the environment or the config file names an unknown scheduler or
/// a bad worker count, or an external one that no crate registered; an external scheduler's
/// own error when it cannot be built (a cluster that cannot be reached).
pub fn default_scheduler() -> Result<Arc<dyn Scheduler>, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    scheduler_from(
        |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        &cwd,
        external::global(),
    )
}

/// [`default_scheduler`] with `env`, `cwd` and `externals` as the environment, the working
/// directory and the registry of external schedulers.
pub(crate) fn scheduler_from(
    env: impl Fn(&str) -> Option<String>,
    cwd: &Path,
    externals: &external::Externals,
) -> Result<Arc<dyn Scheduler>, Error> {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    match resolve_with(var, cwd, &externals.names())? {
        (SchedulerKind::External(name), _) => {
            let address = match var(ENV_DASK_ADDRESS) {
                Some(address) => Some(address.trim().to_owned()),
                None => file::find(var(ENV_CONFIG), cwd)?
                    .and_then(|config| config.dask_address().map(str::to_owned)),
            };
            externals.get(name, address.as_deref())
        }
        (kind, workers) => pools::get(kind, workers),
    }
}

/// The process's one scheduler of `kind` with `workers` workers (`sync` has one), built on
/// first use and shared by everything that asks for that pair: [`compute`](crate::compute())
/// through [`default_scheduler`], and `lazydag-parallel`'s `Parallel` and `Memory`. So a program
/// that mixes them runs one pool, not one per library.
///
/// ```
/// use std::sync::Arc;
/// use lazydag_core::config::{self, SchedulerKind};
/// let a = config::pool(SchedulerKind::Threads, 2).unwrap();
/// let b = config::pool(SchedulerKind::Threads, 2).unwrap();
/// assert!(Arc::ptr_eq(&a, &b));
/// ```
///
/// # Errors
/// [`Error::Config`] for a worker count of 0 or above [`MAX_WORKERS`];
/// [`Error::Scheduler`] if the operating system refuses to start a thread.
pub fn pool(kind: SchedulerKind, workers: usize) -> Result<Arc<dyn Scheduler>, Error> {
    let workers = if kind == SchedulerKind::Sequential { 1 } else { workers };
    pools::get(kind, workers)
}

/// Applies the precedence with `env` as the environment and `cwd` as the working directory
/// (the scoped override is read from this thread).
pub(crate) fn resolve_from(
    env: impl Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<(SchedulerKind, usize), Error> {
    resolve_with(env, cwd, &external::global().names())
}

/// [`resolve_from`] with `registered` as the registered external names.
fn resolve_with(
    env: impl Fn(&str) -> Option<String>,
    cwd: &Path,
    registered: &[&'static str],
) -> Result<(SchedulerKind, usize), Error> {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let scoped = scope::current();
    let mut kind = scoped.map(|(kind, _)| kind);
    let mut workers = scoped.and_then(|(_, workers)| workers);
    // Checked here, as the environment's and the file's are when parsed, so that `current()`
    // reports the error `compute()` would meet, naming the setting.
    if let Some(n) = workers.filter(|&n| n > MAX_WORKERS) {
        return Err(crate::worker::too_many_workers("config::set's worker count", n));
    }
    if kind.is_none()
        && let Some(value) = var(ENV_SCHEDULER)
    {
        kind = Some(SchedulerKind::parse_with(&value, Some(ENV_SCHEDULER), registered)?);
    }
    if workers.is_none()
        && let Some(value) = var(ENV_NUM_WORKERS)
    {
        workers = Some(parse_workers(&value, ENV_NUM_WORKERS)?);
    }
    if (kind.is_none() || workers.is_none())
        && let Some(config) = file::find(var(ENV_CONFIG), cwd)?
    {
        kind = kind.or(config.scheduler());
        workers = workers.or(config.num_workers());
    }
    Ok(match kind.unwrap_or(SchedulerKind::WorkStealing) {
        SchedulerKind::Sequential => (SchedulerKind::Sequential, 1),
        kind => (kind, workers.unwrap_or_else(|| cores().min(MAX_WORKERS))),
    })
}
