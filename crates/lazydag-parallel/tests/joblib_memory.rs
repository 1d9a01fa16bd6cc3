//! `Memory` against joblib's semantics: tests ported from joblib's own suite
//! (`joblib/test/test_memory.py`, each port names its original), written for Rust's types
//! (positions instead of argument names, `Result::Err` instead of exceptions), plus the
//! per-key locking and atomic-write checks joblib has no direct test for.
//!
//! No test depends on timing: file ages are set with `File::set_modified`, concurrency is
//! forced with a `Barrier` and checked by counting runs.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, SystemTime};

use lazydag_parallel::{Limits, Memory};

/// A run counter and a function of `x` that counts its runs and returns `x`.
fn counted_identity() -> (Arc<AtomicUsize>, impl Fn(i64) -> i64 + Clone + Send + Sync + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    (runs, move |x: i64| {
        counter.fetch_add(1, Ordering::Relaxed);
        x
    })
}

/// The `warn`-level messages logged on this thread while `f` runs (a scoped subscriber: no
/// global state shared with other tests).
fn warnings<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata};

    struct Messages(Arc<Mutex<Vec<String>>>);
    struct Message<'a>(&'a mut String);
    impl Visit for Message<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }
    impl tracing::Subscriber for Messages {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            *metadata.level() <= Level::WARN
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut message = String::new();
            event.record(&mut Message(&mut message));
            self.0.lock().unwrap().push(message);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = tracing::subscriber::with_default(Messages(Arc::clone(&seen)), f);
    let seen = seen.lock().unwrap().clone();
    (out, seen)
}

// Port of `test_memory_integration` (and its `check_identity_lazy` helper): a cached
// identity runs once per distinct argument; after `clear` it runs again.
#[test]
fn memory_integration_lazy_identity() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let (runs, f) = counted_identity();
    let cached = memory.cache("f", f);
    for i in 0..3 {
        for _ in 0..2 {
            assert_eq!(cached.call(i).unwrap(), i);
            assert_eq!(runs.load(Ordering::Relaxed), i as usize + 1);
        }
    }
    fs::remove_dir_all(dir.path()).unwrap(); // the folder vanishing under it is fine
    assert_eq!(cached.call(1).unwrap(), 1);
    memory.clear().unwrap();
    assert_eq!(cached.call(1).unwrap(), 1);
    assert_eq!(runs.load(Ordering::Relaxed), 5);
}

// Port of `test_memory_name_collision`: two different functions cached under one name. joblib
// warns once; here too, and each keeps its own entries, so neither returns the other's value.
#[test]
fn name_collision_warns_and_never_shares_entries() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let ((a, b), warned) = warnings(|| {
        let a = memory.cache("name_collision", |x: i64| x);
        let b = memory.cache("name_collision", |x: i64| x + 100);
        (a, b)
    });
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("collision"), "{warned:?}");
    assert_eq!(a.call(1).unwrap(), 1);
    assert_eq!(b.call(1).unwrap(), 101, "b's own value, not a's entry");
    assert_eq!(a.call(1).unwrap(), 1);
    assert_ne!(a.entry_path(&1).unwrap(), b.entry_path(&1).unwrap());
    // Re-caching the same function under its name is not a collision.
    let ((), again) = warnings(|| drop(memory.cache("twice", counted_identity().1)));
    assert!(again.is_empty(), "{again:?}");
}

// Port of `test_memory_warning_lambda_collisions`: two lambdas (closures) under one name
// return their own values. (joblib warns on every call; one warning at `cache` suffices.)
//
// Every test that reaches the collision warning does so inside `warnings()`: tracing caches
// whether a log line is wanted when a thread first reaches it, from that thread's subscriber,
// so a test reaching it with none while another test's `warnings()` was waiting for it could
// turn the line off for both.
#[test]
fn lambda_collisions_return_their_own_values() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let ((a, b), warned) = warnings(|| {
        (memory.cache("<lambda>", |x: i64| x), memory.cache("<lambda>", |x: i64| x + 1))
    });
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("collision"), "{warned:?}");
    assert_eq!(a.call(0).unwrap(), 0);
    assert_eq!(b.call(1).unwrap(), 2);
    assert_eq!(a.call(1).unwrap(), 1);
}

