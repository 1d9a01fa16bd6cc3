//! Edge cases a review found wrong in `Delayed`, `persist` and `compile`, each pinned on
//! every scheduler: a compiled plan whose cached task missed plans again and loads a value
//! stored since, as a compute would; `persist` of a `Clone` value used twice (a `map` result)
//! clones it; a persisted gather keys its pure consumers whatever was asked before; and in
//! keep-going mode a task with an inlined input reports the same failure with and without the
//! optimizer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use lazydag_core::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag_core::{
    ContentKey, Control, Delayed, Optimizer, Scheduler, TaskStore, compute_settled, delayed,
    persist_with,
};

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
}

/// Runs `f` on its own thread and fails instead of hanging.
fn guard<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("hung, or panicked")
}

#[derive(Clone, Default)]
struct InMemory(Arc<Mutex<HashMap<ContentKey, Vec<u8>>>>);

impl TaskStore for InMemory {
    fn load(&self, key: &ContentKey, _: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap().get(key).cloned()
    }
    fn store(&self, key: &ContentKey, _: &str, bytes: &[u8]) -> Result<(), String> {
        self.0.lock().unwrap().insert(*key, bytes.to_vec());
        Ok(())
    }
}

static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);
fn slow_square(x: u64) -> u64 {
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    x * x
}

/// compiled.rs: "a run behaves exactly as a compute of the same outputs". A compute of a
/// cached task whose store holds the entry loads it and does not run the task; a compiled plan
/// probed the store once, at compile time (a miss), and keeps running the task on every run.
#[test]
fn compiled_run_uses_a_cache_entry_stored_after_compile() {
    for scheduler in schedulers() {
        let store = InMemory::default();
        let cached = lazydag_core::delayed!(slow_square(7)).pure().cache(&store);
        let plan = cached.plan().unwrap(); // the store is empty: planned as a miss
        let before = SLOW_RUNS.load(Ordering::SeqCst);
        assert_eq!(plan.run_with(&*scheduler).unwrap(), 49); // runs, and stores the entry
        assert_eq!(SLOW_RUNS.load(Ordering::SeqCst) - before, 1);
        // A compute now finds the entry and does not run `slow_square`.
        assert_eq!(cached.compute_with(&*scheduler).unwrap(), 49);
        assert_eq!(SLOW_RUNS.load(Ordering::SeqCst) - before, 1, "a compute hits the store");
        // The compiled plan should do the same.
        assert_eq!(plan.run_with(&*scheduler).unwrap(), 49);
        assert_eq!(
            SLOW_RUNS.load(Ordering::SeqCst) - before,
            1,
            "{}: a compiled run ran the cached task again although its entry is stored",
            scheduler.name()
        );
    }
}

/// persist.rs: `Persist` is implemented for `Delayed<T: Clone>` (checked at compile time), and
/// "every consumer gets a clone". Persisting a `Clone` value requested twice, or requested and
/// also used by another output, fails at run time with `NotClone` ("its type is not known to
/// be Clone") for a `map` result.
#[test]
fn persist_of_a_clone_value_used_twice_does_not_fail_not_clone() {
    let base = delayed(1_u64).map(|x: u64| x + 1); // `u64: Clone`, but `map` records no cloner
    let times_ten = base.map(|x: u64| x * 10);
    let twice = persist_with((&base, &base), &Sequential).map(|_| ());
    assert!(twice.is_ok(), "persist((&x, &x)) of a Clone value: {:?}", twice.unwrap_err());
    let shared = persist_with((&base, &times_ten), &Sequential).map(|_| ());
    assert!(shared.is_ok(), "persist((&x, &f(x))) of a Clone value: {:?}", shared.unwrap_err());
}

fn square(x: u64) -> u64 {
    x * x
}
fn total(parts: Vec<u64>) -> u64 {
    parts.iter().sum()
}

/// delayed.rs (`held`): "A pure task's held value keeps its content key ..., so pure tasks
/// built later from it dedupe and cache as they would from `self`". A gather of pure tasks is
/// keyed from its elements, but only lazily: persisting it keeps that key only if some pure
/// consumer happened to ask for it first. The same code then gives two different keys.
#[test]
fn a_persisted_gather_keys_its_consumers_whatever_was_asked_before() {
    let gather = || -> Delayed<Vec<u64>> {
        (0..3).map(|i| lazydag_core::delayed!(square(i)).pure()).collect()
    };
    // Same gather twice; for the first, a pure consumer asked for its key before persisting.
    let asked = gather();
    let on_gather = lazydag_core::delayed!(total(&asked)).pure().content_key();
    assert!(on_gather.is_some());
    let held_asked = asked.persist().unwrap();
    let not_asked = gather();
    let held_not_asked = not_asked.persist().unwrap();
    let key_asked = lazydag_core::delayed!(total(&held_asked)).pure().content_key();
    let key_not_asked = lazydag_core::delayed!(total(&held_not_asked)).pure().content_key();
    assert_eq!(key_asked, on_gather, "held value of a gather whose key was asked");
    assert_eq!(
        key_not_asked, on_gather,
        "held value of the same gather, whose key nobody asked before persisting"
    );
}

#[derive(Debug)]
struct Bad;
impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}
impl std::error::Error for Bad {}

fn add(a: u64, b: u64) -> u64 {
    a + b
}
fn inc(a: u64) -> u64 {
    a + 1
}

/// docs/optimizer.md: a fused task's failure "names the member's key ..., exactly as without
/// fusion", and the optimizer "refuses anything that could change a result". In keep-going
/// mode `j = add(cheap, y)` with both inputs failing reports `cheap` (its first failed input)
/// unoptimized; with the default optimizer `cheap` is inlined into `j`, and the fused task is
/// skipped for its poisoned scheduled input `y` before `cheap` runs, so `j` reports `y`.
#[test]
fn keep_going_reports_the_same_failure_with_and_without_the_optimizer() {
    let x = delayed(1_u64).map(|v: u64| v + 1).shared();
    let cheap = x.map(|_: u64| -> u64 { panic!("cheap") }).name("cheap").shared().inline();
    let y = delayed(2_u64).try_map(|_: u64| -> Result<u64, Bad> { Err(Bad) }).name("y").shared();
    let j = lazydag_core::delayed!(add(&cheap, &y)).name("j");
    let k = lazydag_core::delayed!(add(&cheap, 1)).name("k"); // a second consumer of `cheap`
    let m = lazydag_core::delayed!(inc(&y)).name("m"); // keeps `y` a task of its own
    let outputs = [j, k, m];
    for scheduler in schedulers() {
        let names = {
            let outputs = outputs.clone();
            let scheduler: Arc<dyn Scheduler> = Arc::from(scheduler);
            guard(move || {
                let run = |optimizer: Optimizer| -> Vec<String> {
                    let control = Control::new().optimize(optimizer);
                    compute_settled(&outputs, &*scheduler, &control)
                        .into_iter()
                        .map(|r| match r {
                            Err(e) => e.task().map_or_else(|| e.to_string(), |t| t.name().into()),
                            Ok(v) => format!("ok {v}"),
                        })
                        .collect()
                };
                (scheduler.name().to_owned(), run(Optimizer::off()), run(Optimizer::default()))
            })
        };
        let (name, unoptimized, optimized) = names;
        assert_eq!(unoptimized, ["cheap", "cheap", "y"], "{name}");
        assert_eq!(optimized, unoptimized, "{name}: the optimizer changed a keep-going result");
    }
}
