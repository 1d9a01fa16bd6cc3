//! Content keys and the planning of equal keys once, on cases a review found wrong: a boxed
//! closure or function pointer (no key: its captures or its function are not in its type),
//! two literal types of one name (their build fingerprints differ), equal non-`Clone` values
//! (planned once each, not shared), values whose serde encoding fails (no key); and shapes
//! the optimizer's property tests do not generate (a cached task inside a chain, an async
//! task in a chain of non-`Clone` values).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lazydag::prelude::*;
use lazydag::scheduler::{Sequential, WorkStealing};
use lazydag::{
    ContentKey, Control, Error, KeyHasher, Optimizer, TaskStore, Tokenize, compute_with_control,
};

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

fn adder(k: u64) -> Box<impl Fn(u64) -> u64 + Send + Sync + 'static> {
    Box::new(move |x: u64| x + k)
}

/// A boxed closure is `nameable` (its type name is `Box<..{{closure}}>`, which does not end in
/// `}}`), so `.pure()` keys it by its type alone: two closures capturing different values get
/// one key, dedupe into one task and share cache entries.
#[test]
fn boxed_closures_capturing_different_values_get_one_key() {
    let f1 = adder(10);
    let f2 = adder(20);
    let a = delayed!(f1(1)).pure();
    let b = delayed!(f2(1)).pure();
    let (ka, kb) = (a.content_key(), b.content_key());
    let got = compute((a, b)).unwrap();
    assert_eq!(got, (11, 21), "keys {ka:?} / {kb:?}");
}

#[test]
fn a_boxed_closure_cannot_be_cached() {
    // A boxed closure gets no key (its captures are not hashed), so caching it is refused
    // with an error naming the task, never a stale hit.
    let store = InMemory::default();
    let f1 = adder(10);
    let e = delayed!(f1(1)).pure().cache(&store).compute().unwrap_err();
    assert!(matches!(e, Error::NotPure { .. }), "{e}");
    let f2 = adder(20);
    assert_eq!(delayed!(f2(1)).pure().compute().unwrap(), 21);
}

fn inc(x: u64) -> u64 {
    x + 1
}
fn dbl(x: u64) -> u64 {
    x * 2
}

/// A boxed function pointer: `Box<fn(u64) -> u64>` names every such function.
#[test]
fn boxed_fn_pointers_to_different_functions_get_one_key() {
    let f1: Box<fn(u64) -> u64> = Box::new(inc as fn(u64) -> u64);
    let f2: Box<fn(u64) -> u64> = Box::new(dbl as fn(u64) -> u64);
    let a = delayed!(f1(5)).pure();
    let b = delayed!(f2(5)).pure();
    let (ka, kb) = (a.content_key(), b.content_key());
    assert_eq!(compute((a, b)).unwrap(), (6, 10), "keys {ka:?} / {kb:?}");
}

/// Two block-local types with one `type_name` (`review_optimize::<fn>::P`): their literals get
/// one key, and the collector's dedupe hands the second task the first type's value.
#[test]
fn same_named_block_local_literal_types_are_deduped_together() {
    let a = {
        #[derive(Clone)]
        struct P(u64);
        impl Tokenize for P {
            fn tokenize(&self, h: &mut KeyHasher) {
                self.0.tokenize(h);
            }
        }
        fn f(p: P) -> u64 {
            p.0 + 1
        }
        delayed!(f(P(5))).pure()
    };
    let b = {
        #[derive(Clone)]
        struct P(u64);
        impl Tokenize for P {
            fn tokenize(&self, h: &mut KeyHasher) {
                self.0.tokenize(h);
            }
        }
        fn f(p: P) -> u64 {
            p.0 * 100
        }
        delayed!(f(P(5))).pure()
    };
    assert!(a.content_key().is_some() && b.content_key().is_some());
    assert_ne!(a.content_key(), b.content_key(), "the tasks' keys differ (TypeId)");
    let got = compute_with_control(&(a, b), &Sequential, &Control::new());
    assert_eq!(got.map_err(|e| e.to_string()), Ok((6, 500)));
}

