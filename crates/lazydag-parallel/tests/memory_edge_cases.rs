//! `Memory` at its edges: keys and values are lossless, and a cached function that runs a
//! `Parallel` map inside does not deadlock.
//!
//! - **Lossless keys and values.** Arguments that JSON writes alike (NaN, +inf and -inf are all
//!   `null`, and so are `None` and `Some(None)`) get keys of their own, and a stored result
//!   that JSON would write as `null` (`Some(f64::INFINITY)`, `Some(None)`) reads back as
//!   itself, not as `None`: keys and entries are bincode.
//! - **No deadlock across a nested map.** A call holds its key's lock while the function runs;
//!   when the function runs a `Parallel` map, the waiting pool worker may help run another
//!   task that calls the same key, on the same thread. That thread must not wait for itself
//!   (`lock`), whether the outer tasks are a `Parallel` map or lazydag graph tasks.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{guard, serial};
use lazydag_parallel::{BatchSize, Memory, Parallel};

// ---------------------------------------------------------------------------------------
// Lossless keys and values.

#[test]
fn nonfinite_float_arguments_get_keys_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let show = memory.cache("show", move |x: f64| {
        counter.fetch_add(1, Ordering::Relaxed);
        format!("{x}")
    });
    let path = |x: f64| show.entry_path(&x).unwrap();
    assert_ne!(path(f64::INFINITY), path(f64::NEG_INFINITY));
    assert_ne!(path(f64::INFINITY), path(f64::NAN));
    assert_ne!(path(f64::NEG_INFINITY), path(f64::NAN));
    for _ in 0..2 {
        assert_eq!(show.call(f64::INFINITY).unwrap(), "inf");
        assert_eq!(show.call(f64::NEG_INFINITY).unwrap(), "-inf");
        assert_eq!(show.call(f64::NAN).unwrap(), "NaN");
    }
    assert_eq!(runs.load(Ordering::Relaxed), 3, "three keys, each computed once");
}

#[test]
fn nested_option_arguments_get_keys_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let f = memory.cache("opt", |x: Option<Option<u32>>| format!("{x:?}"));
    for _ in 0..2 {
        assert_eq!(f.call(None).unwrap(), "None");
        assert_eq!(f.call(Some(None)).unwrap(), "Some(None)");
        assert_eq!(f.call(Some(Some(0))).unwrap(), "Some(Some(0))");
    }
}

#[test]
fn a_nonfinite_float_in_a_result_reads_back_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let inv = memory.cache("inv", |x: f64| Some(1.0 / x));
    assert_eq!(inv.call(0.0).unwrap(), Some(f64::INFINITY)); // computed
    assert_eq!(inv.call(0.0).unwrap(), Some(f64::INFINITY), "the hit is the value stored");
    assert_eq!(inv.call(-0.0).unwrap(), Some(f64::NEG_INFINITY));
    assert_eq!(inv.call(-0.0).unwrap(), Some(f64::NEG_INFINITY), "the hit is the value stored");
    let nan = memory.cache("nan", |x: f64| Some(x - x));
    assert!(nan.call(f64::INFINITY).unwrap().unwrap().is_nan()); // computed
    assert!(nan.check_call_in_cache(&f64::INFINITY).unwrap());
    assert!(nan.call(f64::INFINITY).unwrap().unwrap().is_nan(), "the hit is NaN");
}

#[test]
fn a_nested_option_result_reads_back_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let f = memory.cache("nested", |_x: u32| Some(None::<u32>));
    assert_eq!(f.call(1).unwrap(), Some(None)); // computed
    assert_eq!(f.call(1).unwrap(), Some(None), "the hit is the value stored");
    let unit = memory.cache("unit", |_x: u32| Some(()));
    assert_eq!(unit.call(1).unwrap(), Some(())); // computed
    assert_eq!(unit.call(1).unwrap(), Some(()), "the hit is the value stored");
}

// ---------------------------------------------------------------------------------------
// A key's lock held across a nested `Parallel` map.

/// The inner function of the deadlock tests: a map whose items wait (at most 5 s) until a
/// third outer item has started, then `x + 6`.
fn gated_inner(seen: Arc<AtomicUsize>) -> impl Fn(u64) -> u64 + Send + Sync + Clone + 'static {
    move |x: u64| -> u64 {
        let seen = Arc::clone(&seen);
        Parallel::new()
            .n_jobs(2)
            .batch_size(BatchSize::Fixed(1))
            .map(0..4u64, move |y| {
                let start = Instant::now();
                while seen.load(Ordering::SeqCst) < 3 && start.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                y
            })
            .unwrap()
            .iter()
            .sum::<u64>()
            + x
    }
}

