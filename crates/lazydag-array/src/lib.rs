//! Chunked n-dimensional arrays on lazydag: the `dask.array` of Rust.
//!
//! An [`Array<T>`] is a shape cut into chunks; each chunk is an [`ndarray`] array computed by
//! one lazydag task, so every operation records O(chunks) tasks, nothing runs until
//! [`Array::compute`], and computing a slice runs only the chunks it touches. Every
//! scheduler, the optimizer, DOT and callbacks work on arrays unchanged.
//!
//! ```
//! use lazydag_array as da;
//! use lazydag_array::s;
//!
//! let x = da::random::RandomState::new(7).random(&[1_000, 1_000], [100, 100]); // nothing runs
//! let y = &x + &x.t();
//! let z = y.mean_axis(0);
//! let first = z.slice(s![..5]).compute().unwrap(); // runs only what z[:5] needs
//! assert_eq!(first.len(), 5);
//! assert!(first.iter().all(|&v| (0.0..2.0).contains(&v)));
//! ```
//!
//! Bad input (shapes that do not broadcast, chunks that do not fit, an index out of range)
//! is an [`Error`] held by the resulting array: [`Array::check`] reports it at once, and
//! `compute` returns it before any task runs. Nothing panics on user input.
//!
//! `docs/array.md` describes how chunks map to tasks, the memory rule, and the dask.array
//! names.

#![deny(missing_docs)]

mod array;
mod chunks;
mod creation;
mod element;
pub mod elementwise;
mod error;
mod linalg;
mod macros;
mod npy;
mod ops;
mod pushdown;
pub mod random;
mod rechunk;
mod reduce;
mod remote;
mod reshape;
mod shape;
mod slice;
mod take;
mod task;

pub use crate::array::{Array, Block};
pub use crate::chunks::{ChunkSpec, Chunks};
pub use crate::creation::{
    BlockInfo, arange, arange_as, eye, from_fn, from_fn_pure, from_ndarray, full, linspace, ones,
    zeros,
};
pub use crate::element::{Arith, ArithNeg, Element};
pub use crate::elementwise::{Operand, where_};
pub use crate::error::Error;
pub use crate::npy::from_npy;
pub use crate::reduce::Reducer;
pub use crate::shape::{concatenate, stack};

/// The ndarray crate this one builds on (chunks are its arrays; `compute` returns them).
pub use ndarray;

#[doc(hidden)]
pub mod __private {
    //! Support for the macros; not public API.
    pub use ndarray::{Slice, SliceInfoElem};
}
