//! The one error type of `lazydag-array`.
//!
//! Every check of user input runs while an operation is *recorded*, so a bad shape, chunking,
//! slice or axis is reported before any task runs. An operation on an array that already
//! failed returns that array's error unchanged (the first error wins), so a chain of
//! operations reports its first mistake.

use std::sync::Arc;

/// Why an array operation or compute failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that NumPy's broadcasting rules cannot combine.
    #[error(
        "{op}: shapes {left:?} and {right:?} do not broadcast (each axis, counted from the \
         last, must be equal or 1)"
    )]
    Broadcast {
        /// The operation (`add`, `where_`, ...).
        op: &'static str,
        /// The left operand's shape.
        left: Vec<usize>,
        /// The right operand's shape.
        right: Vec<usize>,
    },

    /// Two shapes that must agree (on some axes) and do not.
    #[error("{op}: shapes {left:?} and {right:?} do not match: {why}")]
    ShapeMismatch {
        /// The operation (`dot`, `concatenate`, ...).
        op: &'static str,
        /// The left (or first) shape.
        left: Vec<usize>,
        /// The right (or offending) shape.
        right: Vec<usize>,
        /// Which axes must agree.
        why: String,
    },

    /// Chunk sizes that do not describe the shape.
    #[error("bad chunks for shape {shape:?}: {why}")]
    Chunks {
        /// The array's shape.
        shape: Vec<usize>,
        /// What is wrong and how to fix it.
        why: String,
    },

    /// An index, slice or axis outside the array.
    #[error("{op}: {why} (shape {shape:?})")]
    OutOfRange {
        /// The operation (`slice`, `sum_axis`, ...).
        op: &'static str,
        /// The array's shape.
        shape: Vec<usize>,
        /// What is out of range.
        why: String,
    },

    /// An argument that no array could satisfy (a zero step, `low >= high`, a value that
    /// does not fit the element type).
    #[error("{op}: {why}")]
    Invalid {
        /// The operation (`arange`, `randint`, ...).
        op: &'static str,
        /// What is wrong.
        why: String,
    },

    /// A reading or writing failure (`.npy` files).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },

    /// The compute failed: a task failed or panicked (the error names the task), or the
    /// scheduler could not run the graph.
    #[error(transparent)]
    Compute(#[from] lazydag_core::Error),
}

impl Error {
    pub(crate) fn invalid(op: &'static str, why: impl Into<String>) -> Error {
        Error::Invalid { op, why: why.into() }
    }

    pub(crate) fn out_of_range(op: &'static str, shape: &[usize], why: impl Into<String>) -> Error {
        Error::OutOfRange { op, shape: shape.to_vec(), why: why.into() }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source: Arc::new(source) }
    }
}
