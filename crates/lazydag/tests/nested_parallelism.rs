//! Nested and dynamic parallelism (#12 item 4): a compute or a `Parallel::map` started inside
//! a task runs on the whole pool (the waiting worker helps), nesting never deadlocks (across
//! pools, ten levels deep on two workers, past the help depth), and a task may return a graph
//! that is spliced into the running compute (`Delayed::flatten`).
//!
//! No test reads a clock to decide. A deadlock shows as a hang, so each body runs on its own
//! thread under [`no_hang`], which fails the test if the body has not finished after
//! [`HANG`]: a hang detector, not a timing assertion (the bodies take milliseconds).
//! "Runs on the whole pool" is checked by tasks that meet at a barrier: they can only all get
//! there if they run at once, on different workers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use lazydag::parallel::{BatchSize, Parallel};
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{CancelToken, Control, Error, compute_with, compute_with_control, task};

/// Far beyond what any body here takes: reached only by a deadlock.
const HANG: Duration = Duration::from_secs(60);

/// Runs `body` on its own thread and waits for it at most [`HANG`].
fn no_hang<R: Send + 'static>(what: &str, body: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(body());
    });
    match finished.recv_timeout(HANG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung (a deadlock)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the body panicked"),
    }
}

/// A task that computes `tasks` inner tasks on `inner`, which must all run at once (they meet
/// at a barrier): possible only if the waiting worker and the others share them.
fn meeting(inner: Arc<dyn Scheduler>, tasks: usize) -> Delayed<usize> {
    delayed(tasks).map(move |n: usize| {
        let barrier = Arc::new(Barrier::new(n));
        let parts: Vec<Delayed<usize>> = (0..n)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                delayed(i).map(move |i: usize| {
                    barrier.wait();
                    i
                })
            })
            .collect();
        compute_with(&parts, &*inner).expect("the inner compute").iter().sum()
    })
}

#[test]
fn a_compute_inside_a_work_stealing_task_runs_on_the_whole_pool() {
    no_hang("work-stealing in work-stealing", || {
        let pool: Arc<dyn Scheduler> = Arc::new(WorkStealing::new(2));
        // Inline, the second inner task would wait for the first at the barrier for ever.
        assert_eq!(meeting(Arc::clone(&pool), 2).compute_with(&*pool).unwrap(), 1);
    });
}

#[test]
fn a_compute_inside_a_threaded_task_runs_on_the_whole_pool() {
    no_hang("threads in threads", || {
        let pool: Arc<dyn Scheduler> = Arc::new(Threaded::new(2));
        assert_eq!(meeting(Arc::clone(&pool), 2).compute_with(&*pool).unwrap(), 1);
    });
}

#[test]
fn a_parallel_map_inside_a_parallel_map_runs_on_the_whole_pool() {
    no_hang("Parallel in Parallel", || {
        let pool: Arc<dyn Scheduler> = Arc::new(WorkStealing::new(2));
        let inner_pool = Arc::clone(&pool);
        let outer = Parallel::new().n_jobs(2).scheduler(Arc::clone(&pool));
        let got = outer
            .map(0..1_usize, move |_| {
                // Two items of one batch each, meeting at a barrier: two lanes at once.
                let barrier = Arc::new(Barrier::new(2));
                let inner = Parallel::new()
                    .n_jobs(2)
                    .batch_size(BatchSize::Fixed(1))
                    .scheduler(Arc::clone(&inner_pool));
                inner
                    .map(0..2_usize, move |i| {
                        barrier.wait();
                        i
                    })
                    .unwrap()
                    .iter()
                    .sum::<usize>()
            })
            .unwrap();
        assert_eq!(got, vec![1]);
    });
}

/// `width` tasks whose values are summed; each computes the `depth - 1` level below it on
/// the next pool in turn (a leaf is 1): `width^(depth + 1)` in all.
fn alternating(pools: Arc<Vec<Arc<dyn Scheduler>>>, depth: usize, width: u64) -> Delayed<u64> {
    let parts: Vec<Delayed<u64>> = (0..width)
        .map(|_| {
            let pools = Arc::clone(&pools);
            delayed(depth).map(move |depth: usize| {
                if depth == 0 {
                    return 1;
                }
                let pool = &pools[depth % pools.len()];
                let below = alternating(Arc::clone(&pools), depth - 1, width);
                below.compute_with(&**pool).expect("an inner compute")
            })
        })
        .collect();
    delayed!(sum(parts))
}

