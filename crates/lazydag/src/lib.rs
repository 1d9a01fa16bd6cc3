//! lazydag: a lazy task-graph engine, `dask.delayed` for Rust.
//!
//! Record calls with [`delayed!`]; nothing runs until [`Delayed::compute`] (one value) or
//! [`compute`] (many values at once). Computing collects what the outputs need into a frozen
//! [`Plan`] and runs it on a [`Scheduler`]. Look at any graph with [`Delayed::to_dot`].
//!
//! ```
//! use lazydag::prelude::*;
//!
//! fn square(x: i64) -> i64 { x * x }
//! fn add(x: i64, y: i64) -> i64 { x + y }
//!
//! # fn main() -> Result<(), lazydag::Error> {
//! let x = delayed!(square(5));
//! let y = delayed!(square(10));
//! let z = delayed!(add(x, y));          // nothing has run yet
//! assert_eq!(z.compute()?, 125);        // Result<i64, lazydag::Error>
//! # Ok(())
//! # }
//! ```
//!
//! - Arguments of `delayed!` are handles (`Delayed<A>` or `&Delayed<A>`, which become
//!   dependencies) or plain values (which become literal nodes). Fallible functions use
//!   [`try_delayed!`]; an `Err` fails the compute with an [`Error`] that names the task.
//! - A value is moved into its last consumer and cloned for the others: put large data in an
//!   `Arc`. A value whose type is not `Clone` works when consumed once.
//! - Recording is O(1) and thread-safe; graphs built separately, or on other threads, combine
//!   freely. Collecting, planning, running, DOT and dropping never recurse over graph depth.
//!
//! The architecture is described in `docs/architecture.md`.

#![deny(missing_docs)]

pub use lazydag_core::{
    Callback, CallbackGuard, CancelToken, Compiled, ContentKey, Control, Delayed, DotStyle, Error,
    KeyHasher, Outcome, Outputs, ParseKeyError, Plan, PlanSummary, PlanView, Scheduler, TaskEvent,
    TaskInfo, TaskKey, TaskRef, TaskStatus, TaskStore, Tokenize, Value, Worker, compile,
    compile_with, compute, compute_all, compute_async, compute_async_with_control, compute_settled,
    compute_with, compute_with_control, delayed, delayed_async, delayed_once, delayed_pure, graph,
    runtime, to_dot, to_dot_optimized, to_dot_with, tokenize_serde, try_delayed, try_delayed_async,
};
pub use lazydag_optimize::{OptimizeReport, Optimizer};

pub mod optimize {
    //! The optimizer: culling, linear and reduction fusion, inlining, and the [`Pass`] trait
    //! for your own passes. [`compute`](crate::compute()) runs the configured [`Optimizer`]
    //! (see [`config::optimizer`](crate::config::optimizer)); pass another per call with
    //! [`Control::optimize`](crate::Control::optimize).
    pub use lazydag_optimize::*;
}

/// The DAG library lazydag uses for inspection graphs ([`graph`], [`Delayed::graph`]).
pub use petgraph;

pub mod scheduler {
    //! Schedulers: the [`Scheduler`] trait and its implementations.
    //!
    //! - [`Sequential`]: every task on the calling thread, in the plan's memory-friendly order.
    //! - [`Threaded`]: a pool of threads sharing one priority-ordered ready queue.
    //! - [`WorkStealing`]: one deque per worker, stealing when idle (the default).
    //! - [`Async`]: tokio; async tasks overlap, CPU tasks run off the reactor.
    pub use lazydag_core::scheduler::{
        Async, Scheduler, Sequential, Threaded, WorkStealing, default_scheduler,
    };
}

pub use lazydag_core::{callback, config, conformance, panic, scheduler_conformance, task};

pub mod diagnostics {
    //! Look at a compute: [`ProgressBar`], [`Profiler`] and [`visualize`] (the
    //! `lazydag-diagnostics` crate, re-exported whole; see `docs/diagnostics.md`). They are
    //! [`Callback`](crate::Callback)s: attach one with
    //! [`Control::callback`](crate::Control::callback).
    pub use lazydag_diagnostics::*;
}

pub mod parallel {
    //! joblib for lazydag: [`Parallel`] maps and the on-disk [`Memory`] cache (the
    //! `lazydag-parallel` crate, re-exported whole; see `docs/parallel.md`).
    //!
    //! # Errors
    //! Its one error type, [`parallel::Error`](Error), is its own: an item that failed or
    //! panicked names the item's index, and the crate adds configuration, serialization and
    //! cache I/O errors that a compute never has. A failure of the lazydag compute running the
    //! batches is [`Error::Scheduler`], which wraps the [`lazydag::Error`](crate::Error), and
    //! `?` converts one into the other (`From<lazydag::Error> for parallel::Error`):
    //!
    //! ```
    //! fn both() -> Result<u64, lazydag::parallel::Error> {
    //!     let sum = lazydag::delayed(2_u64).map(|x: u64| x + 1).compute()?; // lazydag::Error
    //!     let squares = lazydag::parallel::Parallel::new().map(0..sum, |x| x * x)?;
    //!     Ok(squares.iter().sum())
    //! }
    //! assert_eq!(both().unwrap(), 5);
    //! ```
    pub use lazydag_parallel::*;
}

/// Chunked n-dimensional arrays, the `dask.array` of Rust (the `lazydag-array` crate; cargo
/// feature `array`, on by default).
#[cfg(feature = "array")]
pub use lazydag_array as array;

/// Partitioned dataframes on Polars, `dask.dataframe` for lazydag (the `lazydag-frame` crate;
/// cargo feature `frame`, on by default).
#[cfg(feature = "frame")]
pub use lazydag_frame as frame;

/// Scale-out on Dask distributed: tasks registered by name, [`DaskCluster`](dask) with the
/// `dask` feature (the `lazydag-dask` crate; cargo feature `remote`, or `dask` for the cluster
/// itself; see `docs/distributed.md`).
#[cfg(feature = "remote")]
pub use lazydag_dask as dask;

/// Registers a function by name so that a cluster can run it (`lazydag_dask::remote`;
/// cargo feature `remote`).
#[cfg(feature = "remote")]
pub use lazydag_dask::remote;

pub mod prelude {
    //! The names most programs need: `use lazydag::prelude::*;`.
    pub use lazydag_core::{
        Delayed, compute, compute_all, compute_async, delayed, delayed_async, delayed_once,
        delayed_pure, try_delayed, try_delayed_async,
    };
}
