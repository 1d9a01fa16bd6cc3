//! Runs lazydag graphs on a [Dask distributed](https://distributed.dask.org) cluster, with the
//! user's own binary as the client, the scheduler and every worker.
//!
//! A task crosses a process boundary as the name of a registered function and bincode bytes
//! (lossless: `Some(())` arrives as `Some(())`, a NaN as the same NaN). [`remote`] registers a
//! function under its path; a graph sent to a cluster may hold only registered functions and
//! literals of their serde argument types, and anything else is refused before submission
//! ([`RemoteGraph::from_plan`], [`DaskError::Refused`]).
//!
//! ```
//! use lazydag_core::{delayed, Plan};
//! use lazydag_dask::{RemoteGraph, remote};
//!
//! #[remote] // at module level: registered as `module_path!()::square`
//! fn square(x: u64) -> u64 { x * x }
//! #[remote]
//! fn add(a: u64, b: u64) -> u64 { a + b }
//!
//! # fn main() {
//! let total = delayed!(add(delayed!(square(3)), delayed!(square(4))));
//! assert_eq!(total.compute().unwrap(), 25); // locally, as always
//!
//! // What a cluster would run: three named tasks on bincode bytes (here run in-process).
//! let plan = Plan::new(&[total.task()]);
//! let graph = RemoteGraph::from_plan(plan.view()).unwrap();
//! assert_eq!(graph.len(), 3);
//! let values = graph.run_here().unwrap();
//! assert_eq!(values[0].downcast_ref::<u64>(), Some(&25));
//!
//! // A closure cannot be shipped: refused before anything is sent, naming the task.
//! let doubled = total.map(|t| t * 2);
//! let err = RemoteGraph::from_plan(Plan::new(&[doubled.task()]).view()).unwrap_err();
//! assert!(err.to_string().contains("is a closure"), "{err}");
//! # }
//! ```
//!
//! A graph also goes to and from JSON ([`RemoteGraph::to_json`], [`RemoteGraph::from_json`]),
//! for inspection and replay; `lazydag-cli` builds its `graph dump|run|report` commands on it.
//!
//! With the `python` feature, `DaskCluster` is a lazydag `Scheduler` that submits the graph
//! to a Dask scheduler, and `main_hook` lets the binary run as `my-app lazydag scheduler` and
//! `my-app lazydag worker ADDR`. See `docs/distributed.md` for the picture and deployment.

#![deny(missing_docs)]

mod codec;

mod text;

mod error;

mod registry;

mod program;

mod graph;

mod json;

// pyo3's macros expand to unsafe code, and the binary as CPython's command line is one FFI
// call (`Py_BytesMain`, with its SAFETY comment): the only unsafe code of the crate.
#[cfg(feature = "python")]
#[allow(unsafe_code)]
mod python;

#[doc(hidden)]
pub mod __private {
    //! Support for `#[remote]`'s expansion; not public API.
    pub use crate::codec::codec;
    pub use crate::registry::{settle_fallible, take_arg};
    pub use inventory;
    pub use lazydag_core::Value;
}

pub use crate::codec::Codec;
pub use crate::error::DaskError;
pub use crate::graph::RemoteGraph;
pub use crate::program::run_task;
#[cfg(feature = "python")]
pub use crate::python::{DaskCluster, Security, bench, main_hook, register};
pub use crate::registry::{CallError, RemoteFn, build_id, lookup, registered};
pub use lazydag_macros::remote;
