//! Dask's optimization tests (`dask/tests/test_optimization.py`), ported to the `Graph` IR.
//!
//! Each test names the Dask test it comes from. The graphs are Dask's, written as lists of
//! named tasks in topological order (a Dask graph is a dict; ours needs dependencies first).
//! Dask's semantics differ from ours in a few ways, noted where they matter:
//!
//! - Dask rewrites the graph: fused tasks get a new key (`"z-y-x-w"`) and an alias from the old
//!   one. We keep every task and give it a [`Role`]: the chain's last task stays a root at its
//!   own index, and the others are `FusedInto` the task that consumes them.
//! - A constant in Dask is a key like any other, so `fuse` folds it into its consumer
//!   (`"a-b": (inc, 1)`). Ours is a [`Kind::Literal`]: fusion never takes it, the [`Inline`]
//!   pass marks it `Inlined` instead (evaluated inside each consumer), which is what Dask's
//!   folding achieves.
//! - Dask's `fuse(ave_width=w)` sizes reduction groups by an average width; our
//!   [`FuseReductions::new`] bounds the number of tasks per group. The ports pick the bound
//!   that gives Dask's grouping and say which width it stands for.
//! - Dask's `keys` argument protects tasks from fusion; ours are the graph's outputs.

use lazydag_optimize::{
    Cull, FuseLinear, FuseReductions, Graph, GraphError, Inline, Kind, OptimizeReport, Optimizer,
    Pass, Refused, Role,
};

const F: Kind = Kind::Function;
const L: Kind = Kind::Literal;
const C: Kind = Kind::Cheap;

/// A graph whose tasks have names, like a Dask graph's keys.
struct Dsk {
    names: Vec<&'static str>,
    graph: Graph<'static>,
}

/// Builds a graph from `(name, kind, inputs)` in topological order and the output names.
fn dsk(tasks: &[(&'static str, Kind, &[&str])], outputs: &[&str]) -> Dsk {
    let names: Vec<&'static str> = tasks.iter().map(|t| t.0).collect();
    let index = |name: &str| {
        names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no task {name}")) as u32
    };
    let kinds = tasks.iter().map(|t| t.1).collect();
    let deps: Vec<Vec<u32>> =
        tasks.iter().map(|t| t.2.iter().map(|d| index(d)).collect()).collect();
    let outputs = outputs.iter().map(|o| index(o)).collect();
    let labels = names.clone();
    let graph = Graph::from_deps(kinds, &deps, outputs)
        .expect("a well-formed graph")
        .with_names(move |i| labels[i].to_owned());
    Dsk { names, graph }
}

impl Dsk {
    fn at(&self, name: &str) -> usize {
        self.names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no task {name}"))
    }

    fn role(&self, name: &str) -> Role {
        self.graph.role(self.at(name))
    }

    fn fused_into(&self, name: &str) -> Role {
        Role::FusedInto(self.at(name))
    }

    /// The names of the tasks that still run on their own, in index order.
    fn roots(&self) -> Vec<&'static str> {
        self.names.iter().copied().filter(|n| self.role(n) == Role::Root).collect()
    }

    /// The names of the tasks that run as `name`'s group: those fused into it, directly or
    /// through others, and `name` itself, in index order.
    fn group(&self, name: &str) -> Vec<&'static str> {
        let root = self.at(name);
        let group: Vec<_> = (0..self.names.len())
            .filter(|&i| {
                matches!(self.graph.role(i), Role::Root | Role::FusedInto(_))
                    && self.graph.root_of(i) == root
            })
            .map(|i| self.names[i])
            .collect();
        assert_eq!(group.len(), self.graph.group_size(root), "group_size of {name}");
        group
    }

    fn fuse_linear(mut self) -> Self {
        FuseLinear::new(usize::MAX).run(&mut self.graph);
        self
    }

    fn fuse_reductions(mut self, max_members: usize) -> Self {
        FuseReductions::new(max_members).run(&mut self.graph);
        self
    }

    fn optimize(mut self, optimizer: &Optimizer) -> (Self, OptimizeReport) {
        let report = optimizer.run(&mut self.graph);
        (self, report)
    }
}

/// Dask's `d`: `w <- x <- y <- z <- (a, b)`, with `a` and `b` constants.
const CHAIN_ON_TWO_CONSTANTS: &[(&str, Kind, &[&str])] = &[
    ("a", L, &[]),
    ("b", L, &[]),
    ("z", F, &["a", "b"]),
    ("y", F, &["z"]),
    ("x", F, &["y"]),
    ("w", F, &["x"]),
];

