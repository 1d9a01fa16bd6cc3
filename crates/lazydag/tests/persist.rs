//! `persist`: computed values held in the graph, so later graphs do not run their tasks again,
//! on every scheduler, through the optimizer, in DOT and `graph()`; the held value is dropped
//! with its last handle. Includes ports of Dask's `dask/tests/test_base.py` persist cases.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Error, Optimizer, Scheduler, compute_with, persist_with};

/// One of each built-in scheduler.
fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
}

fn inc(x: i64) -> i64 {
    x + 1
}

fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// A task that counts its runs.
fn counted(runs: &Arc<AtomicUsize>, from: Delayed<i64>) -> Delayed<i64> {
    let runs = Arc::clone(runs);
    from.map(move |x: i64| {
        runs.fetch_add(1, Ordering::SeqCst);
        x * 10
    })
    .shared()
}

#[test]
fn later_graphs_do_not_run_persisted_tasks_on_any_scheduler() {
    for scheduler in schedulers() {
        let (load, step) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let x = counted(&load, delayed(4));
        let y = counted(&step, x.clone());
        let held = y.persist_with(&*scheduler).unwrap();
        assert_eq!((load.load(Ordering::SeqCst), step.load(Ordering::SeqCst)), (1, 1));
        for round in 0..3 {
            let z = delayed!(add(&held, delayed!(inc(&held))));
            assert_eq!(z.compute_with(&*scheduler).unwrap(), 801, "{}", scheduler.name());
            assert_eq!(held.compute_with(&*scheduler).unwrap(), 400);
            let runs = (load.load(Ordering::SeqCst), step.load(Ordering::SeqCst));
            assert_eq!(runs, (1, 1), "{} round {round}", scheduler.name());
        }
        // The original graph is untouched: computing it runs its tasks again.
        assert_eq!(y.compute_with(&*scheduler).unwrap(), 400);
        assert_eq!(load.load(Ordering::SeqCst), 2);
    }
}

#[test]
fn persist_of_many_outputs_runs_shared_work_once() {
    for scheduler in schedulers() {
        let runs = Arc::new(AtomicUsize::new(0));
        let base = counted(&runs, delayed(1));
        let a = delayed!(inc(&base));
        let b = delayed!(add(&base, 5));
        let (ha, hb, hs) = persist_with((&a, &b, vec![base.clone()]), &*scheduler).unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{}", scheduler.name());
        let total = delayed!(add(&ha, delayed!(add(&hb, &hs[0]))));
        assert_eq!(total.compute_with(&*scheduler).unwrap(), 11 + 15 + 10);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(ha.task().is_held() && hb.task().is_held() && hs[0].task().is_held());
    }
}

