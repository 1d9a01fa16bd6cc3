//! The one error type of a compute.

use std::sync::Arc;

use crate::key::TaskKey;

/// Why a compute did not return its values. Every variant that concerns a task names it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A fallible task returned `Err`.
    #[error("task `{task}` failed: {source}")]
    Failed {
        /// The task that failed.
        task: TaskKey,
        /// The error the task returned.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },

    /// A task panicked. The panic was caught at the task boundary; the process, the graph and
    /// later computes are unaffected, and nothing was printed: the panic hook stays quiet for
    /// panics lazydag catches (see [`panic`](crate::panic)), so this error is the report.
    #[error("task `{task}` panicked{}: {message}", at(.location))]
    Panicked {
        /// The task that panicked.
        task: TaskKey,
        /// The panic message (or a placeholder when the payload is not a string).
        message: String,
        /// Where the panic was raised (`file:line:column`), when known (see
        /// [`Caught::location`](crate::panic::Caught::location)).
        location: Option<String>,
    },

    /// A value feeds several tasks (or is requested several times) but its type is not known
    /// to be `Clone`, so it cannot be handed to all of them.
    #[error(
        "the output of task `{task}` (a `{type_name}`) is used {uses} times, but its type is not \
         known to be Clone: record its consumers with `delayed!` (which detects Clone), call \
         `.shared()` on it, or wrap the value in an `Arc`"
    )]
    NotClone {
        /// The task whose output is used several times.
        task: TaskKey,
        /// The output's Rust type.
        type_name: &'static str,
        /// How many consumers and output requests it has in this compute.
        uses: usize,
    },

    /// A literal whose type is not `Clone` was moved into an earlier compute.
    #[error(
        "literal `{task}` (a `{type_name}`) is not Clone and was already moved into an earlier \
         compute: record a fresh literal for each compute, or make the value Clone (e.g. an `Arc`)"
    )]
    LiteralMoved {
        /// The literal.
        task: TaskKey,
        /// The literal's Rust type.
        type_name: &'static str,
    },

    /// A task marked [`.cache(..)`](crate::Delayed::cache) has no content key to store its
    /// value under: it was not made pure, or it cannot be (a closure, or an input that is not
    /// pure).
    #[error(
        "task `{task}` is cached but has no content key: call `.pure()` on it before \
         `.cache(..)` (it must be a named function, and its inputs pure tasks or `Tokenize` \
         literals)"
    )]
    NotPure {
        /// The task that is cached.
        task: TaskKey,
    },

    /// The compute was cancelled through its [`CancelToken`](crate::CancelToken). Tasks that
    /// were running finished; no task started after the cancellation was seen.
    #[error("the compute was cancelled")]
    Cancelled,

    /// The compute ran past its timeout. Tasks that were running finished (a thread cannot be
    /// killed); no task started after the deadline was seen.
    #[error("the compute timed out after {timeout:?}")]
    TimedOut {
        /// The timeout that was set.
        timeout: std::time::Duration,
    },

    /// A configuration value is invalid (an unknown scheduler name, a bad worker count, an
    /// unreadable config file). The message names the setting and the valid values.
    #[error("invalid lazydag configuration: {message}")]
    Config {
        /// What is wrong and what would be valid.
        message: String,
    },

    /// A scheduler broke its contract (for example, returned the wrong number of values).
    #[error("scheduler `{scheduler}` broke its contract: {message}")]
    Scheduler {
        /// The scheduler's name.
        scheduler: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The task this error is about, if it is about one.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// let boom = delayed(0).map(|_: i32| -> i32 { panic!("boom") }).name("boom");
    /// let err = boom.compute().unwrap_err();
    /// assert_eq!(err.task().unwrap().name(), "boom");
    /// ```
    pub fn task(&self) -> Option<&TaskKey> {
        match self {
            Error::Failed { task, .. }
            | Error::Panicked { task, .. }
            | Error::NotClone { task, .. }
            | Error::LiteralMoved { task, .. }
            | Error::NotPure { task } => Some(task),
            Error::Cancelled
            | Error::TimedOut { .. }
            | Error::Config { .. }
            | Error::Scheduler { .. } => None,
        }
    }
}

/// ` at file:line:column` for a known panic location, else nothing.
fn at(location: &Option<String>) -> String {
    location.as_ref().map(|location| format!(" at {location}")).unwrap_or_default()
}
