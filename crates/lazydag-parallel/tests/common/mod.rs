//! Helpers shared by the edge-case tests: a hang guard, a per-binary lock, and thread counts.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

#[path = "../../../lazydag/tests/common/threads.rs"]
mod threads;
#[allow(unused_imports)] // each test binary uses what it needs
pub(crate) use threads::{threads, threads_down_to};

/// Runs `f` on its own thread; panics if it does not finish within `secs` (a hang, not a
/// timing assertion).
pub(crate) fn guard<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    let result = rx.recv_timeout(Duration::from_secs(secs));
    if result.is_ok() {
        // It has sent: let it exit before the next test starts.
        let _ = thread.join();
    }
    match result {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("HANG: did not finish within {secs} s"),
    }
}

/// Serializes the tests of one binary that count on having the machine to themselves (a
/// pool kept busy, the process's thread count).
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds [`SERIAL`].
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}
