//! The shipped form of a graph computes the same bits as the local schedulers: map +
//! tree-reduce, fused chains, several outputs, literal outputs, errors and panics naming the
//! task. Run in-process through the registry (`RemoteGraph::run_here`): no Python needed.

use lazydag_core::scheduler::Sequential;
use lazydag_core::{Delayed, Error, Plan, compute_with, delayed, try_delayed};
use lazydag_dask::{DaskError, RemoteGraph, lookup, registered, remote};
use lazydag_optimize::Optimizer;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Stats {
    n: u64,
    sum: f64,
    min: f64,
}

#[remote]
fn chunk(seed: u64, len: u32) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[remote]
fn stats(xs: Vec<f64>) -> Stats {
    Stats {
        n: xs.len() as u64,
        sum: xs.iter().sum(),
        min: xs.iter().copied().fold(f64::MAX, f64::min),
    }
}

#[remote]
fn merge(a: Stats, b: Stats) -> Stats {
    Stats { n: a.n + b.n, sum: a.sum + b.sum, min: a.min.min(b.min) }
}

#[remote]
fn scale(s: Stats, by: f64) -> Stats {
    Stats { sum: s.sum * by, ..s }
}

#[derive(Debug)]
struct Unlucky(u64);

impl std::fmt::Display for Unlucky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is unlucky", self.0)
    }
}

impl std::error::Error for Unlucky {}

#[remote]
fn checked(n: u64) -> Result<u64, Unlucky> {
    if n == 13 { Err(Unlucky(n)) } else { Ok(n) }
}

#[remote]
fn explode(n: u64) -> u64 {
    assert!(n < 100, "n = {n} is too big");
    n
}

fn tree(parts: Vec<Delayed<Stats>>) -> Delayed<Stats> {
    let mut level = parts;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => delayed!(merge(a, b)),
                None => a,
            });
        }
        level = next;
    }
    level.pop().unwrap()
}

fn bits(s: &Stats) -> (u64, u64, u64) {
    (s.n, s.sum.to_bits(), s.min.to_bits())
}

fn shipped<T: 'static + Clone>(out: &Delayed<T>, optimize: bool) -> Result<T, Error> {
    let plan = if optimize {
        Plan::optimized(&[out.task()], &Optimizer::default())?
    } else {
        Plan::new(&[out.task()])
    };
    let graph = RemoteGraph::from_plan(plan.view())?;
    let mut values = graph.run_here()?;
    Ok(values.pop().unwrap().downcast::<T>().ok().unwrap())
}

#[test]
fn registered_under_the_task_path() {
    let t = delayed!(stats(vec![1.0]));
    let path = t.task().function_path().unwrap();
    assert_eq!(path, "round_trip::stats");
    assert_eq!(lookup(path).unwrap().arity(), 1);
    assert!(registered().iter().any(|f| f.path() == "round_trip::merge"));
    assert!(lookup("round_trip::checked").unwrap().is_fallible());
}

#[test]
fn map_tree_reduce_is_bit_identical_to_local() {
    let parts = (0..342).map(|s| delayed!(scale(delayed!(stats(delayed!(chunk(s, 100)))), 0.5)));
    let total = tree(parts.collect());
    let here = compute_with(&total, &Sequential).unwrap();
    for optimize in [false, true] {
        assert_eq!(bits(&shipped(&total, optimize).unwrap()), bits(&here), "optimize={optimize}");
    }
    // Fused: each chunk → stats → scale chain is one shipped task.
    let plan = Plan::optimized(&[total.task()], &Optimizer::default()).unwrap();
    assert_eq!(RemoteGraph::from_plan(plan.view()).unwrap().len(), 342 + 341);
}

#[test]
fn several_outputs_and_literal_outputs() {
    let a = delayed!(chunk(1, 5));
    let b = delayed!(stats(&a));
    let lit = delayed(7u64);
    let plan = Plan::new(&[a.task(), b.task(), lit.task(), a.task()]);
    let values = RemoteGraph::from_plan(plan.view()).unwrap().run_here().unwrap();
    assert_eq!(values[0].downcast_ref::<Vec<f64>>(), Some(&chunk(1, 5)));
    assert_eq!(values[1].downcast_ref::<Stats>(), Some(&stats(chunk(1, 5))));
    assert_eq!(values[2].downcast_ref::<u64>(), Some(&7));
    assert_eq!(values[3].downcast_ref::<Vec<f64>>(), Some(&chunk(1, 5)));
}

#[test]
fn an_err_comes_back_naming_the_task() {
    let ok = try_delayed!(checked(12));
    assert_eq!(shipped(&ok, true).unwrap(), 12);
    let bad = try_delayed!(checked(13));
    let err = shipped(&bad, true).unwrap_err();
    let Error::Failed { task, source } = &err else { panic!("{err}") };
    assert_eq!(task, &bad.key());
    assert!(matches!(source.downcast_ref::<DaskError>(), Some(DaskError::Remote { .. })));
    assert!(err.to_string().contains("13 is unlucky"), "{err}");
}

#[test]
fn a_panic_comes_back_naming_the_task_inside_a_fused_chain() {
    let out = delayed!(explode(delayed!(explode(500))));
    let err = shipped(&out, true).unwrap_err();
    let Error::Panicked { task, message, .. } = &err else { panic!("{err}") };
    assert_eq!(task, &out.key()); // the fused task's root
    assert!(message.contains("n = 500 is too big"), "{message}");
}

#[remote]
fn merge_all(parts: Vec<Stats>) -> Stats {
    let mut it = parts.into_iter();
    let first = it.next().expect("at least one part");
    it.fold(first, merge)
}

#[test]
fn a_gather_into_a_remote_fn_ships_fused_or_not() {
    // A `Vec` of handles passed to a registered function: 40 chains gathered by fours, then
    // the groups gathered again (a gather inside a fused task and as its own task).
    let parts: Vec<Delayed<Stats>> =
        (0..40).map(|s| delayed!(stats(delayed!(chunk(s, 50))))).collect();
    let groups: Vec<Delayed<Stats>> =
        parts.chunks(4).map(|g| delayed!(merge_all(g.to_vec()))).collect();
    let total = delayed!(merge_all(groups));
    let here = compute_with(&total, &Sequential).unwrap();
    for optimize in [false, true] {
        assert_eq!(bits(&shipped(&total, optimize).unwrap()), bits(&here), "optimize={optimize}");
    }
}
