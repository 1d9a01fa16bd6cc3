//! The graph-aware cache: a cached task found in its store is loaded while planning and its
//! upstream tasks are not planned (so they do not run); a miss runs and stores; changing a
//! literal or a version invalidates exactly the entries that depend on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lazydag_core::scheduler::{Sequential, Threaded, WorkStealing};
use lazydag_core::{
    ContentKey, Delayed, Error, Scheduler, TaskStore, compute_with, delayed, delayed_pure,
    try_delayed,
};

/// Stored entries: the task's name and its bytes.
type Entries = Arc<Mutex<HashMap<ContentKey, (String, Vec<u8>)>>>;

/// An in-memory store that counts what it is asked.
#[derive(Clone, Default)]
struct InMemory {
    entries: Entries,
    loads: Arc<AtomicUsize>,
    stores: Arc<AtomicUsize>,
    /// Every store fails, and every load returns these bytes, when set.
    broken: Option<Vec<u8>>,
    /// Its [`TaskStore::identity`], when set.
    name: Option<&'static str>,
}

impl TaskStore for InMemory {
    fn load(&self, key: &ContentKey, _task: &str) -> Option<Vec<u8>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        if let Some(garbage) = &self.broken {
            return Some(garbage.clone());
        }
        self.entries.lock().unwrap().get(key).map(|(_, bytes)| bytes.clone())
    }

    fn store(&self, key: &ContentKey, task: &str, bytes: &[u8]) -> Result<(), String> {
        self.stores.fetch_add(1, Ordering::SeqCst);
        if self.broken.is_some() {
            return Err("the disk is full".into());
        }
        self.entries.lock().unwrap().insert(*key, (task.to_owned(), bytes.to_vec()));
        Ok(())
    }

    fn identity(&self) -> Option<String> {
        self.name.map(str::to_owned)
    }
}

impl InMemory {
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    fn tasks(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.entries.lock().unwrap().values().map(|(task, _)| task.clone()).collect();
        names.sort();
        names
    }
}

/// Run counters of one test's steps.
#[derive(Default)]
struct Runs {
    load: AtomicUsize,
    clean: AtomicUsize,
    fit: AtomicUsize,
}

impl Runs {
    fn take(&self) -> (usize, usize, usize) {
        (
            self.load.swap(0, Ordering::SeqCst),
            self.clean.swap(0, Ordering::SeqCst),
            self.fit.swap(0, Ordering::SeqCst),
        )
    }
}

// One set of step functions per test (each counts into its own statics), so tests running
// in parallel do not see each other's runs.
macro_rules! steps {
    ($runs:ident) => {
        static $runs: Runs = Runs {
            load: AtomicUsize::new(0),
            clean: AtomicUsize::new(0),
            fit: AtomicUsize::new(0),
        };

        fn load(n: u64) -> Vec<u64> {
            $runs.load.fetch_add(1, Ordering::SeqCst);
            (1..=n).collect()
        }

        fn clean(v: Vec<u64>) -> Vec<u64> {
            $runs.clean.fetch_add(1, Ordering::SeqCst);
            v.into_iter().filter(|x| x % 2 == 1).collect()
        }

        fn fit(v: Vec<u64>, rate: u64) -> u64 {
            $runs.fit.fetch_add(1, Ordering::SeqCst);
            v.iter().sum::<u64>() * rate
        }
    };
}

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![Box::new(Sequential), Box::new(Threaded::new(2)), Box::new(WorkStealing::new(2))]
}

