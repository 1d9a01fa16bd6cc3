//! Counting this process's threads by name in /proc. Shared by path with `lazydag-parallel`'s
//! tests (`#[path]`), so it uses nothing but std.

use std::time::{Duration, Instant};

/// The number of threads of this process whose name starts with `prefix` (`""`: all of
/// them; pool workers are `lazydag-ws-N` and `lazydag-threads-N`, stream dispatchers
/// `lazydag-parallel-N`, cut to 15 bytes), or `None` where /proc is missing.
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