fn check_alternating(what: &'static str, pools: Vec<Arc<dyn Scheduler>>) {
    no_hang(what, move || {
        let pools = Arc::new(pools);
        // 3 wide, 4 deep: 243 leaves, every worker of both pools busy nesting at once.
        let top = alternating(Arc::clone(&pools), 4, 3);
        assert_eq!(top.compute_with(&*pools[0]).unwrap(), 243, "{what}");
    });
}

#[test]
fn work_stealing_and_threads_compute_on_each_other() {
    check_alternating(
        "work-stealing <-> threads",
        vec![Arc::new(WorkStealing::new(2)), Arc::new(Threaded::new(2))],
    );
    check_alternating(
        "threads <-> work-stealing",
        vec![Arc::new(Threaded::new(2)), Arc::new(WorkStealing::new(2))],
    );
}

#[test]
fn two_work_stealing_pools_compute_on_each_other() {
    check_alternating(
        "work-stealing <-> work-stealing",
        vec![Arc::new(WorkStealing::new(2)), Arc::new(WorkStealing::new(2))],
    );
}

/// A chain of `depth` tasks, each computing the next level on `pool` from inside a task.
fn chain(pool: Arc<dyn Scheduler>, depth: u64) -> Delayed<u64> {
    delayed(depth).map(move |depth: u64| {
        if depth == 0 {
            return 0;
        }
        chain(Arc::clone(&pool), depth - 1).compute_with(&*pool).expect("a level") + 1
    })
}

#[test]
fn ten_levels_deep_on_two_workers() {
    for pool in [
        Arc::new(WorkStealing::new(2)) as Arc<dyn Scheduler>,
        Arc::new(Threaded::new(2)),
        Arc::new(Async::new(2)),
    ] {
        let name = pool.name().to_owned();
        no_hang("ten levels", move || {
            let top: Vec<_> = (0..4).map(|_| chain(Arc::clone(&pool), 10)).collect();
            assert_eq!(compute_with(&top, &*pool).unwrap(), vec![10; 4], "{name}");
        });
    }
}

#[test]
fn nesting_past_the_help_depth_runs_inline() {
    // 100 levels: past the bound on helping frames per thread (16), the rest runs inline.
    for pool in [Arc::new(WorkStealing::new(2)) as Arc<dyn Scheduler>, Arc::new(Threaded::new(2))] {
        no_hang("a hundred levels", move || {
            assert_eq!(chain(Arc::clone(&pool), 100).compute_with(&*pool).unwrap(), 100);
        });
    }
}

#[test]
fn many_nesting_tasks_keep_the_helping_stack_bounded() {
    // 500 outer tasks that each wait for a nested compute: a waiting worker that helps picks
    // up other outer tasks, which wait in turn; without the bound that stacks 500 deep.
    for pool in [Arc::new(WorkStealing::new(2)) as Arc<dyn Scheduler>, Arc::new(Threaded::new(2))] {
        no_hang("500 nesting tasks", move || {
            let outer: Vec<Delayed<u64>> = (0..500)
                .map(|i| {
                    let pool = Arc::clone(&pool);
                    delayed(i).map(move |i: u64| {
                        let inner: Vec<Delayed<u64>> =
                            (0..2).map(|j| delayed(j).map(move |j: u64| j + i)).collect();
                        compute_with(&inner, &*pool).unwrap().iter().sum::<u64>()
                    })
                })
                .collect();
            let got = compute_with(&outer, &*pool).unwrap();
            assert_eq!(got.iter().sum::<u64>(), (0..500).map(|i| 2 * i + 1).sum::<u64>());
        });
    }
}

// --- tasks that return a graph: `Delayed::flatten` ---

fn square(x: u64) -> u64 {
    x * x
}

