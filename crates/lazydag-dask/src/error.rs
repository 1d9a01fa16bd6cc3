//! The crate's error type: what can go wrong between a graph and a cluster.

/// Why a graph cannot run on a cluster, or a cluster cannot be reached or started. Inside a
/// compute it reaches the caller as the `source` of [`lazydag_core::Error::Failed`] (naming
/// the task) or as the message of [`lazydag_core::Error::Scheduler`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaskError {
    /// The task cannot run in another process; nothing was submitted.
    #[error("task `{task}` cannot run on a cluster: {why}")]
    Refused {
        /// The task's key (`map-17`).
        task: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// A task failed on a worker: its `Err`, a panic, or a decoding error, with the message
    /// the worker sent.
    #[error("{message}")]
    Remote {
        /// The worker's message (for a Python exception, its text).
        message: String,
    },
    /// The Dask scheduler did not answer at `address` within the connect timeout.
    #[error("no Dask scheduler answered at `{address}` within {timeout_s} s: {message}")]
    Unreachable {
        /// The address that was tried.
        address: String,
        /// The connect timeout, in seconds.
        timeout_s: f64,
        /// Dask's own message.
        message: String,
    },
    /// The embedded Python or Dask failed (not installed, wrong version, an exception).
    #[error("Dask: {0}")]
    Python(String),
    /// A graph file (JSON, [`RemoteGraph::from_json`](crate::RemoteGraph::from_json)) cannot
    /// be written or read back in this binary; nothing ran.
    #[error("graph file: {why}")]
    GraphFile {
        /// What is wrong (naming the task when one is at fault) and what to do.
        why: String,
    },
    /// A worker runs another build of the program than this client
    /// (`DaskCluster::warm_up`, with the `python` feature); its tasks would run other code.
    #[error(
        "Dask worker `{worker}` runs another build of this program ({theirs:016x}; this one is \
         {ours:016x}): start every worker with this binary (`<app> lazydag worker ...`)"
    )]
    Skew {
        /// The worker's address.
        worker: String,
        /// The worker's [`build_id`](crate::build_id).
        theirs: u64,
        /// This process's.
        ours: u64,
    },
    /// Starting a local cluster failed.
    #[error("could not start the local Dask cluster: {0}")]
    Start(String),
}
