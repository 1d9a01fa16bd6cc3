//! Scheduler edge cases found in review, each pinned by the test that first showed it:
//!
//! - **two leftover values whose `Drop` panics** in one failed compute: each is dropped under
//!   its own catch, so the compute returns the task's own error instead of aborting the
//!   process (run in a child process, since the failure was an abort);
//! - **dropping a `Threaded` pool while a flattened compute still runs in the background** of
//!   a failed compute: the drop returns once that background task has ended (contract rule 6)
//!   instead of hanging;
//! - **a helped job runs apart from the waiting task**: a pool worker that helps while its
//!   task waits for a nested compute runs other computes' jobs with their own compute's cancel
//!   watch, callbacks and nesting mark, not the waiting task's;
//! - **keep-going and a panicking `Clone` of a task's value**: the consumer that got the clone
//!   fails, independent outputs succeed (as for a literal);
//! - **`Threaded`'s wake rule for a helping pusher**: a job that a helping worker makes ready
//!   wakes a sleeping worker, since the helper's wait may return to its own task instead.
//!
//! Every test is deterministic: nothing asserts on elapsed time. Bodies that could hang run
//! under a hang guard ([`within`], 60 s, far beyond the milliseconds they take): a hang fails,
//! slowness does not.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use lazydag::optimize::Optimizer;
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Scheduler, Sequential, Threaded, WorkStealing};
use lazydag::{
    Callback, CancelToken, Control, Error, PlanSummary, callback, compute_settled, compute_with,
    compute_with_control, task,
};

use common::{Bomb, arm, size};

/// How long a body may take before it counts as hung.
const HANG: Duration = Duration::from_secs(60);

/// Runs `body` on its own thread and waits for it at most [`HANG`]: a hang guard, not a
/// timing assertion.
fn within<R: Send + 'static>(what: &str, body: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(body());
    });
    match finished.recv_timeout(HANG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung (no result after {HANG:?})"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the body panicked"),
    }
}