// Port of `test_memory_warning_collision_detection`: functions whose collisions joblib cannot
// detect (made by `eval`, all named `<lambda>`; joblib warns "cannot detect" and may mix their
// values up). Their Rust counterparts are function pointers, one type per signature: here
// each pointer is keyed by the function it points to, so two pointers under one name return
// their own values (in any order), and only the ordinary collision warning is logged.
#[test]
fn function_pointers_under_one_name_never_share_entries() {
    fn double(x: i64) -> i64 {
        2 * x
    }
    fn negate(x: i64) -> i64 {
        -x
    }
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let pointers: [fn(i64) -> i64; 2] = [double, negate];
    let ((a, b), warned) =
        warnings(|| (memory.cache("pointer", pointers[0]), memory.cache("pointer", pointers[1])));
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("collision"), "{warned:?}");
    assert_ne!(a.entry_path(&3).unwrap(), b.entry_path(&3).unwrap());
    for x in [3, 4, 3] {
        assert_eq!(a.call(x).unwrap(), 2 * x);
        assert_eq!(b.call(x).unwrap(), -x, "b's own value, not a's entry");
    }
    // A pointer cached again (another `Cached`, same function) finds its entries.
    let again = memory.cache("pointer", pointers[0]);
    assert_eq!(again.entry_path(&3).unwrap(), a.entry_path(&3).unwrap());
    assert!(again.check_call_in_cache(&3).unwrap());
    // The same function as a `fn` item has another type, so other entries: never a wrong one.
    assert!(!memory.cache("pointer", double).check_call_in_cache(&3).unwrap());
}

// Port of `test_memory_in_memory_function_code_change`: joblib swaps the code of the function
// cached under one name (`_function_to_cache.__code__ = _sum.__code__`, then `_product`'s)
// and expects the new code's values, with a collision warning. In Rust the function behind a
// name changes at run time through a `fn` pointer: here one variable holds `sum`, then
// `product`, each cached under the same name.
#[test]
fn a_pointer_swapped_to_another_function_gets_its_own_values() {
    fn sum(a: i64, b: i64) -> i64 {
        a + b
    }
    fn product(a: i64, b: i64) -> i64 {
        a * b
    }
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let mut function_to_cache: fn(i64, i64) -> i64 = sum;
    let f = memory.cache("_function_to_cache", function_to_cache);
    assert_eq!(f.call((1, 2)).unwrap(), 3);
    assert_eq!(f.call((1, 2)).unwrap(), 3);
    function_to_cache = product;
    let (f, warned) = warnings(|| memory.cache("_function_to_cache", function_to_cache));
    assert!(warned.iter().any(|w| w.contains("collision")), "{warned:?}");
    assert_eq!(f.call((1, 2)).unwrap(), 2);
    assert_eq!(f.call((1, 2)).unwrap(), 2);
}

/// The function the parent and the child process below both cache, through a pointer.
fn triple(x: i64) -> i64 {
    3 * x
}

// The child of `a_function_pointers_entries_are_found_by_another_run` (does nothing unless
// that test runs it, with the cache folder in its environment).
#[test]
fn child_finds_the_function_pointers_entry() {
    let Some(dir) = std::env::var_os("LAZYDAG_TEST_POINTER_CACHE") else { return };
    let memory = Memory::new(dir);
    let pointer: fn(i64) -> i64 = triple;
    assert!(memory.cache("triple", pointer).check_call_in_cache(&5).unwrap());
}

