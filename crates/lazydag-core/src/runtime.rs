//! The shared tokio runtime that drives async tasks outside the async scheduler.
//!
//! Created on first use with one worker per core, named `lazydag-io`. Non-async schedulers run
//! an async task to completion on their own thread with `futures::executor::block_on`, inside
//! this runtime's context, so tokio timers and I/O in the task work; the runtime's own threads
//! drive them. This never nests runtimes: entering a context is not blocking on a runtime.

use std::future::Future;
use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The shared runtime for async tasks.
///
/// # Panics
/// If the operating system refuses to start its threads.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("lazydag-io")
            .enable_all()
            .build()
            .expect("lazydag could not start its tokio runtime")
    })
}

/// Runs `future` to completion on the calling thread, with tokio's context available.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _context = runtime().enter();
    futures::executor::block_on(future)
}
