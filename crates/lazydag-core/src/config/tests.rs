//! Precedence, errors and caching, through `resolve_from` with a fake environment and a
//! scratch working directory (the real environment is never touched).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::SchedulerKind::{Async, Sequential, Threads, WorkStealing};
use super::*;

/// A fake environment holding `vars`.
pub(super) fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: Vec<(String, String)> =
        vars.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A scratch directory, removed on drop.
pub(super) struct Scratch(PathBuf);

impl Scratch {
    pub(super) fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("lazydag-config-unit-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes `text` to `name` in the directory and returns its path.
    pub(super) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The message of an `Error::Config`.
pub(super) fn message(result: Result<(SchedulerKind, usize), Error>) -> String {
    match result {
        Err(Error::Config { message }) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn cores() -> usize {
    super::cores()
}

#[test]
fn default_is_work_stealing_with_one_worker_per_core() {
    let dir = Scratch::new();
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (WorkStealing, cores()));
}

#[test]
fn file_beats_default() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "scheduler = \"threads\"\nnum-workers = 3\n");
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (Threads, 3));
    dir.write(FILE_NAME, "num-workers = 5\n");
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (WorkStealing, 5));
}

#[test]
fn env_beats_file_setting_by_setting() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "scheduler = \"threads\"\nnum-workers = 3\n");
    let both = env(&[(ENV_SCHEDULER, "async"), (ENV_NUM_WORKERS, "7")]);
    assert_eq!(resolve_from(both, dir.path()).unwrap(), (Async, 7));
    // Each setting comes from the first source that sets it.
    let kind_only = env(&[(ENV_SCHEDULER, "work_stealing")]);
    assert_eq!(resolve_from(kind_only, dir.path()).unwrap(), (WorkStealing, 3));
    let workers_only = env(&[(ENV_NUM_WORKERS, "2")]);
    assert_eq!(resolve_from(workers_only, dir.path()).unwrap(), (Threads, 2));
    // An empty variable is unset.
    let empty = env(&[(ENV_SCHEDULER, ""), (ENV_NUM_WORKERS, " ")]);
    assert_eq!(resolve_from(empty, dir.path()).unwrap(), (Threads, 3));
}

#[test]
fn env_is_case_insensitive_and_sync_has_one_worker() {
    let dir = Scratch::new();
    let vars = env(&[(ENV_SCHEDULER, " SYNC "), (ENV_NUM_WORKERS, "8")]);
    assert_eq!(resolve_from(vars, dir.path()).unwrap(), (Sequential, 1));
}

#[test]
fn scoped_override_beats_env_and_file() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "scheduler = \"threads\"\nnum-workers = 3\n");
    let vars = [(ENV_SCHEDULER, "sync"), (ENV_NUM_WORKERS, "7")];
    {
        let _guard = set(Async, Some(2));
        assert_eq!(resolve_from(env(&vars), dir.path()).unwrap(), (Async, 2));
    }
    {
        // Without a worker count, the worker count still comes from the environment...
        let _guard = set(Async, None);
        assert_eq!(resolve_from(env(&vars), dir.path()).unwrap(), (Async, 7));
        // ... or the file.
        assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (Async, 3));
    }
    assert_eq!(resolve_from(env(&vars), dir.path()).unwrap(), (Sequential, 1));
}

#[test]
fn a_complete_override_reads_neither_env_nor_file() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "not toml at all");
    let bad = env(&[(ENV_SCHEDULER, "bogus"), (ENV_NUM_WORKERS, "0")]);
    let _guard = set(Threads, Some(2));
    assert_eq!(resolve_from(bad, dir.path()).unwrap(), (Threads, 2));
}

#[test]
fn nested_guards_restore_in_lifo_order() {
    let dir = Scratch::new();
    let now = || resolve_from(env(&[]), dir.path()).unwrap();
    let outer = set(Threads, Some(2));
    {
        let _inner = set(Sequential, None);
        assert_eq!(now(), (Sequential, 1));
        {
            let _innermost = set(Async, Some(4));
            assert_eq!(now(), (Async, 4));
        }
        assert_eq!(now(), (Sequential, 1));
    }
    assert_eq!(now(), (Threads, 2));
    drop(outer);
    assert_eq!(now(), (WorkStealing, cores()));
}