// dask/tests/test_optimization.py::test_cull
#[test]
fn cull_removes_what_no_output_needs() {
    // `out` needs `y` and `x`, not `z`; the `10` of `(add, "y", 10)` is a literal of ours.
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("x", L, &[]),
        ("y", F, &["x"]),
        ("z", F, &["x"]),
        ("ten", L, &[]),
        ("out", F, &["y", "ten"]),
    ];
    let mut d = dsk(tasks, &["out"]);
    Cull.run(&mut d.graph);
    assert_eq!(d.roots(), ["x", "y", "ten", "out"]);
    assert_eq!(d.role("z"), Role::Culled);
    assert_eq!(OptimizeReport::of(&d.graph).culled, 1);
    // Dask also returns the dependencies of what is left; ours are unchanged by culling.
    assert_eq!(d.graph.deps(d.at("out")), [d.at("y") as u32, d.at("ten") as u32]);
    assert_eq!(d.graph.deps(d.at("y")), [d.at("x") as u32]);

    // `cull(d, ["out", "z"])` keeps everything.
    let mut both = dsk(tasks, &["out", "z"]);
    Cull.run(&mut both.graph);
    assert_eq!(both.roots(), ["x", "y", "z", "ten", "out"]);

    // `cull(d, "badkey")` raises KeyError; our graph refuses an output that is not a task.
    let bad = Graph::from_deps(vec![L, F], &[vec![], vec![0]], vec![7]);
    assert!(matches!(bad, Err(GraphError::Malformed(_))));
}

// dask/tests/test_optimization.py::test_cull (what `cull` may not remove)
#[test]
fn cull_refuses_outputs_and_needed_tasks_and_leaves_the_graph_as_it_was() {
    let mut d = dsk(&[("x", L, &[]), ("y", F, &["x"]), ("out", F, &["y"])], &["out"]);
    let (x, y, out) = (d.at("x"), d.at("y"), d.at("out"));
    assert_eq!(d.graph.cull(out), Err(Refused::Output(out)));
    assert_eq!(d.graph.cull(x), Err(Refused::Needed { task: x, by: y }));
    assert_eq!(d.roots(), ["x", "y", "out"]);
}

// dask/tests/test_optimization.py::test_fuse (first graph)
#[test]
fn fuse_a_chain_on_two_constants() {
    // Dask: {"z-y-x-w": (inc, (inc, (inc, (add, "a", "b")))), "a": 1, "b": 2, "w": "z-y-x-w"}.
    // Ours: `w` stays the root at its own index; `z`, `y`, `x` run inside it.
    let d = dsk(CHAIN_ON_TWO_CONSTANTS, &["w"]).fuse_linear();
    assert_eq!(d.role("z"), d.fused_into("y"));
    assert_eq!(d.role("y"), d.fused_into("x"));
    assert_eq!(d.role("x"), d.fused_into("w"));
    assert_eq!(d.roots(), ["a", "b", "w"]);
    assert_eq!(d.group("w"), ["z", "y", "x", "w"]);
    assert_eq!(d.graph.root_of(d.at("z")), d.at("w"));

    // With the whole pipeline the constants are inlined, like Dask's `(add, 1, 2)` would be.
    let (d, report) = dsk(CHAIN_ON_TWO_CONSTANTS, &["w"]).optimize(&Optimizer::default());
    assert_eq!((d.role("a"), d.role("b")), (Role::Inlined, Role::Inlined));
    assert_eq!(d.roots(), ["w"]);
    assert_eq!(report, OptimizeReport { before: 6, after: 1, culled: 0, fused: 3, inlined: 2 });
}

// dask/tests/test_optimization.py::test_fuse (second graph: "NEW" also reads "y")
#[test]
fn fuse_stops_at_a_value_with_two_consumers() {
    let mut tasks = CHAIN_ON_TWO_CONSTANTS.to_vec();
    tasks.push(("NEW", F, &["y"]));
    // Dask: {"NEW": (inc, "z-y"), "x-w": (inc, (inc, "z-y")), "z-y": (inc, (add, "a", "b"))}.
    let d = dsk(&tasks, &["w", "NEW"]).fuse_linear();
    assert_eq!(d.role("z"), d.fused_into("y"));
    assert_eq!(d.role("x"), d.fused_into("w"));
    assert_eq!(d.roots(), ["a", "b", "y", "w", "NEW"]);
    assert_eq!(d.group("y"), ["z", "y"]);
    assert_eq!(d.group("w"), ["x", "w"]);
    assert_eq!(d.graph.uses(d.at("y")), 2);
}

