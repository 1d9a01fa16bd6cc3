//! The optimizer end to end: culling what no output needs, `.inline()`, turning optimization
//! off (per compute, by `LAZYDAG_OPTIMIZE`, by the config file), drawing fused tasks, user
//! passes, keep-going mode, cancellation and timeouts on optimized plans, and async tasks,
//! which are never fused. The `lazydag::optimize` trace event is checked in
//! `tests/tracing_spans.rs`, the one test binary with a (process-global) subscriber.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lazydag::optimize::{Graph, Kind, Pass, Refused, Role};
use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{
    Callback, CancelToken, Control, Error, OptimizeReport, Optimizer, Plan, PlanSummary, Scheduler,
    TaskEvent, compute_settled, compute_with_control, config, to_dot, to_dot_optimized,
};

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
}

fn inc(x: u64) -> u64 {
    x + 1
}
fn double(x: u64) -> u64 {
    x * 2
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[derive(Debug)]
struct Bad(&'static str);
impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} went wrong", self.0)
    }
}
impl std::error::Error for Bad {}

/// A run counter shared with task closures.
#[derive(Clone, Default)]
struct Runs(Arc<AtomicUsize>);

impl Runs {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    /// `x + 1`, counted.
    fn inc(&self) -> impl Fn(u64) -> u64 + Send + std::marker::Sync + 'static {
        let runs = Arc::clone(&self.0);
        move |x| {
            runs.fetch_add(1, Ordering::SeqCst);
            x + 1
        }
    }
}

/// Counts the tasks a compute schedules and keeps the plan's optimizer report.
#[derive(Default)]
struct Scheduled {
    tasks: AtomicUsize,
    report: Mutex<Option<Option<OptimizeReport>>>,
    plan_len: AtomicUsize,
}

impl Callback for Scheduled {
    fn start(&self, plan: &PlanSummary<'_>) {
        *self.report.lock().unwrap() = Some(plan.plan().report());
        self.plan_len.store(plan.plan().len(), Ordering::SeqCst);
    }
    fn pretask(&self, _: &TaskEvent<'_>) {
        self.tasks.fetch_add(1, Ordering::SeqCst);
    }
}

/// `load -> clean -> save` on the literal `1`, nothing else holding the links.
fn load_clean_save() -> Delayed<u64> {
    let load = delayed!(inc(1)).name("load");
    let clean = delayed!(double(load)).name("clean");
    delayed!(inc(clean)).name("save")
}

// ---------------------------------------------------------------------------------------------
// Culling

static MILLION_RUNS: AtomicUsize = AtomicUsize::new(0);

fn counted_inc(x: u64) -> u64 {
    MILLION_RUNS.fetch_add(1, Ordering::Relaxed);
    x + 1
}

#[test]
fn of_a_million_recorded_tasks_a_compute_runs_only_the_ten_its_output_needs() {
    let base = delayed(1_u64);
    // All alive at once: the vector holds every handle while the compute runs.
    let tasks: Vec<Delayed<u64>> = (0..1_000_000).map(|_| base.map(counted_inc)).collect();
    let picked: Vec<&Delayed<u64>> = (0..10).map(|k| &tasks[k * 99_999]).collect();
    let gathered: Delayed<Vec<u64>> = picked.into_iter().collect();
    let total = gathered.map(|xs: Vec<u64>| xs.iter().sum::<u64>());

    let plan = Plan::optimized(&[total.task()], &Optimizer::default()).unwrap();
    let report = plan.view().report().unwrap();
    // The literal, the ten tasks, the gather and the sum; nothing else is even collected.
    assert_eq!(report.before, 13);
    assert_eq!(report.before, report.after + report.culled + report.fused + report.inlined);
    drop(plan);

    assert_eq!(total.compute_with(&Sequential).unwrap(), 20);
    assert_eq!(MILLION_RUNS.load(Ordering::SeqCst), 10);
    assert_eq!(total.compute_with(&WorkStealing::new(2)).unwrap(), 20);
    assert_eq!(MILLION_RUNS.load(Ordering::SeqCst), 20);
    assert_eq!(tasks.len(), 1_000_000);
}

// ---------------------------------------------------------------------------------------------
// `.inline()`