// A pointer's key holds across runs of one executable (address randomization moves the code
// at every start): a child process, a new run of this test binary, finds the parent's entry.
#[test]
fn a_function_pointers_entries_are_found_by_another_run() {
    let dir = tempfile::tempdir().unwrap();
    let pointer: fn(i64) -> i64 = triple;
    assert_eq!(Memory::new(dir.path()).cache("triple", pointer).call(5).unwrap(), 15);
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_finds_the_function_pointers_entry", "--nocapture"])
        .env("LAZYDAG_TEST_POINTER_CACHE", dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the child did not find the entry: {status}");
}

// A trait object's type is shared by every function of its signature and does not say which
// one it holds: it is refused at every call with a message that says what to cache instead,
// so no two of them can ever share entries.
#[test]
fn trait_objects_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let boxed: Box<dyn Fn(i64) -> i64 + Send + Sync> = Box::new(|x| x + 1);
    let cached = memory.cache("boxed", boxed);
    let err = cached.call(1).unwrap_err();
    assert!(
        matches!(err, lazydag_parallel::Error::Function { ref function, .. } if function == "boxed")
    );
    let message = err.to_string();
    assert!(message.contains("cannot be cached"), "{message}");
    assert!(message.contains("closure or a `fn` item"), "{message}");
    assert!(cached.check_call_in_cache(&1).is_err());
    assert!(cached.entry_path(&1).is_err());
    assert_eq!(memory.size().unwrap(), 0, "nothing was stored");
    let borrowed: &'static (dyn Fn(i64) -> i64 + Send + Sync) = &|x| x;
    assert!(memory.cache("borrowed", borrowed).call(1).is_err());
}

// Port of `test_memory_exception`: a failure is never cached; every call with a failing
// argument runs the function again and returns its error.
#[test]
fn an_err_result_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let h = memory.cache("h", move |exc: bool| -> Result<u8, String> {
        counter.fetch_add(1, Ordering::Relaxed);
        if exc { Err("MyException".into()) } else { Ok(0) }
    });
    assert_eq!(h.call(false).unwrap(), Ok(0)); // initialise the cache
    for _ in 0..3 {
        assert_eq!(h.call(true).unwrap(), Err("MyException".to_string()));
    }
    assert_eq!(runs.load(Ordering::Relaxed), 4, "the Err ran each time");
    assert!(!h.check_call_in_cache(&true).unwrap());
    assert!(!h.entry_path(&true).unwrap().exists());
    assert_eq!(h.call(false).unwrap(), Ok(0));
    assert_eq!(runs.load(Ordering::Relaxed), 4, "the Ok was stored");
}

// Port of `test_memory_ignore`: an ignored argument is not part of the key.
#[test]
fn ignored_arguments_are_not_in_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let z = memory
        .cache("z", move |x: i64, _y: i64| {
            counter.fetch_add(1, Ordering::Relaxed);
            x
        })
        .ignore([1]);
    z.call((0, 1)).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    z.call((0, 1)).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    z.call((0, 2)).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    z.call((1, 2)).unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 2, "the kept argument still counts");
    // A position the function does not have is a configuration error naming it.
    let err = z.clone().ignore([2]).call((0, 1)).unwrap_err();
    assert!(err.to_string().contains("argument 2, but the function takes 2"), "{err}");
    // One argument, ignored: every call shares one entry.
    let one = memory.cache("one", |x: i64| x).ignore([0]);
    assert_eq!(one.call(7).unwrap(), 7);
    assert_eq!(one.call(8).unwrap(), 7);
}

// Port of `test_check_call_in_cache`.
#[test]
fn check_call_in_cache() {
    let dir = tempfile::tempdir().unwrap();
    fn f(x: i64, y: i64) -> i64 {
        x * x + y
    }
    let func = Memory::new(dir.path()).cache("f", f);
    assert!(!func.check_call_in_cache(&(2, 1)).unwrap());
    assert_eq!(func.call((2, 1)).unwrap(), 5);
    assert!(func.check_call_in_cache(&(2, 1)).unwrap());
    assert!(!func.check_call_in_cache(&(2, 2)).unwrap());
    // A corrupt entry is not "in the cache".
    let path = func.entry_path(&(2, 1)).unwrap();
    fs::write(&path, "garbage").unwrap();
    assert!(!func.check_call_in_cache(&(2, 1)).unwrap());
}

