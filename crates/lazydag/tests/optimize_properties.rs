//! Property: optimizing never changes what a compute returns or how often user code runs.
//!
//! On random DAGs (one-input chains, joins, literals, values shared by several consumers,
//! tasks marked cheap with `.inline()`, handles the caller keeps and handles it drops, several
//! requested outputs, intermediate ones included), for every scheduler and every optimizer
//! variant:
//!
//! - the results equal those of the unoptimized `Sequential` scheduler (and of a direct evaluation);
//! - every needed task that is not marked cheap runs exactly once, every task no output needs
//!   never runs, and a cheap task runs at most once per consuming edge;
//! - the optimized plan keeps every requested output as a task of its own, runs every needed
//!   task in exactly one scheduled task, reports `before == after + culled + fused + inlined`,
//!   and with `max_chain(k)` runs at most `k` fused tasks per scheduled task;
//! - a failing or panicking task is reported under its own key, also inside a fused chain.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Once};

use lazydag::prelude::*;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use lazydag::{Control, Error, Optimizer, Plan, Scheduler, compute_settled, compute_with_control};
use proptest::prelude::*;

/// Every scheduler under test; pools are built once and reused by all cases.
static SCHEDULERS: LazyLock<Vec<Box<dyn Scheduler>>> = LazyLock::new(|| {
    vec![
        Box::new(Sequential),
        Box::new(Threaded::new(2)),
        Box::new(WorkStealing::new(2)),
        Box::new(Async::new(2)),
    ]
});

/// The optimizer variants under test.
fn variants() -> Vec<(&'static str, Optimizer)> {
    vec![
        ("off", Optimizer::off()),
        ("default", Optimizer::default()),
        ("max_chain(2)", Optimizer::new().max_chain(2)),
        ("fuse_reductions(8)", Optimizer::new().fuse_reductions(Some(8))),
    ]
}

/// Keeps the expected panics of this file (`boom ...`) out of the test output.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload_as_str().is_some_and(|m| m.starts_with("boom")) {
                default(info);
            }
        }));
    });
}

/// How a task ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fail {
    No,
    Err,
    Panic,
}

/// What node `i` is.
#[derive(Clone, Debug)]
enum Op {
    /// `delayed(v)`, named `lit{i}`.
    Lit(u64),
    /// A one-input task: links of linear chains.
    Unary(usize),
    /// A task of two or three inputs (a value may be passed twice).
    Join(Vec<usize>),
    /// A task of one input and one plain argument (which becomes a literal node).
    WithConst(usize, u64),
}

#[derive(Clone, Debug)]
struct NodeSpec {
    op: Op,
    /// Marked cheap with `.inline()`.
    inline: bool,
    /// The caller keeps a handle to it while computing.
    keep: bool,
    fail: Fail,
}

impl NodeSpec {
    fn deps(&self) -> Vec<usize> {
        match &self.op {
            Op::Lit(_) => Vec::new(),
            Op::Unary(d) | Op::WithConst(d, _) => vec![*d],
            Op::Join(ds) => ds.clone(),
        }
    }
}

#[derive(Clone, Debug)]
struct Shape {
    nodes: Vec<NodeSpec>,
    outputs: Vec<usize>,
}

/// An input of node `i`: mostly the node just before it, so long chains form; else a recent
/// node or any earlier one.
fn dep(i: usize) -> BoxedStrategy<usize> {
    prop_oneof![6 => Just(i - 1), 2 => i.saturating_sub(8)..i, 1 => 0..i].boxed()
}

fn node(i: usize, faulty: bool) -> BoxedStrategy<NodeSpec> {
    let op = if i == 0 {
        any::<u64>().prop_map(Op::Lit).boxed()
    } else {
        prop_oneof![
            1 => any::<u64>().prop_map(Op::Lit),
            12 => dep(i).prop_map(Op::Unary),
            4 => proptest::collection::vec(dep(i), 2..=3).prop_map(Op::Join),
            3 => (dep(i), any::<u64>()).prop_map(|(d, c)| Op::WithConst(d, c)),
        ]
        .boxed()
    };
    let fail = if faulty {
        prop_oneof![96 => Just(Fail::No), 2 => Just(Fail::Err), 2 => Just(Fail::Panic)].boxed()
    } else {
        Just(Fail::No).boxed()
    };
    (op, proptest::bool::weighted(0.12), proptest::bool::weighted(0.35), fail)
        .prop_map(|(op, inline, keep, fail)| {
            let literal = matches!(op, Op::Lit(_));
            NodeSpec {
                op,
                inline: inline && !literal,
                keep,
                fail: if literal { Fail::No } else { fail },
            }
        })
        .boxed()
}

