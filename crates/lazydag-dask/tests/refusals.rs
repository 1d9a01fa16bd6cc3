//! Everything that cannot run on a cluster is refused before submission, with an error that
//! names the task and says what to do. No Python needed: this is `RemoteGraph::from_plan`.

use lazydag_core::{Delayed, Error, Plan, delayed, try_delayed};
use lazydag_dask::{DaskError, RemoteGraph, remote};
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
    let plan = Plan::new(&[out.task()]);
    let err = RemoteGraph::from_plan(plan.view()).unwrap_err();
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