fn sum(parts: Vec<u64>) -> u64 {
    parts.iter().sum()
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// A fan-out whose width is a computed value.
fn fan_out(n: u64) -> Delayed<u64> {
    let parts: Vec<Delayed<u64>> = (0..n).map(|i| delayed!(square(i))).collect();
    delayed!(sum(parts))
}

/// Fibonacci whose graph unfolds as it runs: each level is a task that returns the next.
fn fib(n: u64) -> Delayed<u64> {
    if n < 2 {
        return delayed(n);
    }
    let a = delayed!(fib(n - 1)).flatten();
    let b = delayed!(fib(n - 2)).flatten();
    delayed!(add(a, b))
}

fn schedulers() -> Vec<Arc<dyn Scheduler>> {
    vec![
        Arc::new(Sequential),
        Arc::new(WorkStealing::new(2)),
        Arc::new(Threaded::new(2)),
        Arc::new(Async::new(2)),
    ]
}

#[test]
fn a_task_may_return_a_graph_whose_shape_it_computed() {
    for pool in schedulers() {
        no_hang("flatten", move || {
            let n = delayed(9_u64).map(|x: u64| x + 1);
            let total = delayed!(fan_out(n)).flatten();
            let twice = delayed!(add(&total, &total));
            assert_eq!(twice.compute_with(&*pool).unwrap(), 2 * 285, "{}", pool.name());
            assert_eq!(fib(12).compute_with(&*pool).unwrap(), 144, "{}", pool.name());
        });
    }
}

#[test]
fn an_inner_failure_fails_the_flattening_task() {
    fn broken(_: u64) -> Delayed<u64> {
        delayed(0_u64).try_map(|_: u64| "x".parse::<u64>()).name("parse")
    }
    for pool in schedulers() {
        let err = delayed!(broken(1)).flatten().compute_with(&*pool).unwrap_err();
        let Error::Failed { task, source } = &err else { panic!("{}: {err:?}", pool.name()) };
        assert_eq!(task.name(), "flatten", "{}", pool.name());
        let inner = source.downcast_ref::<Error>().expect("the inner error");
        assert_eq!(inner.task().map(|t| t.name().to_owned()).as_deref(), Some("parse"));
    }
}

/// A graph of one task that (if given a token) cancels it, then spins until its compute is
/// stopped; `seen` counts it starting (bit 0) and seeing the stop (bit 1).
fn stubborn(cancel: Option<CancelToken>, seen: Arc<AtomicUsize>) -> Delayed<u64> {
    delayed(0_u64).map(move |n: u64| {
        seen.fetch_or(1, Ordering::SeqCst);
        if let Some(token) = &cancel {
            token.cancel();
        }
        while !task::is_cancelled() {
            std::thread::sleep(Duration::from_millis(1));
        }
        seen.fetch_or(2, Ordering::SeqCst);
        n
    })
}

/// Waits until the inner task, if it started, has seen its compute stopped (it spins until
/// then, so a stop that did not reach it hangs here).
fn saw_the_stop(seen: &AtomicUsize) -> bool {
    loop {
        match seen.load(Ordering::SeqCst) {
            0 => return false,
            1 => std::thread::sleep(Duration::from_millis(1)),
            _ => return true,
        }
    }
}

#[test]
fn a_cancel_and_a_timeout_reach_the_inner_graph() {
    for pool in schedulers() {
        let name = pool.name().to_owned();
        no_hang("a stop reaches a flattened graph", move || {
            // Cancel: the inner task cancels the outer compute's token, and sees it.
            let seen = Arc::new(AtomicUsize::new(0));
            let token = CancelToken::new();
            let (inner_seen, inner_token) = (Arc::clone(&seen), token.clone());
            let spawns = delayed(0_u64)
                .map(move |_: u64| stubborn(Some(inner_token.clone()), Arc::clone(&inner_seen)));
            let control = Control::new().cancel_token(token);
            let err = compute_with_control(spawns.flatten(), &*pool, &control).unwrap_err();
            assert!(matches!(err, Error::Cancelled), "{name}: {err:?}");
            assert!(saw_the_stop(&seen), "{name}: the inner task never ran");
            // Timeout: the inner task spins until the outer deadline (which may also pass
            // before it starts, on a loaded machine: then nothing ran).
            let seen = Arc::new(AtomicUsize::new(0));
            let inner_seen = Arc::clone(&seen);
            let spawns = delayed(0_u64).map(move |_: u64| stubborn(None, Arc::clone(&inner_seen)));
            let control = Control::new().timeout(Duration::from_millis(50));
            let err = compute_with_control(spawns.flatten(), &*pool, &control).unwrap_err();
            assert!(matches!(err, Error::TimedOut { .. }), "{name}: {err:?}");
            saw_the_stop(&seen);
        });
    }
}

#[test]
fn tiny_maps_inside_a_map_do_not_deadlock() {
    // Items this short run in place, holding the outer map's input lock: a map inside one
    // must not wait on the pool, whose helping worker could pick up the outer map's other
    // lane and wait for that lock on the same thread.
    no_hang("tiny nested maps", || {
        let pool: Arc<dyn Scheduler> = Arc::new(WorkStealing::new(2));
        let inner_pool = Arc::clone(&pool);
        let outer = Parallel::new().n_jobs(2).scheduler(Arc::clone(&pool));
        let got = outer
            .map(0..3_000_u64, move |i| {
                let inner = Parallel::new().n_jobs(2).scheduler(Arc::clone(&inner_pool));
                inner.map(0..3_u64, move |j| i + j).unwrap().iter().sum::<u64>()
            })
            .unwrap();
        assert_eq!(got.iter().sum::<u64>(), (0..3_000_u64).map(|i| 3 * i + 3).sum::<u64>());
    });
}
