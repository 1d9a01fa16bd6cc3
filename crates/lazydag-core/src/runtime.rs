//! The shared tokio runtime that drives async tasks outside the async scheduler.
//!
//! Created on first use with one worker per core, named `lazydag-io`. Non-async schedulers run
//! an async task to completion on their own thread with `futures::executor::block_on`, inside
//! this runtime's context, so tokio timers and I/O in the task work; the runtime's own threads
//! drive them. This never nests runtimes: entering a context is not blocking on a runtime.

use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The shared runtime's blocking threads at most: room for a full-size async compute's CPU
/// tasks and, nested inside them, another's.
const BLOCKING_THREADS: usize = 2 * crate::worker::MAX_WORKERS;

/// The shared runtime for async tasks.
///
/// # Panics
/// If the operating system refuses to start its threads.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("lazydag-io")
            // The async scheduler runs each CPU task on this pool's blocking threads, up to
            // `MAX_WORKERS` at once per compute, and a CPU task that computes a nested graph
            // there waits for that graph's CPU tasks to get threads of their own: tokio's 512
            // would let 512 such outer tasks hold every thread and wait for ever. Threads are
            // started only as needed, so the room costs nothing until used.
            .max_blocking_threads(BLOCKING_THREADS)
            .enable_all()
            .build()
            .expect("lazydag could not start its tokio runtime")
    })
}

thread_local! {
    /// Whether this thread is inside [`block_on`]: it has the shared runtime's context without
    /// being one of its workers.
    static ENTERED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` to completion on the calling thread, with tokio's context available.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _context = runtime().enter();
    let was = ENTERED.with(|entered| entered.replace(true));
    let _restore = Restore(was);
    futures::executor::block_on(future)
}

/// Puts [`ENTERED`] back as it was (on return or unwind).
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        ENTERED.with(|entered| entered.set(self.0));
    }
}

/// Whether the calling thread runs [`block_on`]: the current tokio handle is then the shared
/// multi-thread runtime's, though this thread is none of its workers (it may even be inside
/// another, current-thread runtime's `block_on`), so `tokio::task::block_in_place`, which
/// only a multi-thread runtime's worker may call, must not be called here.
pub(crate) fn entered_here() -> bool {
    ENTERED.with(Cell::get)
}