#[test]
fn a_cheap_task_runs_once_per_consumer_when_optimized_and_once_when_not() {
    for scheduler in schedulers() {
        let runs = Runs::default();
        let cheap = delayed(10_u64).map(runs.inc()).shared().inline();
        let outs = vec![cheap.map(|x: u64| x * 2), cheap.map(|x: u64| x * 3), cheap.map(inc)];
        let values = compute_with_control(&outs, &*scheduler, &Control::new()).unwrap();
        assert_eq!(values, [22, 33, 12], "{}", scheduler.name());
        assert_eq!(runs.get(), 3, "{}: once inside each of 3 consumers", scheduler.name());

        let off = Control::new().optimize(Optimizer::off());
        let values = compute_with_control(&outs, &*scheduler, &off).unwrap();
        assert_eq!(values, [22, 33, 12], "{}", scheduler.name());
        assert_eq!(runs.get(), 4, "{}: once on its own", scheduler.name());
    }
}

#[test]
fn a_cheap_task_with_one_consumer_runs_inside_it() {
    let runs = Runs::default();
    let cheap = delayed(4_u64).map(runs.inc()).name("cheap").inline();
    let consumer = delayed!(add(&cheap, 100)).name("consumer");
    let plan = Plan::optimized(&[consumer.task()], &Optimizer::default()).unwrap();
    let view = plan.view();
    let top = view.outputs()[0] as usize;
    let names: Vec<_> = view.members(top).iter().map(|t| t.key().name().to_owned()).collect();
    assert_eq!(names, ["cheap", "consumer"]);
    assert_eq!(view.report().unwrap().inlined, 3, "two literals and the cheap task");
    assert_eq!(consumer.compute_with(&Sequential).unwrap(), 105);
    assert_eq!(runs.get(), 1);
}

#[test]
fn a_requested_cheap_task_stays_a_task_and_runs_once() {
    let runs = Runs::default();
    let cheap = delayed(1_u64).map(runs.inc()).shared().inline();
    let a = cheap.map(|x: u64| x + 10);
    let b = cheap.map(|x: u64| x + 20);
    let plan = Plan::optimized(&[cheap.task(), a.task(), b.task()], &Optimizer::default()).unwrap();
    let view = plan.view();
    assert_eq!(view.task(view.outputs()[0] as usize).key(), cheap.key());
    let appearances =
        (0..view.len()).flat_map(|i| view.members(i)).filter(|m| m.key() == cheap.key()).count();
    assert_eq!(appearances, 1);
    let (c, a, b) = lazydag::compute_with((&cheap, &a, &b), &Sequential).unwrap();
    assert_eq!((c, a, b), (2, 12, 22));
    assert_eq!(runs.get(), 1);
}

/// Not `Clone`: a cheap task that reads it cannot be evaluated in several consumers.
struct Table(Vec<u64>);

