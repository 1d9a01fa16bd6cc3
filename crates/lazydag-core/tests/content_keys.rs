//! Content keys: pure tasks recorded apart are one task, keys are stable across processes,
//! and impure inputs, closures and untokenizable literals leave a task impure.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag_core::scheduler::{Sequential, Threaded, WorkStealing};
use lazydag_core::{
    ContentKey, Delayed, Scheduler, compute_with, delayed, delayed_pure, try_delayed,
};

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![Box::new(Sequential), Box::new(Threaded::new(2)), Box::new(WorkStealing::new(2))]
}

static LOADS: AtomicUsize = AtomicUsize::new(0);
static CLEANS: AtomicUsize = AtomicUsize::new(0);

fn load(n: u64) -> Vec<u64> {
    LOADS.fetch_add(1, Ordering::SeqCst);
    (0..n).collect()
}

fn clean(v: Vec<u64>) -> Vec<u64> {
    CLEANS.fetch_add(1, Ordering::SeqCst);
    v.into_iter().filter(|x| x % 2 == 0).collect()
}

fn total(v: Vec<u64>) -> u64 {
    v.iter().sum()
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// One pipeline, recorded from scratch each call: `load -> clean -> total`.
fn pipeline(n: u64) -> Delayed<u64> {
    let raw = delayed_pure!(load(n));
    let cleaned = delayed_pure!(clean(raw));
    delayed_pure!(total(cleaned))
}

#[test]
fn pure_tasks_recorded_apart_run_once() {
    for scheduler in schedulers() {
        let (loads, cleans) = (LOADS.load(Ordering::SeqCst), CLEANS.load(Ordering::SeqCst));
        // Two whole pipelines recorded apart (each of their links owned by one consumer, so
        // they would fuse into chains), joined by an impure task.
        let both = lazydag_core::delayed!(add(pipeline(10), pipeline(10)));
        assert_eq!(compute_with(&both, &*scheduler).unwrap(), 40);
        assert_eq!(LOADS.load(Ordering::SeqCst) - loads, 1, "{}", scheduler.name());
        assert_eq!(CLEANS.load(Ordering::SeqCst) - cleans, 1, "{}", scheduler.name());
        // Different inputs are different tasks.
        let (loads, _) = (LOADS.load(Ordering::SeqCst), 0);
        let two = lazydag_core::delayed!(add(pipeline(4), pipeline(6)));
        assert_eq!(compute_with(&two, &*scheduler).unwrap(), 2 + 6);
        assert_eq!(LOADS.load(Ordering::SeqCst) - loads, 2);
    }
}

static SQUARES: AtomicUsize = AtomicUsize::new(0);

fn square(x: u64) -> u64 {
    SQUARES.fetch_add(1, Ordering::SeqCst);
    x * x
}

fn sum(v: Vec<u64>) -> u64 {
    v.iter().sum()
}

#[test]
fn gathered_inputs_and_outputs_dedupe() {
    let before = SQUARES.load(Ordering::SeqCst);
    let left: Vec<_> = (0..5).map(|i| delayed_pure!(square(i))).collect();
    let right: Vec<_> = (0..5).map(|i| delayed_pure!(square(i))).collect();
    let a = delayed_pure!(sum(&left));
    let b = delayed_pure!(sum(&right));
    assert!(a.content_key().is_some());
    assert_eq!(a.content_key(), b.content_key());
    let plan = lazydag_core::Plan::new(&[a.task(), b.task()]);
    // 5 literals, 5 squares, one gather, one sum: the second copy is the same tasks.
    assert_eq!(plan.view().len(), 12);
    assert_eq!(lazydag_core::compute((a, b, right[3].clone())).unwrap(), (30, 30, 9));
    assert_eq!(SQUARES.load(Ordering::SeqCst) - before, 5);
}

static STEPS: AtomicUsize = AtomicUsize::new(0);

fn step(x: u64) -> u64 {
    STEPS.fetch_add(1, Ordering::SeqCst);
    x + 1
}

#[test]
fn impure_inputs_closures_and_opaque_literals_stay_impure() {
    let impure = lazydag_core::delayed!(step(1));
    assert_eq!(impure.content_key(), None);
    let on_impure = delayed_pure!(step(&impure));
    assert_eq!(on_impure.content_key(), None);
    let closure = lazydag_core::delayed!((|x: u64| x + 1)(1)).pure();
    assert_eq!(closure.content_key(), None);
    let pointer: fn(u64) -> u64 = step;
    assert_eq!(lazydag_core::delayed!(pointer(1)).pure().content_key(), None);
    // A literal whose type is not Tokenize leaves its consumer impure.
    assert_eq!(delayed_pure!(unwrap(Opaque(1))).content_key(), None);
    // `delayed(v)` is keyed once a `delayed!` call sees its (Tokenize) type, like
    // `delayed_pure(v)`, and a literal argument: all three are the same key.
    let plain = delayed_pure!(step(1u64)).content_key();
    assert!(plain.is_some());
    assert_eq!(delayed_pure!(step(delayed(1u64))).content_key(), plain);
    assert_eq!(delayed_pure!(step(delayed_pure(1u64))).content_key(), plain);
    // `.map` does not probe: a `delayed(v)` literal under it is impure, `delayed_pure` is not.
    assert_eq!(delayed(1u64).map(step).pure().content_key(), None);
    assert!(delayed_pure(1u64).map(step).pure().content_key().is_some());
    // Impure tasks are never merged: two separate impure calls run twice.
    let before = STEPS.load(Ordering::SeqCst);
    let pair = (lazydag_core::delayed!(step(5)), lazydag_core::delayed!(step(5)));
    assert_eq!(lazydag_core::compute(pair).unwrap(), (6, 6));
    assert_eq!(STEPS.load(Ordering::SeqCst) - before, 2);
}

#[derive(Clone, Debug)]
struct Opaque(u64);

fn unwrap(o: Opaque) -> u64 {
    o.0
}

fn parse(s: String) -> Result<u64, std::num::ParseIntError> {
    s.parse()
}

fn parse_plain(s: String) -> u64 {
    s.parse().unwrap_or(0)
}

#[test]
fn keys_cover_literals_version_mode_and_order() {
    let key = |d: Delayed<u64>| d.content_key().unwrap();
    let base = key(delayed_pure!(add(1, 2)));
    assert_eq!(base, key(delayed_pure!(add(1, 2))));
    assert_ne!(base, key(delayed_pure!(add(2, 1))));
    assert_ne!(base, key(delayed_pure!(add(1, 3))));
    assert_ne!(base, key(delayed_pure!(add(1, 2); version = 1)));
    assert_eq!(base, key(delayed_pure!(add(1, 2); version = 0)));
    assert_ne!(
        key(try_delayed!(parse(String::from("7"))).pure()),
        key(delayed_pure!(parse_plain(String::from("7"))))
    );
    // A key is set once: a later `pure_v` keeps it.
    let d = delayed_pure!(add(1, 2)).pure_v(9);
    assert_eq!(key(d), base);
    // A big buffer behind an Arc is hashed once, into its literal's node.
    let data = delayed_pure(Arc::new(vec![3u8; 1 << 16]));
    let users: Vec<_> = (0..100).map(|i| delayed_pure!(index(&data, i))).collect();
    assert!(users.iter().all(|u| u.content_key().is_some()));
    assert!(data.content_key().is_some());
    // DOT and errors keep readable names.
    assert_eq!(users[0].key().name(), "index");
    assert!(users[0].to_dot().contains("label=\"index\""));
}

fn index(data: Arc<Vec<u8>>, i: usize) -> u8 {
    data[i]
}

/// The key printed by the child process of `keys_are_the_same_in_another_process`.
fn sample_key() -> ContentKey {
    let data = delayed_pure(Arc::new(String::from("shared input")));
    let cleaned = delayed_pure!(clean(delayed_pure!(load(12))));
    delayed_pure!(mix(&data, cleaned, (1.5f64, "tag"))).content_key().unwrap()
}

fn mix(_: Arc<String>, _: Vec<u64>, _: (f64, &'static str)) -> u64 {
    0
}

const CHILD: &str = "LAZYDAG_CONTENT_KEY_CHILD";

/// Prints the sample key when run as the child (does nothing in a normal run).
#[test]
fn child_prints_sample_key() {
    if std::env::var_os(CHILD).is_some() {
        println!("\nkey={}", sample_key());
    }
}

#[test]
fn keys_are_the_same_in_another_process() {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--exact", "child_prints_sample_key", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed = stdout
        .lines()
        .find_map(|line| Some(&line[line.find("key=")? + 4..]))
        .unwrap_or_else(|| panic!("the child printed no key: {stdout}"));
    assert_eq!(printed.parse::<ContentKey>().unwrap(), sample_key());
}
