//! Schedulers that live outside the core, selectable by name like the built-in ones:
//! [`register_external`] and [`ExternalFactory`].
//!
//! The core knows no cluster: a crate that provides one (`lazydag-dask`, whose
//! `lazydag_dask::register()` or `main_hook()` registers `dask`) hands the core a factory
//! under a name. Then `LAZYDAG_SCHEDULER=dask` or `scheduler = "dask"` in `lazydag.toml`
//! resolves to [`SchedulerKind::External`], and [`default_scheduler`](super::default_scheduler)
//! builds it from the factory with the address in [`ENV_DASK_ADDRESS`](super::ENV_DASK_ADDRESS)
//! or the file's `dask-address`.
//!
//! Invariants: a name in [`KNOWN`] (`dask`) parses even before its crate registered it, so
//! the error then says which crate provides it instead of "unknown scheduler"; any other name
//! parses only once registered. A factory is called at most once per `(name, address)` per
//! registry; the scheduler it built is reused by every later compute. Registering a name again
//! replaces the factory and drops the schedulers the old one built.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::SchedulerKind;
use crate::error::Error;
use crate::schedulers::Scheduler;
use crate::sync::lock_std;

/// Builds an external scheduler from the configured address (`None` when neither
/// `LAZYDAG_DASK_ADDRESS` nor the file's `dask-address` is set).
pub type ExternalFactory = fn(address: Option<&str>) -> Result<Arc<dyn Scheduler>, Error>;

/// External scheduler names the core knows of before anything registers them, and what
/// provides each: the advice of the error when one is configured but not registered.
pub(super) const KNOWN: [(&str, &str); 1] = [(
    "dask",
    "it is provided by the crate `lazydag-dask` with its `python` feature: add it and call \
     `lazydag_dask::register()` (or `lazydag_dask::main_hook()`) at the start of `main`",
)];

/// One registered factory and the schedulers it built, by address.
struct Entry {
    factory: ExternalFactory,
    built: HashMap<Option<String>, Arc<dyn Scheduler>>,
}

/// A registry of external schedulers by name. The process has one ([`global`]); unit tests
/// make their own, so they share no state.
#[derive(Default)]
pub(crate) struct Externals {
    entries: Mutex<HashMap<&'static str, Entry>>,
}

impl Externals {
    /// Registers `factory` under `name` (normalized as scheduler names are: lowercase, `-`).
    pub(crate) fn register(&self, name: &'static str, factory: ExternalFactory) {
        lock_std(&self.entries).insert(name, Entry { factory, built: HashMap::new() });
    }

    /// The registered names, sorted.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = lock_std(&self.entries).keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// The scheduler registered as `name` for `address`, built on first use.
    ///
    /// # Errors
    /// [`Error::Config`] when nothing registered `name` (saying what provides it, if known);
    /// the factory's error otherwise (nothing is cached then, so the next compute tries again).
    pub(crate) fn get(
        &self,
        name: &str,
        address: Option<&str>,
    ) -> Result<Arc<dyn Scheduler>, Error> {
        let mut entries = lock_std(&self.entries);
        let Some(entry) = entries.get_mut(name) else {
            let advice = KNOWN
                .iter()
                .find(|(known, _)| *known == name)
                .map_or("no crate registered it (`lazydag::config::register_external`)", |k| k.1);
            return Err(Error::Config {
                message: format!("scheduler `{name}` is configured but not available: {advice}"),
            });
        };
        let key = address.map(str::to_owned);
        if let Some(built) = entry.built.get(&key) {
            return Ok(Arc::clone(built));
        }
        // The factory (a cluster connect) runs without the registry's lock: a slow or failing
        // connect must not stall every other thread's scheduler lookup (each lookup reads the
        // registered names), nor deadlock a factory that itself reads the configuration. Two
        // threads may then both build one; the first stored is kept and shared.
        let factory = entry.factory;
        drop(entries);
        let scheduler = factory(address)?;
        let mut entries = lock_std(&self.entries);
        let Some(entry) = entries.get_mut(name) else { return Ok(scheduler) };
        Ok(Arc::clone(entry.built.entry(key).or_insert(scheduler)))
    }
}

/// The process's registry, which [`register_external`] fills.
pub(crate) fn global() -> &'static Externals {
    static GLOBAL: LazyLock<Externals> = LazyLock::new(Externals::default);
    &GLOBAL
}

/// Registers an external scheduler under `name` for the whole process, so that
/// `LAZYDAG_SCHEDULER=<name>` or `scheduler = "<name>"` in the config file selects it (as
/// [`SchedulerKind::External`]). `lazydag_dask::register()` calls this for `dask`. The name is
/// matched as scheduler names are (case-insensitive, `_` read as `-`); it must not be a
/// built-in name or alias, which always win.
///
/// ```
/// use std::sync::Arc;
/// use lazydag_core::{Error, Scheduler, config::{self, SchedulerKind}, scheduler::Sequential};
/// fn here(_address: Option<&str>) -> Result<Arc<dyn Scheduler>, Error> {
///     Ok(Arc::new(Sequential))
/// }
/// config::register_external("doc-example-here", here);
/// assert!(config::registered_externals().contains(&"doc-example-here"));
/// let kind: SchedulerKind = "Doc_Example_Here".parse().unwrap();
/// assert_eq!(kind, SchedulerKind::External("doc-example-here"));
/// ```
///
/// # Panics
/// If `name` is not already lowercase with `-` (so that parsing can find it).
pub fn register_external(name: &'static str, factory: ExternalFactory) {
    assert!(
        name == name.to_ascii_lowercase().replace('_', "-"),
        "lazydag::config::register_external: the name must be lowercase with `-`, got `{name}`"
    );
    global().register(name, factory);
}

/// The names registered with [`register_external`] so far, sorted.
///
/// ```
/// let names = lazydag_core::config::registered_externals();
/// assert!(names.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn registered_externals() -> Vec<&'static str> {
    global().names()
}

/// `wanted` (already normalized) as an external kind, if it is known or in `registered`.
pub(super) fn parse(wanted: &str, registered: &[&'static str]) -> Option<SchedulerKind> {
    KNOWN
        .iter()
        .map(|(name, _)| *name)
        .chain(registered.iter().copied())
        .find(|name| *name == wanted)
        .map(SchedulerKind::External)
}

/// The external names an error message lists after the built-in ones: the known, then the
/// registered, each once.
pub(super) fn valid_names(registered: &[&'static str]) -> Vec<&'static str> {
    let mut names: Vec<_> = KNOWN.iter().map(|(name, _)| *name).collect();
    for name in registered {
        if !names.contains(name) {
            names.push(name);
        }
    }
    names
}