/// Not `Clone`.
struct Token(u64);
impl Tokenize for Token {
    fn tokenize(&self, h: &mut KeyHasher) {
        self.0.tokenize(h);
    }
}
fn first(t: Token) -> u64 {
    t.0 + 1
}
fn second(t: Token) -> u64 {
    t.0 * 10
}
fn make(n: u64) -> Token {
    Token(n)
}

/// Each task has its own non-`Clone` literal argument; equal values make the collector plan
/// them as one literal with two uses, which cannot be cloned.
#[test]
fn equal_nonclone_literals_of_two_pure_tasks() {
    // Impure: works.
    let a = delayed!(first(Token(3)));
    let b = delayed!(second(Token(3)));
    assert_eq!(compute((a, b)).unwrap(), (4, 30));
    // Pure: the same graph.
    let a = delayed!(first(Token(3))).pure();
    let b = delayed!(second(Token(3))).pure();
    assert!(a.content_key().is_some());
    assert_eq!(compute((a, b)).map_err(|e| e.to_string()), Ok((4, 30)));
}

/// Two pure tasks recorded apart with a non-`Clone` output, each consumed once.
#[test]
fn deduped_pure_tasks_with_a_nonclone_output() {
    let a = delayed!(first(delayed!(make(3))));
    let b = delayed!(second(delayed!(make(3))));
    assert_eq!(compute((a, b)).unwrap(), (4, 30));
    let a = delayed!(first(delayed!(make(3)).pure()));
    let b = delayed!(second(delayed!(make(3)).pure()));
    assert_eq!(compute((a, b)).map_err(|e| e.to_string()), Ok((4, 30)));
}

/// `write_serde` (what `tokenize_serde!` calls) used to write the error text when a value did
/// not encode: every such value of a type got one key.
#[cfg(unix)]
#[derive(Clone)]
struct In(std::path::PathBuf);
#[cfg(unix)]
impl Tokenize for In {
    fn tokenize(&self, h: &mut KeyHasher) {
        h.write_serde(&self.0);
    }
}
#[cfg(unix)]
fn path_len(p: In) -> usize {
    p.0.as_os_str().len()
}

#[cfg(unix)]
#[test]
fn values_that_fail_to_encode_get_no_key() {
    use std::os::unix::ffi::OsStringExt;
    let p1 = In(std::ffi::OsString::from_vec(vec![0xff]).into());
    let p2 = In(std::ffi::OsString::from_vec(vec![0xff, b'a', b'b']).into());
    let a = delayed!(path_len(p1)).pure();
    let b = delayed!(path_len(p2)).pure();
    // No key for a value that does not encode: the tasks stay impure, each planned.
    assert!(a.content_key().is_none() && b.content_key().is_none());
    assert_eq!(compute((a, b)).unwrap(), (1, 3));
}

// ---- optimizer sanity checks on shapes the property tests do not generate ----

static RUNS: AtomicUsize = AtomicUsize::new(0);
fn counted(x: u64) -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    x + 1
}

#[test]
fn cached_task_inside_a_chain() {
    let store = InMemory::default();
    let build = || {
        let a = delayed!(counted(1)).pure();
        let b = delayed!(counted(a)).pure().cache(&store);
        delayed!(inc(delayed!(inc(b))))
    };
    for opt in [Optimizer::off(), Optimizer::default()] {
        let c = Control::new().optimize(opt);
        assert_eq!(compute_with_control(&build(), &WorkStealing::new(2), &c).unwrap(), 5);
    }
}

async fn triple(x: u64) -> u64 {
    x * 3
}

#[test]
fn async_task_in_a_chain_of_nonclone_values() {
    fn wrap(x: u64) -> Token {
        Token(x)
    }
    fn unwrap(t: Token) -> u64 {
        t.0
    }
    for opt in [Optimizer::off(), Optimizer::default(), Optimizer::new().fuse_reductions(Some(8))] {
        let x = delayed!(unwrap(delayed!(wrap(delayed_async!(triple(delayed!(inc(1))))))));
        let c = Control::new().optimize(opt);
        assert_eq!(compute_with_control(&x, &Sequential, &c).unwrap(), 6);
    }
}