// dask/tests/test_optimization.py::test_fuse (third graph: constants under one-input tasks)
#[test]
fn fuse_several_chains_at_once() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("c", L, &[]),
        ("d", L, &[]),
        ("a", F, &["c"]),
        ("b", F, &["d"]),
        ("z", F, &["a", "b"]),
        ("y", F, &["z"]),
        ("x", F, &["y"]),
        ("w", F, &["x"]),
        ("u", F, &["w"]),
        ("v", F, &["y"]),
    ];
    // Dask: "x-w-u", "z-y", "c-a", "d-b", "v". `z` has two scheduled inputs, so `a` and `b`
    // stay tasks of their own; Dask's "c-a" is our literal `c` inlined into `a`.
    let (d, report) = dsk(tasks, &["u", "v"]).optimize(&Optimizer::default());
    assert_eq!(d.group("u"), ["x", "w", "u"]);
    assert_eq!(d.group("y"), ["z", "y"]);
    assert_eq!(d.group("a"), ["a"]);
    assert_eq!(d.group("b"), ["b"]);
    assert_eq!((d.role("c"), d.role("d")), (Role::Inlined, Role::Inlined));
    assert_eq!(d.roots(), ["a", "b", "y", "u", "v"]);
    assert_eq!(report, OptimizeReport { before: 10, after: 5, culled: 0, fused: 3, inlined: 2 });
}

// dask/tests/test_optimization.py::test_fuse (fourth graph: "x" feeds three tasks)
#[test]
fn fuse_the_one_branch_of_a_fan_out_that_is_a_chain() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("y", L, &[]),
        ("x", F, &["y"]),
        ("a", F, &["x"]),
        ("b", F, &["x"]),
        ("c", F, &["x"]),
        ("d", F, &["c"]),
    ];
    // Dask: {"a": (inc, "y-x"), "b": (inc, "y-x"), "c-d": (inc, (inc, "y-x")), "y-x": (inc, 0)}.
    let (d, _) = dsk(tasks, &["a", "b", "d"]).optimize(&Optimizer::default());
    assert_eq!(d.role("c"), d.fused_into("d"));
    assert_eq!(d.role("y"), Role::Inlined);
    assert_eq!(d.roots(), ["x", "a", "b", "d"]);
    assert_eq!(d.graph.uses(d.at("x")), 3);
}

// dask/tests/test_optimization.py::test_fuse (fifth graph: "c" takes "b" twice)
#[test]
fn fuse_refuses_a_value_passed_twice() {
    let mut d = dsk(&[("a", L, &[]), ("b", F, &["a"]), ("c", F, &["b", "b"])], &["c"]);
    let (b, c) = (d.at("b"), d.at("c"));
    FuseLinear::new(usize::MAX).run(&mut d.graph);
    // Dask: {"a-b": (inc, 1), "c": (add, "a-b", "a-b")}: "b" is not fused into "c".
    assert_eq!(d.roots(), ["a", "b", "c"]);
    assert_eq!(d.graph.deps(c), [b as u32, b as u32]);
    assert_eq!(d.graph.sole_consumer(b), None);
    assert_eq!(d.graph.fuse(b, c), Err(Refused::Uses { task: b, uses: 2 }));
    assert_eq!(d.roots(), ["a", "b", "c"], "a refused change leaves the graph as it was");
}

// dask/tests/test_optimization.py::test_fuse_keys (first graph)
#[test]
fn fuse_keeps_requested_keys() {
    let tasks: &[(&str, Kind, &[&str])] = &[("a", L, &[]), ("b", F, &["a"]), ("c", F, &["b"])];
    // Dask: fuse(d, ["b"]) == {"b": (inc, 1), "c": (inc, "b")}: "b" is not fused into "c".
    let mut d = dsk(tasks, &["b"]).fuse_linear();
    let (b, c) = (d.at("b"), d.at("c"));
    assert_eq!(d.roots(), ["a", "b", "c"]);
    assert_eq!(d.graph.fuse(b, c), Err(Refused::Output(b)));
    // Fusion does not cull (like Dask's `fuse`); `Cull` then drops "c", which "b" does not need.
    Cull.run(&mut d.graph);
    assert_eq!(d.roots(), ["a", "b"]);
    assert_eq!(d.role("c"), Role::Culled);
}

// dask/tests/test_optimization.py::test_fuse_keys (second graph)
#[test]
fn fuse_a_chain_between_two_requested_keys() {
    // keys = ["x", "z"]. Dask: {"w": (inc, "y-x"), "y-x": (inc, (inc, "z")), "z": (add, "a", "b")}.
    let d = dsk(CHAIN_ON_TWO_CONSTANTS, &["x", "z"]).fuse_linear();
    assert_eq!(d.role("y"), d.fused_into("x"));
    assert_eq!(d.roots(), ["a", "b", "z", "x", "w"]);
    assert_eq!(d.group("x"), ["y", "x"]);
    assert!(d.graph.is_output(d.at("z")) && d.graph.is_output(d.at("x")));
}

