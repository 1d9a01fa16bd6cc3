//! Graph files for lazydag: write a graph of registered functions to JSON, read it back, report
//! on it before running it (a pre-flight: task counts per function, DOT, the critical path,
//! the peak-live-values estimate of the plan's order), and run it under limits.
//!
//! A graph can be written only if every task is a `#[lazydag::remote]` function (registered by
//! path) and every literal serializes: the same check and translation a Dask cluster gets
//! (`lazydag_dask::RemoteGraph`). The binary that registers the functions reads it back:
//!
//! ```
//! use lazydag_core::delayed;
//! use lazydag_dask::{RemoteGraph, remote};
//!
//! #[remote]
//! fn square(x: u64) -> u64 { x * x }
//! #[remote]
//! fn add(a: u64, b: u64) -> u64 { a + b }
//!
//! # fn main() {
//! let total = delayed!(add(delayed!(square(3)), delayed!(square(4))));
//! let json = lazydag_cli::dump(&total).unwrap();
//!
//! let graph = RemoteGraph::from_json(&json).unwrap();
//! let report = lazydag_cli::Report::of(&graph);
//! assert_eq!((report.tasks, report.critical_path.len(), report.peak_live), (3, 2, 3));
//! let values = graph.run_here().unwrap();
//! assert_eq!(values[0].downcast_ref::<u64>(), Some(&25));
//! # }
//! ```
//!
//! On the command line, a binary that calls [`main_hook`] first in `main` answers
//! `my-app lazydag graph dump|report|run FILE` (see [`run`] for the options); the `lazydag`
//! binary of this crate does the same for its own demo functions, and writes a demo graph
//! with `lazydag graph demo`. See `docs/cli.md`.

#![deny(missing_docs)]

mod error;

mod file;

mod dot;

mod report;

mod command;

pub use crate::command::{USAGE, main_hook, run};
pub use crate::error::CliError;
pub use crate::file::{dump, listing};
pub use crate::report::{Limits, Report};
