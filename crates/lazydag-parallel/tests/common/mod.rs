//! Helpers shared by the edge-case tests: a hang guard, a per-binary lock, and thread counts.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

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

/// The number of this process's threads whose name starts with `prefix` (`""`: all of them;
/// stream dispatchers are `lazydag-parallel-N`, cut to 15 bytes), or `None` without /proc.
pub(crate) fn threads(prefix: &str) -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let names = tasks.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok());
    Some(names.filter(|name| name.starts_with(prefix)).count())
}

/// [`threads`] once at most `want` are left, or the count after 60 s: a joined thread can
/// still be listed for a moment (`pthread_join` returns when the kernel clears the thread's
/// id, before the thread leaves /proc), while a leaked one stays. `None` without /proc.
pub(crate) fn threads_down_to(prefix: &str, want: usize) -> Option<usize> {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let n = threads(prefix)?;
        if n <= want || Instant::now() > give_up {
            return Some(n);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