// dask/tests/test_optimization.py::test_fuse_keys (outputs are never fused away, whole pipeline)
#[test]
fn every_output_stays_a_root_under_the_whole_pipeline() {
    for outputs in [&["w"][..], &["x", "z"], &["w", "y"], &["z", "y", "x", "w"]] {
        let (d, report) = dsk(CHAIN_ON_TWO_CONSTANTS, outputs).optimize(&Optimizer::default());
        for o in outputs {
            assert_eq!(d.role(o), Role::Root, "{o} of {outputs:?}");
        }
        assert_eq!(report.before, report.after + report.culled + report.fused + report.inlined);
    }
}

// dask/tests/test_optimization.py::test_inline
#[test]
fn inline_constants() {
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a", L, &[]), ("b", F, &["a"]), ("c", F, &["b"]), ("d", F, &["a", "c"])];
    // Dask: inline(d) == {"a": 1, "b": (inc, 1), "c": (inc, "b"), "d": (add, 1, "c")}.
    let mut d = dsk(tasks, &["d"]);
    Inline.run(&mut d.graph);
    assert_eq!(d.role("a"), Role::Inlined);
    assert_eq!(d.roots(), ["b", "c", "d"]);
}

// dask/tests/test_optimization.py::test_inline (`inline(d, ["a", "b", "c"])`)
#[test]
fn inline_nested_cheap_tasks() {
    // Dask inlines the named function tasks too; ours are the tasks marked cheap.
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a", L, &[]), ("b", C, &["a"]), ("c", C, &["b"]), ("d", F, &["a", "c"])];
    // Dask: {"d": (add, 1, (inc, (inc, 1)))}: "d" evaluates everything.
    let mut d = dsk(tasks, &["d"]);
    Inline.run(&mut d.graph);
    assert_eq!([d.role("a"), d.role("b"), d.role("c")], [Role::Inlined; 3]);
    assert_eq!(d.roots(), ["d"]);
    assert_eq!(OptimizeReport::of(&d.graph).inlined, 3);
}

// dask/tests/test_optimization.py::test_inline (`inline(d, keys="y")`, with and without
// `inline_constants`)
#[test]
fn inline_one_cheap_task_with_or_without_constants() {
    let tasks: &[(&str, Kind, &[&str])] = &[("x", L, &[]), ("y", C, &["x"]), ("z", F, &["x", "y"])];
    // Dask: {"x": 1, "y": (inc, 1), "z": (add, 1, (inc, 1))}.
    let mut d = dsk(tasks, &["z"]);
    Inline.run(&mut d.graph);
    assert_eq!((d.role("x"), d.role("y")), (Role::Inlined, Role::Inlined));
    // inline_constants=False: {"x": 1, "y": (inc, "x"), "z": (add, "x", (inc, "x"))}. Ours: inline
    // only the cheap task, through the checked method, and leave the literal alone.
    let mut d = dsk(tasks, &["z"]);
    d.graph.inline(d.at("y")).unwrap();
    assert_eq!((d.role("x"), d.role("y")), (Role::Root, Role::Inlined));
}

// dask/tests/test_optimization.py::test_inline_functions
#[test]
fn inline_fast_functions_only() {
    // fast_functions={inc}: "i" (inc) is inlined into "out", "d" (double) is not.
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("x", L, &[]),
        ("y", L, &[]),
        ("i", C, &["x"]),
        ("d", F, &["y"]),
        ("out", F, &["i", "d"]),
    ];
    let mut d = dsk(tasks, &["out"]);
    Inline.run(&mut d.graph);
    assert_eq!(d.role("i"), Role::Inlined);
    assert_eq!(d.role("d"), Role::Root);
    // Dask's `inline_functions` leaves constants as keys; our `Inline` inlines them as well.
    assert_eq!((d.role("x"), d.role("y")), (Role::Inlined, Role::Inlined));
    // Not in Dask's test: with "i" inlined, "d" is the only scheduled input of "out", so
    // linear fusion then runs it inside "out".
    FuseLinear::new(usize::MAX).run(&mut d.graph);
    assert_eq!(d.role("d"), d.fused_into("out"));
    assert_eq!(d.roots(), ["out"]);
}

// dask/tests/test_optimization.py::test_inline_doesnt_shrink_fast_functions_at_top
#[test]
fn inline_leaves_a_cheap_task_at_the_top() {
    let mut d = dsk(&[("y", L, &[]), ("x", C, &["y"])], &["x"]);
    Inline.run(&mut d.graph);
    assert_eq!(d.role("x"), Role::Root);
    let x = d.at("x");
    assert_eq!(d.graph.inline(x), Err(Refused::Output(x)));
}

