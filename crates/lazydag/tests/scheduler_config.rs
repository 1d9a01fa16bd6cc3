//! Choosing the default scheduler: per call > scoped override > environment > config file >
//! default, through the public API.
//!
//! The environment is process-global, and changing it needs `unsafe` (forbidden here), so this
//! test never changes its own. Checks that need `LAZYDAG_*` variables or a `lazydag.toml` in the
//! working directory run this same test binary again as a child process (`current_exe`),
//! filtered to [`child_reports_the_configuration`], with the variables and working directory
//! set on the child only. In-process checks use only overrides that set both settings, so an
//! ambient `LAZYDAG_*` variable cannot change their outcome.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::config::{self, Config, ENV_CONFIG, ENV_NUM_WORKERS, ENV_SCHEDULER, SchedulerKind};
use lazydag::scheduler::{Sequential, default_scheduler};
use lazydag::{Error, Plan, Scheduler, Value, compute, delayed};

fn add(a: i32, b: i32) -> i32 {
    a + b
}

/// Set in a child process; its value is unused.
const CHILD: &str = "LAZYDAG_TEST_CHILD";
/// In a child process, a scoped override to set before reporting: `KIND` or `KIND WORKERS`.
const OVERRIDE: &str = "LAZYDAG_TEST_OVERRIDE";
/// Starts the child's one line of report.
const REPORT: &str = "lazydag-config-report: ";

/// In a child process, reports what the configuration resolves to; in a normal run, does
/// nothing.
#[test]
fn child_reports_the_configuration() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let _guard = std::env::var(OVERRIDE).ok().map(|spec| {
        let mut words = spec.split_whitespace();
        let kind: SchedulerKind = words.next().unwrap().parse().unwrap();
        config::set(kind, words.next().map(|n| n.parse().unwrap()))
    });
    let report = match config::current() {
        Ok((kind, workers)) => {
            let scheduler = default_scheduler().expect("current() succeeded");
            assert_eq!(delayed!(add(1, 2)).compute().unwrap(), 3);
            format!("{kind} {workers} {}", scheduler.name())
        }
        Err(err) => {
            // A compute fails the same way, before running anything.
            let compute_err = delayed!(add(1, 2)).compute().unwrap_err();
            assert_eq!(compute_err.to_string(), err.to_string());
            assert!(matches!(err, Error::Config { .. }));
            format!("error {:?}", err.to_string())
        }
    };
    println!("{REPORT}{report}");
}