/// Outer `Parallel` items on a pool of two call one cached key whose function runs an inner
/// map: the third outer item can only run on a worker that helps while it waits in the inner
/// map (the other worker is in, or waiting on, the cached call).
#[test]
fn a_cached_function_with_an_inner_map_called_in_parallel_does_not_deadlock() {
    let _s = serial();
    let values = guard(60, || {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        let entered = Arc::new(AtomicUsize::new(0));
        let cached = memory.cache("inner", gated_inner(Arc::clone(&entered)));
        let pool: Arc<dyn lazydag::scheduler::Scheduler> =
            Arc::new(lazydag::scheduler::WorkStealing::new(2));
        Parallel::new()
            .scheduler(pool)
            .n_jobs(6)
            .batch_size(BatchSize::Fixed(1))
            .map(vec![1u64; 6], move |x| {
                entered.fetch_add(1, Ordering::SeqCst);
                cached.call(x).unwrap()
            })
            .unwrap()
    });
    assert_eq!(values, vec![7; 6]);
}

/// Control: the same shape without `Memory` finishes (so a hang in the test above would be
/// the key lock's).
#[test]
fn control_the_same_shape_without_memory_finishes() {
    let _s = serial();
    let values = guard(60, || {
        let entered = Arc::new(AtomicUsize::new(0));
        let inner = gated_inner(Arc::clone(&entered));
        let pool: Arc<dyn lazydag::scheduler::Scheduler> =
            Arc::new(lazydag::scheduler::WorkStealing::new(2));
        Parallel::new()
            .scheduler(pool)
            .n_jobs(6)
            .batch_size(BatchSize::Fixed(1))
            .map(vec![1u64; 6], move |x| {
                entered.fetch_add(1, Ordering::SeqCst);
                inner(x)
            })
            .unwrap()
    });
    assert_eq!(values, vec![7; 6]);
}

/// The same hazard with plain lazydag graph tasks on a pool of two: several tasks call one
/// cached function (same key) whose body runs a `Parallel` map.
#[test]
fn graph_tasks_calling_one_cached_key_with_an_inner_map_do_not_deadlock() {
    let _s = serial();
    let values = guard(60, || {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        let entered = Arc::new(AtomicUsize::new(0));
        let cached = memory.cache("graph_inner", gated_inner(Arc::clone(&entered)));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (cached, entered) = (cached.clone(), Arc::clone(&entered));
                lazydag::delayed(1u64).map(move |x| {
                    entered.fetch_add(1, Ordering::SeqCst);
                    cached.call(x).unwrap()
                })
            })
            .collect();
        let pool = lazydag::scheduler::WorkStealing::new(2);
        lazydag::compute_with(tasks, &pool).unwrap()
    });
    assert_eq!(values, vec![7; 6]);
}

static CUBES: AtomicUsize = AtomicUsize::new(0);

fn cube(x: u64) -> u64 {
    CUBES.fetch_add(1, Ordering::SeqCst);
    x * x * x
}

/// Two `Memory` handles on one folder keep the same entries (`TaskStore::identity` is the
/// folder): two pipelines that cache one pure task into them are planned as one cached task,
/// stored once; a handle on another folder is a store of its own, written too.
#[test]
fn caches_into_two_handles_on_one_folder_are_one_task() {
    let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b, c) = (Memory::new(dir.path()), Memory::new(dir.path()), Memory::new(other.path()));
    let x = lazydag::delayed_pure!(cube(3)).cache(&a);
    let y = lazydag::delayed_pure!(cube(3)).cache(&b);
    let z = lazydag::delayed_pure!(cube(3)).cache(&c);
    let planned = lazydag::Plan::new(&[x.task(), y.task(), z.task()]).view().len();
    assert_eq!(planned, 4, "the literal, `cube`, one cache per folder");
    assert_eq!(lazydag::compute((&x, &y, &z)).unwrap(), (27, 27, 27));
    assert_eq!(CUBES.load(Ordering::SeqCst), 1);
    // Each folder holds the value: new graphs load it without running `cube`.
    assert_eq!(lazydag::delayed_pure!(cube(3)).cache(&b).compute().unwrap(), 27);
    assert_eq!(lazydag::delayed_pure!(cube(3)).cache(&c).compute().unwrap(), 27);
    assert_eq!(CUBES.load(Ordering::SeqCst), 1);
}
