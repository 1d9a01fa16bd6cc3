//! Helpers shared by this crate's integration tests (each test binary compiles the ones it
//! uses): a value whose `Drop` panics, a hang guard, and counts of a pool's threads.
#![allow(dead_code)]

use std::cell::OnceCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

mod threads;
#[allow(unused_imports)] // each test binary uses what it needs
pub(crate) use threads::{threads, threads_down_to};

/// A value whose original panics when dropped (counting the drop in `drops` first); its
/// clones are harmless.
pub(crate) struct Bomb {
    pub(crate) armed: bool,
    pub(crate) drops: Arc<AtomicUsize>,
}

impl Clone for Bomb {
    fn clone(&self) -> Self {
        Bomb { armed: false, drops: Arc::clone(&self.drops) }
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed {
            self.drops.fetch_add(1, Ordering::SeqCst);
            panic!("the bomb's Drop panicked");
        }
    }
}

/// A task that makes an armed bomb (a task value, not a literal the graph keeps).
pub(crate) fn arm(drops: Arc<AtomicUsize>) -> Bomb {
    Bomb { armed: true, drops }
}

/// A task that consumes a bomb's clone, or the bomb, harmlessly only for a clone.
pub(crate) fn size(_: Bomb) -> u32 {
    1
}

/// Runs `f` on a helper thread and waits for it, failing (instead of hanging) if it never
/// returns within two minutes: the hang guard for a pool that lost its workers. Not a timing
/// assertion.
pub(crate) fn returns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, recv) = mpsc::channel();
    let helper = std::thread::spawn(move || send.send(f()).unwrap());
    let value = recv.recv_timeout(Duration::from_secs(120)).expect("the compute never returned");
    helper.join().unwrap();
    value
}

/// Threads that called [`mark_thread`] (`MET`), and those of them that have exited (`GONE`),
/// counted by a thread-local guard whose destructor runs when its thread exits.
static MET: AtomicUsize = AtomicUsize::new(0);
static GONE: AtomicUsize = AtomicUsize::new(0);

struct ExitGuard;

impl Drop for ExitGuard {
    fn drop(&mut self) {
        GONE.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static GUARD: OnceCell<ExitGuard> = const { OnceCell::new() };
}

/// Counts the calling thread once in [`threads_met`], and in [`threads_gone`] when it exits.
pub(crate) fn mark_thread() {
    GUARD.with(|guard| {
        guard.get_or_init(|| {
            MET.fetch_add(1, Ordering::SeqCst);
            ExitGuard
        });
    });
}

/// How many threads called [`mark_thread`].
pub(crate) fn threads_met() -> usize {
    MET.load(Ordering::SeqCst)
}

/// How many threads that called [`mark_thread`] have exited.
pub(crate) fn threads_gone() -> usize {
    GONE.load(Ordering::SeqCst)
}