#[test]
fn a_guard_dropped_out_of_order_removes_only_its_own_override() {
    let dir = Scratch::new();
    let now = || resolve_from(env(&[]), dir.path()).unwrap();
    let first = set(Threads, Some(2));
    let second = set(Async, Some(3));
    drop(first);
    assert_eq!(now(), (Async, 3));
    drop(second);
    assert_eq!(now(), (WorkStealing, cores()));
}

#[test]
#[should_panic(expected = "the worker count must be positive, got 0")]
fn set_rejects_zero_workers() {
    let _guard = set(Threads, Some(0));
}

#[test]
fn unknown_scheduler_lists_all_valid_values() {
    let dir = Scratch::new();
    assert_eq!(
        message(resolve_from(env(&[(ENV_SCHEDULER, "thread")]), dir.path())),
        "unknown scheduler `thread` in LAZYDAG_SCHEDULER; valid values: sync, threads, \
         work-stealing, async, dask"
    );
}

#[test]
fn bad_worker_counts_are_errors() {
    let dir = Scratch::new();
    for bad in ["0", "-3", "four", "2.5", "99999999999999999999999"] {
        assert_eq!(
            message(resolve_from(env(&[(ENV_NUM_WORKERS, bad)]), dir.path())),
            format!("LAZYDAG_NUM_WORKERS must be a positive integer, got `{bad}`")
        );
    }
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let cases = [
        ("scheduler = ", "is not valid"),
        (
            "num_workers = 4",
            "unknown field `num_workers`, expected one of `scheduler`, `num-workers`",
        ),
        ("scheduler = \"thread\"", "unknown scheduler `thread`; valid values: sync, threads"),
        ("num-workers = 0", "num-workers must be a positive integer, got `0`"),
        ("num-workers = -2", "num-workers must be a positive integer, got `-2`"),
        ("num-workers = \"4\"", "expected a positive integer"),
        ("max-fused-chain = 0", "max-fused-chain must be a positive integer, got `0`"),
        ("optimize = \"yes\"", "invalid type: string \"yes\", expected a boolean"),
        ("scheduler = threads", "is not valid: quote the value: scheduler = \"threads\"; "),
        ("scheduler = work-stealing # fast", "quote the value: scheduler = \"work-stealing\""),
        ("scheduler = \"processes\"", "(Dask's process pool has no lazydag equivalent"),
    ];
    for (text, expected) in cases {
        let dir = Scratch::new();
        let path = dir.write(FILE_NAME, text);
        let message = message(resolve_from(env(&[]), dir.path()));
        assert!(message.contains(&format!("`{}`", path.display())), "{message}");
        assert!(message.contains(expected), "{text:?} gave {message}");
    }
}

#[test]
fn lazydag_config_names_the_file_relative_to_cwd() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "scheduler = \"sync\"");
    dir.write("other.toml", "scheduler = \"async\"\nnum-workers = 6");
    let vars = env(&[(ENV_CONFIG, "other.toml")]);
    assert_eq!(resolve_from(vars, dir.path()).unwrap(), (Async, 6));
}

#[test]
fn lazydag_config_naming_a_missing_file_is_an_error() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "scheduler = \"sync\"");
    let missing = dir.path().join("missing.toml");
    let vars = env(&[(ENV_CONFIG, missing.to_str().unwrap())]);
    let message = message(resolve_from(vars, dir.path()));
    assert!(
        message.starts_with(&format!(
            "cannot read config file `{}` (named by LAZYDAG_CONFIG)",
            missing.display()
        )),
        "{message}"
    );
}

#[test]
fn an_edited_file_is_read_again() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "num-workers = 3");
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (WorkStealing, 3));
    // A different size is noticed even within one timestamp tick.
    dir.write(FILE_NAME, "num-workers = 12");
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (WorkStealing, 12));
    std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
    assert_eq!(resolve_from(env(&[]), dir.path()).unwrap(), (WorkStealing, cores()));
}

