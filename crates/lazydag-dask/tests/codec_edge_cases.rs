//! The value codec keeps an `Option`'s nesting across the wire: a `Some(())` or `Some(None)`
//! literal reaches the worker as itself, a `Some(())` result comes back as itself, and both
//! survive a graph file's round trip (and a gather the optimizer fused is refused when a file
//! is written, not when it is read). MessagePack, the codec before, wrote `Some(x)` as `x`,
//! so `None`, `Some(None)` and `Some(())` were one nil byte and all decoded as `None`.

use lazydag_core::scheduler::Sequential;
use lazydag_core::{Delayed, Plan, compute_with, delayed};
use lazydag_dask::{RemoteGraph, remote};

/// `out` run as a cluster would (translated, encoded, decoded), here in-process.
fn shipped<T: 'static + Clone>(out: &Delayed<T>) -> T {
    let graph = RemoteGraph::from_plan(Plan::new(&[out.task()]).view()).unwrap();
    let mut values = graph.run_here().unwrap();
    values.pop().unwrap().downcast::<T>().ok().unwrap()
}

/// `out` dumped to a graph file, read back and run.
fn replayed<T: 'static + Clone>(out: &Delayed<T>) -> T {
    let graph = RemoteGraph::from_plan(Plan::new(&[out.task()]).view()).unwrap();
    let back = RemoteGraph::from_json(&graph.to_json().unwrap()).unwrap();
    back.run_here().unwrap().pop().unwrap().downcast::<T>().ok().unwrap()
}

#[remote]
fn is_some_unit(x: Option<()>) -> bool {
    x.is_some()
}

#[remote]
fn is_some_outer(x: Option<Option<u8>>) -> bool {
    x.is_some()
}

#[remote]
fn make_unit(x: u8) -> Option<()> {
    (x > 0).then_some(())
}

#[test]
fn option_of_unit_literal_survives_the_codec() {
    let out = delayed!(is_some_unit(Some(())));
    let here = compute_with(&out, &Sequential).unwrap();
    assert!(here);
    assert_eq!(shipped(&out), here, "Some(()) arrived as None on the worker");
    assert_eq!(replayed(&out), here, "Some(()) read back from a graph file as None");
}

#[test]
fn nested_option_literal_survives_the_codec() {
    let out = delayed!(is_some_outer(Some(None)));
    let here = compute_with(&out, &Sequential).unwrap();
    assert!(here);
    assert_eq!(shipped(&out), here, "Some(None) arrived as None on the worker");
    assert_eq!(replayed(&out), here, "Some(None) read back from a graph file as None");
}

#[test]
fn option_of_unit_result_survives_the_codec() {
    let out = delayed!(make_unit(1));
    let here = compute_with(&out, &Sequential).unwrap();
    assert_eq!(here, Some(()));
    assert_eq!(shipped(&out), here, "the result Some(()) came back as None");
    assert_eq!(replayed(&out), here, "the result Some(()) came back from a graph file as None");
}

#[remote]
fn inc(x: u64) -> u64 {
    x + 1
}

#[remote]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

/// A gather fused into its consumer by the optimizer is refused when the file is written, as
/// a gathering task at a task's root is: it used to be written, as a call of `<gather>`, and
/// then refused when read back.
#[test]
fn a_fused_gather_is_refused_when_written_not_when_read() {
    let parts: Vec<_> = (0..3).map(|i| delayed!(inc(i))).collect();
    let sum = delayed!(total(parts));
    let plan = Plan::optimized(&[sum.task()], &lazydag_optimize::Optimizer::default()).unwrap();
    let graph = RemoteGraph::from_plan(plan.view()).unwrap();
    let err = graph.to_json().unwrap_err();
    assert_eq!(graph.run_here().unwrap()[0].downcast_ref::<u64>(), Some(&6));
    assert!(err.to_string().contains("gathers a `Vec` of handles"), "{err}");
}

#[remote]
fn shout(s: String) -> String {
    s.to_uppercase()
}

/// A graph file whose literal is a string with a corrupt length prefix (2^40 bytes claimed,
/// three given) is refused when read, naming the literal, instead of aborting on a terabyte
/// allocation as bincode's plain decode did.
#[test]
fn a_corrupt_length_prefix_in_a_graph_file_is_an_error_not_an_abort() {
    let out = delayed!(shout(String::from("abc")));
    assert_eq!(replayed(&out), "ABC");
    let json = RemoteGraph::from_plan(Plan::new(&[out.task()]).view()).unwrap().to_json().unwrap();
    let good = "03616263"; // bincode of "abc": its length, then its bytes
    assert!(json.contains(good), "{json}");
    let corrupt = format!("fd{}616263", hex_le(1_u64 << 40));
    let err = RemoteGraph::from_json(&json.replace(good, &corrupt)).unwrap_err().to_string();
    assert!(err.contains("literal input 0") && err.contains("corrupt"), "{err}");
}

fn hex_le(n: u64) -> String {
    n.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