/// Waits until `flag` is set, giving up after [`HANG`]; whether it was set.
fn wait_flag(flag: &AtomicBool) -> bool {
    let give_up = Instant::now() + HANG;
    while !flag.load(Ordering::SeqCst) {
        if Instant::now() >= give_up {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// The environment variable that marks a child process of this binary.
const CHILD: &str = "LAZYDAG_SCHEDULER_EDGE_CHILD";

/// Runs the test `name` of this binary in a child process with [`CHILD`] set; its exit
/// status and output.
fn in_child(name: &str) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

// ---------------------------------------------------------------------------------------
// Two leftover values whose `Drop` panics, in one failed compute.
//
// Bug: `panic::drop_quietly` wrapped a whole collection (a run's slots, a task's inputs) in
// one catch: the first `Drop` panic unwound while the rest of the collection was still being
// dropped, and the second was a panic during an unwind, which aborts the process.

fn fail2(_: u32, _: u32) -> u32 {
    panic!("the real failure")
}
fn three(_: Bomb, _: Bomb, n: u32) -> u32 {
    n
}

/// `a` and `b` (armed bombs, task values) each feed a harmless clone to `size`, then `out`;
/// `failing` panics, so `out` never runs and both originals are left in their slots.
fn two_bombs(scheduler: &dyn Scheduler) {
    let drops = Arc::new(AtomicUsize::new(0));
    let a = delayed!(arm(Arc::clone(&drops)));
    let b = delayed!(arm(Arc::clone(&drops)));
    let n = delayed!(size(&a));
    let m = delayed!(size(&b));
    let failing = delayed!(fail2(&n, &m));
    let out = delayed!(three(&a, &b, &failing));
    let control = Control::new().optimize(Optimizer::off());
    match compute_with_control(&out, scheduler, &control) {
        Err(Error::Panicked { task, message, .. }) => {
            assert_eq!(task, failing.key());
            assert_eq!(message, "the real failure");
        }
        other => panic!("expected the task's panic, got {other:?}"),
    }
    drop((a, b, n, m, failing, out));
    // A pool worker may drop the last handle to the failed run just after the caller has
    // returned: wait for both drops (a hang guard only).
    let give_up = Instant::now() + HANG;
    while drops.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < give_up, "the leftovers were never dropped");
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("CHILD-OK");
}

fn check_two_bombs_in_child(name: &str, make: fn() -> Box<dyn Scheduler>) {
    if is_child() {
        let scheduler = make();
        two_bombs(&*scheduler);
        drop(scheduler); // joins a pool's workers: none aborts while it lets the run go
        return;
    }
    let (status, text) = in_child(name);
    assert!(
        status.success() && text.contains("CHILD-OK"),
        "child for {name} ended with {status:?}:\n{text}"
    );
}

fn fail0() -> u32 {
    panic!("the real failure")
}

/// Keep-going, two requested outputs whose `Drop` panics and a failed one, in either order:
/// the compute returns the failure, and the outputs it does not hand over are dropped one
/// catch each (both `Drop`s run, no abort).
fn failed_outputs_beside_bombs(scheduler: &dyn Scheduler) {
    let drops = Arc::new(AtomicUsize::new(0));
    let control = Control::new().keep_going(true).optimize(Optimizer::off());
    for failing_first in [true, false] {
        let a = delayed!(arm(Arc::clone(&drops)));
        let b = delayed!(arm(Arc::clone(&drops)));
        let failing = delayed!(fail0());
        let got = if failing_first {
            compute_with_control(&(&failing, &a, &b), scheduler, &control).map(|_| ())
        } else {
            compute_with_control(&(&a, &b, &failing), scheduler, &control).map(|_| ())
        };
        match got {
            Err(Error::Panicked { task, .. }) => assert_eq!(task, failing.key()),
            other => panic!("expected the task's panic, got {other:?}"),
        }
    }
    assert_eq!(drops.load(Ordering::SeqCst), 4, "every armed output was dropped");
    println!("CHILD-OK");
}

#[test]
fn outputs_left_by_a_failed_keep_going_compute_drop_one_catch_each() {
    let name = "outputs_left_by_a_failed_keep_going_compute_drop_one_catch_each";
    if is_child() {
        failed_outputs_beside_bombs(&Sequential);
        failed_outputs_beside_bombs(&WorkStealing::new(2));
        return;
    }
    let (status, text) = in_child(name);
    assert!(status.success() && text.contains("CHILD-OK"), "child ended with {status:?}:\n{text}");
}

#[test]
fn sequential_two_leftover_panicking_drops() {
    check_two_bombs_in_child("sequential_two_leftover_panicking_drops", || Box::new(Sequential));
}

#[test]
fn threaded_two_leftover_panicking_drops() {
    check_two_bombs_in_child("threaded_two_leftover_panicking_drops", || {
        Box::new(Threaded::new(2))
    });
}

#[test]
fn work_stealing_two_leftover_panicking_drops() {
    check_two_bombs_in_child("work_stealing_two_leftover_panicking_drops", || {
        Box::new(WorkStealing::new(2))
    });
}

#[test]
fn async_two_leftover_panicking_drops() {
    check_two_bombs_in_child("async_two_leftover_panicking_drops", || Box::new(Async::new(2)));
}

// ---------------------------------------------------------------------------------------
// Dropping a pool while a flattened compute still runs in the background.
//
// Bug: after `shutdown` was set, `Threaded`'s helping pop returned nothing, so the worker
// whose background task waited for its flattened inner compute never ran that compute's
// queued jobs, while `Pool::drop` joined that worker: a hang.

fn slow(x: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(300));
    x
}
fn inc(x: u32) -> u32 {
    x + 1
}
fn add(a: u32, b: u32) -> u32 {
    a + b
}
/// An inner graph that no pass fuses: `slow` feeds two consumers, `add` takes two inputs.
fn expand(_: u32) -> Delayed<u32> {
    let s = delayed!(slow(1));
    let t = delayed!(inc(&s));
    delayed!(add(&s, &t))
}
fn fail_late(_: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(50));
    panic!("fail_late")
}

