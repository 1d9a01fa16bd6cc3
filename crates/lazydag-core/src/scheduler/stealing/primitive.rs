//! The synchronization primitives the sleep protocol uses: std's, or loom's under `--cfg loom`
//! so the protocol can be model-checked (the tokio `loom` module pattern).

#[cfg(loom)]
pub(super) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(super) use loom::sync::{Condvar, Mutex};

#[cfg(not(loom))]
pub(super) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(super) use std::sync::{Condvar, Mutex};
