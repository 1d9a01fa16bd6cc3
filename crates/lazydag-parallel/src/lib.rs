//! lazydag-parallel: joblib for lazydag.
//!
//! - [`Parallel`] maps a function over items on a lazydag scheduler, like joblib's
//!   `Parallel(n_jobs=4)(delayed(f)(x) for x in xs)`: results in input order, automatic
//!   batching (batches of about 20 ms, never a lazydag task per item), the first
//!   failure stops the map and names the item ([`Parallel::collect_errors`] keeps going), and
//!   [`Parallel::map_iter`] streams inputs larger than memory; [`Parallel::verbose`] reports
//!   progress in items, joblib-style.
//! - [`Memory`] memoizes functions on disk, like joblib's `Memory(location).cache`: keyed by a
//!   stable hash of the function's name, a version and the serialized arguments (functions
//!   of 0 to 8 arguments, [`CachedFn`]); atomic
//!   writes, checksummed entries, a size limit with least-recently-used eviction.
//!
//! ```
//! use lazydag_parallel::{Memory, Parallel};
//!
//! # fn main() -> Result<(), lazydag_parallel::Error> {
//! let squares = Parallel::new().n_jobs(2).map(0..1000u64, |x| x * x)?;
//! assert_eq!(squares[999], 998_001);
//!
//! let dir = tempfile::tempdir().unwrap();
//! let memory = Memory::new(dir.path());
//! let slow_double = memory.cache("double", |x: u64| x * 2);
//! assert_eq!(slow_double.call(21)?, 42); // computed and stored
//! assert_eq!(slow_double.call(21)?, 42); // loaded from disk
//! # Ok(())
//! # }
//! ```
//!
//! The design is described in `docs/parallel.md`.

#![deny(missing_docs)]

mod error;
mod memory;
mod parallel;

pub use crate::error::{Error, ItemError};
pub use crate::memory::{Cached, CachedFn, EntryInfo, Limits, Memory};
pub use crate::parallel::{BatchSize, CollectErrors, MapIter, Parallel, SettledIter, cpu_count};