// dask/tests/test_optimization.py::test_inline_functions_protects_output_keys
#[test]
fn inline_protects_output_keys() {
    let tasks: &[(&str, Kind, &[&str])] = &[("one", L, &[]), ("x", C, &["one"]), ("y", F, &["x"])];
    // inline_functions(dsk, [], [inc]) == {"y": (double, (inc, 1))}.
    let mut d = dsk(tasks, &["y"]);
    Inline.run(&mut d.graph);
    assert_eq!(d.roots(), ["y"]);
    // inline_functions(dsk, ["x"], [inc]) keeps "x".
    let mut d = dsk(tasks, &["y", "x"]);
    Inline.run(&mut d.graph);
    assert_eq!(d.roots(), ["x", "y"]);
}

/// A cheap task evaluated in each of its consumers duplicates its inputs' values: refused when
/// one of them cannot be cloned.
// dask/tests/test_optimization.py::test_inline (inlining into several consumers)
#[test]
fn inline_into_several_consumers_needs_clonable_inputs() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("load", F, &[]),
        ("pick", C, &["load"]),
        ("left", F, &["pick"]),
        ("right", F, &["pick"]),
    ];
    let mut d = dsk(tasks, &["left", "right"]);
    d.graph = d.graph.with_clonable(vec![false, true, true, true]);
    let (load, pick) = (d.at("load"), d.at("pick"));
    assert_eq!(
        d.graph.inline(pick),
        Err(Refused::NotClonable { task: pick, consumers: 2, input: load })
    );
    Inline.run(&mut d.graph);
    assert_eq!(d.role("pick"), Role::Root);
}

