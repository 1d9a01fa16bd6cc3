//! Sleeping and waking idle workers without lost wake-ups: an event count.
//!
//! A worker that finds no work does not spin. It announces itself (`prepare`), looks for work
//! once more, and only then blocks (`wait`) — unless a notification arrived in between. A
//! thread that publishes work calls `notify_one` (one job) or `notify_many` (a new compute's
//! initial jobs: as many wake-ups as jobs, not one per worker) afterwards, which costs one
//! load when nobody sleeps; shutdown calls `notify_all`.
//!
//! ```text
//! worker                                   producer
//! key = prepare()      (waiters += 1)      push job
//! look for work again                      if (waiters += 0) > 0 { epoch += 1; notify }
//! found? cancel()       else wait(key)
//! ```
//!
//! # Memory ordering
//! The worker writes `waiters` then reads the queues; the producer writes a queue then reads
//! `waiters` (Dekker's pattern). Both sides touch `waiters` only with read-modify-write
//! operations (`AcqRel`), and all RMWs of one location form a single total order. If the
//! producer's RMW comes later, it reads the worker's increment: it sees a waiter and bumps
//! `epoch`. If it comes earlier, the worker's increment reads from it, so the producer's push
//! (released by its RMW) happens before the worker looks again: the worker finds the job.
//! Either way no wake-up is lost — without relying on `SeqCst` fences (which loom cannot
//! model, and which the first version of this file used: loom flagged it). `epoch` is only
//! changed and compared under `lock`, so a waiter whose key is stale never blocks, and one
//! that blocks is woken by the `Condvar`.

use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering, lock, wait};

/// An event count for the pool's idle workers.
#[derive(Debug)]
pub(super) struct Sleep {
    /// Workers between `prepare` and the end of `wait`/`cancel`.
    waiters: AtomicUsize,
    /// Bumped by every notification that found a waiter.
    lock: Mutex<u64>,
    wake: Condvar,
}

impl Sleep {
    pub(super) fn new() -> Self {
        Sleep { waiters: AtomicUsize::new(0), lock: Mutex::new(0), wake: Condvar::new() }
    }

    /// Announces that the caller is about to sleep; returns the key for [`wait`](Sleep::wait).
    /// The caller must look for work once more, then call `wait` or `cancel`.
    pub(super) fn prepare(&self) -> u64 {
        self.waiters.fetch_add(1, Ordering::AcqRel);
        *lock(&self.lock)
    }

    /// Withdraws a `prepare` after finding work.
    pub(super) fn cancel(&self) {
        self.waiters.fetch_sub(1, Ordering::AcqRel);
    }

    /// Blocks until a notification newer than `key`.
    pub(super) fn wait(&self, key: u64) {
        let mut epoch = lock(&self.lock);
        while *epoch == key {
            epoch = wait(&self.wake, epoch);
        }
        drop(epoch);
        self.waiters.fetch_sub(1, Ordering::AcqRel);
    }

    /// Wakes one sleeping worker, if any, after work was published.
    pub(super) fn notify_one(&self) {
        if self.has_waiters() {
            self.bump();
            self.wake.notify_one();
        }
    }

    /// Wakes up to `n` sleeping workers (a new compute with `n` runnable tasks): one
    /// notification, as many condvar wake-ups as there are jobs, so a large idle pool does not
    /// wake every worker for a few tasks. Like `notify_one`, a waiter between `prepare` and
    /// blocking sees the new epoch and does not block.
    pub(super) fn notify_many(&self, n: usize) {
        let waiters = self.waiters.fetch_add(0, Ordering::AcqRel);
        if waiters == 0 || n == 0 {
            return;
        }
        self.bump();
        if n >= waiters {
            self.wake.notify_all();
        } else {
            for _ in 0..n {
                self.wake.notify_one();
            }
        }
    }

    /// Wakes every sleeping worker (shutdown).
    pub(super) fn notify_all(&self) {
        if self.has_waiters() {
            self.bump();
            self.wake.notify_all();
        }
    }

    /// Whether anyone is between `prepare` and the end of `wait`/`cancel`. An RMW, not a
    /// load: see "Memory ordering" above.
    fn has_waiters(&self) -> bool {
        self.waiters.fetch_add(0, Ordering::AcqRel) > 0
    }

    fn bump(&self) {
        *lock(&self.lock) += 1;
    }
}

#[cfg(all(test, loom))]
mod tests {
    //! Model-checks the protocol with loom: `RUSTFLAGS="--cfg loom" cargo test --release -p
    //! lazydag-core --lib sleep`. A lost wake-up shows up as a deadlock loom reports.
    use super::Sleep;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use loom::thread;

    #[test]
    fn a_published_job_is_never_missed() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new());
            let job = Arc::new(AtomicBool::new(false));
            let worker = {
                let (sleep, job) = (sleep.clone(), job.clone());
                thread::spawn(move || {
                    loop {
                        if job.load(Ordering::SeqCst) {
                            return;
                        }
                        let key = sleep.prepare();
                        if job.load(Ordering::SeqCst) {
                            sleep.cancel();
                            return;
                        }
                        sleep.wait(key);
                    }
                })
            };
            job.store(true, Ordering::SeqCst);
            sleep.notify_one();
            worker.join().unwrap();
        });
    }

    #[test]
    fn two_jobs_published_with_notify_many_are_both_taken() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new());
            let jobs = Arc::new(AtomicUsize::new(0));
            let take = |jobs: &AtomicUsize| {
                jobs.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
            };
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (sleep, jobs) = (sleep.clone(), jobs.clone());
                    thread::spawn(move || {
                        loop {
                            if take(&jobs) {
                                return;
                            }
                            let key = sleep.prepare();
                            if take(&jobs) {
                                sleep.cancel();
                                return;
                            }
                            sleep.wait(key);
                        }
                    })
                })
                .collect();
            jobs.store(2, Ordering::SeqCst);
            sleep.notify_many(2);
            for w in workers {
                w.join().unwrap();
            }
        });
    }

    #[test]
    fn two_sleepers_both_wake_on_notify_all() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new());
            let stop = Arc::new(AtomicBool::new(false));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (sleep, stop) = (sleep.clone(), stop.clone());
                    thread::spawn(move || {
                        while !stop.load(Ordering::SeqCst) {
                            let key = sleep.prepare();
                            if stop.load(Ordering::SeqCst) {
                                sleep.cancel();
                                break;
                            }
                            sleep.wait(key);
                        }
                    })
                })
                .collect();
            stop.store(true, Ordering::SeqCst);
            sleep.notify_all();
            for w in workers {
                w.join().unwrap();
            }
        });
    }
}