fn shape() -> impl Strategy<Value = Shape> {
    (1usize..=300, proptest::bool::weighted(0.25)).prop_flat_map(|(n, faulty)| {
        let nodes: Vec<_> = (0..n).map(|i| node(i, faulty)).collect();
        // Usually the last node (so plans are large) and up to three others, often
        // intermediate ones.
        let outputs = (proptest::collection::vec(0..n, 0..=3), proptest::bool::weighted(0.8));
        (nodes, outputs).prop_map(move |(nodes, (mut outputs, last))| {
            if last || outputs.is_empty() {
                outputs.insert(0, n - 1);
            }
            Shape { nodes, outputs }
        })
    })
}

#[derive(Debug)]
struct Boom(usize);
impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n{} failed", self.0)
    }
}
impl std::error::Error for Boom {}

/// Node `i`'s value from its inputs, in argument order (order matters).
fn mix(i: usize, inputs: &[u64]) -> u64 {
    inputs.iter().enumerate().fold((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15), |acc, (k, x)| {
        acc.rotate_left(7) ^ x.wrapping_mul(2 * k as u64 + 1)
    })
}

/// Runs node `i`'s body: counts the run, then fails, panics or returns its value.
fn step(runs: &[AtomicUsize], i: usize, fail: Fail, inputs: &[u64]) -> Result<u64, Boom> {
    runs[i].fetch_add(1, Ordering::SeqCst);
    match fail {
        Fail::No => Ok(mix(i, inputs)),
        Fail::Err => Err(Boom(i)),
        Fail::Panic => panic!("boom n{i}"),
    }
}

/// A recorded shape: the handles the caller still holds, the outputs, and run counters.
struct Recorded {
    kept: Vec<Option<Delayed<u64>>>,
    outputs: Vec<Delayed<u64>>,
    runs: Arc<Vec<AtomicUsize>>,
}

fn record(shape: &Shape) -> Recorded {
    let n = shape.nodes.len();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let mut nodes: Vec<Delayed<u64>> = Vec::with_capacity(n);
    for (i, spec) in shape.nodes.iter().enumerate() {
        let (r, fail) = (Arc::clone(&runs), spec.fail);
        let task = match &spec.op {
            Op::Lit(v) => delayed(*v).name(format!("lit{i}")),
            Op::Unary(d) => {
                let f = move |a: u64| step(&r, i, fail, &[a]);
                try_delayed!(f(&nodes[*d]))
            }
            Op::WithConst(d, c) => {
                let f = move |a: u64, c: u64| step(&r, i, fail, &[a, c]);
                try_delayed!(f(&nodes[*d], *c))
            }
            Op::Join(ds) if ds.len() == 2 => {
                let f = move |a: u64, b: u64| step(&r, i, fail, &[a, b]);
                try_delayed!(f(&nodes[ds[0]], &nodes[ds[1]]))
            }
            Op::Join(ds) => {
                let f = move |a: u64, b: u64, c: u64| step(&r, i, fail, &[a, b, c]);
                try_delayed!(f(&nodes[ds[0]], &nodes[ds[1]], &nodes[ds[2]]))
            }
        };
        let task = if matches!(spec.op, Op::Lit(_)) { task } else { task.name(format!("n{i}")) };
        nodes.push(if spec.inline { task.inline() } else { task });
    }
    let outputs = shape.outputs.iter().map(|&o| nodes[o].clone()).collect();
    // Dropped handles leave chains that nothing else owns: the collector fuses those.
    let kept = nodes.into_iter().zip(&shape.nodes).map(|(d, s)| s.keep.then_some(d)).collect();
    Recorded { kept, outputs, runs }
}

