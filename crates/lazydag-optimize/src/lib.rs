//! Graph optimizations for lazydag, in the spirit of Dask's `dask/optimization.py`.
//!
//! The optimizer works on [`Graph`], an index-based view of a collected plan: task `i`'s
//! dependencies all have smaller indices, and each task carries its [`Kind`]. Passes never
//! rewrite closures; they decide the [`Role`] of each task:
//!
//! - [`Role::Root`]: the task runs as a task of its own (possibly with others fused into it);
//! - [`Role::FusedInto`]: the task runs inside its only consumer, back to back with it, with no
//!   scheduler round-trip (linear chains, and small reduction trees when enabled);
//! - [`Role::Inlined`]: the task is evaluated inside each consumer (literals, and tasks the user
//!   marked cheap with `.inline()`), like Dask's `inline` and `inline_functions`;
//! - [`Role::Culled`]: no requested output needs the task; it never runs.
//!
//! Every change goes through a checked method ([`Graph::fuse`], [`Graph::inline`],
//! [`Graph::cull`]) that refuses what could change results: a requested output is never fused
//! or inlined away, a task with several consumers is never fused, async tasks stay alone, and a
//! task is only inlined into several consumers when every input it would duplicate can be
//! cloned. User passes ([`Pass`]) therefore cannot break a graph either.
//!
//! ```
//! use lazydag_optimize::{Graph, Kind, Optimizer, Role};
//! // a -> b -> c, and a literal feeding a: a linear chain of three functions.
//! let graph = Graph::from_deps(
//!     vec![Kind::Literal, Kind::Function, Kind::Function, Kind::Function],
//!     &[vec![], vec![0], vec![1], vec![2]],
//!     vec![3],
//! );
//! let mut graph = graph.unwrap();
//! let report = Optimizer::default().run(&mut graph);
//! assert_eq!(graph.role(1), Role::FusedInto(2));
//! assert_eq!(graph.role(2), Role::FusedInto(3));
//! assert_eq!(graph.role(0), Role::Inlined);
//! assert_eq!((report.before, report.after, report.fused, report.inlined), (4, 1, 2, 1));
//! ```
//!
//! The core crate builds a [`Graph`] from each plan, runs an [`Optimizer`], and turns every
//! root into one scheduled task that runs its members as a small program.

#![deny(missing_docs)]

mod cull;
mod fuse;
mod graph;
mod inline;
mod optimizer;
mod pass;
mod reduce;
mod report;

pub use crate::cull::Cull;
pub use crate::fuse::{FuseLinear, is_chain_link};
pub use crate::graph::{Graph, GraphError, Kind, Refused, Role, invert};
pub use crate::inline::Inline;
pub use crate::optimizer::Optimizer;
pub use crate::pass::Pass;
pub use crate::reduce::FuseReductions;
pub use crate::report::OptimizeReport;