/// joblib's `_setup_toy_cache`: ten entries of 1,000 bytes of `a` (plus bincode's 3-byte
/// length and our 48-byte trailer: 1,051 bytes each), written an hour apart, oldest first.
fn toy_cache(dir: &Path) -> (Memory, impl Fn(i64) -> String + Clone + use<>, Vec<PathBuf>) {
    let memory = Memory::new(dir);
    let get_1000_bytes = |_arg: i64| "a".repeat(1000);
    let cached = memory.cache("get_1000_bytes", get_1000_bytes);
    let now = SystemTime::now();
    let mut paths = Vec::new();
    for arg in 0..10 {
        cached.call(arg).unwrap();
        let path = cached.entry_path(&arg).unwrap();
        let age = Duration::from_secs(3600 * (20 - arg as u64));
        File::options().write(true).open(&path).unwrap().set_modified(now - age).unwrap();
        paths.push(path);
    }
    (memory, get_1000_bytes, paths)
}

/// The entries left of `paths`.
fn left(paths: &[PathBuf]) -> Vec<&PathBuf> {
    paths.iter().filter(|p| p.exists()).collect()
}

// Port of `test_memory_reduce_size_bytes_limit`.
#[test]
fn reduce_size_bytes_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, _, paths) = toy_cache(dir.path());
    assert_eq!(memory.size().unwrap(), 10 * 1051); // 1,003 bytes of bincode + a 48-byte trailer
    assert_eq!(memory.reduce_size(Limits::default()).unwrap(), 0, "no limit: a no-op");
    assert_eq!(memory.reduce_size(Limits::default().bytes(1 << 20)).unwrap(), 0);
    assert_eq!(memory.reduce_size(Limits::default().bytes(3 << 10)).unwrap(), 8);
    assert_eq!(left(&paths), [&paths[8], &paths[9]], "the two most recently used stay");
    assert_eq!(memory.reduce_size(Limits::default().bytes(500)).unwrap(), 2);
    assert_eq!(memory.size().unwrap(), 0);
}

// Port of `test_memory_reduce_size_items_limit`.
#[test]
fn reduce_size_items_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, _, paths) = toy_cache(dir.path());
    assert_eq!(memory.reduce_size(Limits::default().items(10)).unwrap(), 0);
    assert_eq!(memory.reduce_size(Limits::default().items(2)).unwrap(), 8);
    assert_eq!(left(&paths), [&paths[8], &paths[9]]);
    assert_eq!(memory.reduce_size(Limits::default().items(0)).unwrap(), 2);
    assert!(left(&paths).is_empty());
}

// Port of `test_memory_reduce_size_age_limit` (ages set on the files instead of sleeping).
#[test]
fn reduce_size_age_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, f, paths) = toy_cache(dir.path());
    assert_eq!(memory.reduce_size(Limits::default().age(Duration::from_secs(86_400))).unwrap(), 0);
    let put_cache = memory.cache("get_1000_bytes", f);
    put_cache.call(-1).unwrap();
    put_cache.call(-2).unwrap(); // two fresh entries
    assert_eq!(memory.reduce_size(Limits::default().age(Duration::from_secs(60))).unwrap(), 10);
    assert!(left(&paths).is_empty());
    assert!(put_cache.check_call_in_cache(&-1).unwrap());
    assert!(put_cache.check_call_in_cache(&-2).unwrap());
    assert_eq!(memory.reduce_size(Limits::default().age(Duration::ZERO)).unwrap(), 2);
    assert_eq!(memory.size().unwrap(), 0);
}