#[test]
fn a_cheap_task_whose_input_cannot_be_cloned_runs_once_on_its_own() {
    for scheduler in schedulers() {
        let runs = Runs::default();
        let table = delayed(3_u64).map(|n: u64| Table((0..n).collect())).name("table");
        let counter = runs.clone();
        let first = table
            .map(move |t: Table| {
                counter.0.fetch_add(1, Ordering::SeqCst);
                t.0[1]
            })
            .shared()
            .inline();
        let outs = vec![first.map(|x: u64| x + 1), first.map(|x: u64| x + 2)];
        let values = compute_with_control(&outs, &*scheduler, &Control::new()).unwrap();
        assert_eq!(values, [2, 3], "{}", scheduler.name());
        assert_eq!(runs.get(), 1, "{}", scheduler.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Turning optimization off

#[test]
fn optimizer_off_per_compute_runs_the_plan_as_collected() {
    for scheduler in schedulers() {
        let save = load_clean_save();
        let fused = Arc::new(Scheduled::default());
        let control = Control::new().callback(fused.clone());
        assert_eq!(compute_with_control(&save, &*scheduler, &control).unwrap(), 5);
        assert_eq!(fused.tasks.load(Ordering::SeqCst), 1, "{}: one fused task", scheduler.name());
        let report = fused.report.lock().unwrap().unwrap().unwrap();
        assert_eq!((report.before, report.after, report.fused), (4, 1, 2));

        let unfused = Arc::new(Scheduled::default());
        let control = Control::new().optimize(Optimizer::off()).callback(unfused.clone());
        assert_eq!(compute_with_control(&save, &*scheduler, &control).unwrap(), 5);
        assert_eq!(unfused.tasks.load(Ordering::SeqCst), 3, "{}", scheduler.name());
        assert_eq!(unfused.plan_len.load(Ordering::SeqCst), 4);
        assert_eq!(*unfused.report.lock().unwrap(), Some(None), "no report when off");
    }
}

#[test]
fn a_shorter_chain_limit_per_compute_cuts_chains() {
    let mut tip = delayed(0_u64);
    for _ in 0..10 {
        tip = delayed!(inc(tip));
    }
    let optimizer = Optimizer::new().max_chain(3);
    let plan = Plan::optimized(&[tip.task()], &optimizer).unwrap();
    let view = plan.view();
    let scheduled: Vec<usize> =
        (0..view.len()).filter(|&i| !view.is_literal(i)).map(|i| view.members(i).len()).collect();
    assert_eq!(scheduled.iter().sum::<usize>(), 10);
    assert_eq!(scheduled.len(), 4, "{scheduled:?}");
    assert!(scheduled.iter().all(|&m| m <= 3), "{scheduled:?}");
    let control = Control::new().optimize(optimizer);
    for scheduler in schedulers() {
        assert_eq!(compute_with_control(&tip, &*scheduler, &control).unwrap(), 10);
    }
}

#[test]
fn the_chain_limit_also_bounds_chains_that_reduction_fusion_takes() {
    let mut tip = delayed(0_u64);
    for _ in 0..10 {
        tip = delayed!(inc(tip));
    }
    for k in [1, 2] {
        let optimizer = Optimizer::new().max_chain(k).fuse_reductions(Some(8));
        let plan = Plan::optimized(&[tip.task()], &optimizer).unwrap();
        let view = plan.view();
        for i in 0..view.len() {
            assert!(
                view.members(i).len() <= k,
                "max_chain({k}): task {i} runs {:?}",
                view.members(i)
            );
        }
    }
}

/// Runs only inside a child process started by [`lazydag_optimize_and_the_config_file_are_honoured`],
/// which sets `LAZYDAG_OPTIMIZE_EXPECT` to what the environment it sets up should give.
#[test]
fn child_checks_the_configured_optimizer() {
    let Ok(expect) = std::env::var("LAZYDAG_OPTIMIZE_EXPECT") else { return };
    let save = load_clean_save();
    let scheduled = Arc::new(Scheduled::default());
    let control = Control::new().callback(scheduled.clone());
    let result = compute_with_control(&save, &Sequential, &control);
    let tasks = scheduled.tasks.load(Ordering::SeqCst);
    match expect.as_str() {
        "fused" => {
            assert!(config::optimizer().unwrap().is_enabled());
            assert_eq!(result.unwrap(), 5);
            assert_eq!(tasks, 1);
            assert!(save.to_dot_optimized().unwrap().contains("box3d"));
        }
        "unfused" => {
            assert!(!config::optimizer().unwrap().is_enabled());
            assert_eq!(result.unwrap(), 5);
            assert_eq!(tasks, 3);
            assert!(!save.to_dot_optimized().unwrap().contains("box3d"));
        }
        "chains of 2" => {
            assert_eq!(config::optimizer().unwrap().chain_limit(), 2);
            assert_eq!(result.unwrap(), 5);
            assert_eq!(tasks, 2);
        }
        "error" => {
            let err = result.unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err}");
            assert!(err.to_string().contains("LAZYDAG_OPTIMIZE"), "{err}");
            assert!(config::optimizer().is_err());
        }
        other => panic!("unknown expectation {other}"),
    }
}

#[test]
fn lazydag_optimize_and_the_config_file_are_honoured() {
    let dir = std::env::temp_dir().join(format!("lazydag-optimize-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let off_file = dir.join("off.toml");
    std::fs::write(&off_file, "optimize = false\n").unwrap();
    let short_file = dir.join("short.toml");
    std::fs::write(&short_file, "max-fused-chain = 2\n").unwrap();
    let off_file = off_file.to_str().unwrap();
    let short_file = short_file.to_str().unwrap();
    let cases: &[(Option<&str>, Option<&str>, &str)] = &[
        (None, None, "fused"),
        (Some("off"), None, "unfused"),
        (Some("0"), None, "unfused"),
        (Some("on"), None, "fused"),
        (Some("maybe"), None, "error"),
        (None, Some(off_file), "unfused"),
        (Some("on"), Some(off_file), "fused"),
        (None, Some(short_file), "chains of 2"),
    ];
    for &(env, file, expect) in cases {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["child_checks_the_configured_optimizer", "--exact", "--test-threads=1"])
            .env("LAZYDAG_OPTIMIZE_EXPECT", expect)
            .env_remove("LAZYDAG_OPTIMIZE")
            .env_remove("LAZYDAG_CONFIG")
            .current_dir(&dir);
        if let Some(env) = env {
            child.env("LAZYDAG_OPTIMIZE", env);
        }
        if let Some(file) = file {
            child.env("LAZYDAG_CONFIG", file);
        }
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{env:?} {file:?}: {text}");
        assert!(text.contains("1 passed"), "the child ran the check: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_configured_optimizer_is_the_full_pipeline_by_default() {
    if std::env::var_os("LAZYDAG_OPTIMIZE").is_some()
        || std::env::var_os("LAZYDAG_CONFIG").is_some()
    {
        return; // the environment decides; the child-process test covers it
    }
    let optimizer = config::optimizer().unwrap();
    assert!(optimizer.is_enabled() && optimizer.fuses() && optimizer.inlines());
    assert_eq!(optimizer.chain_limit(), usize::MAX);
    assert_eq!(optimizer.reduction_width(), None);
}

// ---------------------------------------------------------------------------------------------
// DOT

#[test]
fn dot_draws_a_fused_task_as_a_3d_box_named_after_its_members() {
    let load = delayed!(inc(1)).name("load");
    let key = load.key();
    let clean = delayed!(double(load)).name("clean");
    let save = delayed!(inc(clean)).name("save");
    let dot = to_dot_optimized(&save, &Optimizer::default()).unwrap();
    assert_eq!(dot.matches("shape=box3d").count(), 1, "{dot}");
    assert!(dot.contains("label=\"load-clean-save\""), "{dot}");
    assert!(dot.contains("fused from 3 tasks"), "{dot}");
    assert!(dot.contains(&key.to_string()), "the tooltip lists member keys: {dot}");
    assert_eq!(dot.matches("->").count(), 1, "the literal into the fused task: {dot}");

    // The same graph, unfused: three ellipses and a box, no 3-D box.
    for dot in [to_dot(&save), to_dot_optimized(&save, &Optimizer::off()).unwrap()] {
        assert!(!dot.contains("box3d"), "{dot}");
        assert_eq!(dot.matches("shape=ellipse").count(), 3, "{dot}");
        assert_eq!(dot.matches("->").count(), 3, "{dot}");
    }
}

#[test]
fn dot_of_a_graph_with_nothing_to_fuse_has_no_3d_box() {
    let x = delayed!(inc(1));
    let y = delayed!(add(&x, &x)); // `x` is read twice: it cannot run inside `y`
    let z = delayed!(add(&y, 2));
    let dot = to_dot_optimized((&y, &z), &Optimizer::default()).unwrap();
    assert!(!dot.contains("box3d"), "{dot}");
    assert_eq!(dot.matches("shape=ellipse").count(), 3, "{dot}");
}

// ---------------------------------------------------------------------------------------------
// User passes

/// Tries changes the graph must refuse, checks each leaves every role as it was, then makes
/// one allowed change: fuses the one-use input `right` into `checkpoint` (a join, which linear
/// fusion leaves apart).
#[derive(Default)]
struct Probe {
    runs: AtomicUsize,
    refusals: Mutex<Vec<Refused>>,
}

impl Probe {
    fn find(graph: &Graph<'_>, name: &str) -> usize {
        (0..graph.len()).find(|&i| graph.name(i) == name).unwrap_or_else(|| panic!("no {name}"))
    }
}

impl Pass for Probe {
    fn name(&self) -> &str {
        "probe"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let [shared, left, right, checkpoint] =
            ["shared", "left", "right", "checkpoint"].map(|n| Self::find(graph, n));
        let literal = (0..graph.len()).find(|&i| graph.kind(i) == Kind::Literal).unwrap();
        let before: Vec<Role> = graph.roles().collect();
        let tries: Vec<Result<(), Refused>> = vec![
            graph.fuse(shared, left),     // two uses
            graph.fuse(left, checkpoint), // a requested output
            graph.fuse(right, left),      // not its consumer
            graph.fuse(literal, shared),  // a literal, already inlined
            graph.inline(right),          // not marked cheap
            graph.cull(shared),           // still needed
            graph.cull(checkpoint),       // a requested output
        ];
        let after: Vec<Role> = graph.roles().collect();
        assert_eq!(before, after, "refused changes leave the graph untouched");
        let mut refusals = self.refusals.lock().unwrap();
        refusals.extend(tries.into_iter().map(|t| t.expect_err("refused")));
        graph.fuse(right, checkpoint).expect("right has one use, by checkpoint");
    }
}

/// `shared` feeds `left` and `right`; `checkpoint` joins them; `left` is requested too.
fn probed_graph(runs: &Runs) -> (Delayed<u64>, Delayed<u64>) {
    let shared = delayed(1_u64).map(runs.inc()).name("shared").shared();
    let left = shared.map(runs.inc()).name("left").shared();
    let right = shared.map(runs.inc()).name("right");
    let checkpoint = delayed!(add(&left, right)).name("checkpoint");
    (checkpoint, left)
}

#[test]
fn a_user_pass_runs_and_its_refused_changes_leave_the_graph_untouched() {
    let probe = Arc::new(Probe::default());
    let optimizer = Optimizer::new().pass(probe.clone());
    let runs = Runs::default();
    let (checkpoint, left) = probed_graph(&runs);

    let plan = Plan::optimized(&[checkpoint.task(), left.task()], &optimizer).unwrap();
    assert_eq!(probe.runs.load(Ordering::SeqCst), 1);
    let view = plan.view();
    let top = view.outputs()[0] as usize;
    let names: Vec<_> = view.members(top).iter().map(|t| t.key().name().to_owned()).collect();
    assert_eq!(names, ["right", "checkpoint"]);
    let refusals = probe.refusals.lock().unwrap().clone();
    assert_eq!(refusals.len(), 7);
    assert!(matches!(refusals[0], Refused::Uses { uses: 2, .. }), "{refusals:?}");
    assert!(matches!(refusals[1], Refused::Output(_)), "{refusals:?}");
    assert!(matches!(refusals[2], Refused::NotConsumer { .. }), "{refusals:?}");
    assert!(matches!(refusals[3], Refused::Role { role: Role::Inlined, .. }), "{refusals:?}");
    assert!(matches!(refusals[4], Refused::Kind { kind: Kind::Function, .. }), "{refusals:?}");
    assert!(matches!(refusals[5], Refused::Needed { .. }), "{refusals:?}");
    assert!(matches!(refusals[6], Refused::Output(_)), "{refusals:?}");
    drop(plan);

    let control = Control::new().optimize(optimizer);
    for scheduler in schedulers() {
        let before = runs.get();
        let (c, l) = compute_with_control((&checkpoint, &left), &*scheduler, &control).unwrap();
        assert_eq!((c, l), (6, 3), "{}", scheduler.name());
        assert_eq!(runs.get() - before, 3, "{}: every task once", scheduler.name());
    }
    assert_eq!(probe.runs.load(Ordering::SeqCst), 5, "once per plan");
}

/// Inlines cheap tasks consumers first: the order the built-in `Inline` pass avoids.
struct InlineTopDown;

impl Pass for InlineTopDown {
    fn name(&self) -> &str {
        "inline-top-down"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        for i in (0..graph.len()).rev() {
            if graph.kind(i) == Kind::Cheap {
                let _ = graph.inline(i);
            }
        }
    }
}

#[test]
fn a_user_pass_cannot_make_a_working_compute_fail() {
    let table = delayed(3_u64).map(|n: u64| Table((0..n).collect())).name("table");
    let second = table.map(|t: Table| t.0[2]).name("second").shared().inline();
    let plus = second.map(|x: u64| x + 1).name("plus").shared().inline();
    let outs = vec![plus.map(|x: u64| x * 10), plus.map(|x: u64| x * 100)];
    let plain = Control::new().optimize(Optimizer::off());
    assert_eq!(compute_with_control(&outs, &Sequential, &plain).unwrap(), [30, 300]);
    let optimizer = Optimizer::new().inline(false).fuse(false).pass(Arc::new(InlineTopDown));
    let control = Control::new().optimize(optimizer);
    assert_eq!(compute_with_control(&outs, &Sequential, &control).unwrap(), [30, 300]);
}

// ---------------------------------------------------------------------------------------------
// Keep-going mode

fn fail_on_purpose(x: u64) -> Result<u64, Bad> {
    if x > 0 { Err(Bad("fail_on_purpose")) } else { Ok(x) }
}

#[test]
fn keep_going_reports_a_failure_inside_a_fused_chain_and_finishes_the_rest() {
    for scheduler in schedulers() {
        let after = Runs::default();
        let bad = try_delayed!(fail_on_purpose(delayed!(inc(1)))).name("bad");
        let key = bad.key();
        let broken = bad.map(after.inc()).map(after.inc());
        let fine = delayed!(inc(delayed!(double(delayed!(inc(3))))));
        let plan = Plan::optimized(&[broken.task(), fine.task()], &Optimizer::default()).unwrap();
        let sizes: Vec<usize> =
            plan.view().outputs().iter().map(|&o| plan.view().members(o as usize).len()).collect();
        assert_eq!(sizes, [4, 3], "both chains are fused");
        drop(plan);

        let results = compute_settled(&[broken, fine], &*scheduler, &Control::new());
        match &results[0] {
            Err(Error::Failed { task, source }) => {
                assert_eq!(task, &key, "{}", scheduler.name());
                assert_eq!(source.to_string(), "fail_on_purpose went wrong");
            }
            other => panic!("{}: {other:?}", scheduler.name()),
        }
        assert_eq!(results[1].as_ref().ok(), Some(&9), "{}", scheduler.name());
        assert_eq!(after.get(), 0, "{}: the rest of the chain is skipped", scheduler.name());
    }
}

#[test]
fn keep_going_reports_a_failing_cheap_task_in_each_consumer() {
    for scheduler in schedulers() {
        let cheap = try_delayed!(fail_on_purpose(7)).name("cheap").shared().inline();
        let key = cheap.key();
        let outs = vec![cheap.map(inc), cheap.map(double), delayed!(inc(1))];
        let results = compute_settled(&outs, &*scheduler, &Control::new());
        for result in &results[..2] {
            assert_eq!(result.as_ref().unwrap_err().task(), Some(&key), "{}", scheduler.name());
        }
        assert_eq!(results[2].as_ref().ok(), Some(&2), "{}", scheduler.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Cancellation and timeouts

#[test]
fn a_cancelled_optimized_compute_runs_nothing() {
    for scheduler in schedulers() {
        let runs = Runs::default();
        let out = delayed(1_u64).map(runs.inc()).map(runs.inc()).map(runs.inc());
        let token = CancelToken::new();
        token.cancel();
        let control = Control::new().cancel_token(token);
        let err = compute_with_control(&out, &*scheduler, &control).unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{}: {err}", scheduler.name());
        assert_eq!(runs.get(), 0, "{}", scheduler.name());
    }
}

#[test]
fn an_optimized_compute_past_its_timeout_starts_nothing() {
    for scheduler in schedulers() {
        let runs = Runs::default();
        let out = delayed(1_u64).map(runs.inc()).map(runs.inc());
        let control = Control::new().timeout(Duration::ZERO);
        let err = compute_with_control(&out, &*scheduler, &control).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{}: {err}", scheduler.name());
        assert_eq!(runs.get(), 0, "{}", scheduler.name());
    }
}

#[test]
fn cancelling_inside_a_task_stops_the_fused_tasks_after_it() {
    for scheduler in schedulers() {
        let token = CancelToken::new();
        let canceller = token.clone();
        let runs = Runs::default();
        // Read by two chains, so it is a task of its own; it cancels the compute.
        let gate = delayed(1_u64)
            .map(move |x: u64| {
                canceller.cancel();
                x
            })
            .shared();
        let outs = vec![
            gate.map(runs.inc()).map(runs.inc()),
            gate.map(runs.inc()).map(runs.inc()).map(runs.inc()),
        ];
        let control = Control::new().cancel_token(token);
        let err = compute_with_control(&outs, &*scheduler, &control).unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{}: {err}", scheduler.name());
        assert_eq!(runs.get(), 0, "{}: no fused chain started", scheduler.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Async tasks

async fn triple(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x * 3
}

async fn refuse(x: u64) -> Result<u64, Bad> {
    tokio::task::yield_now().await;
    if x > 100 { Err(Bad("refuse")) } else { Ok(x) }
}

#[test]
fn async_tasks_are_never_fused() {
    let below = delayed!(inc(1)).name("below");
    let awaited = delayed_async!(triple(below)).name("awaited");
    let key = awaited.key();
    let top = delayed!(double(delayed!(inc(awaited)))).name("top");
    let plan = Plan::optimized(&[top.task()], &Optimizer::new().fuse_reductions(Some(8))).unwrap();
    let view = plan.view();
    let alone = (0..view.len()).find(|&i| view.task(i).key() == key).expect("a task of its own");
    assert_eq!(view.members(alone).len(), 1);
    for i in 0..view.len() {
        if i != alone {
            assert!(view.members(i).iter().all(|m| m.key() != key));
        }
    }
    let top_index = view.outputs()[0] as usize;
    assert_eq!(view.members(top_index).len(), 2, "inc and double still fuse above it");
    drop(plan);
    for scheduler in schedulers() {
        assert_eq!(top.compute_with(&*scheduler).unwrap(), 14, "{}", scheduler.name());
    }
}

#[test]
fn literal_and_cheap_inputs_of_async_tasks_still_work() {
    for scheduler in schedulers() {
        // A plain literal argument.
        assert_eq!(delayed_async!(triple(14)).compute_with(&*scheduler).unwrap(), 42);
        // A literal the graph moves out once (not Clone-probed: `delayed_once`).
        let once = delayed_async!(triple(delayed_once(5_u64)));
        assert_eq!(once.compute_with(&*scheduler).unwrap(), 15, "{}", scheduler.name());
        // A cheap task, evaluated inside the async task.
        let runs = Runs::default();
        let cheap = delayed(6_u64).map(runs.inc()).name("cheap").inline();
        let awaited = delayed_async!(triple(cheap));
        assert_eq!(awaited.compute_with(&*scheduler).unwrap(), 21, "{}", scheduler.name());
        assert_eq!(runs.get(), 1, "{}", scheduler.name());
    }
    let cheap = delayed(1_u64).map(inc).name("cheap").inline();
    let awaited = delayed_async!(triple(cheap)).name("awaited");
    let plan = Plan::optimized(&[awaited.task()], &Optimizer::default()).unwrap();
    let view = plan.view();
    let names: Vec<_> = view
        .members(view.outputs()[0] as usize)
        .iter()
        .map(|t| t.key().name().to_owned())
        .collect();
    assert_eq!(names, ["cheap", "awaited"]);
}

#[test]
fn errors_of_async_tasks_and_their_cheap_inputs_name_the_right_task() {
    for scheduler in schedulers() {
        let big = delayed(200_u64).map(inc).name("big").inline();
        let refused = try_delayed_async!(refuse(big)).name("refused");
        let key = refused.key();
        let err = refused.compute_with(&*scheduler).unwrap_err();
        assert_eq!(err.task(), Some(&key), "{}: {err}", scheduler.name());

        let broken = try_delayed!(fail_on_purpose(3)).name("broken").inline();
        let key = broken.key();
        let awaited = delayed_async!(triple(broken));
        let err = awaited.compute_with(&*scheduler).unwrap_err();
        assert_eq!(err.task(), Some(&key), "{}: {err}", scheduler.name());
    }
}
