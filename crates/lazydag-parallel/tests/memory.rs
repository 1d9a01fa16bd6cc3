//! `Memory`: hits, misses, versions, corruption, clear, the size limit, graph tasks, and the
//! facade's `pipeline_cache` example run twice in child processes on one cache folder (the
//! second run, with another parameter for the last step, runs only the last step; a third
//! with the same parameter runs nothing). The example's code is compiled into this test
//! (`#[path]`); the test re-runs its own binary as the child, selected with `--exact` and an
//! environment variable, and reads the `ran:` lines the steps print.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag::delayed;
use lazydag_parallel::Memory;

/// A cached function that counts its runs.
fn counted() -> (Arc<AtomicUsize>, impl Fn(u64) -> String + Clone + Send + Sync + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    (runs, move |x: u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        format!("value {x}")
    })
}

#[test]
fn hit_miss_and_different_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path().join("cache"));
    let (runs, f) = counted();
    let cached = memory.cache("f", f.clone());
    assert_eq!(cached.call(1).unwrap(), "value 1");
    assert_eq!(cached.call(1).unwrap(), "value 1");
    assert_eq!(runs.load(Ordering::Relaxed), 1, "second call is a hit");
    assert_eq!(cached.call(2).unwrap(), "value 2");
    assert_eq!(runs.load(Ordering::Relaxed), 2, "new arguments recompute");
    // Another Memory on the same folder (e.g. another run) sees the same function's entries.
    let again = Memory::new(dir.path().join("cache")).cache("f", f);
    assert_eq!(again.call(2).unwrap(), "value 2");
    assert_eq!(runs.load(Ordering::Relaxed), 2, "a hit");
}

#[test]
fn name_and_version_are_part_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted();
    let v1 = memory.cache("f", f).version("1");
    v1.call(5).unwrap();
    let v2 = v1.clone().version("2");
    v2.call(5).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 2, "a new version recomputes");
    v1.call(5).unwrap();
    v2.call(5).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 2);
    let other = memory.cache("g", |x: u64| format!("g {x}"));
    assert_eq!(other.call(5).unwrap(), "g 5");
    assert_ne!(v1.entry_path(&5u64).unwrap(), v2.entry_path(&5u64).unwrap());
}

#[test]
fn a_truncated_or_garbled_entry_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted();
    let cached = memory.cache("f", f);
    cached.call(9).unwrap();
    let path = cached.entry_path(&9u64).unwrap();
    let bytes = fs::read(&path).unwrap();

    fs::write(&path, &bytes[..bytes.len() - 5]).unwrap(); // truncated
    assert_eq!(cached.call(9).unwrap(), "value 9");
    assert_eq!(runs.load(Ordering::Relaxed), 2);
    let rewritten = fs::read(&path).unwrap();
    assert_eq!(rewritten.len(), bytes.len(), "rewritten whole");
    assert_eq!(rewritten[..7], bytes[..7]); // `"value 9"`: the same payload, a new timestamp

    let mut garbled = bytes.clone();
    garbled[3] ^= 0x20; // same length, wrong checksum
    fs::write(&path, &garbled).unwrap();
    assert_eq!(cached.call(9).unwrap(), "value 9");
    assert_eq!(runs.load(Ordering::Relaxed), 3);

    fs::write(&path, b"").unwrap(); // empty
    assert_eq!(cached.call(9).unwrap(), "value 9");
    assert_eq!(runs.load(Ordering::Relaxed), 4);
    assert_eq!(cached.call(9).unwrap(), "value 9");
    assert_eq!(runs.load(Ordering::Relaxed), 4, "healthy again");
}

#[test]
fn clear_removes_entries_only() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted();
    let cached = memory.cache("f", f);
    for i in 0..5 {
        cached.call(i).unwrap();
    }
    assert!(memory.size().unwrap() > 0);
    memory.clear().unwrap();
    assert_eq!(memory.size().unwrap(), 0);
    assert!(dir.path().join("keep.txt").exists());
    cached.call(0).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 6, "cleared entries recompute");
    Memory::new(dir.path().join("never-created")).clear().unwrap();
}