#[test]
fn one_scheduler_per_kind_and_worker_count() {
    let a = pools::get(Threads, 3).unwrap();
    assert!(Arc::ptr_eq(&a, &pools::get(Threads, 3).unwrap()));
    assert!(!Arc::ptr_eq(&a, &pools::get(Threads, 4).unwrap()));
    assert!(!Arc::ptr_eq(&a, &pools::get(WorkStealing, 3).unwrap()));
    assert_eq!(a.name(), "threads");
    let _guard = set(Async, Some(5));
    let b = default_scheduler().unwrap();
    assert!(Arc::ptr_eq(&b, &default_scheduler().unwrap()));
    assert!(Arc::ptr_eq(&b, &pools::get(Async, 5).unwrap()));
    assert_eq!(b.name(), "async");
}

#[test]
fn dask_scheduler_names_are_aliases() {
    let dir = Scratch::new();
    for (dask, kind) in [
        ("synchronous", Sequential),
        ("single-threaded", Sequential),
        ("SINGLE_THREADED", Sequential),
        ("sync", Sequential),
        ("threading", Threads),
        ("threads", Threads),
    ] {
        let resolved = resolve_from(env(&[(ENV_SCHEDULER, dask)]), dir.path()).unwrap().0;
        assert_eq!(resolved, kind, "{dask}");
        let file = Scratch::new();
        file.write(FILE_NAME, &format!("scheduler = \"{dask}\""));
        assert_eq!(resolve_from(env(&[]), file.path()).unwrap().0, kind, "{dask} in the file");
    }
    assert_eq!(
        message(resolve_from(env(&[(ENV_SCHEDULER, "processes")]), dir.path())),
        "unknown scheduler `processes` in LAZYDAG_SCHEDULER (Dask's process pool has no lazydag \
         equivalent: tasks share one address space); valid values: sync, threads, \
         work-stealing, async, dask"
    );
}

#[test]
fn kinds_parse_and_display_canonically() {
    for kind in SchedulerKind::ALL {
        assert_eq!(kind.to_string().parse::<SchedulerKind>().unwrap(), kind);
        assert_eq!(kind.to_string().to_uppercase().parse::<SchedulerKind>().unwrap(), kind);
    }
    assert_eq!("work_stealing".parse::<SchedulerKind>().unwrap(), WorkStealing);
    let err = "".parse::<SchedulerKind>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid lazydag configuration: unknown scheduler ``; valid values: sync, threads, \
         work-stealing, async, dask"
    );
}

#[test]
fn optimizer_follows_env_then_file() {
    let dir = Scratch::new();
    dir.write(FILE_NAME, "optimize = false\nmax-fused-chain = 8\nfuse-reductions = 16");
    let from_file = super::optimizer_from(env(&[]), dir.path()).unwrap();
    assert!(!from_file.is_enabled());
    assert_eq!((from_file.chain_limit(), from_file.reduction_width()), (8, Some(16)));
    let env_wins = super::optimizer_from(env(&[("LAZYDAG_OPTIMIZE", "on")]), dir.path()).unwrap();
    assert!(env_wins.is_enabled());
    let empty = Scratch::new();
    assert!(super::optimizer_from(env(&[]), empty.path()).unwrap().is_enabled());
    let bad = super::optimizer_from(env(&[("LAZYDAG_OPTIMIZE", "maybe")]), empty.path());
    let message = bad.unwrap_err().to_string();
    assert!(message.contains("LAZYDAG_OPTIMIZE must be on or off, got `maybe`"), "{message}");
    assert!(message.contains("valid values: on, off"), "{message}");
}

/// External schedulers through a registry of the test's own (the process's one is untouched).
mod externals {
    use super::*;
    use crate::config::external::Externals;
    use crate::schedulers::Sequential;

    /// A fake external scheduler: runs locally, whatever the address.
    fn here(_address: Option<&str>) -> Result<Arc<dyn Scheduler>, Error> {
        Ok(Arc::new(Sequential))
    }

