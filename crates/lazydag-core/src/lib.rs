//! The core of lazydag: record tasks lazily, plan them, run them.
//!
//! `delayed!` records a call as a node of a task graph and returns a typed [`Delayed`] handle;
//! nothing runs until [`Delayed::compute`] or [`compute`]. Computing collects the tasks the
//! outputs need into a frozen [`Plan`] (dependencies before dependents, in a memory-friendly
//! order) and hands it to a [`Scheduler`]; [`scheduler::Sync`] runs it on the calling thread.
//!
//! ```
//! use lazydag_core::{compute, delayed};
//! fn square(x: i64) -> i64 { x * x }
//! fn add(x: i64, y: i64) -> i64 { x + y }
//! let x = delayed!(square(5));
//! let y = delayed!(square(10));
//! let z = delayed!(add(&x, &y)); // nothing has run yet
//! assert_eq!(z.compute().unwrap(), 125);
//! assert_eq!(compute((x, y, z)).unwrap(), (25, 100, 125));
//! ```
//!
//! Most users depend on the `lazydag` facade crate, which re-exports this one.

#![deny(missing_docs)]

pub mod callback;
mod compute;
pub mod config;
mod control;
mod delayed;
mod dot;
mod error;
mod graph;
mod key;
mod macros;
mod node;
mod outputs;
mod plan;
#[doc(hidden)]
pub mod __private {
    //! Support for the macros; not public API.
    pub use crate::probe::*;
}
mod probe;
mod runtime;
pub mod scheduler;
mod scoped;
mod value;

pub use crate::callback::{Callback, CallbackGuard, Outcome, PlanSummary, TaskEvent, Worker};
pub use crate::compute::{
    compute, compute_all, compute_async, compute_async_with_control, compute_settled, compute_with,
    compute_with_control,
};
pub use crate::control::{CancelToken, Control};
pub use crate::delayed::{Delayed, delayed, delayed_once};
pub use crate::dot::{DotStyle, to_dot, to_dot_optimized, to_dot_with};
pub use crate::error::Error;
pub use crate::graph::{TaskInfo, graph};
pub use crate::key::TaskKey;
pub use crate::outputs::Outputs;
pub use crate::plan::{Plan, PlanView, TaskRef};
pub use crate::runtime::runtime;
pub use crate::scheduler::Scheduler;
pub use crate::value::Value;
pub use lazydag_optimize::{OptimizeReport, Optimizer};
