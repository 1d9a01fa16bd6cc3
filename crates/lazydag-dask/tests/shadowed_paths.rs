//! A task travels by its function's path, and two functions can have one path: a fn nested in
//! `fn shadow` is `…::shadow::twice`, the path of the registered `twice` of `mod shadow`. Such a
//! task is refused before anything is sent, naming it, instead of a worker running the
//! registered function and returning its value (10 where the task computes 15). The registered
//! function itself is still accepted. No Python needed: this is `RemoteGraph::from_plan`.

use lazydag_core::{Delayed, Error, Plan, delayed};
use lazydag_dask::{DaskError, RemoteGraph, lookup};
use lazydag_optimize::Optimizer;

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

/// The refusal of `out`'s plan (optimized or not): the refused task's key and the message.
fn refusal<T>(out: &Delayed<T>, optimize: bool) -> (String, String) {
    let plan = if optimize {
        Plan::optimized(&[out.task()], &Optimizer::default()).unwrap()
    } else {
        Plan::new(&[out.task()])
    };
    let err = RemoteGraph::from_plan(plan.view()).unwrap_err();
    let Error::Failed { task, source } = &err else { panic!("not a refusal: {err}") };
    let refused = source.downcast_ref::<DaskError>().expect("a DaskError source");
    assert!(matches!(refused, DaskError::Refused { .. }), "{refused}");
    (task.to_string(), err.to_string())
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
        let (task, msg) = refusal(&shadow(), optimize);
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
        let (task, msg) = refusal(&delayed!(shadow::twice(inner)), optimize);
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
        let plan = if optimize {
            Plan::optimized(&[out.task()], &Optimizer::default()).unwrap()
        } else {
            Plan::new(&[out.task()])
        };
        let graph = RemoteGraph::from_plan(plan.view()).unwrap();
        let values = graph.run_here().unwrap();
        assert_eq!(values[0].downcast_ref::<u64>(), Some(&20), "optimize={optimize}");
    }
}