fn drop_after_background_flatten(make: fn() -> Box<dyn Scheduler>) {
    let pool = make();
    let failing = delayed!(fail_late(0));
    let flat = delayed!(expand(0)).flatten();
    let err = compute_with((&failing, &flat), &*pool).unwrap_err();
    assert!(matches!(err, Error::Panicked { .. }), "{err:?}");
    // The flattened inner compute may still run in the background (rule 6); dropping the
    // pool joins its workers, which must end once that task has.
    within("dropping the pool", move || drop(pool));
}

#[test]
fn threaded_drop_after_failed_compute_with_background_flatten() {
    drop_after_background_flatten(|| Box::new(Threaded::new(2)));
}

#[test]
fn work_stealing_drop_after_failed_compute_with_background_flatten() {
    drop_after_background_flatten(|| Box::new(WorkStealing::new(2)));
}

// ---------------------------------------------------------------------------------------
// A helped job runs apart from the waiting task.
//
// Bug: a pool worker that helps while its task waits for a nested compute ran other
// computes' jobs inside the waiting task's thread state: its cancel watch (so
// `task::is_cancelled()` and a flattened graph saw another compute's cancellation), its
// current callback hooks (so `callback::advance` reported to the other compute) and its
// "inside a task" mark (so a nested compute was heard by the other compute's callbacks).
//
// Set-up, shared by these tests: `outer` (one worker) runs task `t` of a compute A; `t`
// computes on `other`, whose only task waits until an unrelated compute B (also on `outer`)
// has run. The one worker of `outer` is inside `t`, helping, so it runs B's task.