/// What a direct evaluation says about a shape.
struct Expected {
    needed: Vec<bool>,
    values: Vec<u64>,
    /// How many edges from needed consumers take each node's value.
    edges: Vec<usize>,
    is_output: Vec<bool>,
    /// Needed nodes that fail (returning `Err` or panicking).
    failing: Vec<usize>,
    /// Recorded nodes the outputs need, plain-argument literals included.
    planned: usize,
    /// Needed literals that are not requested outputs.
    inner_literals: usize,
}

fn expected(shape: &Shape) -> Expected {
    let n = shape.nodes.len();
    let mut needed = vec![false; n];
    let mut is_output = vec![false; n];
    for &o in &shape.outputs {
        needed[o] = true;
        is_output[o] = true;
    }
    let mut edges = vec![0; n];
    for i in (0..n).rev() {
        if needed[i] {
            for d in shape.nodes[i].deps() {
                needed[d] = true;
                edges[d] += 1;
            }
        }
    }
    let mut values = vec![0u64; n];
    for (i, spec) in shape.nodes.iter().enumerate() {
        values[i] = match &spec.op {
            Op::Lit(v) => *v,
            Op::WithConst(d, c) => mix(i, &[values[*d], *c]),
            _ => mix(i, &spec.deps().iter().map(|&d| values[d]).collect::<Vec<_>>()),
        };
    }
    let failing = (0..n).filter(|&i| needed[i] && shape.nodes[i].fail != Fail::No).collect();
    let consts = (0..n).filter(|&i| needed[i] && matches!(shape.nodes[i].op, Op::WithConst(..)));
    let consts = consts.count();
    let planned = needed.iter().filter(|&&x| x).count() + consts;
    let named_literals = (0..n)
        .filter(|&i| needed[i] && !is_output[i] && matches!(shape.nodes[i].op, Op::Lit(_)))
        .count();
    Expected {
        needed,
        values,
        edges,
        is_output,
        failing,
        planned,
        inner_literals: named_literals + consts,
    }
}

/// The shape index of a task named `n{i}` or `lit{i}`; `None` for plain-argument literals.
fn index_of(name: &str) -> Option<usize> {
    name.strip_prefix('n').or_else(|| name.strip_prefix("lit")).and_then(|i| i.parse().ok())
}

/// Checks the optimized plan of a fresh recording against the shape.
fn check_plan(
    shape: &Shape,
    exp: &Expected,
    label: &str,
    optimizer: &Optimizer,
) -> Result<(), TestCaseError> {
    let rec = record(shape);
    let roots: Vec<_> = rec.outputs.iter().map(Delayed::task).collect();
    let plan =
        Plan::optimized(&roots, optimizer).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let view = plan.view();
    // Requested outputs stay tasks of their own, in request order.
    prop_assert_eq!(view.outputs().len(), rec.outputs.len(), "{}", label);
    for (&o, out) in view.outputs().iter().zip(&rec.outputs) {
        prop_assert_eq!(view.task(o as usize).key(), out.key(), "{}: output is a root", label);
        let members = view.members(o as usize);
        prop_assert_eq!(members.last().map(|t| t.key()), Some(out.key()), "{}", label);
    }
    let Some(report) = view.report() else {
        prop_assert!(!optimizer.is_enabled(), "{}: an optimized plan has a report", label);
        prop_assert_eq!(view.len(), exp.planned, "{}: the unoptimized plan", label);
        for i in 0..view.len() {
            prop_assert_eq!(view.members(i).len(), 1, "{}: nothing fused", label);
        }
        return Ok(());
    };
    prop_assert!(optimizer.is_enabled(), "{}", label);
    prop_assert_eq!(
        report.before,
        report.after + report.culled + report.fused + report.inlined,
        "{}: {:?}",
        label,
        report
    );
    prop_assert_eq!(report.before, exp.planned, "{}: {:?}", label, report);
    prop_assert_eq!(report.culled, 0, "{}: a collected plan has nothing to cull", label);
    prop_assert!(report.inlined >= exp.inner_literals, "{}: {:?}", label, report);
    // Every needed task runs inside exactly one scheduled task (cheap ones inside each
    // consumer); literals stay plan entries of their own.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (mut literals, mut scheduled, mut literal_roots) = (0, 0, 0);
    for i in 0..view.len() {
        let members = view.members(i);
        prop_assert_eq!(members.last().map(|t| t.key()), Some(view.task(i).key()), "{}", label);
        if view.is_literal(i) {
            literals += 1;
            prop_assert_eq!(members.len(), 1, "{}", label);
            if view.outputs().contains(&(i as u32)) {
                literal_roots += 1;
            }
            continue;
        }
        scheduled += 1;
        let mut fused = 0;
        for m in &members {
            prop_assert!(!m.is_literal(), "{}: literals are inputs, not members", label);
            *seen.entry(m.key().name().to_owned()).or_default() += 1;
            let s = index_of(m.key().name()).expect("tasks are named n{i}");
            prop_assert!(exp.needed[s], "{}: {} is not needed", label, m.key());
            if !shape.nodes[s].inline {
                fused += 1;
            }
        }
        if optimizer.chain_limit() < usize::MAX {
            prop_assert!(
                fused <= optimizer.chain_limit(),
                "{}: task {} runs {} tasks: {:?}",
                label,
                view.task(i).key(),
                fused,
                members
            );
        }
    }
    prop_assert_eq!(literals, exp.planned - needed_functions(shape, exp), "{}", label);
    prop_assert_eq!(scheduled + literal_roots, report.after, "{}: {:?}", label, report);
    for (i, spec) in shape.nodes.iter().enumerate() {
        if exp.needed[i] && !matches!(spec.op, Op::Lit(_)) {
            let times = seen.get(&format!("n{i}")).copied().unwrap_or(0);
            check_times(spec, exp, i, times, label)?;
        }
    }
    Ok(())
}