// Port of `test__get_items_to_delete`'s LRU property: a hit makes an entry recent, and
// every survivor was used more recently than every removed entry.
#[test]
fn reduce_size_keeps_the_most_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, f, paths) = toy_cache(dir.path());
    let cached = memory.cache("get_1000_bytes", f);
    cached.call(0).unwrap(); // a hit: entry 0, the oldest, becomes the most recent
    assert_eq!(memory.reduce_size(Limits::default().bytes(6000)).unwrap(), 5);
    assert_eq!(left(&paths), [&paths[0], &paths[6], &paths[7], &paths[8], &paths[9]]);
    // All three limits at once: the strictest wins.
    let limits = Limits::default().bytes(1 << 20).items(3).age(Duration::from_secs(86_400));
    assert_eq!(memory.reduce_size(limits).unwrap(), 2);
    assert_eq!(left(&paths), [&paths[0], &paths[8], &paths[9]]);
}

// Port of `test_memory_clear`: `clear` empties the folder of entries (the `.gitignore`
// stays) and the next call recomputes.
#[test]
fn clear_empties_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, f, _) = toy_cache(dir.path());
    memory.clear().unwrap();
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [".gitignore"]);
    assert!(!memory.cache("get_1000_bytes", f).check_call_in_cache(&0).unwrap());
}

// joblib writes a `.gitignore` into its cache folder (no test of its own to port).
#[test]
fn a_gitignore_is_written_in_the_cache_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let memory = Memory::new(&root);
    let cached = memory.cache("f", |x: i64| x);
    assert!(!root.exists(), "nothing is created before the first write");
    cached.call(1).unwrap();
    assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*\n");
    assert_eq!(memory.size().unwrap(), fs::metadata(cached.entry_path(&1).unwrap()).unwrap().len());
    // A user's own .gitignore is kept as it is.
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join(".gitignore"), "mine\n").unwrap();
    Memory::new(&other).cache("f", |x: i64| x).call(1).unwrap();
    assert_eq!(fs::read_to_string(other.join(".gitignore")).unwrap(), "mine\n");
}

// Port of `TestCacheValidationCallback::test_constant_cache_validation_callback`, both ways.
#[test]
fn constant_cache_validation_callback() {
    for consider_cache_valid in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (runs, f) = counted_identity();
        let cached =
            Memory::new(dir.path()).cache("foo", f).validate(move |_| consider_cache_valid);
        assert_eq!(cached.call(2).unwrap(), 2);
        assert_eq!(cached.call(2).unwrap(), 2);
        let expected = if consider_cache_valid { 1 } else { 2 };
        assert_eq!(runs.load(Ordering::Relaxed), expected, "valid: {consider_cache_valid}");
    }
}

// Port of `TestCacheValidationCallback::test_memory_only_cache_long_run`: the callback sees
// how long the computation ran. (A sleep only bounds durations from below, so the short
// case uses a threshold no function returning at once reaches: an hour, past any CI time limit.)
#[test]
fn only_cache_long_runs() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let foo = move |x: i64, delay_ms: u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(delay_ms));
        x * 2
    };
    let short = memory
        .cache("short", foo.clone())
        .ignore([1])
        .validate(|info| info.duration >= Duration::from_secs(3600));
    assert_eq!(short.call((2, 0)).unwrap(), 4);
    assert_eq!(short.call((2, 0)).unwrap(), 4);
    assert_eq!(runs.load(Ordering::Relaxed), 2, "short runs are not kept");
    let long = memory
        .cache("long", foo)
        .ignore([1])
        .validate(|info| info.duration >= Duration::from_millis(20));
    assert_eq!(long.call((2, 40)).unwrap(), 4);
    assert_eq!(long.call((2, 40)).unwrap(), 4);
    assert_eq!(runs.load(Ordering::Relaxed), 3, "a run of at least 40 ms is kept");
}