    /// A fake cluster that cannot be reached: its error says which address it was given.
    fn unreachable(address: Option<&str>) -> Result<Arc<dyn Scheduler>, Error> {
        Err(Error::Config { message: format!("fake cluster at {address:?}") })
    }

    fn failure(result: Result<Arc<dyn Scheduler>, Error>) -> String {
        match result {
            Err(Error::Config { message }) => message,
            Err(other) => panic!("expected a config error, got {other}"),
            Ok(scheduler) => panic!("expected a config error, got {}", scheduler.name()),
        }
    }

    #[test]
    fn env_selects_a_registered_external_scheduler_once_per_address() {
        let dir = Scratch::new();
        let externals = Externals::default();
        externals.register("dask", here);
        let vars = env(&[(ENV_SCHEDULER, "Dask"), (ENV_DASK_ADDRESS, "tcp://127.0.0.1:1")]);
        let first = scheduler_from(&vars, dir.path(), &externals).unwrap();
        let again = scheduler_from(&vars, dir.path(), &externals).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "one scheduler per (name, address)");
        let other = env(&[(ENV_SCHEDULER, "dask"), (ENV_DASK_ADDRESS, "tcp://127.0.0.1:2")]);
        assert!(!Arc::ptr_eq(&first, &scheduler_from(other, dir.path(), &externals).unwrap()));
    }

    #[test]
    fn the_address_comes_from_the_env_then_the_file() {
        let dir = Scratch::new();
        let externals = Externals::default();
        externals.register("dask", unreachable);
        dir.write(FILE_NAME, "scheduler = \"dask\"\ndask-address = \"tcp://file:1\"\n");
        let from_file = failure(scheduler_from(env(&[]), dir.path(), &externals));
        assert_eq!(from_file, "fake cluster at Some(\"tcp://file:1\")");
        let vars = env(&[(ENV_DASK_ADDRESS, " tcp://env:2 ")]);
        let from_env = failure(scheduler_from(vars, dir.path(), &externals));
        assert_eq!(from_env, "fake cluster at Some(\"tcp://env:2\")");
        dir.write(FILE_NAME, "scheduler = \"dask\"\n");
        let none = failure(scheduler_from(env(&[]), dir.path(), &externals));
        assert_eq!(none, "fake cluster at None");
    }

    #[test]
    fn dask_configured_but_not_registered_names_the_crate() {
        let dir = Scratch::new();
        let externals = Externals::default();
        let vars = env(&[(ENV_SCHEDULER, "dask"), (ENV_DASK_ADDRESS, "tcp://127.0.0.1:1")]);
        let message = failure(scheduler_from(vars, dir.path(), &externals));
        assert!(
            message.starts_with("scheduler `dask` is configured but not available"),
            "{message}"
        );
        assert!(message.contains("`lazydag-dask`") && message.contains("lazydag_dask::register()"));
        dir.write(FILE_NAME, "scheduler = \"dask\"\n");
        let message = failure(scheduler_from(env(&[]), dir.path(), &externals));
        assert!(message.contains("`lazydag-dask`"), "{message}");
    }

    #[test]
    fn unknown_names_list_the_registered_externals() {
        let dir = Scratch::new();
        let externals = Externals::default();
        externals.register("fake-cluster", here);
        let vars = env(&[(ENV_SCHEDULER, "dusk")]);
        let message = failure(scheduler_from(vars, dir.path(), &externals));
        assert!(
            message
                .ends_with("valid values: sync, threads, work-stealing, async, dask, fake-cluster"),
            "{message}"
        );
        let vars = env(&[(ENV_SCHEDULER, "Fake_Cluster")]);
        assert_eq!(scheduler_from(vars, dir.path(), &externals).unwrap().name(), "sync");
    }

    #[test]
    fn external_kinds_have_no_local_pool() {
        let err = failure(pool(SchedulerKind::External("dask"), 2));
        assert!(err.contains("scheduler `dask` is external: it has no local pool"), "{err}");
    }
}
