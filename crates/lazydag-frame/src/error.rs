//! The crate's one error type.
//!
//! Errors about input name the file, the line (1-based, counting the header) or byte offset,
//! and the column; errors about a column that does not exist list the ones that do. A task
//! that fails inside a compute comes back as [`Error::Compute`], whose message names the
//! task and carries the input error as its source.

use std::path::PathBuf;
use std::sync::Arc;

use polars::prelude::PolarsError;

/// Why building or computing a frame failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A path or glob pattern matched no file.
    #[error("no file matches `{pattern}`: check the path (and the working directory)")]
    NoSuchFile {
        /// The path or pattern as given.
        pattern: String,
    },

    /// A file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: Arc<std::io::Error>,
    },

    /// A file or directory could not be written (`to_csv`, `to_parquet`).
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: Arc<std::io::Error>,
    },

    /// A file is empty (not even a header line).
    #[error("`{}` is empty: a CSV needs at least a header line", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },

    /// A value does not parse as its column's dtype.
    #[error(
        "`{}` line {line} (byte {byte}), column `{column}`: cannot parse {value:?} as {dtype}; \
         declare another dtype with `.dtypes([...])` or fix the value",
        path.display()
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number, counting the header line.
        line: u64,
        /// The byte offset of the line's start in the file.
        byte: u64,
        /// The column.
        column: String,
        /// The text that did not parse.
        value: String,
        /// The dtype it should have had.
        dtype: String,
    },

    /// A row has another number of fields than the header.
    #[error(
        "`{}` line {line} (byte {byte}): malformed row, {found} fields where the header has \
         {expected}",
        path.display()
    )]
    MalformedRow {
        /// The file.
        path: PathBuf,
        /// The 1-based line number, counting the header line.
        line: u64,
        /// The byte offset of the line's start in the file.
        byte: u64,
        /// How many fields the header has.
        expected: usize,
        /// How many fields the row has.
        found: usize,
    },

    /// Polars could not read a block, and no more precise cause was found.
    #[error("`{}` bytes {start}..{end}: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The block's first byte.
        start: u64,
        /// One past the block's last byte.
        end: u64,
        /// Polars' error.
        #[source]
        source: Arc<PolarsError>,
    },

    /// A file could not be read or written as Parquet (not a Parquet file, a corrupt one).
    #[error("`{}`: not readable as Parquet: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Polars' error.
        #[source]
        source: Arc<PolarsError>,
    },

    /// A quoted field contains a newline where a block is cut.
    #[error(
        "`{}` byte {byte}: a quoted field contains a newline where a block would be cut; byte \
         blocks cannot be cut safely in this file: read it with `.blocksize(None)` (one \
         partition per file)",
        path.display()
    )]
    QuotedNewline {
        /// The file.
        path: PathBuf,
        /// Where the block boundary falls.
        byte: u64,
    },

    /// A quoted field is still open at the end of the file: its closing quote is missing.
    #[error(
        "`{}` line {line} (byte {byte}): a quoted field is never closed (a quote character \
         is missing, or the file is cut short)",
        path.display()
    )]
    UnclosedQuote {
        /// The file.
        path: PathBuf,
        /// The 1-based line number of the row holding the open field, counting the header.
        line: u64,
        /// The byte offset of that row's start in the file.
        byte: u64,
    },

    /// A column named by the caller does not exist.
    #[error("column `{column}` not found{}; the columns are [{}]", in_file(file), available.join(", "))]
    MissingColumn {
        /// The missing column.
        column: String,
        /// The file whose header lacks it, when it is about one file of several.
        file: Option<PathBuf>,
        /// The columns that exist.
        available: Vec<String>,
    },

    /// An argument is invalid (a bad blocksize, zero partitions, an unsupported aggregation).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A Polars operation failed.
    #[error("polars: {0}")]
    Polars(#[source] Arc<PolarsError>),

    /// A task of the compute failed or panicked; the message names it.
    #[error(transparent)]
    Compute(#[from] lazydag_core::Error),
}

fn in_file(file: &Option<PathBuf>) -> String {
    match file {
        Some(path) => format!(" in `{}`", path.display()),
        None => String::new(),
    }
}

impl From<PolarsError> for Error {
    fn from(e: PolarsError) -> Self {
        Error::Polars(Arc::new(e))
    }
}

impl Error {
    /// The input error behind a failed task, when there is one: `Compute(Failed { source })`
    /// whose source is an [`Error`] of this crate; `self` otherwise.
    ///
    /// ```
    /// use lazydag_frame::Error;
    /// let e = Error::InvalidArgument("x".into());
    /// assert!(matches!(e.root(), Error::InvalidArgument(_)));
    /// ```
    pub fn root(&self) -> &Error {
        if let Error::Compute(lazydag_core::Error::Failed { source, .. }) = self
            && let Some(inner) = source.downcast_ref::<Error>()
        {
            return inner.root();
        }
        self
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