/// Not a Dask case, found while porting the nested inlining of `test_inline`: inlining a cheap
/// task `x` into two consumers, and then its one-consumer input `y`, makes `y` run in both of
/// them and so reads `y`'s input `z` twice, though `z` cannot be cloned. (The [`Inline`] pass
/// visits inputs first, so it refuses `x`; a user pass that goes the other way is not refused.)
// dask/tests/test_optimization.py::test_inline (`inline(d, ["a", "b", "c"])` nests inlining)
#[test]
fn inline_under_an_inlined_task_checks_the_inputs_it_duplicates() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("z", F, &[]),
        ("y", C, &["z"]),
        ("x", C, &["y"]),
        ("left", F, &["x"]),
        ("right", F, &["x"]),
    ];
    let mut d = dsk(tasks, &["left", "right"]);
    d.graph = d.graph.with_clonable(vec![false, true, true, true, true]);
    let (x, y) = (d.at("x"), d.at("y"));
    d.graph.inline(x).expect("x's only input, y, can be cloned");
    // `y` would now be evaluated in both copies of `x`, reading `z` twice.
    assert!(d.graph.inline(y).is_err(), "inlining y under x duplicates z, which is not Clone");
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (first graph)
#[test]
fn fuse_reductions_of_two_inputs() {
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a", L, &[]), ("b1", F, &["a"]), ("b2", F, &["a", "a"]), ("c", F, &["b1", "b2"])];
    // ave_width=1.9: nothing fused. Ours: groups of one task.
    let d = dsk(tasks, &["c"]).fuse_reductions(1);
    assert_eq!(d.roots(), ["a", "b1", "b2", "c"]);
    // Linear fusion alone leaves a join of two inputs apart, too.
    let d = dsk(tasks, &["c"]).fuse_linear();
    assert_eq!(d.roots(), ["a", "b1", "b2", "c"]);
    // ave_width=2: "b1-b2-c". Ours: groups of up to three tasks.
    let d = dsk(tasks, &["c"]).fuse_reductions(3);
    assert_eq!(d.group("c"), ["b1", "b2", "c"]);
    assert_eq!(d.roots(), ["a", "c"]);
    // A bound of two takes the first input only (Dask's average width has no such middle).
    let d = dsk(tasks, &["c"]).fuse_reductions(2);
    assert_eq!(d.group("c"), ["b1", "c"]);
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (the tree of 8 leaves)
#[test]
fn fuse_reductions_of_a_binary_tree() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("a", L, &[]),
        ("b1", F, &["a"]),
        ("b2", F, &["a"]),
        ("b3", F, &["a"]),
        ("b4", F, &["a"]),
        ("b5", F, &["a"]),
        ("b6", F, &["a"]),
        ("b7", F, &["a"]),
        ("b8", F, &["a"]),
        ("c1", F, &["b1", "b2"]),
        ("c2", F, &["b3", "b4"]),
        ("c3", F, &["b5", "b6"]),
        ("c4", F, &["b7", "b8"]),
        ("d1", F, &["c1", "c2"]),
        ("d2", F, &["c3", "c4"]),
        ("e", F, &["d1", "d2"]),
    ];
    // ave_width=1.9: nothing.
    assert_eq!(dsk(tasks, &["e"]).fuse_reductions(1).roots().len(), 16);
    // ave_width=2 (and 2.9): "b1-b2-c1", ..., "b7-b8-c4"; d1, d2, e alone. Ours: three tasks
    // per group gives the same c-groups, but our bound is per group, not an average over a
    // level: "d1" and "d2" stay alone, so "e" still has room for both of them.
    let d = dsk(tasks, &["e"]).fuse_reductions(3);
    assert_eq!(d.roots(), ["a", "c1", "c2", "c3", "c4", "e"]);
    assert_eq!(d.group("c3"), ["b5", "b6", "c3"]);
    assert_eq!(d.group("e"), ["d1", "d2", "e"]);
    // ave_width=3 (to 4.6): "b1-b2-b3-b4-c1-c2-d1", "b5-...-d2"; e alone. Ours: seven tasks.
    let d = dsk(tasks, &["e"]).fuse_reductions(7);
    assert_eq!(d.roots(), ["a", "d1", "d2", "e"]);
    assert_eq!(d.group("d1"), ["b1", "b2", "b3", "b4", "c1", "c2", "d1"]);
    // ave_width=4.7: everything in "e". Ours: fifteen tasks.
    let d = dsk(tasks, &["e"]).fuse_reductions(15);
    assert_eq!(d.roots(), ["a", "e"]);
    assert_eq!(d.graph.group_size(d.at("e")), 15);
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (chains under `a`)
#[test]
fn fuse_chains_whose_inputs_are_constants() {
    // {"a": 1, "b": (f, "a"), "c": (f, "b"), "d": (f, "c")}, ave_width=1: "a-b-c-d".
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a", L, &[]), ("b", F, &["a"]), ("c", F, &["b"]), ("d", F, &["c"])];
    let (d, _) = dsk(tasks, &["d"]).optimize(&Optimizer::default());
    assert_eq!(d.group("d"), ["b", "c", "d"]);
    assert_eq!(d.role("a"), Role::Inlined);

    // {"a": 1, "b": (f, "a"), "c": (f, "a", "b"), "d": (f, "a", "c")}: "b-c-d", "a" stays. A
    // literal input does not count as a second input.
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a", L, &[]), ("b", F, &["a"]), ("c", F, &["a", "b"]), ("d", F, &["a", "c"])];
    let d = dsk(tasks, &["d"]).fuse_linear();
    assert_eq!(d.group("d"), ["b", "c", "d"]);
    assert_eq!(d.roots(), ["a", "d"]);
    assert_eq!(d.graph.uses(d.at("a")), 3);
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (a long and a short arm)
#[test]
fn fuse_a_long_arm_then_the_whole_join() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("a", L, &[]),
        ("b1", F, &["a"]),
        ("b2", F, &["a"]),
        ("c1", F, &["b1"]),
        ("d1", F, &["c1"]),
        ("e1", F, &["d1"]),
        ("f", F, &["e1", "b2"]),
    ];
    // ave_width=1 (and 1.9): "b1-c1-d1-e1"; "b2" and "f" alone.
    let d = dsk(tasks, &["f"]).fuse_linear();
    assert_eq!(d.group("e1"), ["b1", "c1", "d1", "e1"]);
    assert_eq!(d.roots(), ["a", "b2", "e1", "f"]);
    // ave_width=2: "b1-b2-c1-d1-e1-f". Ours: linear fusion, then groups of up to six.
    let (d, report) = dsk(tasks, &["f"]).optimize(&Optimizer::new().fuse_reductions(Some(6)));
    assert_eq!(d.group("f"), ["b1", "b2", "c1", "d1", "e1", "f"]);
    assert_eq!(d.roots(), ["f"]);
    assert_eq!(report, OptimizeReport { before: 7, after: 1, culled: 0, fused: 5, inlined: 1 });
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (three arms, then a chain)
#[test]
fn fuse_three_arms_and_the_chain_above_their_join() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("a", L, &[]),
        ("b1", F, &["a"]),
        ("b2", F, &["a"]),
        ("b3", F, &["a"]),
        ("c1", F, &["b1"]),
        ("c2", F, &["b2"]),
        ("c3", F, &["b3"]),
        ("d1", F, &["c1"]),
        ("d2", F, &["c2"]),
        ("d3", F, &["c3"]),
        ("e", F, &["d1", "d2", "d3"]),
        ("f", F, &["e"]),
        ("g", F, &["f"]),
    ];
    // ave_width=1: "b1-c1-d1", "b2-c2-d2", "b3-c3-d3", "e-f-g".
    let d = dsk(tasks, &["g"]).fuse_linear();
    assert_eq!(d.roots(), ["a", "d1", "d2", "d3", "g"]);
    assert_eq!(d.group("d2"), ["b2", "c2", "d2"]);
    assert_eq!(d.group("g"), ["e", "f", "g"]);
}