#[test]
fn the_size_limit_evicts_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let probe = Memory::new(dir.path().join("probe"));
    let one = probe.cache("f", |x: u64| format!("value {x}"));
    one.call(0).unwrap();
    let entry = probe.size().unwrap();

    let memory = Memory::new(dir.path().join("lru")).size_limit(2 * entry + entry / 2);
    let (runs, f) = counted();
    let cached = memory.cache("f", f);
    // Distinct last-use times, set on the files (no sleeping): 1 used 3 h ago, 2 used 2 h ago.
    let age = |x: u64, hours: u64| {
        let path = cached.entry_path(&x).unwrap();
        let when = std::time::SystemTime::now() - Duration::from_secs(3600 * hours);
        fs::File::options().write(true).open(path).unwrap().set_modified(when).unwrap();
    };
    cached.call(1).unwrap();
    cached.call(2).unwrap();
    age(1, 3);
    age(2, 2);
    cached.call(1).unwrap(); // a hit makes 1 the most recently used
    cached.call(3).unwrap(); // over the limit: evicts 2, the least recently used
    assert_eq!(runs.load(Ordering::Relaxed), 3);
    assert!(memory.size().unwrap() <= 2 * entry + entry / 2);
    assert!(cached.entry_path(&1u64).unwrap().exists());
    assert!(!cached.entry_path(&2u64).unwrap().exists());
    assert!(cached.entry_path(&3u64).unwrap().exists());
}

#[test]
fn a_graph_task_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted();
    let step = memory.cache("step", f);
    let pipeline = |input: u64| step.delayed(&delayed(input).map(|x: u64| x + 1));
    assert_eq!(pipeline(1).compute().unwrap(), "value 2");
    assert_eq!(pipeline(1).compute().unwrap(), "value 2");
    assert_eq!(runs.load(Ordering::Relaxed), 1, "re-running recomputes nothing");
    assert_eq!(pipeline(2).compute().unwrap(), "value 3");
    assert_eq!(runs.load(Ordering::Relaxed), 2, "a changed input recomputes");
}

#[test]
fn threads_share_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).size_limit(1 << 20);
    let (runs, f) = counted();
    let cached = memory.cache("f", f.clone());
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let cached = cached.clone();
            s.spawn(move || {
                for i in 0..40u64 {
                    let x = (i * 7 + t) % 20;
                    assert_eq!(cached.call(x).unwrap(), format!("value {x}"));
                }
            });
        }
    });
    // Per-key locking: each of the 20 keys computed once, however the threads interleave.
    assert_eq!(runs.load(Ordering::Relaxed), 20);
    let check = memory.cache("f", f);
    for x in 0..20u64 {
        assert!(check.check_call_in_cache(&x).unwrap(), "every entry must be valid");
        assert_eq!(check.call(x).unwrap(), format!("value {x}"));
    }
    assert_eq!(runs.load(Ordering::Relaxed), 20);
}

#[test]
fn functions_of_zero_to_eight_arguments_are_cached() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = |runs: &Arc<AtomicUsize>| {
        let runs = Arc::clone(runs);
        move || runs.fetch_add(1, Ordering::Relaxed)
    };

    let count = counter(&runs);
    let none = memory.cache("none", move || {
        count();
        7_u8
    });
    assert_eq!((none.call(()).unwrap(), none.call(()).unwrap()), (7, 7));
    fn join(a: String, b: &'static str) -> String {
        a + b
    }
    let two = memory.cache("two", join);
    assert_eq!(two.call(("ab".to_string(), "cd")).unwrap(), "abcd");
    let count = counter(&runs);
    let eight = memory.cache(
        "eight",
        move |a: u8, b: u16, c: u32, d: u64, e: i8, f: i16, g: i32, h: i64| {
            count();
            i64::from(a)
                + i64::from(b)
                + i64::from(c)
                + d as i64
                + i64::from(e)
                + i64::from(f)
                + i64::from(g)
                + h
        },
    );
    assert_eq!(eight.call((1, 2, 3, 4, 5, 6, 7, 8)).unwrap(), 36);
    assert_eq!(eight.call((1, 2, 3, 4, 5, 6, 7, 8)).unwrap(), 36); // a hit
    assert_eq!(eight.call((1, 2, 3, 4, 5, 6, 7, 9)).unwrap(), 37); // other arguments
    assert_eq!(runs.load(Ordering::Relaxed), 3);

    // One argument is itself: a one-argument function's key hashes the bincode of the
    // argument, not of a one-tuple.
    let one = memory.cache("one", |x: u64| x + 1);
    let path = one.entry_path(&41_u64).unwrap();
    assert_eq!(one.call(41).unwrap(), 42);
    assert!(path.exists());

    // Several arguments in a graph: the input yields their tuple.
    let pair = delayed((3_u32, 4_u32));
    let area = memory.cache("area", |w: u32, h: u32| w * h);
    assert_eq!(area.delayed(&pair).compute().unwrap(), 12);
}

