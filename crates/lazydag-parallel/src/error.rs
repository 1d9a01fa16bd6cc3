//! The crate's one error type, [`Error`], and the per-item error, [`ItemError`].
//!
//! Invariant: every error about an item names the item's index in the input (counting from 0),
//! and every configuration error names the setting, the bad value and the valid values.

use std::path::PathBuf;
use std::sync::Arc;

/// Why an item of a [`Parallel`](crate::Parallel) map did not produce a value.
///
/// ```
/// use lazydag_parallel::{ItemError, Parallel};
/// let results = Parallel::new().n_jobs(2).collect_errors()
///     .try_map(vec!["1", "x"], |s: &str| s.parse::<i32>())
///     .unwrap();
/// let err: &ItemError = results[1].as_ref().unwrap_err();
/// assert_eq!(err.index(), 1);
/// assert!(err.to_string().starts_with("item 1 failed: invalid digit"));
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ItemError {
    /// The function returned `Err` for this item (in [`try_map`](crate::Parallel::try_map)).
    #[error("item {index} failed: {source}")]
    Failed {
        /// The item's position in the input.
        index: usize,
        /// The error the function returned.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },

    /// The function panicked on this item. The panic was caught; the pool and later maps are
    /// unaffected.
    #[error("item {index} panicked: {message}")]
    Panicked {
        /// The item's position in the input.
        index: usize,
        /// The panic message (or a placeholder when the payload is not a string).
        message: String,
    },
}

impl ItemError {
    /// The position in the input of the item that failed.
    pub fn index(&self) -> usize {
        match self {
            ItemError::Failed { index, .. } | ItemError::Panicked { index, .. } => *index,
        }
    }
}

/// Why a [`Parallel`](crate::Parallel) map or a [`Memory`](crate::Memory) call failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An item failed or panicked; in the default mode this stops the map.
    #[error(transparent)]
    Item(#[from] ItemError),

    /// A setting is invalid (`n_jobs(0)`, a zero batch size). The message names the setting,
    /// the value and the valid values.
    #[error("invalid lazydag-parallel configuration: {message}")]
    Config {
        /// What is wrong and what would be valid.
        message: String,
    },

    /// The lazydag scheduler running the batches failed (not an item: items' failures are
    /// [`Error::Item`]).
    #[error("the scheduler failed: {0}")]
    Scheduler(#[from] lazydag_core::Error),

    /// The arguments of a cached function could not be serialized to compute the cache key.
    #[error("cannot serialize the arguments of cached function `{function}`: {message}")]
    Arguments {
        /// The cached function's name.
        function: String,
        /// The serializer's message.
        message: String,
    },

    /// A function given to [`Memory::cache`](crate::Memory::cache) cannot be cached: its type
    /// (a trait object, say) cannot tell it from another function of its signature, so its
    /// entries could be another's. The message says what to cache instead.
    #[error("cannot cache function `{function}`: {message}")]
    Function {
        /// The name it was cached under.
        function: String,
        /// Why, and what to do instead.
        message: String,
    },

    /// A cache file or folder could not be read, written or removed.
    #[error("cache I/O failed on `{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl Error {
    /// The index of the failing item, when this error is about an item.
    ///
    /// ```
    /// use lazydag_parallel::Parallel;
    /// let err = Parallel::new().n_jobs(2)
    ///     .map(0..10, |i: u32| if i == 7 { panic!("seven") } else { i })
    ///     .unwrap_err();
    /// assert_eq!(err.item_index(), Some(7));
    /// assert_eq!(err.to_string(), "item 7 panicked: seven");
    /// ```
    pub fn item_index(&self) -> Option<usize> {
        match self {
            Error::Item(item) => Some(item.index()),
            _ => None,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source: Arc::new(source) }
    }
}