/// How many needed nodes are functions.
fn needed_functions(shape: &Shape, exp: &Expected) -> usize {
    (0..shape.nodes.len())
        .filter(|&i| exp.needed[i] && !matches!(shape.nodes[i].op, Op::Lit(_)))
        .count()
}

/// How often node `i` may appear among members: once, or once per consuming edge when cheap.
fn check_times(
    spec: &NodeSpec,
    exp: &Expected,
    i: usize,
    times: usize,
    label: &str,
) -> Result<(), TestCaseError> {
    if spec.inline && !exp.is_output[i] {
        prop_assert!(
            (1..=exp.edges[i].max(1)).contains(&times),
            "{}: cheap n{} appears {} times for {} edges",
            label,
            i,
            times,
            exp.edges[i]
        );
    } else {
        prop_assert_eq!(times, 1, "{}: n{} runs in exactly one task", label, i);
    }
    Ok(())
}

/// Computes a fresh recording; returns the result and the run counts.
fn run(
    shape: &Shape,
    scheduler: &dyn Scheduler,
    optimizer: &Optimizer,
) -> (Result<Vec<u64>, Error>, Vec<usize>) {
    let rec = record(shape);
    let control = Control::new().optimize(optimizer.clone());
    let result = compute_with_control(&rec.outputs, scheduler, &control);
    drop(rec.outputs);
    drop(rec.kept);
    let runs = rec.runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    (result, runs)
}