// Port of `TestCacheValidationCallback::test_memory_expires_after` (the age judged against
// a short and a long time to live instead of sleeping past one).
#[test]
fn expires_after() {
    let dir = tempfile::tempdir().unwrap();
    let (runs, f) = counted_identity();
    let cached = Memory::new(dir.path()).cache("foo", f).expires_after(Duration::from_secs(3600));
    assert_eq!(cached.call(2).unwrap(), 2);
    assert_eq!(cached.call(2).unwrap(), 2);
    assert_eq!(runs.load(Ordering::Relaxed), 1, "fresh: a hit");
    let expired = cached.clone().expires_after(Duration::ZERO);
    assert_eq!(expired.call(2).unwrap(), 2);
    assert_eq!(runs.load(Ordering::Relaxed), 2, "expired: recomputed");
}

// Per-key locking: callers released together by a barrier compute one key once.
#[test]
fn concurrent_callers_of_one_key_compute_it_once() {
    const THREADS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let (runs, f) = counted_identity();
    let cached = Memory::new(dir.path()).cache("f", f);
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                assert_eq!(cached.call(42).unwrap(), 42);
            });
        }
    });
    assert_eq!(runs.load(Ordering::Relaxed), 1);
}

// Per-key locking does not serialize failures: nothing is stored, so each waiter computes
// for itself; and a panicking function releases the key.
#[test]
fn waiters_compute_themselves_when_nothing_was_stored() {
    const THREADS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let failing = memory.cache("failing", move |x: i64| -> Result<i64, String> {
        counter.fetch_add(1, Ordering::Relaxed);
        Err(format!("no {x}"))
    });
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                assert_eq!(failing.call(1).unwrap(), Err("no 1".to_string()));
            });
        }
    });
    assert_eq!(runs.load(Ordering::Relaxed), THREADS);

    let panicking = memory.cache("panicking", |x: i64| -> i64 {
        assert!(x != 0, "zero");
        x
    });
    let call = |x| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panicking.call(x)));
    let caught = call(0);
    assert!(caught.is_err());
    let again = call(0);
    assert!(again.is_err(), "the key was released: the second call ran (and panicked) too");
    assert_eq!(panicking.call(1).unwrap(), 1);
}

// Port of `test_cached_function_race_condition_when_persisting_output` (joblib#490): while
// one thread rewrites an entry again and again, the file at the entry's name is always a
// complete entry (atomic rename), never a half-written one.
#[test]
fn a_reader_never_sees_a_half_written_entry() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let writes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&writes);
    let big = memory
        .cache("big", move |_: i64| vec![counter.fetch_add(1, Ordering::Relaxed); 20_000])
        .validate(|_| false); // every call recomputes and rewrites the entry
    big.call(0).unwrap();
    let path = big.entry_path(&0).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..100 {
                big.call(0).unwrap();
            }
            done.store(true, Ordering::Release);
        });
        let mut seen = 0;
        while !done.load(Ordering::Acquire) || seen == 0 {
            // The writer may have removed the entry it rejected; any file there is whole.
            let Ok(bytes) = fs::read(&path) else { continue };
            assert!(bytes.ends_with(b"LZDGMEM5"), "a torn entry of {} bytes", bytes.len());
            let at = bytes.len() - 16;
            let len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            assert_eq!(len as usize, bytes.len() - 48, "payload length matches the file");
            seen += 1;
        }
    });
    assert_eq!(writes.load(Ordering::Relaxed), 101);
}

// `Memory::cache` needs the function's marker type to be `'static` (to recognize a `fn`
// pointer): a closure over borrowed arguments is still cached, and called with borrows of
// locals, since each call picks its own lifetime.
#[test]
fn borrowed_arguments_are_still_cached() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let len = memory.cache("len", |s: &str| s.len());
    let local = String::from("abcd");
    assert_eq!(len.call(&local).unwrap(), 4);
    assert!(len.check_call_in_cache(&local.as_str()).unwrap());
}