/// Counts live copies: clones and drops of a value.
#[derive(Debug)]
struct Tracked {
    clones: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
    payload: Vec<u8>,
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        Tracked {
            clones: Arc::clone(&self.clones),
            drops: Arc::clone(&self.drops),
            payload: self.payload.clone(),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_held_value_is_dropped_with_the_last_handle_and_the_last_task_using_it() {
    for scheduler in schedulers() {
        let (clones, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let live = || 1 + clones.load(Ordering::SeqCst) - drops.load(Ordering::SeqCst);
        let (c, d) = (Arc::clone(&clones), Arc::clone(&drops));
        let made = delayed(3_usize)
            .map(move |n: usize| Tracked {
                clones: Arc::clone(&c),
                drops: Arc::clone(&d),
                payload: vec![7; n],
            })
            .shared();
        let held = made.persist_with(&*scheduler).unwrap();
        drop(made);
        assert_eq!(live(), 1, "{}: only the held value", scheduler.name());
        let len = held.map(|t: Tracked| t.payload.len());
        for _ in 0..3 {
            assert_eq!(len.compute_with(&*scheduler).unwrap(), 3);
            assert_eq!(live(), 1, "{}: each compute's clone was dropped", scheduler.name());
        }
        drop(held);
        assert_eq!(live(), 1, "{}: `len` still uses the held value", scheduler.name());
        drop(len);
        assert_eq!(live(), 0, "{}: released with the last node using it", scheduler.name());
    }
}

fn parse(s: &'static str) -> Result<i64, std::num::ParseIntError> {
    s.parse()
}

#[test]
fn a_failing_task_fails_persist_naming_it() {
    for scheduler in schedulers() {
        let bad = try_delayed!(parse("x"));
        let good = delayed!(inc(1));
        let err = persist_with((&good, delayed!(add(&good, &bad))), &*scheduler).unwrap_err();
        assert!(matches!(err, Error::Failed { .. }), "{}: {err}", scheduler.name());
        assert_eq!(err.task(), Some(&bad.key()), "{}", scheduler.name());
        let err = bad.persist_with(&*scheduler).unwrap_err();
        assert_eq!(err.task().map(|k| k.name().to_owned()).as_deref(), Some("parse"));
    }
}

#[test]
fn held_values_go_through_the_optimizer() {
    let held = delayed!(inc(delayed!(inc(1)))).persist().unwrap();
    // A chain on a held value fuses; a held value with several consumers is cloned.
    let chain = delayed!(inc(delayed!(inc(delayed!(inc(&held))))));
    let both = delayed!(add(&chain, &held));
    for optimizer in [Optimizer::default(), Optimizer::off()] {
        let control = Control::new().optimize(optimizer.clone());
        for scheduler in schedulers() {
            let got = lazydag::compute_with_control(&both, &*scheduler, &control).unwrap();
            assert_eq!(got, 6 + 3);
        }
    }
    let dot = both.to_dot_optimized().unwrap();
    assert!(dot.contains("inc (held)"), "{dot}");
}

#[test]
fn dot_and_graph_show_a_held_value() {
    let x = delayed!(inc(delayed!(inc(1)))).name("loaded");
    let held = x.persist().unwrap();
    let y = delayed!(add(&held, 1));
    let dot = y.to_dot();
    assert!(dot.contains("label=\"loaded (held)\", shape=box, style=dashed"), "{dot}");
    let graph = y.graph();
    assert_eq!(graph.node_count(), 3); // the held value, the literal 1, `add`
    let held_nodes: Vec<_> = graph.node_weights().filter(|t| t.held).collect();
    assert_eq!(held_nodes.len(), 1);
    assert!(held_nodes[0].literal);
    assert_eq!(held_nodes[0].key.name(), "loaded");
    assert!(!graph.node_weights().any(|t| t.held && t.key.name() == "add"));
}

#[test]
fn a_held_value_can_be_persisted_again_and_used_from_threads() {
    let held = delayed!(inc(41)).persist().unwrap();
    let again = held.persist().unwrap();
    assert_eq!(again.graph().node_count(), 1);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let h = again.clone();
            std::thread::spawn(move || delayed!(add(&h, i)).compute_with(&Sequential).unwrap())
        })
        .collect();
    let got: Vec<i64> = handles.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(got, vec![42, 43, 44, 45]);
}

// Ports of dask/tests/test_base.py. Skipped, as about Dask collections' internals:
// `test_persist_delayed_rename`, `test_persist_bag_rename` and `test_persist_item_change_name`
// (`__dask_postpersist__`'s rename argument), `test_persist_array_bag`, `test_persist_bag`,
// `test_persist_item`, `test_persist_series` and the other dataframe cases (dask.array, bag and
// dataframe collections; their graph-shrinks check is `test_persist_delayed`'s here), and
// `test_persist_nested`'s `traverse=False` half (no traversal of plain containers in Rust).

/// dask/tests/test_base.py::test_persist_literals: `persist(1, 2, 3) == (1, 2, 3)`. A plain
/// value is not an output here, so the literals are `delayed(..)` handles.
#[test]
fn dask_test_persist_literals() {
    let (a, b, c) = persist((delayed(1), delayed(2), delayed(3))).unwrap();
    assert_eq!(compute((a, b, c)).unwrap(), (1, 2, 3));
}

/// dask/tests/test_base.py::test_persist_nested: nested containers keep their shape, and
/// every leaf comes back held.
#[test]
fn dask_test_persist_nested() {
    let a = delayed!(add(delayed(1), 5));
    let b = delayed!(add(&a, 1));
    let c = delayed!(add(&a, 2));
    let ((a2, bs), (c2,)) = persist(((&a, vec![b.clone()]), (&c,))).unwrap();
    assert!(a2.task().is_held() && bs[0].task().is_held() && c2.task().is_held());
    assert_eq!(compute(((&a2, &bs), (&c2,))).unwrap(), ((6, vec![7]), (8,)));
}

/// dask/tests/test_base.py::test_persist_delayed: the persisted handle's graph is one task,
/// it keeps the task's name (not its id: held values get counter ids, see docs/persist.md),
/// and computes to the same value.
#[test]
fn dask_test_persist_delayed() {
    let x1 = delayed(1_i64);
    let x2 = delayed!(inc(&x1));
    let x3 = delayed!(inc(&x2));
    let (xx,) = persist((&x3,)).unwrap();
    assert_eq!(xx.key().name(), x3.key().name());
    assert_eq!(xx.graph().node_count(), 1);
    assert_eq!(x3.graph().node_count(), 3);
    assert_eq!(x3.compute().unwrap(), xx.compute().unwrap());
}

/// dask/tests/test_base.py::test_persist_delayed_custom_key: a task named by the user keeps
/// its name when persisted, and the persisted graph holds just the value.
#[test]
fn dask_test_persist_delayed_custom_key() {
    let d = delayed!(inc(delayed(0_i64))).name("a");
    assert_eq!(d.compute().unwrap(), 1);
    let dp = d.persist().unwrap();
    assert_eq!(dp.compute().unwrap(), 1);
    assert_eq!(dp.key().name(), "a");
    let graph = dp.graph();
    assert_eq!(graph.node_count(), 1);
    assert!(graph.node_weights().all(|t| t.held && t.key.name() == "a"));
}

#[test]
fn compute_with_a_held_output_returns_a_clone_each_time() {
    let held = delayed(vec![1_u8, 2, 3]).map(|v: Vec<u8>| v.len()).persist().unwrap();
    for scheduler in schedulers() {
        assert_eq!(compute_with((&held, &held), &*scheduler).unwrap(), (3, 3));
    }
}

// dask/tests/test_base.py::test_persist_delayed_custom_key checks the key survives persist;
// for a pure task the content key does (the readable name does for every task).
#[test]
fn a_pure_task_keeps_its_content_key_when_persisted() {
    let x = delayed!(inc(1)).pure();
    let key = x.content_key();
    assert!(key.is_some(), "inc of a literal is pure");
    let held = x.persist().unwrap();
    assert_eq!(held.content_key(), key);
    let on_x = delayed!(add(&x, 10)).pure();
    let on_held = delayed!(add(&held, 10)).pure();
    assert_eq!(on_x.content_key(), on_held.content_key());
    assert_eq!(on_held.compute().unwrap(), 12);
}