/// Checks that `err` names one of the needed failing nodes, with its own message.
fn check_error(
    shape: &Shape,
    exp: &Expected,
    err: &Error,
    label: &str,
) -> Result<(), TestCaseError> {
    let i = err.task().and_then(|k| index_of(k.name()));
    let Some(i) = i else {
        return Err(TestCaseError::fail(format!("{label}: unexpected error {err}")));
    };
    prop_assert!(exp.failing.contains(&i), "{}: n{} not in {:?}", label, i, exp.failing);
    match (err, shape.nodes[i].fail) {
        (Error::Failed { source, .. }, Fail::Err) => {
            prop_assert_eq!(source.to_string(), format!("n{i} failed"), "{}", label);
        }
        (Error::Panicked { message, .. }, Fail::Panic) => {
            prop_assert_eq!(message, &format!("boom n{i}"), "{}", label);
        }
        _ => prop_assert!(false, "{}: {} does not match n{}'s failure", label, err, i),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn optimizing_never_changes_results_or_run_counts(shape in shape()) {
        quiet_panics();
        let exp = expected(&shape);
        let (baseline, base_runs) = run(&shape, &Sequential, &Optimizer::off());
        match &baseline {
            Ok(values) => {
                prop_assert!(exp.failing.is_empty());
                let direct: Vec<u64> = shape.outputs.iter().map(|&o| exp.values[o]).collect();
                prop_assert_eq!(values, &direct, "unoptimized sync vs direct evaluation");
                for (i, &r) in base_runs.iter().enumerate() {
                    prop_assert_eq!(r, usize::from(exp.needed[i] && !matches!(shape.nodes[i].op, Op::Lit(_))));
                }
            }
            Err(err) => {
                prop_assert!(!exp.failing.is_empty(), "unexpected failure {}", err);
                check_error(&shape, &exp, err, "off/sync")?;
            }
        }
        for (name, optimizer) in variants() {
            check_plan(&shape, &exp, name, &optimizer)?;
            for scheduler in SCHEDULERS.iter() {
                let label = format!("{name}/{}", scheduler.name());
                let (result, runs) = run(&shape, &**scheduler, &optimizer);
                match (&result, &baseline) {
                    (Ok(values), Ok(base)) => {
                        prop_assert_eq!(values, base, "{}", label);
                        for (i, spec) in shape.nodes.iter().enumerate() {
                            if matches!(spec.op, Op::Lit(_)) {
                                continue;
                            }
                            let r = runs[i];
                            if !exp.needed[i] {
                                prop_assert_eq!(r, 0, "{}: n{} is not needed", &label, i);
                            } else if spec.inline && optimizer.is_enabled() && !exp.is_output[i] {
                                prop_assert!(
                                    (1..=exp.edges[i].max(1)).contains(&r),
                                    "{}: cheap n{} ran {} times for {} consuming edges",
                                    &label, i, r, exp.edges[i]
                                );
                            } else {
                                prop_assert_eq!(r, 1, "{}: n{} runs once", &label, i);
                            }
                        }
                    }
                    (Err(err), Err(_)) => {
                        check_error(&shape, &exp, err, &label)?;
                        for (i, spec) in shape.nodes.iter().enumerate() {
                            let limit = if spec.inline { exp.edges[i].max(1) } else { 1 };
                            prop_assert!(runs[i] <= limit, "{}: n{} ran {} times", &label, i, runs[i]);
                            if !exp.needed[i] {
                                prop_assert_eq!(runs[i], 0, "{}: n{} is not needed", &label, i);
                            }
                        }
                    }
                    (got, base) => prop_assert!(
                        false,
                        "{}: got {:?}, unoptimized sync got {:?}",
                        label,
                        got.as_ref().map(|_| ()),
                        base.as_ref().map(|_| ())
                    ),
                }
            }
        }
    }
}

/// The failing nodes each output depends on (itself included).
fn failing_ancestors(shape: &Shape, output: usize) -> Vec<usize> {
    let mut seen = vec![false; shape.nodes.len()];
    let mut stack = vec![output];
    let mut failing = Vec::new();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        if shape.nodes[i].fail != Fail::No {
            failing.push(i);
        }
        stack.extend(shape.nodes[i].deps());
    }
    failing
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Keep-going mode: each output gets its own result, whether or not the failing task ran
    /// inside a fused chain.
    #[test]
    fn keep_going_gives_each_output_its_own_result_under_every_optimizer(shape in shape()) {
        quiet_panics();
        let exp = expected(&shape);
        for (name, optimizer) in variants() {
            for scheduler in SCHEDULERS.iter() {
                let label = format!("{name}/{}", scheduler.name());
                let rec = record(&shape);
                let control = Control::new().optimize(optimizer.clone());
                let results = compute_settled(&rec.outputs, &**scheduler, &control);
                prop_assert_eq!(results.len(), shape.outputs.len(), "{}", &label);
                for (result, &o) in results.iter().zip(&shape.outputs) {
                    let failing = failing_ancestors(&shape, o);
                    match result {
                        Ok(value) => {
                            prop_assert!(failing.is_empty(), "{}: n{} needs {:?}", &label, o, failing);
                            prop_assert_eq!(*value, exp.values[o], "{}: output n{}", &label, o);
                        }
                        Err(err) => {
                            let i = err.task().and_then(|k| index_of(k.name()));
                            prop_assert!(
                                i.is_some_and(|i| failing.contains(&i)),
                                "{}: output n{} failed with {} but depends on failing {:?}",
                                &label, o, err, failing
                            );
                        }
                    }
                }
                drop(rec.outputs);
                drop(rec.kept);
                for (i, spec) in shape.nodes.iter().enumerate() {
                    let runs = rec.runs[i].load(Ordering::SeqCst);
                    let limit = if spec.inline { exp.edges[i].max(1) } else { 1 };
                    prop_assert!(runs <= limit, "{}: n{} ran {} times", &label, i, runs);
                    if !exp.needed[i] {
                        prop_assert_eq!(runs, 0, "{}: n{} is not needed", &label, i);
                    }
                }
            }
        }
    }
}

