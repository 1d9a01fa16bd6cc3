//! Everything that cannot run on a cluster is refused before submission, with an error that
//! names the task and says what to do. No Python needed: this is `RemoteGraph::from_plan`.

use lazydag_core::{Delayed, Error, Plan, delayed, try_delayed};
use lazydag_dask::{DaskError, RemoteGraph, lookup, remote};
use lazydag_optimize::Optimizer;
use serde::{Deserialize, Serialize, Serializer};

#[remote]
fn inc(x: u64) -> u64 {
    x + 1
}

fn not_registered(x: u64) -> u64 {
    x * 2
}

#[remote]
fn parse(s: String) -> Result<u64, std::num::ParseIntError> {
    s.parse()
}

/// A literal whose `Serialize` fails.
#[derive(Clone, Debug, Deserialize)]
struct Opaque(u8);

impl Serialize for Opaque {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("Opaque holds a file handle"))
    }
}

#[remote]
fn open(o: Opaque) -> u64 {
    u64::from(o.0)
}

fn refusal<T>(out: &Delayed<T>) -> (String, String) {
    refusal_of(out, false)
}

/// `out`'s plan, optimized (chains fused) or as recorded.
fn plan_of<T>(out: &Delayed<T>, optimize: bool) -> Plan {
    if optimize {
        Plan::optimized(&[out.task()], &Optimizer::default()).unwrap()
    } else {
        Plan::new(&[out.task()])
    }
}

/// The refusal of `out`'s plan (optimized or not): the refused task's key and the message.
fn refusal_of<T>(out: &Delayed<T>, optimize: bool) -> (String, String) {
    let err = RemoteGraph::from_plan(plan_of(out, optimize).view()).unwrap_err();
    let Error::Failed { task, source } = &err else { panic!("not a refusal: {err}") };
    let refused = source.downcast_ref::<DaskError>().expect("a DaskError source");
    assert!(matches!(refused, DaskError::Refused { .. }), "{refused}");
    (task.to_string(), err.to_string())
}

#[test]
fn a_closure_is_refused_naming_the_task() {
    let x = delayed!(inc(1));
    let y = x.map(|v| v * 3).name("triple");
    let (task, msg) = refusal(&delayed!(inc(&y)));
    assert!(task.starts_with("triple-"), "{task}");
    assert!(msg.contains("is a closure"), "{msg}");
    assert!(msg.contains("#[remote] fn"), "{msg}");
}

#[test]
fn an_unregistered_function_is_refused_naming_it() {
    let (task, msg) = refusal(&delayed!(inc(delayed!(not_registered(2)))));
    assert!(task.starts_with("not_registered-"), "{task}");
    assert!(msg.contains("refusals::not_registered` is not registered"), "{msg}");
    assert!(msg.contains("#[lazydag::remote]"), "{msg}");
}

#[test]
fn a_literal_that_does_not_serialize_is_refused_naming_it() {
    let (task, msg) = refusal(&delayed!(open(Opaque(3))));
    assert!(task.starts_with("literal-"), "{task}");
    assert!(msg.contains("argument 0 of `open-"), "{msg}");
    assert!(msg.contains("Opaque holds a file handle"), "{msg}");
}

#[test]
fn a_result_function_recorded_with_plain_delayed_is_refused() {
    let (task, msg) = refusal(&delayed!(parse("4".to_string())));
    assert!(task.starts_with("parse-"), "{task}");
    assert!(msg.contains("try_delayed!"), "{msg}");
    // Recorded as intended, it translates.
    let ok = try_delayed!(parse("4".to_string()));
    assert!(RemoteGraph::from_plan(Plan::new(&[ok.task()]).view()).is_ok());
}

#[remote]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[test]
fn a_gathering_task_as_an_output_is_refused() {
    let parts: Vec<_> = (0..3).map(|i| delayed!(inc(i))).collect();
    let all: Delayed<Vec<u64>> = parts.into_iter().collect();
    let (_, msg) = refusal(&all);
    assert!(msg.contains("gathering task requested as an output"), "{msg}");
}

