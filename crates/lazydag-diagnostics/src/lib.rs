//! Diagnostics for lazydag, like Dask's `ProgressBar`, `Profiler` and `visualize()`: look at
//! a compute instead of reading about it.
//!
//! - [`ProgressBar`]: an `indicatif` bar on stderr (finished/total, rate, ETA), shown only
//!   once a compute has lasted [`minimum`](ProgressBar::minimum) (1 s by default), never drawn
//!   when stderr is not a terminal.
//! - [`Profiler`]: records (task key, worker, start, end) of every task; exports a Chrome
//!   trace ([`chrome_trace`](Profiler::chrome_trace), opens in Perfetto) and a self-contained
//!   SVG task stream ([`task_stream_svg`](Profiler::task_stream_svg)).
//! - [`visualize`](visualize()): writes the graph as DOT and renders it with Graphviz, coloured by priority
//!   or by the durations a [`Profiler`] measured.
//!
//! Both the bar and the profiler are [`Callback`](lazydag_core::Callback)s: attach them to one
//! compute with [`Control::callback`](lazydag_core::Control::callback), or to every compute on this
//! thread with [`lazydag::callback::register`](lazydag_core::callback::register). See `docs/diagnostics.md`.
//!
//! ```
//! use std::sync::Arc;
//! use lazydag::{compute_with_control, delayed, Control, scheduler::Sequential};
//! use lazydag_diagnostics::Profiler;
//! fn inc(x: u64) -> u64 { x + 1 }
//! let tasks: Vec<_> = (0..10).map(|i| delayed!(inc(i))).collect();
//! let profiler = Arc::new(Profiler::new());
//! let control = Control::new().callback(profiler.clone());
//! compute_with_control(&tasks, &Sequential, &control).unwrap();
//! assert_eq!(profiler.records().len(), 10);
//! assert!(profiler.task_stream_svg().starts_with("<svg"));
//! ```

#![deny(missing_docs)]

mod colour;
mod error;
mod profiler;
mod progress;
mod stream;
mod trace;
mod visualize;

pub use crate::error::Error;
pub use crate::profiler::{Profiler, TaskRecord};
pub use crate::progress::ProgressBar;
pub use crate::visualize::{Colouring, Visualize, visualize};