// Deterministic companions: failures inside fused chains, through both fusion paths.

fn inc(x: u64) -> u64 {
    x + 1
}

/// `start -> inc -> <bad> -> inc -> inc`, all with one input. With `keep`, the caller holds a
/// handle to every link (so only the `FuseLinear` pass can fuse them); without, nothing else
/// owns the links (so the collector fuses them).
fn chain_with(bad: Delayed<u64>, keep: bool, held: &mut Vec<Delayed<u64>>) -> Delayed<u64> {
    let tail = delayed!(inc(&bad)).name("after");
    let top = delayed!(inc(&tail)).name("top");
    if keep {
        held.extend([bad, tail]);
    }
    top
}

fn failing(x: u64) -> Result<u64, Boom> {
    if x > 0 { Err(Boom(x as usize)) } else { Ok(x) }
}

fn panicking(x: u64) -> u64 {
    if x > 0 {
        panic!("boom in the middle");
    }
    x
}

#[test]
fn an_error_inside_a_fused_chain_names_the_failing_member() {
    quiet_panics();
    for keep in [false, true] {
        for scheduler in SCHEDULERS.iter() {
            let mut held = Vec::new();
            let first = delayed!(inc(1)).name("first");
            let bad = try_delayed!(failing(first)).name("bad");
            let key = bad.key();
            let top = chain_with(bad, keep, &mut held);
            let plan = Plan::optimized(&[top.task()], &Optimizer::default()).unwrap();
            let view = plan.view();
            let fused = view.outputs()[0] as usize;
            let names: Vec<_> =
                view.members(fused).iter().map(|t| t.key().name().to_owned()).collect();
            assert_eq!(names, ["first", "bad", "after", "top"], "keep={keep}");
            match top.compute_with(&**scheduler) {
                Err(Error::Failed { task, source }) => {
                    assert_eq!(task, key, "{} keep={keep}", scheduler.name());
                    assert_eq!(source.to_string(), "n2 failed");
                }
                other => panic!("{} keep={keep}: {other:?}", scheduler.name()),
            }
        }
    }
}

#[test]
fn a_panic_inside_a_fused_chain_names_the_panicking_member() {
    quiet_panics();
    for keep in [false, true] {
        for scheduler in SCHEDULERS.iter() {
            let mut held = Vec::new();
            let first = delayed!(inc(1)).name("first");
            let bad = delayed!(panicking(first)).name("bad");
            let key = bad.key();
            let top = chain_with(bad, keep, &mut held);
            let top_key = top.key();
            match top.compute_with(&**scheduler) {
                Err(Error::Panicked { task, message, .. }) => {
                    assert_eq!(task, key, "{} keep={keep}", scheduler.name());
                    assert_ne!(task, top_key);
                    assert_eq!(message, "boom in the middle");
                }
                other => panic!("{} keep={keep}: {other:?}", scheduler.name()),
            }
        }
    }
}

#[test]
fn the_first_and_last_members_of_a_fused_chain_are_named_too() {
    quiet_panics();
    // Failing at the bottom (the chain's first member) and at the top (the scheduled task).
    let bottom = try_delayed!(failing(5)).name("bottom");
    let key = bottom.key();
    let top = delayed!(inc(delayed!(inc(bottom)))).name("top");
    let err = top.compute_with(&Sequential).unwrap_err();
    assert_eq!(err.task(), Some(&key));

    let low = delayed!(inc(delayed!(inc(1))));
    let top = try_delayed!(failing(low)).name("top");
    let key = top.key();
    let err = top.compute_with(&Sequential).unwrap_err();
    assert_eq!(err.task(), Some(&key));
}