/// Runs [`child_reports_the_configuration`] in `cwd` with only `vars` among the `LAZYDAG_*`
/// variables, and returns its report.
fn child(cwd: &Path, vars: &[(&str, &str)]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_reports_the_configuration", "--exact", "--nocapture", "--test-threads=1"])
        .current_dir(cwd)
        .env_remove(ENV_SCHEDULER)
        .env_remove(ENV_NUM_WORKERS)
        .env_remove(ENV_CONFIG)
        .env_remove(OVERRIDE)
        .envs(vars.iter().copied())
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.split_once(REPORT).map(|(_, report)| report)) // after libtest's `test … `
        .unwrap_or_else(|| panic!("child did not report:\n{stdout}"))
        .to_owned()
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("lazydag-config-it-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A scratch directory holding a `lazydag.toml` with `text`.
    fn with_file(text: &str) -> Scratch {
        let dir = Scratch::new();
        std::fs::write(dir.0.join(config::FILE_NAME), text).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().unwrap().get()
}

#[test]
fn default_is_work_stealing_with_one_worker_per_core() {
    let dir = Scratch::new();
    let n = cores();
    assert_eq!(child(&dir.0, &[]), format!("work-stealing {n} work-stealing"));
}

#[test]
fn file_in_the_working_directory_beats_the_default() {
    let dir = Scratch::with_file("scheduler = \"threads\"\nnum-workers = 3\n");
    assert_eq!(child(&dir.0, &[]), "threads 3 threads");
}

#[test]
fn env_beats_the_file_setting_by_setting() {
    let dir = Scratch::with_file("scheduler = \"threads\"\nnum-workers = 3\n");
    let both = [(ENV_SCHEDULER, "async"), (ENV_NUM_WORKERS, "2")];
    assert_eq!(child(&dir.0, &both), "async 2 async");
    assert_eq!(child(&dir.0, &[(ENV_SCHEDULER, "Sync")]), "sync 1 sync");
    assert_eq!(child(&dir.0, &[(ENV_NUM_WORKERS, "5")]), "threads 5 threads");
}

#[test]
fn lazydag_config_replaces_the_working_directory_file() {
    let dir = Scratch::with_file("scheduler = \"threads\"");
    let other = Scratch::with_file("scheduler = \"work_stealing\"\nnum-workers = 4");
    let path = other.0.join(config::FILE_NAME);
    let vars = [(ENV_CONFIG, path.to_str().unwrap())];
    assert_eq!(child(&dir.0, &vars), "work-stealing 4 work-stealing");
}

#[test]
fn unknown_scheduler_in_env_lists_all_valid_values() {
    let dir = Scratch::new();
    assert_eq!(
        child(&dir.0, &[(ENV_SCHEDULER, "thread")]),
        "error \"invalid lazydag configuration: unknown scheduler `thread` in LAZYDAG_SCHEDULER; \
         valid values: sync, threads, work-stealing, async, dask\""
    );
}

#[test]
fn bad_worker_counts_in_env_are_errors() {
    let dir = Scratch::new();
    for bad in ["0", "-1", "many"] {
        assert_eq!(
            child(&dir.0, &[(ENV_NUM_WORKERS, bad)]),
            format!(
                "error \"invalid lazydag configuration: LAZYDAG_NUM_WORKERS must be a positive \
                 integer, got `{bad}`\""
            )
        );
    }
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    for (text, expected) in [
        ("scheduler = [", "is not valid"),
        ("workers = 4", "unknown field `workers`, expected one of `scheduler`, `num-workers`"),
    ] {
        let dir = Scratch::with_file(text);
        let report = child(&dir.0, &[]);
        assert!(
            report.starts_with("error \"invalid lazydag configuration: config file `"),
            "{report}"
        );
        assert!(report.contains("lazydag.toml` is not valid"), "{report}");
        assert!(report.contains(expected), "{text:?} gave {report}");
    }
}

#[test]
fn lazydag_config_naming_a_missing_file_is_an_error() {
    let dir = Scratch::with_file("scheduler = \"sync\"");
    let missing = dir.0.join("missing.toml");
    let report = child(&dir.0, &[(ENV_CONFIG, missing.to_str().unwrap())]);
    let expected = format!(
        "error \"invalid lazydag configuration: cannot read config file `{}` (named by \
         LAZYDAG_CONFIG)",
        missing.display()
    );
    assert!(report.starts_with(&expected), "{report}");
}

#[test]
fn scoped_override_beats_the_environment() {
    let dir = Scratch::with_file("scheduler = \"async\"\nnum-workers = 6");
    // A complete override: the bad environment is not even read.
    let bad = [(ENV_SCHEDULER, "bogus"), (ENV_NUM_WORKERS, "0")];
    assert!(child(&dir.0, &bad).starts_with("error "));
    assert_eq!(child(&dir.0, &[(OVERRIDE, "threads 2"), bad[0], bad[1]]), "threads 2 threads");
    // An override without a worker count takes it from the environment, else the file.
    let env = [(ENV_SCHEDULER, "async"), (ENV_NUM_WORKERS, "5")];
    assert_eq!(
        child(&dir.0, &[(OVERRIDE, "work-stealing"), env[0], env[1]]),
        "work-stealing 5 work-stealing"
    );
    assert_eq!(child(&dir.0, &[(OVERRIDE, "threads")]), "threads 6 threads");
}

#[test]
fn nested_guards_restore_the_previous_override() {
    let outer = config::set(SchedulerKind::Threads, Some(2));
    {
        let _inner = config::set(SchedulerKind::Async, Some(3));
        assert_eq!(config::current().unwrap(), (SchedulerKind::Async, 3));
        assert_eq!(default_scheduler().unwrap().name(), "async");
    }
    assert_eq!(config::current().unwrap(), (SchedulerKind::Threads, 2));
    assert_eq!(default_scheduler().unwrap().name(), "threads");
    drop(outer);
}

/// Counts its runs and delegates to `Sequential`.
struct Counting(AtomicUsize);

impl Scheduler for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Sequential.execute(plan)
    }
}

#[test]
fn per_call_scheduler_beats_everything() {
    let counting = Counting(AtomicUsize::new(0));
    let _guard = config::set(SchedulerKind::Threads, Some(2));
    let z = delayed!(add(1, 2));
    assert_eq!(z.compute_with(&counting).unwrap(), 3);
    assert_eq!(lazydag::compute_with((z.clone(), z.clone()), &counting).unwrap(), (3, 3));
    assert_eq!(counting.0.load(Ordering::Relaxed), 2);
    // The default path did not use it.
    assert_eq!(compute(z).unwrap(), 3);
    assert_eq!(counting.0.load(Ordering::Relaxed), 2);
}

#[test]
fn the_same_settings_reuse_the_same_scheduler() {
    let first = {
        let _guard = config::set(SchedulerKind::WorkStealing, Some(3));
        default_scheduler().unwrap()
    };
    let _guard = config::set(SchedulerKind::WorkStealing, Some(3));
    for _ in 0..100 {
        assert_eq!(delayed!(add(1, 2)).compute().unwrap(), 3);
    }
    assert!(Arc::ptr_eq(&first, &default_scheduler().unwrap()));
    let _other = config::set(SchedulerKind::WorkStealing, Some(4));
    assert!(!Arc::ptr_eq(&first, &default_scheduler().unwrap()));
}

#[test]
fn parse_errors_name_the_value_and_list_valid_values() {
    let err = "threaded".parse::<SchedulerKind>().unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    assert!(err.to_string().ends_with(
        "unknown scheduler `threaded`; valid values: sync, threads, work-stealing, async, dask"
    ));
    let err = Config::from_toml_str("scheduler = \"threads\"\nextra = 1").unwrap_err();
    assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    let err = Config::from_toml_str("num-workers = -4").unwrap_err();
    assert!(err.to_string().contains("num-workers must be a positive integer, got `-4`"), "{err}");
}