static GRAPH_RUNS: AtomicUsize = AtomicUsize::new(0);

/// A pure step for the graph-task tests.
fn graph_step(x: u64) -> Vec<u64> {
    GRAPH_RUNS.fetch_add(1, Ordering::Relaxed);
    vec![x; 100]
}

#[test]
fn graph_task_entries_are_checked_counted_and_trimmed_like_the_others() {
    use lazydag_parallel::Limits;
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let task = || lazydag::delayed!(graph_step(7)).pure().cache(&memory);
    assert_eq!(task().compute().unwrap(), vec![7; 100]);
    assert_eq!(task().compute().unwrap(), vec![7; 100]);
    assert_eq!(GRAPH_RUNS.load(Ordering::Relaxed), 1, "the second compute loaded it");
    let entries: Vec<_> = fs::read_dir(dir.path().join("tasks")).unwrap().collect();
    assert_eq!(entries.len(), 1);
    let path = entries.into_iter().next().unwrap().unwrap().path();
    assert_eq!(memory.size().unwrap(), fs::metadata(&path).unwrap().len());
    // A damaged entry is a miss: the task runs again and rewrites it.
    let mut bytes = fs::read(&path).unwrap();
    bytes[0] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    assert_eq!(task().compute().unwrap(), vec![7; 100]);
    assert_eq!(GRAPH_RUNS.load(Ordering::Relaxed), 2);
    // reduce_size counts it as an item.
    assert_eq!(memory.reduce_size(Limits::default().items(0)).unwrap(), 1);
    assert_eq!(task().compute().unwrap(), vec![7; 100]);
    assert_eq!(GRAPH_RUNS.load(Ordering::Relaxed), 3);
    memory.clear().unwrap();
    assert_eq!(memory.size().unwrap(), 0);
}

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../../lazydag/examples/pipeline_cache.rs"]
mod example;

/// The cache folder and parameter for the child, `<top> <folder>`.
const CHILD: &str = "LAZYDAG_PARALLEL_TEST_PIPELINE";

/// The child side: runs the example's pipeline once.
#[test]
fn child_runs_the_pipeline() {
    let Some(spec) = std::env::var_os(CHILD) else { return };
    let spec = spec.into_string().unwrap();
    let (top, dir) = spec.split_once(' ').unwrap();
    let summary = example::run(Path::new(dir), top.parse().unwrap()).unwrap();
    println!("summary: {summary}");
}

/// Runs the pipeline in a child process; returns its `ran:` lines and its summary.
fn run_child(dir: &Path, top: u64) -> (Vec<String>, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_runs_the_pipeline", "--nocapture", "--test-threads", "1"])
        .env(CHILD, format!("{top} {}", dir.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // A line may start with the harness's `test … ... ` before the first step's output.
    let ran = stdout.lines().filter_map(|l| l.find("ran: ").map(|at| l[at..].to_owned())).collect();
    let summary = stdout.lines().find_map(|l| Some(l[l.find("summary: ")? + 9..].to_owned()));
    (ran, summary.expect("the child printed its summary"))
}

#[test]
fn a_second_run_with_a_new_last_parameter_runs_only_the_last_step() {
    let dir = tempfile::tempdir().unwrap();
    let (first, summary10) = run_child(dir.path(), 10);
    assert_eq!(first, ["ran: load", "ran: clean", "ran: summarise"]);
    let (second, summary3) = run_child(dir.path(), 3);
    assert_eq!(second, ["ran: summarise"], "load and clean were loaded from the cache");
    assert_ne!(summary3, summary10);
    let (third, again) = run_child(dir.path(), 3);
    assert!(third.is_empty(), "everything from the cache: {third:?}");
    assert_eq!(again, summary3);
    assert!(dir.path().join("tasks").is_dir());
}