/// Starts compute A (`control`) on `outer`: its task waits, helping `outer`, until `b_done`
/// is set. Returns once the task is waiting, with the thread computing A.
fn start_waiting_task(
    outer: &Arc<dyn Scheduler>,
    other: &Arc<dyn Scheduler>,
    control: Control,
    b_done: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<u32, Error>> {
    let t_waiting = Arc::new(AtomicBool::new(false));
    let (tw, bd, inner_pool) = (Arc::clone(&t_waiting), Arc::clone(b_done), Arc::clone(other));
    let t = delayed(0_u32).map(move |x: u32| {
        let (tw, bd) = (Arc::clone(&tw), Arc::clone(&bd));
        let n = delayed(x).map(move |x: u32| {
            tw.store(true, Ordering::SeqCst);
            wait_flag(&bd);
            x
        });
        compute_with(&n, &*inner_pool).unwrap()
    });
    let o_pool = Arc::clone(outer);
    let a = std::thread::spawn(move || compute_with_control(&t, &*o_pool, &control));
    assert!(wait_flag(&t_waiting), "the outer task never started waiting");
    a
}

/// Compute A has a cancel token, cancelled while its task waits; B, a plain compute (no
/// token, no timeout), must not see it.
fn helped_task_sees_foreign_cancel(outer: Arc<dyn Scheduler>, other: Arc<dyn Scheduler>) -> u32 {
    let b_done = Arc::new(AtomicBool::new(false));
    let token = CancelToken::new();
    let control = Control::new().cancel_token(token.clone());
    let a = start_waiting_task(&outer, &other, control, &b_done);
    token.cancel();
    assert!(matches!(a.join().unwrap(), Err(Error::Cancelled)));

    let bd = Arc::clone(&b_done);
    let b = delayed(1_u32).map(move |x: u32| {
        let mut answer = x;
        for _ in 0..20 {
            if task::is_cancelled() {
                answer = 999;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        bd.store(true, Ordering::SeqCst);
        answer
    });
    compute_with(&b, &*outer).unwrap()
}

#[test]
fn work_stealing_helped_task_sees_a_foreign_cancel() {
    let got = within("work-stealing", || {
        helped_task_sees_foreign_cancel(Arc::new(WorkStealing::new(1)), Arc::new(Threaded::new(1)))
    });
    assert_eq!(got, 1, "the plain compute's task saw another compute's cancel");
}

#[test]
fn threaded_helped_task_sees_a_foreign_cancel() {
    let got = within("threads", || {
        helped_task_sees_foreign_cancel(Arc::new(Threaded::new(1)), Arc::new(WorkStealing::new(1)))
    });
    assert_eq!(got, 1, "the plain compute's task saw another compute's cancel");
}

/// As above, but B is a `flatten`: its inner compute inherits the cancel token of the task
/// that runs it (`cancel::watched()`), which was A's (cancelled), so B failed with
/// `Error::Failed { source: Cancelled }` although nothing cancelled it.
fn helped_flatten_inherits_foreign_cancel(
    outer: Arc<dyn Scheduler>,
    other: Arc<dyn Scheduler>,
) -> Result<u32, Error> {
    let b_done = Arc::new(AtomicBool::new(false));
    let token = CancelToken::new();
    let control = Control::new().cancel_token(token.clone());
    let a = start_waiting_task(&outer, &other, control, &b_done);
    token.cancel();
    assert!(matches!(a.join().unwrap(), Err(Error::Cancelled)));

    let bd = Arc::clone(&b_done);
    let b: Delayed<Delayed<u32>> = delayed(5_u32).map(move |x: u32| {
        bd.store(true, Ordering::SeqCst);
        delayed(x).map(|x: u32| x + 1)
    });
    compute_with(&b.flatten(), &*outer)
}

#[test]
fn work_stealing_helped_flatten_inherits_a_foreign_cancel() {
    let result = within("work-stealing flatten", || {
        helped_flatten_inherits_foreign_cancel(
            Arc::new(WorkStealing::new(1)),
            Arc::new(Threaded::new(1)),
        )
    });
    assert!(matches!(result, Ok(6)), "the plain compute failed: {result:?}");
}

#[test]
fn threaded_helped_flatten_inherits_a_foreign_cancel() {
    let result = within("threads flatten", || {
        helped_flatten_inherits_foreign_cancel(
            Arc::new(Threaded::new(1)),
            Arc::new(WorkStealing::new(1)),
        )
    });
    assert!(matches!(result, Ok(6)), "the plain compute failed: {result:?}");
}

/// A callback of compute A that follows nested computes and counts units.
#[derive(Default)]
struct Heard {
    starts: AtomicUsize,
    units: AtomicU64,
}

impl Callback for Heard {
    fn start(&self, _: &PlanSummary<'_>) {
        self.starts.fetch_add(1, Ordering::SeqCst);
    }
    fn progress(&self, _compute: u64, units: u64) {
        self.units.fetch_add(units, Ordering::SeqCst);
    }
    fn nested(&self) -> bool {
        true
    }
}

/// Compute A has a callback that follows nested computes and declares units; B, with no
/// callbacks, reports units and starts a nested compute from its (helped) task. A's callback
/// hears its own start and its task's nested compute (two starts), and none of B's.
fn helped_job_reports_to_its_own_compute(
    outer: Arc<dyn Scheduler>,
    other: Arc<dyn Scheduler>,
) -> (usize, u64) {
    let b_done = Arc::new(AtomicBool::new(false));
    let heard = Arc::new(Heard::default());
    let control = Control::new().progress_units(10).callback(heard.clone());
    let a = start_waiting_task(&outer, &other, control, &b_done);

    let bd = Arc::clone(&b_done);
    let b = delayed(1_u32).map(move |x: u32| {
        callback::advance(7);
        let nested = compute_with(delayed(x).map(|x: u32| x + 1), &Sequential).unwrap();
        bd.store(true, Ordering::SeqCst);
        nested
    });
    assert_eq!(compute_with(&b, &*outer).unwrap(), 2);
    assert_eq!(a.join().unwrap().unwrap(), 0);
    (heard.starts.load(Ordering::SeqCst), heard.units.load(Ordering::SeqCst))
}

#[test]
fn work_stealing_helped_job_reports_to_its_own_compute_only() {
    let (starts, units) = within("work-stealing callbacks", || {
        helped_job_reports_to_its_own_compute(
            Arc::new(WorkStealing::new(1)),
            Arc::new(Threaded::new(1)),
        )
    });
    assert_eq!(units, 0, "the other compute's units reached this compute's callback");
    assert_eq!(starts, 2, "this compute's callback heard the other compute's nested compute");
}

#[test]
fn threaded_helped_job_reports_to_its_own_compute_only() {
    let (starts, units) = within("threads callbacks", || {
        helped_job_reports_to_its_own_compute(
            Arc::new(Threaded::new(1)),
            Arc::new(WorkStealing::new(1)),
        )
    });
    assert_eq!(units, 0, "the other compute's units reached this compute's callback");
    assert_eq!(starts, 2, "this compute's callback heard the other compute's nested compute");
}

// ---------------------------------------------------------------------------------------
// Keep-going mode and a panicking `Clone` of a task's value.
//
// Bug: `PlanView::share` returned the clone's panic as an error even in keep-going mode, and
// the schedulers then stopped the whole compute, failing every output; a literal's clone
// panic was already a failure of its consumer only.

struct Glass(u32);

impl Clone for Glass {
    fn clone(&self) -> Self {
        panic!("Glass cannot be cloned")
    }
}

fn make_glass() -> Glass {
    Glass(1)
}
fn look(g: Glass) -> u32 {
    g.0
}
fn one() -> u32 {
    1
}

/// `glass` (a task value) has two consumers: the one that gets the clone fails, the one that
/// gets the value moved succeeds, and an output that does not depend on the glass succeeds.
fn check_keep_going_clone_panic(scheduler: &dyn Scheduler) {
    let glass = delayed!(make_glass());
    let a = delayed!(look(&glass));
    let b = delayed!(look(&glass));
    let independent = delayed!(inc(delayed!(one())));
    let control = Control::new().keep_going(true).optimize(Optimizer::off());
    let results = compute_settled(&[a, b, independent], scheduler, &control);
    let name = scheduler.name();
    assert_eq!(results.len(), 3);
    assert!(matches!(results[2], Ok(2)), "{name}: independent output: {results:?}");
    let failed: Vec<_> = results[..2].iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(failed.len(), 1, "{name}: one consumer gets the clone: {results:?}");
    match failed[0] {
        Error::Panicked { task, message, .. } => {
            assert_eq!(*task, glass.key(), "{name}");
            assert!(message.contains("Glass cannot be cloned"), "{name}: {message}");
        }
        other => panic!("{name}: expected the clone's panic, got {other:?}"),
    }
    assert!(results[..2].iter().any(|r| matches!(r, Ok(1))), "{name}: {results:?}");
}

#[test]
fn sequential_keep_going_clone_panic_spares_independent_outputs() {
    check_keep_going_clone_panic(&Sequential);
}

#[test]
fn threaded_keep_going_clone_panic_spares_independent_outputs() {
    within("threads", || check_keep_going_clone_panic(&Threaded::new(2)));
}

#[test]
fn work_stealing_keep_going_clone_panic_spares_independent_outputs() {
    within("work-stealing", || check_keep_going_clone_panic(&WorkStealing::new(2)));
}

#[test]
fn async_keep_going_clone_panic_spares_independent_outputs() {
    within("async", || check_keep_going_clone_panic(&Async::new(2)));
}

/// The same rule for a literal (`delayed(v)`), which already held: the independent output is
/// spared.
#[test]
fn sequential_keep_going_literal_clone_panic_spares_independent_outputs() {
    let glass = delayed(Glass(1));
    let a = glass.map(look);
    let b = glass.map(look);
    let independent = delayed!(inc(delayed!(one())));
    let control = Control::new().keep_going(true).optimize(Optimizer::off());
    let results = compute_settled(&[a, b, independent], &Sequential, &control);
    assert!(matches!(results[2], Ok(2)), "{results:?}");
}

// ---------------------------------------------------------------------------------------
// `Threaded`: a job made ready by a helping worker.
//
// Bug: every worker pushed the jobs its task made ready with "I pop next" (waking one
// sleeper fewer), helpers too; but a helper's wait may end right after the job and go back to
// its own task, so the job waited for that task while another worker slept.
//
// Workers X and Y. Z occupies X until P starts. T (on Y) computes B on another pool and
// helps meanwhile; B waits until P has started. P (compute C, on the pool) can only run on Y,
// helping; it makes J ready and B is done, so Y's wait returns to T, which then waits until
// J has run. X is free by then (asleep): only a wake-up for J lets J run. With the bug the
// test hangs (T gives up after the hang guard); it passes with or without the race going that
// way, so it never fails spuriously.

#[test]
fn threaded_job_made_ready_by_a_helper_wakes_a_sleeping_worker() {
    let t_saw_j = within("threads wake-up", || {
        let pool: Arc<dyn Scheduler> = Arc::new(Threaded::new(2));
        let other: Arc<dyn Scheduler> = Arc::new(Threaded::new(1));
        let z_started = Arc::new(AtomicBool::new(false));
        let p_started = Arc::new(AtomicBool::new(false));
        let b_waiting = Arc::new(AtomicBool::new(false));
        let j_done = Arc::new(AtomicBool::new(false));

        // Z: occupies worker X until P starts.
        let (zs, ps) = (Arc::clone(&z_started), Arc::clone(&p_started));
        let z = delayed(0_u32).map(move |x: u32| {
            zs.store(true, Ordering::SeqCst);
            wait_flag(&ps);
            x
        });
        let zp = Arc::clone(&pool);
        let zh = std::thread::spawn(move || compute_with(&z, &*zp).unwrap());
        assert!(wait_flag(&z_started));

        // A: task T on worker Y computes B on another pool (waits, helping `pool`), then
        // waits until J has run.
        let (ps, bw, jd) = (Arc::clone(&p_started), Arc::clone(&b_waiting), Arc::clone(&j_done));
        let t = delayed(0_u32).map(move |x: u32| {
            let (ps, bw) = (Arc::clone(&ps), Arc::clone(&bw));
            let b = delayed(x).map(move |x: u32| {
                bw.store(true, Ordering::SeqCst);
                wait_flag(&ps);
                x
            });
            compute_with(&b, &*other).unwrap();
            wait_flag(&jd)
        });
        let ap = Arc::clone(&pool);
        let ah = std::thread::spawn(move || compute_with(&t, &*ap).unwrap());
        assert!(wait_flag(&b_waiting));

        // C: P then J. Y's help runs P; J becomes ready while X sleeps.
        let ps = Arc::clone(&p_started);
        let p = delayed(1_u32).map(move |x: u32| {
            ps.store(true, Ordering::SeqCst);
            // Gives X time to finish Z and fall asleep, and B time to end: the case the test
            // is for. Either one late only makes the test easier to pass.
            std::thread::sleep(Duration::from_millis(100));
            x
        });
        let jd = Arc::clone(&j_done);
        let j = p.map(move |x: u32| {
            jd.store(true, Ordering::SeqCst);
            x + 1
        });
        let control = Control::new().optimize(Optimizer::off());
        assert_eq!(compute_with_control(&j, &*pool, &control).unwrap(), 2);
        zh.join().unwrap();
        ah.join().unwrap()
    });
    assert!(t_saw_j, "J waited for T, which waited for J, while a worker slept");
}