#[test]
fn a_hit_loads_without_planning_upstream() {
    steps!(RUNS);
    for scheduler in schedulers() {
        let store = InMemory::default();
        // Only the last step is cached: a hit must skip the two steps above it.
        let graph = || {
            let raw = delayed_pure!(load(10));
            let cleaned = delayed_pure!(clean(raw));
            delayed_pure!(fit(cleaned, 3)).cache(&store)
        };
        let first = graph();
        assert_eq!(compute_with(&first, &*scheduler).unwrap(), 75);
        assert_eq!(RUNS.take(), (1, 1, 1), "{}", scheduler.name());
        assert_eq!(store.tasks(), ["fit"]);
        // A second graph, built from scratch: loaded, and nothing upstream is even planned.
        let second = graph();
        let plan = lazydag_core::Plan::new(&[second.task()]);
        assert_eq!(plan.view().len(), 1);
        assert!(plan.view().is_literal(0));
        assert_eq!(compute_with(&second, &*scheduler).unwrap(), 75);
        assert_eq!(RUNS.take(), (0, 0, 0), "{}", scheduler.name());
        // The loaded value feeds several consumers and is an output itself.
        let (a, b, c) = lazydag_core::compute((
            delayed_pure!(fit(delayed!(clean(vec![1, 2, 3])), 1)),
            lazydag_core::delayed!(add(&second, 1)),
            second.clone(),
        ))
        .unwrap();
        assert_eq!((a, b, c), (4, 76, 75));
        assert_eq!(RUNS.take(), (0, 1, 1)); // the uncached `fit` of the impure `clean` only
        assert_eq!(store.stores.load(Ordering::SeqCst), 1);
    }
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[test]
fn changing_a_literal_or_a_version_invalidates_exactly_its_dependents() {
    steps!(RUNS);
    let store = InMemory::default();
    let graph = |n: u64, clean_version: u32, rate: u64| -> Delayed<u64> {
        let raw = delayed_pure!(load(n)).cache(&store);
        let cleaned = delayed_pure!(clean(raw); version = clean_version).cache(&store);
        delayed_pure!(fit(cleaned, rate)).cache(&store)
    };
    assert_eq!(graph(10, 0, 3).compute().unwrap(), 75);
    assert_eq!(RUNS.take(), (1, 1, 1));
    assert_eq!(store.len(), 3);
    // The last step's parameter: only the last step runs; the first two are not planned.
    assert_eq!(graph(10, 0, 4).compute().unwrap(), 100);
    assert_eq!(RUNS.take(), (0, 0, 1));
    // The middle step's version: it and its dependent run; the first step is loaded.
    assert_eq!(graph(10, 1, 4).compute().unwrap(), 100);
    assert_eq!(RUNS.take(), (0, 1, 1));
    // The first step's literal: everything runs.
    assert_eq!(graph(12, 1, 4).compute().unwrap(), 144);
    assert_eq!(RUNS.take(), (1, 1, 1));
    // Nothing changed: one load, nothing else.
    let loads = store.loads.load(Ordering::SeqCst);
    assert_eq!(graph(12, 1, 4).compute().unwrap(), 144);
    assert_eq!(RUNS.take(), (0, 0, 0));
    assert_eq!(store.loads.load(Ordering::SeqCst) - loads, 1);
    // Caching is transparent to keys: the same task keys the same with or without it.
    let plain = delayed_pure!(fit(delayed_pure!(clean(delayed_pure!(load(12)))), 4));
    assert_eq!(plain.content_key(), graph(12, 0, 4).content_key());
}

static PARSES: AtomicUsize = AtomicUsize::new(0);

fn parse(s: String) -> Result<u64, std::num::ParseIntError> {
    PARSES.fetch_add(1, Ordering::SeqCst);
    s.parse()
}

#[test]
fn errors_are_never_stored() {
    let store = InMemory::default();
    let bad = || try_delayed!(parse(String::from("x"))).pure().cache(&store);
    assert!(matches!(bad().compute(), Err(Error::Failed { .. })));
    assert!(matches!(bad().compute(), Err(Error::Failed { .. })));
    assert_eq!(PARSES.load(Ordering::SeqCst), 2);
    assert_eq!(store.stores.load(Ordering::SeqCst), 0);
}

static HALVES: AtomicUsize = AtomicUsize::new(0);

fn half(x: u64) -> u64 {
    HALVES.fetch_add(1, Ordering::SeqCst);
    x / 2
}

#[test]
fn unreadable_entries_and_failing_stores_are_misses_not_wrong_values() {
    // Every load returns bytes that do not decode as a u64, and every store fails.
    let store = InMemory { broken: Some(b"\xc1 not msgpack".to_vec()), ..InMemory::default() };
    for _ in 0..2 {
        assert_eq!(delayed_pure!(half(10)).cache(&store).compute().unwrap(), 5);
    }
    assert_eq!(HALVES.load(Ordering::SeqCst), 2);
    assert_eq!(store.stores.load(Ordering::SeqCst), 2);
    // A stored value of another type does not decode either (a String is not a u64).
    let other = InMemory::default();
    let key = delayed_pure!(half(10)).content_key().unwrap();
    other.store(&key, "half", &rmp_serde::to_vec("five").unwrap()).unwrap();
    assert_eq!(delayed_pure!(half(10)).cache(&other).compute().unwrap(), 5);
    assert_eq!(HALVES.load(Ordering::SeqCst), 3);
}

#[test]
fn caching_an_impure_task_is_an_error_naming_it() {
    let store = InMemory::default();
    let impure = lazydag_core::delayed!(half(8)).name("halve").cache(&store);
    let err = impure.compute().unwrap_err();
    assert!(matches!(&err, Error::NotPure { task } if task.name() == "halve"), "{err}");
    assert_eq!(err.task().unwrap().name(), "halve");
    assert!(err.to_string().contains(".pure()"), "{err}");
    let closure = delayed(3u64).map(|x: u64| x + 1).pure().cache(&store);
    assert!(matches!(closure.compute(), Err(Error::NotPure { .. })));
    assert_eq!(store.loads.load(Ordering::SeqCst), 0);
}

/// Two caches of one pure task into two stores are two tasks: each store is probed and, on
/// a miss, written (they were once planned as one, so the second store never saw the value);
/// the task itself still runs once. Caches into one store stay one value either way.
#[test]
fn caches_of_one_task_into_two_stores_fill_both() {
    steps!(RUNS);
    for scheduler in schedulers() {
        let (disk, memory) = (InMemory::default(), InMemory::default());
        let raw = delayed_pure!(fit(delayed_pure!(clean(delayed_pure!(load(4)))), 1));
        let (a, b) = (raw.cache(&disk), raw.cache(&memory));
        assert_eq!(compute_with((&a, &b), &*scheduler).unwrap(), (4, 4));
        assert_eq!(RUNS.take(), (1, 1, 1), "{}", scheduler.name());
        assert_eq!(
            (disk.tasks(), memory.tasks()),
            (vec!["fit".to_owned()], vec!["fit".to_owned()])
        );
        assert_eq!(disk.loads.load(Ordering::SeqCst), 1);
        assert_eq!(memory.loads.load(Ordering::SeqCst), 1);
        // Only the second store has it: a new graph loads from it and skips the task.
        let only_memory = InMemory { entries: Arc::clone(&memory.entries), ..InMemory::default() };
        let empty = InMemory::default();
        let raw = delayed_pure!(fit(delayed_pure!(clean(delayed_pure!(load(4)))), 1));
        let (c, d) = (raw.cache(&empty), raw.cache(&only_memory));
        assert_eq!(compute_with((&c, &d), &*scheduler).unwrap().1, 4);
        assert_eq!(RUNS.take(), (1, 1, 1), "the empty store's miss runs the task");
        assert_eq!(empty.tasks(), ["fit"]);
    }
}

/// Two pipelines recorded apart that cache one pure task into one store: with a store that
/// names itself ([`TaskStore::identity`]) the two caches are one task, probed and written
/// once; without, each cache is its own task (the store is probed and written twice, the
/// task still runs once, and both values are right).
#[test]
fn caches_of_one_task_into_one_named_store_are_one_task() {
    steps!(RUNS);
    for (name, probes, tasks) in [(Some("shared"), 1, 6), (None, 2, 7)] {
        let store = InMemory { name, ..InMemory::default() };
        let a = delayed_pure!(fit(delayed_pure!(clean(delayed_pure!(load(3)))), 1)).cache(&store);
        let b = delayed_pure!(fit(delayed_pure!(clean(delayed_pure!(load(3)))), 1)).cache(&store);
        let planned = lazydag_core::Plan::new(&[a.task(), b.task()]).view().len();
        assert_eq!(
            planned, tasks,
            "{name:?}: the literals 3 and 1, `load`, `clean`, `fit`, the caches"
        );
        store.loads.store(0, Ordering::SeqCst);
        assert_eq!(compute_with((&a, &b), &Sequential).unwrap(), (4, 4));
        assert_eq!(RUNS.take(), (1, 1, 1), "{name:?}");
        let counts = (store.loads.load(Ordering::SeqCst), store.stores.load(Ordering::SeqCst));
        assert_eq!(counts, (probes, probes), "{name:?}: probes and stores");
    }
}
