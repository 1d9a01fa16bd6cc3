//! The crate's error type: what a graph command can fail on, and its exit code.

use lazydag_dask::DaskError;

/// Why a graph command failed. [`exit_code`](CliError::exit_code) is what the process exits
/// with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command line is wrong; the message says how, followed by the usage.
    #[error("{0}\n\n{usage}", usage = crate::command::USAGE)]
    Usage(String),
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is larger than a graph file may be (1 GiB, see `docs/cli.md`): refused by its
    /// length when it is a regular file, else after reading one byte past the limit, so a huge
    /// file or one that never ends (`/dev/zero`) is not read whole into memory.
    #[error(
        "cannot read `{path}`: it has more than {limit} bytes, the most a graph file may have; \
         is it a graph file? (a larger graph: split it)"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// The most bytes a graph file may have.
        limit: u64,
    },
    /// The graph file cannot be read back in this binary (nothing ran).
    #[error(transparent)]
    File(#[from] DaskError),
    /// The pre-flight report is above a limit given with `--max-tasks` or `--max-live`;
    /// nothing ran.
    #[error(
        "refused to run: {what} is {value}, above the limit {limit} ({flag}); raise the limit \
         or split the graph"
    )]
    OverLimit {
        /// What was measured (`the task count`, `the peak of live values`).
        what: &'static str,
        /// The flag that set the limit.
        flag: &'static str,
        /// The measured value.
        value: usize,
        /// The limit.
        limit: usize,
    },
    /// A task failed or panicked while the graph ran; the error names it.
    #[error(transparent)]
    Run(#[from] lazydag_core::Error),
    /// Writing the command's output failed.
    #[error("cannot write the output: {0}")]
    Write(#[from] std::io::Error),
}

impl CliError {
    /// The process exit code for this error: 2 for a usage error, 3 for a refusal above a
    /// limit, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::OverLimit { .. } => 3,
            _ => 1,
        }
    }
}
