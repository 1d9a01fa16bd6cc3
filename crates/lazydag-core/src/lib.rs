//! The core of lazydag: record tasks lazily, plan them, run them.
//!
//! `delayed!` records a call as a node of a task graph and returns a typed [`Delayed`] handle;
//! nothing runs until [`Delayed::compute`] or [`compute()`]. Computing collects the tasks the
//! outputs need into a frozen [`Plan`] (dependencies before dependents, in a memory-friendly
//! order) and hands it to a [`Scheduler`]; [`scheduler::Sequential`] runs it on the calling
//! thread.
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
//!
//! # Layers
//!
//! The modules form one order, and each imports (`use crate::…`) only modules listed before
//! it; `scripts/check-layers.sh` (run by CI) fails on an import that points up the list.
//! From the bottom:
//!
//! 1. `key`, `value`, `codec`, `identity`, `error`, `panic`, `sync`: names, type-erased
//!    values, the byte encoding of values that leave the process, content keys (`ContentKey`, `Tokenize`, the `TaskStore` hook), the error type, catching
//!    panics (and the hook that keeps caught ones quiet), poison-free locks (and the loom shim);
//! 2. `worker`, `scoped`, `runtime`, `cancel`: per-thread state (which worker, inside a task?),
//!    thread-local scoped settings, the shared tokio runtime, the cancel flag;
//! 3. `node`, then `content`: the recorded graph (immutable nodes and their operations), and
//!    the content keys of nodes (pure tasks, literals) and the cached-task op;
//! 4. `plan`: the plan's data (`plan::view`, `collect`, `optimize`, `program`), then the task
//!    boundary (`plan::task`: running one task, catching its panic, keep-going poison);
//! 5. `callback`, then `control`: hooks around a compute and its tasks, and the caller's
//!    options (cancel, timeout, keep going, callbacks, optimizer), resolved into the plan;
//! 6. `schedulers`: the [`Scheduler`] trait and the four built-in schedulers;
//! 7. `config`: which scheduler and optimizer a plain `compute()` uses (env, file, scope);
//! 8. `outputs`, `dot`, `graph`: what can be computed, drawn and inspected at once;
//! 9. `compute`: the entry points (plan → start callbacks → scheduler → finish → unpack),
//!    then `compiled`: outputs planned once and run many times;
//! 10. `delayed`: the typed handle, its methods and `impl Outputs`, and the many-output
//!     helpers; `persist`: many outputs computed into held values; then `probe` and `macros`
//!     (`delayed!` and friends);
//! 11. `conformance`: the suite that checks a [`Scheduler`] against its contract, on top.

#![deny(missing_docs)]

// The modules in layer order, bottom first (see "Layers" above; one per group, so that
// rustfmt keeps the order). scripts/check-layers.sh reads this list.
mod key;

mod value;

pub mod codec;

mod identity;

mod error;

pub mod panic;

pub mod sync;

mod worker;

mod scoped;

mod runtime;

mod cancel;

mod node;

mod content;

mod plan;

pub mod callback;

mod control;

mod schedulers;

pub mod config;

mod outputs;

mod dot;

mod graph;

mod compute;

mod compiled;

mod delayed;

mod persist;

mod probe;

mod macros;

pub mod conformance;

/// The [`Scheduler`] extension point, the built-in schedulers and the configured default.
///
/// A scheduler receives a checked [`Plan`] and returns the values of its outputs, in order;
/// everything it needs is public on [`Plan::view`]. Each built-in scheduler documents its own
/// protocol (completion counting, sleeping, shutdown, cancellation) on its type.
///
/// | type | config value | threads |
/// | --- | --- | --- |
/// | [`Sequential`](scheduler::Sequential) | `sync` | the caller |
/// | [`Threaded`](scheduler::Threaded) | `threads` | a pool sharing one ready queue |
/// | [`WorkStealing`](scheduler::WorkStealing) | `work-stealing` | a pool, one deque per worker |
/// | [`Async`](scheduler::Async) | `async` | tokio |
pub mod scheduler {
    pub use crate::config::default_scheduler;
    pub use crate::schedulers::{Async, Scheduler, Sequential, Threaded, WorkStealing};
}

/// What a running task can ask about the compute it belongs to.
///
/// A long task polls [`is_cancelled`](task::is_cancelled) and returns early once its compute
/// was cancelled or timed out; the [`Scheduler`] contract says what happens to a task that
/// does not. [`on_pool_worker`](task::on_pool_worker) says whether a blocking wait would hold
/// a pool's worker, and [`help_pool`](task::help_pool) runs the pool's work during such a wait.
pub mod task {
    pub use crate::cancel::is_cancelled;
    pub use crate::worker::{help_pool, on_pool_worker};
}

#[doc(hidden)]
pub mod __private {
    //! Support for the macros; not public API.
    pub use crate::probe::*;
}

pub use crate::callback::{Callback, CallbackGuard, Outcome, PlanSummary, TaskEvent, Worker};
pub use crate::cancel::CancelToken;
pub use crate::compiled::{Compiled, compile, compile_with};
pub use crate::compute::{
    compute, compute_async, compute_async_with_control, compute_with, compute_with_control,
};
pub use crate::control::Control;
pub use crate::delayed::{
    Delayed, compute_all, compute_settled, delayed, delayed_once, delayed_pure,
};
pub use crate::dot::{DotStyle, to_dot, to_dot_optimized, to_dot_with};
pub use crate::error::Error;
pub use crate::graph::critical_path;
pub use crate::graph::{TaskInfo, graph, peak_live};
pub use crate::identity::{ContentKey, KeyHasher, ParseKeyError, TaskStore, Tokenize};
pub use crate::key::TaskKey;
pub use crate::outputs::Outputs;
pub use crate::persist::{Persist, persist, persist_with};
pub use crate::plan::TaskStatus;
pub use crate::plan::{Plan, PlanView, TaskRef};
pub use crate::runtime::runtime;
pub use crate::schedulers::Scheduler;
pub use crate::value::Value;
pub use lazydag_optimize::{OptimizeReport, Optimizer};