#[test]
fn a_gather_of_a_literal_is_refused_and_a_renamed_gather_ships() {
    let (task, msg) = refusal(&delayed!(total(vec![delayed!(inc(1)), lazydag_core::delayed(7)])));
    assert!(task.starts_with("literal-"), "{task}");
    assert!(msg.contains("element 1 of the gathered `gather-"), "{msg}");
    // A gather is known by its kind (`TaskRef::is_gather`), not its name: renamed, it ships.
    let parts: Vec<_> = (0..3).map(|i| delayed!(inc(i))).collect();
    let renamed: Delayed<Vec<u64>> = parts.into_iter().collect::<Delayed<_>>().name("parts");
    let sum = delayed!(total(renamed));
    let graph = RemoteGraph::from_plan(Plan::new(&[sum.task()]).view()).unwrap();
    let values = graph.run_here().unwrap();
    assert_eq!(values[0].downcast_ref::<u64>(), Some(&6));
}

// ---- A function with the path of another, registered one ----
//
// A task travels by its function's path, and two functions can have one path: a fn nested in
// `fn shadow` is `…::shadow::twice`, the path of the registered `twice` of `mod shadow`. Such a
// task is refused before anything is sent, naming it, instead of a worker running the
// registered function and returning its value (10 where the task computes 15). The registered
// function itself is still accepted.

mod shadow {
    use lazydag_dask::remote;

    #[remote]
    pub(crate) fn twice(x: u64) -> u64 {
        x * 2
    }
}

/// `twice(5)` of a fn that is not registered but has the path of `shadow::twice`.
fn shadow() -> Delayed<u64> {
    fn twice(x: u64) -> u64 {
        x * 3
    }
    delayed!(twice(5))
}

/// The path `shadow::twice` is registered under in this test binary.
fn registered_path() -> String {
    format!("{}::shadow::twice", module_path!())
}

#[test]
fn the_nested_fn_has_the_registered_path_but_not_its_type() {
    let task = shadow();
    let path = task.task().function_path().unwrap();
    assert_eq!(path, registered_path(), "the case this file is about");
    let entry = lookup(path).expect("`shadow::twice` is registered");
    assert_ne!(task.task().function_type_id(), Some(entry.function_type_id()));
    assert_eq!(task.compute().unwrap(), 15);
}

#[test]
fn a_task_whose_path_is_another_registered_fn_is_refused_naming_it() {
    for optimize in [false, true] {
        let (task, msg) = refusal_of(&shadow(), optimize);
        assert!(task.starts_with("twice-"), "{task}");
        let path = registered_path();
        assert!(msg.contains(&format!("`{path}` is registered, but by another function")), "{msg}");
        assert!(msg.contains("with the same path"), "{msg}");
        assert!(msg.contains("#[lazydag::remote] on the task's function itself"), "{msg}");
        assert!(msg.contains("rename it"), "{msg}");
    }
}

#[test]
fn a_shadowed_input_of_a_registered_fn_is_refused_naming_it() {
    for optimize in [false, true] {
        let inner = shadow();
        let key = inner.task().key().to_string();
        let (task, msg) = refusal_of(&delayed!(shadow::twice(inner)), optimize);
        assert_eq!(task, key, "optimize={optimize}");
        assert!(msg.contains("by another function with the same path"), "{msg}");
    }
}

#[test]
fn the_registered_fn_of_that_path_is_still_accepted() {
    let out = delayed!(shadow::twice(delayed!(shadow::twice(5))));
    let entry = lookup(&registered_path()).unwrap();
    assert_eq!(out.task().function_type_id(), Some(entry.function_type_id()));
    for optimize in [false, true] {
        let graph = RemoteGraph::from_plan(plan_of(&out, optimize).view()).unwrap();
        let values = graph.run_here().unwrap();
        assert_eq!(values[0].downcast_ref::<u64>(), Some(&20), "optimize={optimize}");
    }
}