// dask/tests/test_optimization.py::test_fuse_reductions_single_input (the last graph)
#[test]
fn fuse_around_values_that_are_read_twice() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("a", L, &[]),
        ("b", F, &["a"]),
        ("c", F, &["b"]),
        ("d", F, &["b", "c"]),
        ("e", F, &["d"]),
        ("f", F, &["e"]),
        ("g", F, &["d", "f"]),
    ];
    // ave_width=1: "a-b", "c-d", "e-f-g". Dask's `fuse` takes "c" into "d" though "d" has
    // another input; our linear fusion does not, reduction fusion (groups of three) does.
    let d = dsk(tasks, &["g"]).fuse_linear();
    assert_eq!(d.roots(), ["a", "b", "c", "d", "f", "g"]);
    assert_eq!(d.group("f"), ["e", "f"]);
    let (d, _) = dsk(tasks, &["g"]).optimize(&Optimizer::new().fuse_reductions(Some(3)));
    assert_eq!(d.roots(), ["b", "d", "g"]);
    assert_eq!(d.group("d"), ["c", "d"]);
    assert_eq!(d.group("g"), ["e", "f", "g"]);
    assert_eq!(d.role("a"), Role::Inlined);
}

// dask/tests/test_optimization.py::test_fuse_reductions_multiple_input (first graph)
#[test]
fn fuse_a_task_of_two_constants_into_its_consumer() {
    let tasks: &[(&str, Kind, &[&str])] =
        &[("a1", L, &[]), ("a2", L, &[]), ("b", F, &["a1", "a2"]), ("c", F, &["b"])];
    // ave_width=1: {"a1": 1, "a2": 2, "b-c": (f, (f, "a1", "a2"))}.
    let d = dsk(tasks, &["c"]).fuse_linear();
    assert_eq!(d.roots(), ["a1", "a2", "c"]);
    assert_eq!(d.group("c"), ["b", "c"]);
}

// dask/tests/test_optimization.py::test_fuse_reductions_multiple_input (second graph)
#[test]
fn fuse_three_inputs_that_share_constants() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("a1", L, &[]),
        ("a2", L, &[]),
        ("b1", F, &["a1"]),
        ("b2", F, &["a1", "a2"]),
        ("b3", F, &["a2"]),
        ("c", F, &["b1", "b2", "b3"]),
    ];
    // ave_width=1 (to 2.9): nothing.
    assert_eq!(dsk(tasks, &["c"]).fuse_linear().roots().len(), 6);
    // ave_width=3: "b1-b2-b3-c". Ours: groups of four.
    let d = dsk(tasks, &["c"]).fuse_reductions(4);
    assert_eq!(d.group("c"), ["b1", "b2", "b3", "c"]);
    assert_eq!(d.roots(), ["a1", "a2", "c"]);
}

// dask/tests/test_optimization.py::test_fuse_reductions_multiple_input (third and fourth graphs)
#[test]
fn fuse_reductions_leave_a_shared_input_alone() {
    let mut tasks: Vec<(&str, Kind, &[&str])> = vec![
        ("a1", L, &[]),
        ("a2", L, &[]),
        ("b1", F, &["a1"]),
        ("b2", F, &["a1", "a2"]),
        ("b3", F, &["a2"]),
        ("c1", F, &["b1", "b2"]),
        ("c2", F, &["b2", "b3"]),
    ];
    // ave_width=2: "b1-c1", "b3-c2"; "b2" (read by both) alone.
    let d = dsk(&tasks, &["c1", "c2"]).fuse_reductions(2);
    assert_eq!(d.roots(), ["a1", "a2", "b2", "c1", "c2"]);
    assert_eq!(d.group("c1"), ["b1", "c1"]);
    assert_eq!(d.group("c2"), ["b3", "c2"]);
    // With "d" over both, ave_width=3: "b1-b3-c1-c2-d"; "b2" alone. Ours: groups of five.
    tasks.push(("d", F, &["c1", "c2"]));
    let d = dsk(&tasks, &["d"]).fuse_reductions(5);
    assert_eq!(d.roots(), ["a1", "a2", "b2", "d"]);
    assert_eq!(d.group("d"), ["b1", "b3", "c1", "c2", "d"]);
}

// dask/tests/test_optimization.py::test_fuse_subgraphs_linear_chains_of_duplicate_deps
#[test]
fn never_fuse_a_chain_of_values_each_read_twice() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("x-1", L, &[]),
        ("add-1", F, &["x-1", "x-1"]),
        ("add-2", F, &["add-1", "add-1"]),
        ("add-3", F, &["add-2", "add-2"]),
        ("add-4", F, &["add-3", "add-3"]),
        ("add-5", F, &["add-4", "add-4"]),
    ];
    // Dask's `fuse_subgraphs` packs all of it into one SubgraphCallable. We have no subgraph
    // tasks: a value read twice would need a clone inside the fused task, so nothing fuses.
    let (mut d, report) =
        dsk(tasks, &["add-5"]).optimize(&Optimizer::new().fuse_reductions(Some(64)));
    assert_eq!(d.roots(), ["add-1", "add-2", "add-3", "add-4", "add-5"]);
    assert_eq!(report.fused, 0);
    let (a3, a4) = (d.at("add-3"), d.at("add-4"));
    assert_eq!(d.graph.fuse(a3, a4), Err(Refused::Uses { task: a3, uses: 2 }));
}

// dask/tests/test_optimization.py::test_dont_fuse_numpy_arrays
#[test]
fn never_fuse_a_literal() {
    let mut d = dsk(&[("x", L, &[]), ("y", F, &["x"])], &["y"]);
    FuseLinear::new(usize::MAX).run(&mut d.graph);
    assert_eq!(d.roots(), ["x", "y"]);
    let (x, y) = (d.at("x"), d.at("y"));
    assert_eq!(
        d.graph.fuse(x, y),
        Err(Refused::Kind { task: x, kind: Kind::Literal, change: "fused into a consumer" })
    );
}

// dask/tests/test_optimization.py::test_fuse_config
#[test]
fn fusion_turned_off_fuses_nothing() {
    // Dask: with `optimization.fuse.active = False`, fuse returns the graph unchanged.
    let (d, report) = dsk(CHAIN_ON_TWO_CONSTANTS, &["w"]).optimize(&Optimizer::new().fuse(false));
    assert_eq!(d.roots(), ["z", "y", "x", "w"]);
    assert_eq!(report, OptimizeReport { before: 6, after: 4, culled: 0, fused: 0, inlined: 2 });
    let (d, report) = dsk(CHAIN_ON_TWO_CONSTANTS, &["w"]).optimize(&Optimizer::off());
    assert_eq!(d.roots(), ["a", "b", "z", "y", "x", "w"]);
    assert_eq!(report, OptimizeReport { before: 6, after: 6, ..OptimizeReport::default() });
}

// dask/tests/test_optimization.py::test_fused_keys_max_length
#[test]
fn fused_tasks_keep_their_names() {
    // Dask bounds the length of renamed keys; we rename nothing: the root keeps its index and
    // its name, and the members keep theirs.
    let long: &[(&str, Kind, &[&str])] = &[
        ("a", L, &[]),
        ("b", L, &[]),
        ("z-looooooooooooooooooooooooooooooooooooooooooooooooooooooong", F, &["a", "b"]),
        (
            "y-looooooooooooooooooooooooooooooooooooooooooooooooooooooong",
            F,
            &["z-looooooooooooooooooooooooooooooooooooooooooooooooooooooong"],
        ),
        (
            "u-looooooooooooooooooooooooooooooooooooooooooooooooooooooong",
            F,
            &["y-looooooooooooooooooooooooooooooooooooooooooooooooooooooong"],
        ),
    ];
    let top = "u-looooooooooooooooooooooooooooooooooooooooooooooooooooooong";
    let d = dsk(long, &[top]).fuse_linear();
    assert_eq!(d.roots(), ["a", "b", top]);
    assert_eq!(d.graph.name(d.at(top)), top);
    assert_eq!(d.graph.group_size(d.at(top)), 3);
}

// dask/tests/test_optimization.py::test_fuse (fused chains, cut at a maximum length)
#[test]
fn fused_chains_are_cut_at_the_maximum_length() {
    let tasks: &[(&str, Kind, &[&str])] = &[
        ("t0", F, &[]),
        ("t1", F, &["t0"]),
        ("t2", F, &["t1"]),
        ("t3", F, &["t2"]),
        ("t4", F, &["t3"]),
        ("t5", F, &["t4"]),
        ("t6", F, &["t5"]),
    ];
    let mut d = dsk(tasks, &["t6"]);
    FuseLinear::new(3).run(&mut d.graph);
    assert_eq!(d.roots(), ["t2", "t5", "t6"]);
    assert_eq!(d.group("t2"), ["t0", "t1", "t2"]);
    assert_eq!(d.group("t5"), ["t3", "t4", "t5"]);
    for i in 0..d.graph.len() {
        assert!(d.graph.group_size(i) <= 3);
    }
}
